package kube

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/procs"
)

// Image is a container image built here, from binaries built from their pinned sources, and
// tagged with exactly the name the program, the chart or the operator uses: no registry can be
// reached, so the manifests run unmodified with `imagePullPolicy: IfNotPresent` finding them.
type Image struct {
	// Name is the fully qualified reference (CRI turns "x:1" into "docker.io/x:1").
	Name string
	// Files are the image's one layer.
	Files []ImageFile
	// Entrypoint, Cmd, User, WorkingDir and Env are the image config, as upstream's Dockerfile
	// sets them.
	Entrypoint, Cmd []string
	User            string
	WorkingDir      string
	Env             []string
}

// ImageFile is one entry of an image's layer.
type ImageFile struct {
	Path string
	// Source is a file on this machine to copy; Data the content otherwise.
	Source string
	Data   []byte
	Mode   int64
	// Dir, Link: a directory, or a symbolic link to Link.
	Dir  bool
	Link string
	UID  int
	GID  int
	// Capabilities are file capabilities (setcap), by capability number.
	Capabilities []int
}

// epoch is every layer entry's modification time, so that a layer's digest depends on its
// content only.
var epoch = time.Unix(0, 0)

// layer is the image's one layer, an uncompressed tar.
func (img Image) layer() ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	files := append([]ImageFile(nil), img.Files...)
	sort.SliceStable(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	for _, f := range files {
		name := strings.TrimPrefix(path.Clean(f.Path), "/")
		hdr := &tar.Header{Name: name, Mode: f.Mode, Uid: f.UID, Gid: f.GID, ModTime: epoch, Format: tar.FormatPAX}
		var data []byte
		switch {
		case f.Dir:
			hdr.Typeflag, hdr.Name = tar.TypeDir, name+"/"
			if hdr.Mode == 0 {
				hdr.Mode = 0o755
			}
		case f.Link != "":
			hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, f.Link
			hdr.Mode = 0o777
		default:
			data = f.Data
			if f.Source != "" {
				var err error
				if data, err = os.ReadFile(f.Source); err != nil {
					return nil, fmt.Errorf("image %s: %w", img.Name, err)
				}
			}
			hdr.Typeflag, hdr.Size = tar.TypeReg, int64(len(data))
			if hdr.Mode == 0 {
				hdr.Mode = 0o644
			}
		}
		if len(f.Capabilities) > 0 {
			hdr.PAXRecords = map[string]string{"SCHILY.xattr.security.capability": fileCapabilities(f.Capabilities)}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// fileCapabilities encodes permitted+effective file capabilities as the security.capability
// extended attribute (struct vfs_cap_data, revision 2), as setcap writes it.
func fileCapabilities(caps []int) string {
	var permitted [2]uint32
	for _, c := range caps {
		permitted[c/32] |= 1 << (c % 32)
	}
	const vfsCapRevision2, vfsCapFlagsEffective = 0x02000000, 0x000001
	b := make([]byte, 20)
	binary.LittleEndian.PutUint32(b[0:], vfsCapRevision2|vfsCapFlagsEffective)
	binary.LittleEndian.PutUint32(b[4:], permitted[0])
	binary.LittleEndian.PutUint32(b[12:], permitted[1])
	return string(b)
}

// WriteArchive writes the image as an OCI image layout in a tar archive, the format
// `ctr images import` reads.
func (img Image) WriteArchive(file string) error {
	layer, err := img.layer()
	if err != nil {
		return err
	}
	layerDigest := digest(layer)
	config, err := json.Marshal(map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"created":      epoch.UTC().Format(time.RFC3339),
		"config": map[string]any{
			"Entrypoint": img.Entrypoint, "Cmd": img.Cmd, "User": img.User,
			"WorkingDir": img.WorkingDir, "Env": append([]string{"PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"}, img.Env...),
		},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{layerDigest}},
	})
	if err != nil {
		return err
	}
	manifest, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.manifest.v1+json",
		"config":        descriptor("application/vnd.oci.image.config.v1+json", config),
		"layers":        []any{descriptor("application/vnd.oci.image.layer.v1.tar", layer)},
	})
	if err != nil {
		return err
	}
	manifestDescriptor := descriptor("application/vnd.oci.image.manifest.v1+json", manifest)
	tag := img.Name[strings.LastIndex(img.Name, ":")+1:]
	manifestDescriptor["annotations"] = map[string]string{
		"io.containerd.image.name":          img.Name,
		"org.opencontainers.image.ref.name": tag,
	}
	manifestDescriptor["platform"] = map[string]string{"architecture": "amd64", "os": "linux"}
	index, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.index.v1+json",
		"manifests":     []any{manifestDescriptor},
	})
	if err != nil {
		return err
	}
	out, err := os.Create(file)
	if err != nil {
		return err
	}
	defer out.Close()
	tw := tar.NewWriter(out)
	for _, e := range []struct {
		name string
		data []byte
	}{
		{"oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		{"index.json", index},
		{blobPath(config), config},
		{blobPath(manifest), manifest},
		{blobPath(layer), layer},
	} {
		if err := tw.WriteHeader(&tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.data)), ModTime: epoch}); err != nil {
			return err
		}
		if _, err := tw.Write(e.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return out.Close()
}

func digest(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func blobPath(data []byte) string {
	return "blobs/sha256/" + strings.TrimPrefix(digest(data), "sha256:")
}

func descriptor(mediaType string, data []byte) map[string]any {
	return map[string]any{"mediaType": mediaType, "digest": digest(data), "size": len(data)}
}

// ImportImages writes each image's archive into dir and imports it into containerd's k8s.io
// namespace, where the kubelet finds it.
func ImportImages(ctx context.Context, ctr, socket, dir string, images []Image) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, img := range images {
		file := path.Join(dir, strings.NewReplacer("/", "_", ":", "_").Replace(img.Name)+".tar")
		if err := img.WriteArchive(file); err != nil {
			return fmt.Errorf("image %s: %w", img.Name, err)
		}
		if out, err := procs.Run(ctx, ctr, "--address", socket, "--namespace", "k8s.io", "images", "import", file); err != nil {
			return fmt.Errorf("import %s: %w\n%s", img.Name, err, out)
		}
		os.Remove(file)
	}
	return nil
}
