package mocks

import (
	"maps"
	"testing"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/components/chart"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/objects"
)

// objstoreReaders are the checksum annotations of every pod template that reads the objstore
// config, by what reads it: the Prometheus pods (through the chart's values), the store gateway
// and the compactor.
func objstoreReaders(t *testing.T, r *run) map[string]string {
	t.Helper()
	release := r.one(t, "kubernetes:helm.sh/v3:Release", "kube-prometheus-stack")
	out := map[string]string{
		"prometheus": stringMap(objects.Field(release.Inputs, append([]string{"values"}, chart.PrometheusPodAnnotationsPath...)...))[components.ObjstoreChecksumAnnotation],
	}
	for _, name := range []string{"thanos-store", "thanos-compact"} {
		sts := r.one(t, "kubernetes:apps/v1:StatefulSet", name)
		out[name] = stringMap(at(t, sts.Inputs, "spec.template.metadata.annotations"))[components.ObjstoreChecksumAnnotation]
	}
	return out
}

// objstoreConfigOf is the objstore config the run wrote into the objstore Secret.
func objstoreConfigOf(t *testing.T, r *run) string {
	t.Helper()
	secret := r.one(t, "kubernetes:core/v1:Secret", "thanos-objstore")
	return stringMap(at(t, secret.Inputs, "stringData"))[components.ObjstoreSecretKey]
}

// TestEveryObjstoreReaderCarriesTheConfigsChecksum: each pod that reads the objstore config is
// annotated with the checksum of exactly the config in the Secret, in the clear (it reveals no key,
// and a secret annotation would mask the chart's values in every diff).
func TestEveryObjstoreReaderCarriesTheConfigsChecksum(t *testing.T) {
	check := func(t *testing.T, r *run) {
		want := components.ObjstoreChecksum(objstoreConfigOf(t, r))
		for reader, got := range objstoreReaders(t, r) {
			if got != want {
				t.Errorf("%s pods: %s = %q, want %q (the Secret's config)", reader, components.ObjstoreChecksumAnnotation, got, want)
			}
		}
		raw := r.raw["kubernetes:helm.sh/v3:Release/kube-prometheus-stack"]
		if containsSecret(raw["values"]) {
			t.Error("the Release's values are secret: the checksum annotation carried the objstore config's secrecy")
		}
	}
	forEachStack(t, func(t *testing.T, stack string, r *run) { check(t, r) })
	t.Run("existing bucket with static keys", func(t *testing.T) {
		r := runProgram(t, "dev", existingBucketConfig(t))
		if r.err != nil {
			t.Fatal(r.err)
		}
		check(t, r)
	})
}

// TestObjstoreChangeRollsEveryReaderAndNothingElseDoes: a rotated key, a new endpoint or a new KMS
// key changes every reader's annotation, so all of them roll in the same update; a change that
// leaves the config alone changes none.
func TestObjstoreChangeRollsEveryReaderAndNothingElseDoes(t *testing.T) {
	base := existingBucketConfig(t)
	before := runProgram(t, "dev", base)
	if before.err != nil {
		t.Fatal(before.err)
	}
	was := objstoreReaders(t, before)
	for _, c := range []struct {
		key, value string
		rolls      bool
	}{
		{"existingBucketAccessKey", "rotated-access-key", true},
		{"existingBucketSecretKey", "rotated-secret-key-9876543210", true},
		{"existingBucketEndpoint", "minio.other.svc:9000", true},
		{"existingBucketKmsKeyId", "thanos-key-2", true},
		{"existingBucketName", "thanos-blocks-2", true},
		{"querierReplicas", "3", false},
		{"storeIndexCacheSize", "500MB", false},
		{"prometheusRetention", "1d", false},
	} {
		t.Run(c.key, func(t *testing.T) {
			config := maps.Clone(base)
			config["prometheus-thanos:"+c.key] = c.value
			after := runProgram(t, "dev", config)
			if after.err != nil {
				t.Fatal(after.err)
			}
			for reader, now := range objstoreReaders(t, after) {
				if changed := now != was[reader]; changed != c.rolls {
					t.Errorf("%s = %q: %s pods' checksum changed %v, want %v", c.key, c.value, reader, changed, c.rolls)
				}
			}
		})
	}
}
