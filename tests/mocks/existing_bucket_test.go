package mocks

import (
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"gopkg.in/yaml.v3"

	"github.com/prometheus-thanos/prometheus-thanos/components"
)

// existingBucketConfig is the dev stack pointed at an in-cluster MinIO with static keys.
func existingBucketConfig(t *testing.T) map[string]string {
	config := stackConfig(t, "dev")
	maps.Copy(config, map[string]string{
		"prometheus-thanos:existingBucketName":      "thanos-blocks",
		"prometheus-thanos:existingBucketEndpoint":  "minio.storage.svc:9000",
		"prometheus-thanos:existingBucketInsecure":  "true",
		"prometheus-thanos:existingBucketAccessKey": "thanos-access-key",
		"prometheus-thanos:existingBucketSecretKey": "thanos-secret-key-0123456789",
		"prometheus-thanos:existingBucketKmsKeyId":  "thanos-key",
	})
	return config
}

func TestExistingBucketCreatesNoAWSResource(t *testing.T) {
	r := runProgram(t, "dev", existingBucketConfig(t))
	if r.err != nil {
		t.Fatal(r.err)
	}
	for _, res := range r.resources {
		if strings.HasPrefix(res.Type, "aws:") || res.Type == "pulumi:providers:aws" {
			t.Errorf("existing-bucket mode registered %s %s", res.Type, res.Name)
		}
	}
	if r.outputs["bucketName"] != "thanos-blocks" {
		t.Errorf("bucketName output %q", r.outputs["bucketName"])
	}
	for _, name := range []string{"bucketArn", "kmsKeyArn", "sidecarRoleArn"} {
		if _, ok := r.outputs[name]; ok {
			t.Errorf("output %s exported for a bucket the program does not own", name)
		}
	}
	secret := r.one(t, "kubernetes:core/v1:Secret", "thanos-objstore")
	var doc struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal([]byte(stringMap(at(t, secret.Inputs, "stringData"))[components.ObjstoreSecretKey]), &doc); err != nil {
		t.Fatal(err)
	}
	c := doc.Config
	if c["bucket"] != "thanos-blocks" || c["endpoint"] != "minio.storage.svc:9000" || c["insecure"] != true ||
		c["access_key"] != "thanos-access-key" || c["secret_key"] != "thanos-secret-key-0123456789" ||
		at(t, c, "sse_config.kms_key_id") != "thanos-key" {
		t.Errorf("objstore config %v", c)
	}
	// The keys are written into the Secret and nowhere else.
	for _, res := range r.resources {
		if res.Name == "thanos-objstore" {
			continue
		}
		if s := fmt.Sprint(res.Inputs); strings.Contains(s, "thanos-secret-key-0123456789") {
			t.Errorf("%s %s carries the secret key", res.Type, res.Name)
		}
	}
	// No IRSA annotation anywhere with static keys.
	for _, sa := range r.all("kubernetes:core/v1:ServiceAccount") {
		metadata, _ := sa.Inputs["metadata"].(map[string]any)
		annotations, _ := metadata["annotations"].(map[string]any)
		if role, ok := annotations[components.IRSARoleAnnotation]; ok {
			t.Errorf("ServiceAccount %s is annotated with an IRSA role: %v", sa.Name, role)
		}
	}
}

// TestSecretsStaySecret: the kubeconfig and the objstore config reach the engine as secrets, so
// they are encrypted in state and masked in previews.
func TestSecretsStaySecret(t *testing.T) {
	r := runProgram(t, "dev", existingBucketConfig(t))
	if r.err != nil {
		t.Fatal(r.err)
	}
	secretInputs := map[string]string{
		"pulumi:providers:kubernetes/cluster":       "kubeconfig",
		"kubernetes:core/v1:Secret/thanos-objstore": "stringData",
	}
	for id, field := range secretInputs {
		raw, ok := r.raw[id]
		if !ok {
			t.Fatalf("%s not registered", id)
		}
		if !containsSecret(raw[resource.PropertyKey(field)]) {
			t.Errorf("%s input %s is not secret", id, field)
		}
	}
}

func containsSecret(v resource.PropertyValue) bool {
	switch {
	case v.IsSecret():
		return true
	case v.IsObject():
		for _, e := range v.ObjectValue() {
			if containsSecret(e) {
				return true
			}
		}
	}
	return false
}
