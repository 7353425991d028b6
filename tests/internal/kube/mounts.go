package kube

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/objects"
)

// MountedFiles are the files a container of a workload's pod template sees from its Secret and
// ConfigMap volumes (projected ones included), by absolute path: what the kubelet would mount. Other
// volumes (emptyDir, a StatefulSet's volume claims) hold no files at start and are left out. Each
// mount point of a Secret or ConfigMap volume is there too, as "<mountPath>/" with no content: the
// kubelet creates it even where the volume holds no file.
func MountedFiles(ctx context.Context, client *KubeClient, namespace string, workload, container map[string]any) (map[string][]byte, error) {
	volumes := map[string]any{}
	for _, v := range objects.List(PodTemplate(workload), "spec", "volumes") {
		volumes[objects.Str(v, "name")] = v
	}
	claims := map[string]bool{}
	for _, c := range objects.List(workload, "spec", "volumeClaimTemplates") {
		claims[objects.Str(c, "metadata", "name")] = true
	}
	out := map[string][]byte{}
	for _, m := range objects.List(container, "volumeMounts") {
		volume, ok := volumes[objects.Str(m, "name")]
		if claims[objects.Str(m, "name")] {
			continue
		}
		if !ok {
			return nil, fmt.Errorf("container %s mounts volume %q, which the pod lacks", objects.Str(container, "name"), objects.Str(m, "name"))
		}
		files, err := volumeFiles(ctx, client, namespace, volume)
		if err != nil {
			return nil, fmt.Errorf("volume %s: %w", objects.Str(m, "name"), err)
		}
		sub := objects.Str(m, "subPath")
		if sub == "" {
			out[strings.TrimSuffix(objects.Str(m, "mountPath"), "/")+"/"] = nil
		}
		for name, data := range files {
			if sub != "" {
				if name != sub {
					continue
				}
				out[objects.Str(m, "mountPath")] = data
				continue
			}
			out[path.Join(objects.Str(m, "mountPath"), name)] = data
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
			cm, err := client.GetExisting(ctx, fmt.Sprintf("/api/v1/namespaces/%s/configmaps/%s", namespace, name))
			if err != nil {
				if optional && strings.Contains(err.Error(), "does not exist") {
					return nil
				}
				return err
			}
			data = map[string][]byte{}
			for k, v := range objects.StringMap(cm, "data") {
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
			v, ok := data[objects.Str(item, "key")]
			if !ok {
				return fmt.Errorf("%s %s has no key %q", kind, name, objects.Str(item, "key"))
			}
			out[objects.Str(item, "path")] = v
		}
		return nil
	}
	optional := func(src any) bool { b, _ := objects.Field(src, "optional").(bool); return b }
	switch {
	case objects.Field(volume, "secret") != nil:
		src := objects.Field(volume, "secret")
		return out, add("secret", objects.Str(src, "secretName"), objects.List(src, "items"), optional(src))
	case objects.Field(volume, "configMap") != nil:
		src := objects.Field(volume, "configMap")
		return out, add("configMap", objects.Str(src, "name"), objects.List(src, "items"), optional(src))
	case objects.Field(volume, "projected") != nil:
		for _, s := range objects.List(volume, "projected", "sources") {
			for _, kind := range []string{"secret", "configMap"} {
				if src := objects.Field(s, kind); src != nil {
					if err := add(kind, objects.Str(src, "name"), objects.List(src, "items"), optional(src)); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	return out, nil
}
