package harness

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/prometheus-thanos/prometheus-thanos/program"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/objects"
)

// StackFileConfig reads the committed Pulumi.<stack>.yaml: its keys, the program's without the
// project prefix, others (aws:region) as they are.
func StackFileConfig(stack string) (map[string]string, error) {
	raw, err := os.ReadFile(filepath.Join(RepoRoot(), "Pulumi."+stack+".yaml"))
	if err != nil {
		return nil, err
	}
	var file struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		return nil, fmt.Errorf("Pulumi.%s.yaml: %w", stack, err)
	}
	out := map[string]string{}
	for k, v := range file.Config {
		out[strings.TrimPrefix(k, program.ProjectName+":")] = fmt.Sprint(v)
	}
	return out, nil
}

// DecodeManifests decodes a multi-document YAML file of Kubernetes objects.
func DecodeManifests(raw []byte) ([]objects.Object, error) { return decodeAll(string(raw)) }
