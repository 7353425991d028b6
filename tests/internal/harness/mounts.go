package harness

import (
	"context"
	"fmt"
	"path"
	"strings"
)

// MountedFiles are the files a container of a workload's pod template sees from its Secret and
// ConfigMap volumes (projected ones included), by absolute path: what the kubelet would mount. Other
// volumes (emptyDir, a StatefulSet's volume claims) hold no files at start and are left out. Each
// mount point of a Secret or ConfigMap volume is there too, as "<mountPath>/" with no content: the
// kubelet creates it even where the volume holds no file.
func MountedFiles(ctx context.Context, client *KubeClient, namespace string, workload, container map[string]any) (map[string][]byte, error) {
	volumes := map[string]any{}
	for _, v := range List(PodTemplate(workload), "spec", "volumes") {
		volumes[Str(v, "name")] = v
	}
	claims := map[string]bool{}
	for _, c := range List(workload, "spec", "volumeClaimTemplates") {
		claims[Str(c, "metadata", "name")] = true
	}
	out := map[string][]byte{}
	for _, m := range List(container, "volumeMounts") {
		volume, ok := volumes[Str(m, "name")]
		if claims[Str(m, "name")] {
			continue
		}
		if !ok {
			return nil, fmt.Errorf("container %s mounts volume %q, which the pod lacks", Str(container, "name"), Str(m, "name"))
		}
		files, err := volumeFiles(ctx, client, namespace, volume)
		if err != nil {
			return nil, fmt.Errorf("volume %s: %w", Str(m, "name"), err)
		}
		sub := Str(m, "subPath")
		if sub == "" {
			out[strings.TrimSuffix(Str(m, "mountPath"), "/")+"/"] = nil
		}
		for name, data := range files {
			if sub != "" {
				if name != sub {
					continue
				}
				out[Str(m, "mountPath")] = data
				continue
			}
			out[path.Join(Str(m, "mountPath"), name)] = data
		}
	}
	return out, nil
}

// volumeFiles are the files of a Secret, ConfigMap or projected volume, by path inside it.
func volumeFiles(ctx context.Context, client *KubeClient, namespace string, volume any) (map[string][]byte, error) {
	out := map[string][]byte{}
	add := func(kind, name string, items []any, optional bool) error {
		var data map[string][]byte
		switch kind {
		case "secret":
			d, err := SecretData(ctx, client, namespace, name)
			if err != nil {
				if optional && strings.Contains(err.Error(), "does not exist") {
					return nil
				}
				return err
			}
			data = d
		case "configMap":
			cm, err := mustGet(ctx, client, fmt.Sprintf("/api/v1/namespaces/%s/configmaps/%s", namespace, name))
			if err != nil {
				if optional && strings.Contains(err.Error(), "does not exist") {
					return nil
				}
				return err
			}
			data = map[string][]byte{}
			for k, v := range StringMap(cm, "data") {
				data[k] = []byte(v)
			}
		}
		if len(items) == 0 {
			for k, v := range data {
				out[k] = v
			}
			return nil
		}
		for _, item := range items {
			v, ok := data[Str(item, "key")]
			if !ok {
				return fmt.Errorf("%s %s has no key %q", kind, name, Str(item, "key"))
			}
			out[Str(item, "path")] = v
		}
		return nil
	}
	optional := func(src any) bool { b, _ := Field(src, "optional").(bool); return b }
	switch {
	case Field(volume, "secret") != nil:
		src := Field(volume, "secret")
		return out, add("secret", Str(src, "secretName"), List(src, "items"), optional(src))
	case Field(volume, "configMap") != nil:
		src := Field(volume, "configMap")
		return out, add("configMap", Str(src, "name"), List(src, "items"), optional(src))
	case Field(volume, "projected") != nil:
		for _, s := range List(volume, "projected", "sources") {
			for _, kind := range []string{"secret", "configMap"} {
				if src := Field(s, kind); src != nil {
					if err := add(kind, Str(src, "name"), List(src, "items"), optional(src)); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	return out, nil
}
