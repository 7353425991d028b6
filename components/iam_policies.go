package components

import (
	"encoding/json"
	"fmt"
	"strings"
)

// PolicyDocument is an IAM policy document. Building policies from this type (not from string
// templates) keeps them valid JSON and lets tests read them back.
type PolicyDocument struct {
	Version   string            `json:"Version"`
	Statement []PolicyStatement `json:"Statement"`
}

// PolicyStatement is one statement of a PolicyDocument.
type PolicyStatement struct {
	Sid       string                       `json:"Sid,omitempty"`
	Effect    string                       `json:"Effect"`
	Principal map[string]any               `json:"Principal,omitempty"`
	Action    []string                     `json:"Action"`
	Resource  []string                     `json:"Resource,omitempty"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

func (d PolicyDocument) String() (string, error) {
	out, err := json.Marshal(d)
	return string(out), err
}

// TLSOnlyBucketPolicy denies every request to the bucket and its objects that does not arrive
// over TLS.
func TLSOnlyBucketPolicy(bucketArn string) (string, error) {
	return PolicyDocument{Version: "2012-10-17", Statement: []PolicyStatement{{
		Sid:       "DenyInsecureTransport",
		Effect:    "Deny",
		Principal: map[string]any{"AWS": "*"},
		Action:    []string{"s3:*"},
		Resource:  []string{bucketArn, bucketArn + "/*"},
		Condition: map[string]map[string]string{"Bool": {"aws:SecureTransport": "false"}},
	}}}.String()
}

// BucketAccess is what one Thanos component may do with the bucket: least privilege per component.
type BucketAccess int

const (
	// ReadOnly lists and reads blocks: the store gateway.
	ReadOnly BucketAccess = iota
	// ReadWrite also uploads blocks, never deletes: the Prometheus sidecar.
	ReadWrite
	// ReadWriteDelete also deletes blocks: the compactor (compaction, downsampling, retention).
	ReadWriteDelete
)

func (a BucketAccess) objectActions() []string {
	actions := []string{"s3:GetObject"}
	if a >= ReadWrite {
		actions = append(actions, "s3:PutObject")
	}
	if a >= ReadWriteDelete {
		actions = append(actions, "s3:DeleteObject")
	}
	return actions
}

// kmsActions: readers decrypt; writers also generate data keys, and decrypt for multipart uploads.
func (a BucketAccess) kmsActions() []string {
	if a >= ReadWrite {
		return []string{"kms:GenerateDataKey", "kms:Decrypt"}
	}
	return []string{"kms:Decrypt"}
}

// BucketAccessPolicy is the identity policy of a role with the given access to the bucket and its
// KMS key. A role has exactly the actions Thanos documents for its component, on this bucket and
// this key only.
func BucketAccessPolicy(access BucketAccess, bucketArn, kmsKeyArn string) (string, error) {
	if bucketArn == "" || kmsKeyArn == "" {
		return "", fmt.Errorf("bucket access policy: bucket and key ARNs are required")
	}
	return PolicyDocument{Version: "2012-10-17", Statement: []PolicyStatement{
		{Sid: "ListBucket", Effect: "Allow", Action: []string{"s3:ListBucket"}, Resource: []string{bucketArn}},
		{Sid: "Objects", Effect: "Allow", Action: access.objectActions(), Resource: []string{bucketArn + "/*"}},
		{Sid: "EncryptionKey", Effect: "Allow", Action: access.kmsActions(), Resource: []string{kmsKeyArn}},
	}}.String()
}

// IRSATrustPolicy lets exactly one Kubernetes ServiceAccount assume the role through the
// cluster's OIDC provider: both the subject and the audience must match.
func IRSATrustPolicy(oidcProviderArn, oidcIssuerURL, namespace, serviceAccount string) (string, error) {
	if oidcProviderArn == "" || oidcIssuerURL == "" || namespace == "" || serviceAccount == "" {
		return "", fmt.Errorf("IRSA trust policy: OIDC provider ARN, issuer URL, namespace and service account are required")
	}
	issuer := strings.TrimPrefix(oidcIssuerURL, "https://")
	return PolicyDocument{Version: "2012-10-17", Statement: []PolicyStatement{{
		Effect:    "Allow",
		Principal: map[string]any{"Federated": oidcProviderArn},
		Action:    []string{"sts:AssumeRoleWithWebIdentity"},
		Condition: map[string]map[string]string{"StringEquals": {
			issuer + ":sub": "system:serviceaccount:" + namespace + ":" + serviceAccount,
			issuer + ":aud": "sts.amazonaws.com",
		}},
	}}}.String()
}
