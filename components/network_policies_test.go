package components

import (
	"slices"
	"testing"
)

func TestObjectStorePorts(t *testing.T) {
	for _, tc := range []struct {
		endpoint       string
		insecure, irsa bool
		want           []int
	}{
		{"s3.eu-west-1.amazonaws.com", false, true, []int{443}},
		{"s3.eu-west-1.amazonaws.com", false, false, []int{443}},
		{"minio.minio.svc.cluster.local:9000", true, false, []int{9000}},
		{"minio.minio.svc.cluster.local:9000", true, true, []int{9000, 443}},
		{"ceph.storage", true, false, []int{80}},
		{"[fd00::1]:7480", false, false, []int{7480}},
	} {
		got, err := ObjectStorePorts(tc.endpoint, tc.insecure, tc.irsa)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ObjectStorePorts(%q, insecure %v, irsa %v) = %v, %v; want %v", tc.endpoint, tc.insecure, tc.irsa, got, err, tc.want)
		}
	}
	for _, bad := range []string{"minio:0", "minio:70000", "minio:http"} {
		if _, err := ObjectStorePorts(bad, true, false); err == nil {
			t.Errorf("ObjectStorePorts(%q) accepted a bad port", bad)
		}
	}
}

func TestNetworkPolicySpecsNeedTheirPeers(t *testing.T) {
	if _, err := NetworkPolicySpecs(NetworkPolicyPeers{ObjectStorePorts: []int{443}}); err == nil {
		t.Error("no Instance accepted")
	}
	if _, err := NetworkPolicySpecs(NetworkPolicyPeers{Instance: "thanos"}); err == nil {
		t.Error("no object store port accepted")
	}
}
