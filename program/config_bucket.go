package program

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/components/bucket"
	"github.com/prometheus-thanos/prometheus-thanos/components/network"
)

// ExistingBucket is a bucket the program uses but does not own: AWS or any S3-compatible store.
type ExistingBucket struct {
	Name, Endpoint, Region, KMSKeyID string
	Insecure                         bool
	AccessKey, SecretKey             string
	// Role ARNs for IRSA, when there are no static keys.
	SidecarRoleArn, StoreRoleArn, CompactorRoleArn string
}

// StaticCredentials reports whether the bucket is reached with static keys rather than IRSA.
func (e *ExistingBucket) StaticCredentials() bool { return e.AccessKey != "" }

// readBucket reads the bucket's section: the bucket the program creates, or the one it is given,
// and what creating one needs (the region, and the OIDC provider for the IRSA roles).
func readBucket(r *reader, c *Config) {
	c.Bucket = bucket.ObjectStoreArgs{
		BucketName:                      r.str("bucketName"),
		Versioning:                      r.boolean("bucketVersioning"),
		NoncurrentVersionExpirationDays: r.integer("bucketNoncurrentVersionExpirationDays", 1),
		AbortIncompleteUploadDays:       r.integer("bucketAbortIncompleteUploadDays", 1),
		ForceDestroy:                    r.boolean("bucketForceDestroy"),
		Protect:                         r.boolean("protectData"),
		KeyDeletionWindowDays:           r.integer("kmsKeyDeletionWindowDays", 7),
	}
	if name := c.Bucket.BucketName; name != "" {
		checkBucketName(r, "bucketName", name)
	}
	if c.Bucket.KeyDeletionWindowDays > 30 {
		r.fail("kmsKeyDeletionWindowDays", "%d is above KMS's maximum of 30", c.Bucket.KeyDeletionWindowDays)
	}
	if c.Bucket.ForceDestroy && c.Bucket.Protect {
		r.fail("bucketForceDestroy", "cannot be true while protectData is true: a protected bucket is never destroyed")
	}
	c.ExistingBucket = readExistingBucket(r, c.Region)
	// IRSA roles need the OIDC provider; without a cluster stack to read it from, config must give it.
	if c.ExistingBucket == nil && c.ClusterStack == "" {
		if c.OIDCProviderArn == "" {
			r.fail("oidcProviderArn", "is required to create the IRSA roles (or set clusterStack to a stack exporting it)")
		}
		if c.OIDCIssuerURL == "" {
			r.fail("oidcIssuerUrl", "is required to create the IRSA roles (or set clusterStack to a stack exporting it)")
		}
	}
	if c.ExistingBucket == nil && c.Region == "" {
		r.errs = append(r.errs, errors.New("config aws:region: is required to create the bucket (pulumi config set aws:region <region>)"))
	} else if c.Region != "" && !regionPattern.MatchString(c.Region) {
		r.errs = append(r.errs, fmt.Errorf("config aws:region: %q is not an AWS region such as eu-west-1", c.Region))
	}
}

func checkBucketName(r *reader, key, name string) {
	if !bucketNamePattern.MatchString(name) || strings.Contains(name, "..") || ipAddressPattern.MatchString(name) {
		r.fail(key, "%q is not a valid S3 bucket name: 3-63 lowercase letters, digits, '.' or '-', starting and ending with a letter or digit, not an IP address", name)
	}
}

// validEndpointHost: the host of a host[:port] endpoint is an IP address or a DNS name.
func validEndpointHost(endpoint string) bool {
	host := endpoint
	if h, _, err := net.SplitHostPort(endpoint); err == nil {
		host = h
	}
	return net.ParseIP(host) != nil || (len(host) <= 253 && components.DNSName.MatchString(host))
}

// readExistingBucket reads the bring-your-own-bucket settings; nil when the program creates the
// bucket.
func readExistingBucket(r *reader, awsRegion string) *ExistingBucket {
	e := &ExistingBucket{
		Name:             r.str("existingBucketName"),
		Endpoint:         r.str("existingBucketEndpoint"),
		Region:           r.str("existingBucketRegion"),
		KMSKeyID:         r.str("existingBucketKmsKeyId"),
		Insecure:         r.boolean("existingBucketInsecure"),
		AccessKey:        r.str("existingBucketAccessKey"),
		SecretKey:        r.str("existingBucketSecretKey"),
		SidecarRoleArn:   r.str("sidecarRoleArn"),
		StoreRoleArn:     r.str("storeRoleArn"),
		CompactorRoleArn: r.str("compactorRoleArn"),
	}
	roles := []struct{ key, arn string }{
		{"sidecarRoleArn", e.SidecarRoleArn}, {"storeRoleArn", e.StoreRoleArn}, {"compactorRoleArn", e.CompactorRoleArn},
	}
	if e.Name == "" {
		for _, key := range []string{"existingBucketEndpoint", "existingBucketRegion", "existingBucketKmsKeyId", "existingBucketAccessKey", "existingBucketSecretKey", "sidecarRoleArn", "storeRoleArn", "compactorRoleArn"} {
			if r.str(key) != "" {
				r.fail(key, "only applies with existingBucketName; set existingBucketName or remove this key")
			}
		}
		return nil
	}
	checkBucketName(r, "existingBucketName", e.Name)
	if e.Region == "" {
		e.Region = awsRegion
	}
	if e.Endpoint == "" {
		if e.Region == "" {
			r.fail("existingBucketEndpoint", "is required when neither existingBucketRegion nor aws:region is set")
		} else {
			e.Endpoint = components.AWSS3Endpoint(e.Region)
		}
	}
	if strings.Contains(e.Endpoint, "://") {
		r.fail("existingBucketEndpoint", "%q must be host[:port] without a scheme (use existingBucketInsecure for http)", e.Endpoint)
	} else if _, err := network.ObjectStorePorts(e.Endpoint, e.Insecure, false); err != nil {
		r.fail("existingBucketEndpoint", "%q must be host[:port] with a port from 1 to 65535", e.Endpoint)
	} else if !validEndpointHost(e.Endpoint) {
		// The S3 client Thanos builds refuses anything else at start (minio-go's
		// s3utils.IsValidDomain and IsValidIP, "Endpoint url cannot have fully qualified paths").
		r.fail("existingBucketEndpoint", "%q must be host[:port], the host an IP address or a DNS name, without a path", e.Endpoint)
	}
	if (e.AccessKey == "") != (e.SecretKey == "") {
		r.fail("existingBucketAccessKey", "existingBucketAccessKey and existingBucketSecretKey must be set together")
	}
	for _, role := range roles {
		key, arn := role.key, role.arn
		if e.AccessKey != "" && arn != "" {
			r.fail(key, "cannot be set with static keys (existingBucketAccessKey); choose IRSA or keys")
		} else if e.AccessKey == "" && arn == "" {
			r.fail(key, "is required with existingBucketName and no static keys: the IRSA role of that component")
		} else if arn != "" && !strings.HasPrefix(arn, "arn:") {
			r.fail(key, "%q is not an IAM role ARN", arn)
		}
	}
	return e
}
