package mocks

import (
	"slices"
	"testing"

	"github.com/prometheus-thanos/prometheus-thanos/components/thanos"
	"github.com/prometheus-thanos/prometheus-thanos/program"
)

// statefulSetNames are the Kubernetes names of the store gateway's and the compactor's
// StatefulSets in a run, by Pulumi name.
func statefulSetNames(t *testing.T, r *run) map[string]string {
	t.Helper()
	names := map[string]string{}
	for _, sts := range r.all("kubernetes:apps/v1:StatefulSet") {
		names[sts.Name] = at(t, sts.Inputs, "metadata.name").(string)
	}
	return names
}

// TestAStorageChangeIsANewStatefulSet: Kubernetes refuses a change of a StatefulSet's
// volumeClaimTemplates, and the provider would replace a same-named StatefulSet by deleting it
// first (every store gateway down, and the new pods back on the old claims at their old size). A
// change of size or class is a StatefulSet of another name instead: a new store gateway set is
// created and Ready before the old one goes, the compactor's old pod goes first (never two), and
// the old claims go with their StatefulSet. The same size spelled otherwise changes nothing.
func TestAStorageChangeIsANewStatefulSet(t *testing.T) {
	key := func(k string) string { return program.ProjectName + ":" + k }
	base := stackConfig(t, "prod")
	with := func(changes map[string]string) map[string]string {
		config := map[string]string{}
		for k, v := range base {
			config[k] = v
		}
		for k, v := range changes {
			config[key(k)] = v
		}
		return config
	}
	before := runProgram(t, "prod", base)
	names := statefulSetNames(t, before)
	for objectName, sizeKey := range map[string]string{"thanos-store": "storeStorageSize", "thanos-compact": "compactorStorageSize"} {
		want, err := thanos.StatefulSetName(objectName, base[key(sizeKey)], base[key("storageClass")])
		if err != nil {
			t.Fatal(err)
		}
		if names[objectName] != want {
			t.Errorf("StatefulSet %s is named %q, want %q", objectName, names[objectName], want)
		}
	}

	for _, c := range []struct {
		what    string
		changes map[string]string
		renamed []string
	}{
		{"the store gateway's volume grown", map[string]string{"storeStorageSize": "100Gi"}, []string{"thanos-store"}},
		{"the compactor's volume grown", map[string]string{"compactorStorageSize": "300Gi"}, []string{"thanos-compact"}},
		{"another storage class", map[string]string{"storageClass": "io2"}, []string{"thanos-store", "thanos-compact"}},
		{"the same sizes spelled otherwise", map[string]string{"storeStorageSize": "51200Mi", "compactorStorageSize": "200Gi"}, nil},
		{"a change that is not the volumes'", map[string]string{"storeIndexCacheSize": "500MB"}, nil},
	} {
		t.Run(c.what, func(t *testing.T) {
			after := statefulSetNames(t, runProgram(t, "prod", with(c.changes)))
			for objectName, name := range names {
				renamed := after[objectName] != name
				if want := slices.Contains(c.renamed, objectName); renamed != want {
					t.Errorf("StatefulSet %s: %q then %q; renamed %v, want %v", objectName, name, after[objectName], renamed, want)
				}
			}
		})
	}

	for _, sts := range before.all("kubernetes:apps/v1:StatefulSet") {
		if got := at(t, sts.Inputs, "spec.persistentVolumeClaimRetentionPolicy.whenDeleted"); got != "Delete" {
			t.Errorf("StatefulSet %s keeps its claims when it is deleted (whenDeleted %v): a replaced one would leave its volumes behind", sts.Name, got)
		}
		if got := at(t, sts.Inputs, "spec.persistentVolumeClaimRetentionPolicy.whenScaled"); got != "Retain" {
			t.Errorf("StatefulSet %s whenScaled %v, want Retain", sts.Name, got)
		}
		// The compactor is replaced old pod first: two compactors on one bucket corrupt it. A new
		// store gateway set serves before the old one goes.
		if want := sts.Name == "thanos-compact"; sts.DeleteBeforeReplace != want {
			t.Errorf("StatefulSet %s deleteBeforeReplace %v, want %v", sts.Name, sts.DeleteBeforeReplace, want)
		}
	}
}
