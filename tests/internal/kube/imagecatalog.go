package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/objects"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/toolenv"
)

// ImageSources are the binaries and pinned versions the cluster's images are built from, from
// go run ./tools/build --print-env cluster.
type ImageSources struct {
	Tools toolenv.Tools
	// ClusterImagesDir holds coredns, kube-state-metrics and node_exporter; Busybox is Debian's
	// static busybox; Pause the pause binary.
	ClusterImagesDir, Busybox, Pause string
	// Versions of what the binaries were built from, by name (COREDNS_VERSION and the like).
	Versions map[string]string
}

// imageBuilder builds the image of one repository, at a tag it checks against the version its
// binary was built at: an image is never tagged with a version it does not hold.
type imageBuilder struct {
	// version is the version the binary was built at; tags are "<version>" or "<version>-distroless".
	version func(s ImageSources) (string, error)
	build   func(s ImageSources, name string) (Image, error)
}

// The base layers stand in for the images' upstream bases, which cannot be pulled here: a busybox
// base (quay.io/prometheus/busybox) from Debian's static busybox, and distroless's static:nonroot
// (gcr.io/distroless/static-debian13:nonroot), whose content is a few files.
func busyboxBase(s ImageSources) []ImageFile {
	files := []ImageFile{
		{Path: "/bin/busybox", Source: s.Busybox, Mode: 0o755},
		{Path: "/etc/passwd", Data: []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n")},
		{Path: "/etc/group", Data: []byte("root:x:0:\nnobody:x:65534:\n")},
		{Path: "/tmp", Dir: true, Mode: 0o1777},
		{Path: "/home", Dir: true},
		{Path: "/root", Dir: true, Mode: 0o700},
	}
	for _, applet := range []string{"sh", "ls", "cat", "cp", "mv", "rm", "mkdir", "chmod", "chown", "echo", "env", "grep", "sed", "sleep", "test", "wget", "id", "ps", "chroot", "touch", "df", "du", "find", "tar", "nc"} {
		files = append(files, ImageFile{Path: "/bin/" + applet, Link: "busybox"})
	}
	return files
}

func distrolessBase() []ImageFile {
	return []ImageFile{
		{Path: "/etc/passwd", Data: []byte("root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")},
		{Path: "/etc/group", Data: []byte("root:x:0:\nnobody:x:65534:\ntty:x:5:\nstaff:x:50:\nnonroot:x:65532:\n")},
		{Path: "/tmp", Dir: true, Mode: 0o1777},
		{Path: "/home/nonroot", Dir: true, Mode: 0o700, UID: 65532, GID: 65532},
		{Path: "/root", Dir: true, Mode: 0o700},
	}
}

// distrolessNonrootUser is the user gcr.io/distroless/static:nonroot declares.
const distrolessNonrootUser = "65532"

func pinned(name string) func(s ImageSources) (string, error) {
	return func(s ImageSources) (string, error) {
		if v := s.Versions[name]; v != "" {
			return v, nil
		}
		return "", fmt.Errorf("the version %s is not known (go run ./tools/build --print-env cluster prints it)", name)
	}
}

func constantVersion(v string) func(ImageSources) (string, error) {
	return func(ImageSources) (string, error) { return v, nil }
}

// imageBuilders are the images the cluster can run, by repository, each as its upstream Dockerfile
// at the pinned version builds it (entrypoint, user, working directory, files).
var imageBuilders = map[string]imageBuilder{
	// Thanos: Dockerfile of v0.42.4, busybox base, USER 1001.
	"quay.io/thanos/thanos": {constantVersion(components.ThanosVersion), func(s ImageSources, name string) (Image, error) {
		files := append(busyboxBase(s), ImageFile{Path: "/bin/thanos", Source: s.Tools.Thanos, Mode: 0o755, UID: 1001})
		passwd := "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\nthanos:x:1001:1001:Linux User,,,:/home/thanos:/bin/false\n"
		files = replaceFile(files, ImageFile{Path: "/etc/passwd", Data: []byte(passwd)})
		files = replaceFile(files, ImageFile{Path: "/etc/group", Data: []byte("root:x:0:\nnobody:x:65534:\nthanos:x:1001:\n")})
		return Image{Name: name, Files: files, Entrypoint: []string{"/bin/thanos"}, User: "1001"}, nil
	}},
	// Prometheus: Dockerfile.distroless of v3.14.0 (the chart runs the -distroless tag).
	"quay.io/prometheus/prometheus": {constantVersion(components.PrometheusVersion), func(s ImageSources, name string) (Image, error) {
		dir, err := ModuleDir("github.com/prometheus/prometheus", s.Versions["PROMETHEUS_MODULE_VERSION"])
		if err != nil {
			return Image{}, err
		}
		files := append(distrolessBase(),
			ImageFile{Path: "/bin/prometheus", Source: s.Tools.Prometheus, Mode: 0o755},
			ImageFile{Path: "/bin/promtool", Source: s.Tools.Promtool, Mode: 0o755},
			ImageFile{Path: "/etc/prometheus/prometheus.yml", Source: filepath.Join(dir, "documentation/examples/prometheus.yml")},
			ImageFile{Path: "/prometheus", Dir: true, Mode: 0o755},
		)
		return Image{Name: name, Files: files, Entrypoint: []string{"/bin/prometheus"}, User: distrolessNonrootUser, WorkingDir: "/prometheus",
			Cmd: []string{"--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"}}, nil
	}},
	// prometheus-operator and its config reloader: their Dockerfiles of v0.93.1, busybox base.
	"quay.io/prometheus-operator/prometheus-operator": {constantVersion(components.PrometheusOperatorVersion), func(s ImageSources, name string) (Image, error) {
		return Image{Name: name, Files: append(busyboxBase(s), ImageFile{Path: "/bin/operator", Source: s.Tools.Operator, Mode: 0o755}),
			Entrypoint: []string{"/bin/operator"}, User: "65534"}, nil
	}},
	"quay.io/prometheus-operator/prometheus-config-reloader": {constantVersion(components.PrometheusOperatorVersion), func(s ImageSources, name string) (Image, error) {
		return Image{Name: name, Files: append(busyboxBase(s), ImageFile{Path: "/bin/prometheus-config-reloader", Source: s.Tools.ConfigReloader, Mode: 0o755}),
			Entrypoint: []string{"/bin/prometheus-config-reloader"}, User: "nobody"}, nil
	}},
	// kube-state-metrics: its Dockerfile of v2.20.0, distroless static, USER nobody.
	"registry.k8s.io/kube-state-metrics/kube-state-metrics": {pinned("KUBE_STATE_METRICS_VERSION"), func(s ImageSources, name string) (Image, error) {
		return Image{Name: name, Files: append(distrolessBase(), ImageFile{Path: "/kube-state-metrics", Source: filepath.Join(s.ClusterImagesDir, "kube-state-metrics"), Mode: 0o755}),
			Entrypoint: []string{"/kube-state-metrics", "--port=8080", "--telemetry-port=8081"}, User: "nobody"}, nil
	}},
	// node_exporter: Dockerfile.distroless of v1.12.1 (the chart runs the -distroless tag).
	"quay.io/prometheus/node-exporter": {pinned("NODE_EXPORTER_VERSION"), func(s ImageSources, name string) (Image, error) {
		return Image{Name: name, Files: append(distrolessBase(), ImageFile{Path: "/bin/node_exporter", Source: filepath.Join(s.ClusterImagesDir, "node_exporter"), Mode: 0o755}),
			Entrypoint: []string{"/bin/node_exporter"}, User: distrolessNonrootUser}, nil
	}},
	// CoreDNS: its Dockerfile of v1.15.0: distroless nonroot, the binary with cap_net_bind_service.
	"registry.k8s.io/coredns/coredns": {pinned("COREDNS_VERSION"), func(s ImageSources, name string) (Image, error) {
		const capNetBindService = 10
		return Image{Name: name, Files: append(distrolessBase(), ImageFile{Path: "/coredns", Source: filepath.Join(s.ClusterImagesDir, "coredns"), Mode: 0o755, Capabilities: []int{capNetBindService}}),
			Entrypoint: []string{"/coredns"}, User: "65532:65532", WorkingDir: "/"}, nil
	}},
	// MinIO: Dockerfile.release of RELEASE.2025-09-07T16-13-09Z, its docker-entrypoint.sh; busybox
	// stands in for the ubi-micro base.
	"quay.io/minio/minio": {minioRelease, func(s ImageSources, name string) (Image, error) {
		dir, err := ModuleDir("github.com/minio/minio", s.Versions["MINIO_VERSION"])
		if err != nil {
			return Image{}, err
		}
		files := append(busyboxBase(s),
			ImageFile{Path: "/usr/bin/minio", Source: s.Tools.MinIO, Mode: 0o755},
			ImageFile{Path: "/usr/bin/docker-entrypoint.sh", Source: filepath.Join(dir, "dockerscripts/docker-entrypoint.sh"), Mode: 0o755},
			ImageFile{Path: "/data", Dir: true},
		)
		return Image{Name: name, Files: files, Entrypoint: []string{"/usr/bin/docker-entrypoint.sh"}, Cmd: []string{"minio"},
			Env: []string{"MINIO_ACCESS_KEY_FILE=access_key", "MINIO_SECRET_KEY_FILE=secret_key", "MINIO_ROOT_USER_FILE=access_key",
				"MINIO_ROOT_PASSWORD_FILE=secret_key", "MINIO_KMS_SECRET_KEY_FILE=kms_master_key", "MINIO_CONFIG_ENV_FILE=config.env", "MC_CONFIG_DIR=/tmp/.mc"}}, nil
	}},
	// The pod sandbox: build/pause of Kubernetes v1.36.3 (its Makefile's TAG).
	"registry.k8s.io/pause": {pinned("PAUSE_VERSION"), func(s ImageSources, name string) (Image, error) {
		return Image{Name: name, Files: []ImageFile{{Path: "/pause", Source: s.Pause, Mode: 0o755}}, Entrypoint: []string{"/pause"}, User: "65535:65535"}, nil
	}},
}

// minioRelease is the release tag of the pinned MinIO source: its pseudo-version's commit must be
// the commit of the release the image tag names.
func minioRelease(s ImageSources) (string, error) {
	if v := s.Versions["MINIO_RELEASE"]; v != "" {
		return v, nil
	}
	return "", fmt.Errorf("MINIO_RELEASE is not known (go run ./tools/build --print-env cluster prints it)")
}

func replaceFile(files []ImageFile, f ImageFile) []ImageFile {
	for i := range files {
		if files[i].Path == f.Path {
			files[i] = f
			return files
		}
	}
	return append(files, f)
}

var tagPattern = regexp.MustCompile(`^(.+):([^:/]+)$`)

// BuildImages builds the images of the given references. A reference whose repository has no
// builder, or whose tag is not the version the binary was built at, is an error naming it.
func BuildImages(s ImageSources, refs []string) ([]Image, error) {
	var out []Image
	var problems []string
	for _, ref := range uniqueSorted(refs) {
		m := tagPattern.FindStringSubmatch(ref)
		if m == nil {
			problems = append(problems, ref+": no tag")
			continue
		}
		b, ok := imageBuilders[m[1]]
		if !ok {
			problems = append(problems, ref+": no image of that repository can be built here")
			continue
		}
		version, err := b.version(s)
		if err != nil {
			problems = append(problems, ref+": "+err.Error())
			continue
		}
		if tag := m[2]; tag != version && tag != version+"-distroless" {
			problems = append(problems, fmt.Sprintf("%s: the binary here is %s", ref, version))
			continue
		}
		img, err := b.build(s, ref)
		if err != nil {
			problems = append(problems, ref+": "+err.Error())
			continue
		}
		out = append(out, img)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("images: %s", strings.Join(problems, "; "))
	}
	return out, nil
}

func uniqueSorted(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// ModuleDir is a module's directory in the Go module cache (downloaded through the proxy if it
// is not there yet).
func ModuleDir(module, version string) (string, error) {
	if version == "" {
		return "", fmt.Errorf("no version of %s", module)
	}
	scratch, err := os.MkdirTemp("", "moduledir-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(scratch)
	if err := os.WriteFile(filepath.Join(scratch, "go.mod"), []byte("module scratch\n"), 0o644); err != nil {
		return "", err
	}
	cmd := exec.Command("go", "mod", "download", "-json", module+"@"+version)
	cmd.Dir = scratch
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %w", module, version, err)
	}
	var info struct{ Dir string }
	if err := json.Unmarshal(out, &info); err != nil || info.Dir == "" {
		return "", fmt.Errorf("go mod download %s@%s gave no directory: %s", module, version, out)
	}
	return info.Dir, nil
}

// PodImages are the images of every container and init container in the objects' pod templates
// and pod specs, and those a Prometheus or Alertmanager resource and the operator's arguments name.
func PodImages(rendered []objects.Object) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			for k, e := range t {
				if (k == "containers" || k == "initContainers") && e != nil {
					for _, c := range objects.List(t, k) {
						if img := objects.Str(c, "image"); img != "" {
							out = append(out, img)
						}
						for _, a := range objects.List(c, "args") {
							if v, ok := strings.CutPrefix(fmt.Sprint(a), "--prometheus-config-reloader="); ok {
								out = append(out, v)
							}
						}
					}
					continue
				}
				walk(e)
			}
		case []any:
			for _, e := range t {
				walk(e)
			}
		}
	}
	for _, o := range rendered {
		if o.Kind() == "Prometheus" || o.Kind() == "Alertmanager" {
			if img := objects.Str(map[string]any(o), "spec", "image"); img != "" {
				out = append(out, img)
			}
			if img := objects.Str(map[string]any(o), "spec", "thanos", "image"); img != "" {
				out = append(out, img)
			}
		}
		walk(map[string]any(o))
	}
	return uniqueSorted(out)
}

// ImportClusterImages builds and imports the images.
func ImportClusterImages(ctx context.Context, s ImageSources, ctr, socket, dir string, refs []string) error {
	images, err := BuildImages(s, refs)
	if err != nil {
		return err
	}
	return ImportImages(ctx, ctr, socket, dir, images)
}
