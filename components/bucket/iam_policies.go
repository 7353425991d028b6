package bucket

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

// TLSOnlyPolicy denies every request to the bucket and its objects that does not arrive
// over TLS.
func TLSOnlyPolicy(bucketArn string) (string, error) {
	return PolicyDocument{Version: "2012-10-17", Statement: []PolicyStatement{{
		Sid:       "DenyInsecureTransport",
		Effect:    "Deny",
		Principal: map[string]any{"AWS": "*"},
		Action:    []string{"s3:*"},
		Resource:  []string{bucketArn, bucketArn + "/*"},
		Condition: map[string]map[string]string{"Bool": {"aws:SecureTransport": "false"}},
	}}}.String()
}

// Access is what one Thanos component may do with the bucket: least privilege per component.
//
// The actions are those of the calls the S3 client of the pinned Thanos makes: the objstore module
// github.com/thanos-io/objstore v0.0.0-20250804093838-71d60dfee488 (go.mod, and the go.mod of
// Thanos ThanosVersion in tools/thanos), whose S3 provider uses github.com/minio/minio-go/v7 v7.0.93:
//
//   - objstore providers/s3/s3.go Iter, IterWithAttributes: minio-go ListObjects (api-list.go,
//     ListObjectsV2) → s3:ListBucket on the bucket.
//   - Get, GetRange: GetObject (api-get-object.go) → s3:GetObject, and kms:Decrypt for SSE-KMS
//     objects. Exists, Attributes: StatObject (api-stat.go, HeadObject) → s3:GetObject.
//   - Upload: PutObject (api-put-object.go putObjectCommon): a single PUT, or for objects above
//     the part size a multipart upload (api-put-object-streaming.go putObjectMultipartStream*,
//     api-put-object.go putObjectMultipartStreamNoLength: CreateMultipartUpload, UploadPart,
//     CompleteMultipartUpload) → s3:PutObject, kms:GenerateDataKey, and kms:Decrypt for the
//     multipart upload under SSE-KMS. On a failed part the same functions call
//     abortMultipartUpload (api-remove.go, DELETE ?uploadId) → s3:AbortMultipartUpload; without
//     it the parts stay, billed, until the bucket's abort-incomplete-multipart-uploads rule.
//   - Delete: RemoveObject (api-remove.go, no version ID) → s3:DeleteObject.
//
// The client never asks the bucket's location (the objstore config sets the region, so minio-go's
// bucket-cache.go getBucketLocation returns it), nor lists multipart uploads or parts. Read these
// sources again when either version moves: a new call fails with AccessDenied only on AWS.
type Access int

const (
	// ReadOnly lists and reads blocks: the store gateway.
	ReadOnly Access = iota
	// ReadWrite also uploads blocks, never deletes: the Prometheus sidecar.
	ReadWrite
	// ReadWriteDelete also deletes blocks: the compactor (compaction, downsampling, retention).
	ReadWriteDelete
)

func (a Access) objectActions() []string {
	actions := []string{"s3:GetObject"}
	if a >= ReadWrite {
		// A writer aborts its own failed multipart uploads.
		actions = append(actions, "s3:PutObject", "s3:AbortMultipartUpload")
	}
	if a >= ReadWriteDelete {
		actions = append(actions, "s3:DeleteObject")
	}
	return actions
}

// kmsActions: readers decrypt; writers also generate data keys, and decrypt for multipart uploads.
func (a Access) kmsActions() []string {
	if a >= ReadWrite {
		return []string{"kms:GenerateDataKey", "kms:Decrypt"}
	}
	return []string{"kms:Decrypt"}
}

// AccessPolicy is the identity policy of a role with the given access to the bucket and its
// KMS key. A role has exactly the actions Thanos documents for its component, on this bucket and
// this key only.
func AccessPolicy(access Access, bucketArn, kmsKeyArn string) (string, error) {
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
