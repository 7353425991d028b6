package components

import (
	"testing"

	"github.com/go-kit/log"
	"github.com/thanos-io/objstore/providers/s3"
	"gopkg.in/yaml.v2"
)

// parse reads the config back the way Thanos does: objstore's own S3 provider, which rejects
// unknown fields (strict YAML) and inconsistent settings. It dials nothing.
func parse(t *testing.T, doc string) s3.Config {
	t.Helper()
	var wrapper struct {
		Type   string `yaml:"type"`
		Config any    `yaml:"config"`
	}
	if err := yaml.UnmarshalStrict([]byte(doc), &wrapper); err != nil {
		t.Fatalf("objstore config does not parse: %v\n%s", err, doc)
	}
	if wrapper.Type != "S3" {
		t.Fatalf("type %q", wrapper.Type)
	}
	inner, err := yaml.Marshal(wrapper.Config)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s3.NewBucket(log.NewNopLogger(), inner, "test", nil); err != nil {
		t.Fatalf("Thanos's S3 provider rejects the config: %v\n%s", err, doc)
	}
	cfg := s3.DefaultConfig
	if err := yaml.UnmarshalStrict(inner, &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestObjstoreConfigIRSAWithSSEKMS(t *testing.T) {
	doc, err := ObjstoreConfigYAML(ObjstoreConfigArgs{
		Bucket: "blocks", Endpoint: AWSS3Endpoint("eu-west-1"), Region: "eu-west-1",
		KMSKeyID: "arn:aws:kms:eu-west-1:123456789012:key/abc",
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := parse(t, doc)
	if cfg.Bucket != "blocks" || cfg.Endpoint != "s3.eu-west-1.amazonaws.com" || cfg.Region != "eu-west-1" || cfg.Insecure {
		t.Errorf("config %+v", cfg)
	}
	if cfg.SSEConfig.Type != s3.SSEKMS || cfg.SSEConfig.KMSKeyID != "arn:aws:kms:eu-west-1:123456789012:key/abc" {
		t.Errorf("sse %+v", cfg.SSEConfig)
	}
	if cfg.AccessKey != "" || cfg.SecretKey != "" {
		t.Error("IRSA config carries static keys")
	}
	// Defaults survive: a zero part size would disable multipart uploads' sizing.
	if cfg.PartSize != s3.DefaultConfig.PartSize || !cfg.SendContentMd5 {
		t.Errorf("objstore defaults lost: part size %d, send md5 %v", cfg.PartSize, cfg.SendContentMd5)
	}
}

func TestObjstoreConfigStaticKeysInsecureEndpoint(t *testing.T) {
	doc, err := ObjstoreConfigYAML(ObjstoreConfigArgs{
		Bucket: "blocks", Endpoint: "127.0.0.1:9000", Insecure: true, AccessKey: "access", SecretKey: "secret-secret",
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := parse(t, doc)
	if !cfg.Insecure || cfg.AccessKey != "access" || cfg.SecretKey != "secret-secret" || cfg.SSEConfig.Type != "" {
		t.Errorf("config %+v", cfg)
	}
	if _, err := ObjstoreConfigYAML(ObjstoreConfigArgs{Bucket: "b", Endpoint: "e", AccessKey: "only-half"}); err == nil {
		t.Error("half a key pair was accepted")
	}
	if _, err := ObjstoreConfigYAML(ObjstoreConfigArgs{Endpoint: "e"}); err == nil {
		t.Error("a config without a bucket was accepted")
	}
}
