package mocks

import (
	"slices"
	"testing"

	"github.com/prometheus-thanos/prometheus-thanos/components/chart"
	"github.com/prometheus-thanos/prometheus-thanos/components/thanos"
	"github.com/prometheus-thanos/prometheus-thanos/program"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/objects"
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

// TestStoreAPIPodsDrainBeforeTheyStop: a deleted store gateway, and a deleted Prometheus pod's
// prometheus and thanos-sidecar containers, keep serving for thanos.StoreAPIDrain (a preStop
// sleep), within the termination grace period, so that the queriers find the successor before
// it goes; no other Thanos workload waits.
func TestStoreAPIPodsDrainBeforeTheyStop(t *testing.T) {
	r := runProgram(t, "prod", stackConfig(t, "prod"))
	want := thanos.StoreAPIDrain.Seconds()
	var workloads []registered
	for _, typ := range []string{"kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:Deployment"} {
		workloads = append(workloads, r.all(typ)...)
	}
	if len(workloads) != 4 {
		t.Fatalf("%d Thanos workloads registered, want the querier, query-frontend, store gateway and compactor", len(workloads))
	}
	for _, w := range workloads {
		pod := at(t, w.Inputs, "spec.template.spec").(map[string]any)
		sleep, drains := objects.FieldOK(pod, "containers", "0", "lifecycle", "preStop", "sleep", "seconds")
		if w.Name != "thanos-store" {
			if drains {
				t.Errorf("%s sleeps %v s before it stops; only StoreAPI pods drain", w.Name, sleep)
			}
			continue
		}
		if !drains || sleep != want {
			t.Fatalf("store gateway preStop sleep %v (set: %v), want %v s", sleep, drains, want)
		}
		grace := at(t, pod, "terminationGracePeriodSeconds").(float64)
		// What is left of the grace period is Thanos's own graceful stop of in-flight requests.
		if grace-want < 60 {
			t.Errorf("store gateway: grace period %v s leaves %v s after the %v s drain, want a minute or more", grace, grace-want, want)
		}
	}
	values := at(t, r.one(t, "kubernetes:helm.sh/v3:Release", "kube-prometheus-stack").Inputs, "values")
	var drained []string
	for _, c := range at(t, values, "prometheus.prometheusSpec.containers").([]any) {
		if sleep, _ := objects.FieldOK(c, "lifecycle", "preStop", "sleep", "seconds"); sleep != want {
			t.Errorf("Prometheus container %v: preStop sleep %v, want %v s", objects.Field(c, "name"), sleep, want)
		}
		drained = append(drained, objects.Str(c, "name"))
	}
	if !slices.Equal(drained, []string{chart.PrometheusContainer, chart.SidecarContainer}) {
		t.Errorf("Prometheus containers drained: %v, want the Prometheus and its sidecar", drained)
	}
}
