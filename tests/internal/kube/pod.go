package kube

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/objects"
)

// Container is one container of a pod template as the kubelet would start it: its environment
// resolved and the $(VAR) references in its arguments expanded. There is no kubelet on the loopback
// control plane; this does the part of its work the suites need, for the sources the chart, the
// operator and the program use.
type Container struct {
	Name    string
	Image   string
	Command []string
	Args    []string
	// Env is the resolved environment.
	Env map[string]string
}

// PodTemplate is the pod template of a Deployment or StatefulSet.
func PodTemplate(workload map[string]any) map[string]any {
	t, _ := objects.Field(workload, "spec", "template").(map[string]any)
	return t
}

// TemplateContainer returns the named container (or init container, with init) of a pod template.
func TemplateContainer(template map[string]any, name string, init bool) (map[string]any, error) {
	key := "containers"
	if init {
		key = "initContainers"
	}
	var names []string
	for _, c := range objects.List(template, "spec", key) {
		m, _ := c.(map[string]any)
		if objects.Str(m, "name") == name {
			return m, nil
		}
		names = append(names, objects.Str(m, "name"))
	}
	return nil, fmt.Errorf("no %s %q in the pod template (it has %v)", key, name, names)
}

// ResolveContainer resolves a container's environment (value, secretKeyRef, configMapKeyRef and
// fieldRef to metadata.name or metadata.namespace, for a pod named podName) from the API server, and
// expands $(VAR) in its command and arguments, as the kubelet does.
func ResolveContainer(ctx context.Context, client *KubeClient, namespace, podName string, c map[string]any) (Container, error) {
	out := Container{Name: objects.Str(c, "name"), Image: objects.Str(c, "image"), Env: map[string]string{}}
	for _, e := range objects.List(c, "env") {
		name := objects.Str(e, "name")
		value, err := envValue(ctx, client, namespace, podName, e)
		if err != nil {
			return out, fmt.Errorf("container %s, env %s: %w", out.Name, name, err)
		}
		out.Env[name] = value
	}
	for _, a := range objects.List(c, "command") {
		out.Command = append(out.Command, ExpandEnv(fmt.Sprint(a), out.Env))
	}
	for _, a := range objects.List(c, "args") {
		out.Args = append(out.Args, ExpandEnv(fmt.Sprint(a), out.Env))
	}
	return out, nil
}

func envValue(ctx context.Context, client *KubeClient, namespace, podName string, e any) (string, error) {
	if v, ok := objects.Field(e, "value").(string); ok {
		return v, nil
	}
	from, _ := objects.Field(e, "valueFrom").(map[string]any)
	switch {
	case from["secretKeyRef"] != nil:
		ref := from["secretKeyRef"]
		secret, err := client.GetExisting(ctx, fmt.Sprintf("/api/v1/namespaces/%s/secrets/%s", namespace, objects.Str(ref, "name")))
		if err != nil {
			return "", err
		}
		raw, err := base64.StdEncoding.DecodeString(objects.Str(secret, "data", objects.Str(ref, "key")))
		return string(raw), err
	case from["configMapKeyRef"] != nil:
		ref := from["configMapKeyRef"]
		cm, err := client.GetExisting(ctx, fmt.Sprintf("/api/v1/namespaces/%s/configmaps/%s", namespace, objects.Str(ref, "name")))
		if err != nil {
			return "", err
		}
		return objects.Str(cm, "data", objects.Str(ref, "key")), nil
	case from["fieldRef"] != nil:
		switch path := objects.Str(from["fieldRef"], "fieldPath"); path {
		case "metadata.name":
			return podName, nil
		case "metadata.namespace":
			return namespace, nil
		default:
			return "", fmt.Errorf("fieldRef %s is not resolved here", path)
		}
	}
	return "", fmt.Errorf("unsupported env source %v", from)
}

// ExpandEnv expands "$(VAR)" references from env, as the kubelet does for command and arguments;
// "$$" escapes a "$", and references to unknown variables stay as they are.
func ExpandEnv(s string, env map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch next := s[i+1]; {
		case next == '$':
			b.WriteByte('$')
			i++
		case next == '(':
			end := strings.IndexByte(s[i:], ')')
			if end < 0 {
				b.WriteByte(s[i])
				continue
			}
			name := s[i+2 : i+end]
			if v, ok := env[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString(s[i : i+end+1])
			}
			i += end
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// SecretData reads a Secret's data, decoded.
func SecretData(ctx context.Context, client *KubeClient, namespace, name string) (map[string][]byte, error) {
	secret, err := client.GetExisting(ctx, fmt.Sprintf("/api/v1/namespaces/%s/secrets/%s", namespace, name))
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for k, v := range objects.StringMap(secret, "data") {
		raw, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return nil, fmt.Errorf("secret %s key %s: %w", name, k, err)
		}
		out[k] = raw
	}
	return out, nil
}
