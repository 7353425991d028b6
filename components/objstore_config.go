package components

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/thanos-io/objstore/providers/s3"
	"gopkg.in/yaml.v2"
)

// ObjstoreSecretKey is the key of Thanos's objstore config in the objstore Secret. The sidecar,
// store gateway and compactor all read this one key.
const ObjstoreSecretKey = "thanos.yaml"

// ObjstoreChecksumAnnotation is the pod template annotation that holds ObjstoreChecksum of the
// objstore config, on every pod that reads it: the Prometheus pods (their sidecar reads it into an
// environment variable at start), the store gateway and the compactor (which read the file once at
// start). Kubernetes restarts no pod when a Secret changes; a changed annotation rolls the pods,
// so rotated keys, a new endpoint or a new KMS key reach them in the same update, and an unchanged
// config rolls nothing.
const ObjstoreChecksumAnnotation = "checksum/objstore-config"

// ObjstoreChecksum is the hex SHA-256 of an objstore config. It reveals nothing of the keys the
// config may hold (as Helm charts' checksum/config annotations of Secrets).
func ObjstoreChecksum(config string) string {
	sum := sha256.Sum256([]byte(config))
	return hex.EncodeToString(sum[:])
}

// ObjstoreConfigArgs describe the bucket Thanos writes to.
type ObjstoreConfigArgs struct {
	// Bucket name. Required.
	Bucket string
	// Endpoint is the S3 endpoint host[:port] without scheme. Required (on AWS the regional
	// endpoint, s3.<region>.amazonaws.com).
	Endpoint string
	// Region of the bucket. Required on AWS.
	Region string
	// KMSKeyID, when set, makes every upload SSE-KMS with this key.
	KMSKeyID string
	// Insecure talks plain http to Endpoint (in-cluster S3-compatible servers). Default false.
	Insecure bool
	// AccessKey and SecretKey are static credentials. Empty (the default) uses the credential
	// chain, which picks up IRSA's web identity token: no key is written.
	AccessKey, SecretKey string
}

// objstoreConfig is the document Thanos's --objstore.config-file reads.
type objstoreConfig struct {
	Type   string    `yaml:"type"`
	Config s3.Config `yaml:"config"`
}

// ObjstoreConfigYAML renders Thanos's objstore config, typed by objstore's own S3 config struct so a
// misspelt field cannot compile. It starts from objstore's defaults: every field is written out, and
// a zero value would otherwise override a default (a part size of 0, say).
func ObjstoreConfigYAML(a ObjstoreConfigArgs) (string, error) {
	if a.Bucket == "" || a.Endpoint == "" {
		return "", fmt.Errorf("objstore config: bucket and endpoint are required")
	}
	if (a.AccessKey == "") != (a.SecretKey == "") {
		return "", fmt.Errorf("objstore config: access key and secret key go together")
	}
	cfg := s3.DefaultConfig
	cfg.PutUserMetadata = map[string]string{}
	cfg.Bucket = a.Bucket
	cfg.Endpoint = a.Endpoint
	cfg.Region = a.Region
	cfg.Insecure = a.Insecure
	cfg.AccessKey = a.AccessKey
	cfg.SecretKey = a.SecretKey
	if a.KMSKeyID != "" {
		cfg.SSEConfig = s3.SSEConfig{Type: s3.SSEKMS, KMSKeyID: a.KMSKeyID}
	}
	out, err := yaml.Marshal(objstoreConfig{Type: "S3", Config: cfg})
	if err != nil {
		return "", fmt.Errorf("objstore config: %w", err)
	}
	return string(out), nil
}

// AWSS3Endpoint is the regional S3 endpoint of an AWS region.
func AWSS3Endpoint(region string) string { return "s3." + region + ".amazonaws.com" }
