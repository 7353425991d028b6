package mocks

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
	k8smetav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8slabels "k8s.io/apimachinery/pkg/labels"

	"github.com/prometheus-thanos/prometheus-thanos/components"
	"github.com/prometheus-thanos/prometheus-thanos/components/bucket"
	"github.com/prometheus-thanos/prometheus-thanos/components/thanos"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/objects"
)

var stacks = []string{"dev", "prod"}

var stackRuns = map[string]*run{}

// stackRun runs the program once per committed stack file and shares the result across tests.
func stackRun(t *testing.T, stack string) *run {
	t.Helper()
	if r, ok := stackRuns[stack]; ok {
		return r
	}
	r := runProgram(t, stack, stackConfig(t, stack))
	if r.err != nil {
		t.Fatalf("stack %s: %v", stack, r.err)
	}
	stackRuns[stack] = r
	return r
}

func forEachStack(t *testing.T, test func(t *testing.T, stack string, r *run)) {
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) { test(t, stack, stackRun(t, stack)) })
	}
}

func policy(t *testing.T, raw any) bucket.PolicyDocument {
	t.Helper()
	var doc bucket.PolicyDocument
	if err := json.Unmarshal([]byte(fmt.Sprint(raw)), &doc); err != nil {
		t.Fatalf("policy %v: %v", raw, err)
	}
	return doc
}

func TestOutputsQuerierURLFirst(t *testing.T) {
	forEachStack(t, func(t *testing.T, stack string, r *run) {
		want := []string{"querierUrl", "queryFrontendUrl", "storeApiEndpoint", "peersSrvAddress", "namespace", "bucketName", "grafanaAdminSecret",
			"bucketArn", "kmsKeyArn", "sidecarRoleArn", "storeRoleArn", "compactorRoleArn"}
		if !slices.Equal(r.outputList, want) {
			t.Fatalf("outputs %v, want %v", r.outputList, want)
		}
		expect := map[string]string{
			"querierUrl":       "http://thanos-query.monitoring.svc.cluster.local:9090",
			"queryFrontendUrl": "http://thanos-query-frontend.monitoring.svc.cluster.local:9090",
			"storeApiEndpoint": "thanos-query.monitoring.svc.cluster.local:10901",
			"peersSrvAddress":  "dnssrvnoa+_grpc._tcp.thanos-peers.monitoring.svc.cluster.local",
			"namespace":        "monitoring",
			"bucketName":       "thanos-a1b2c3d",
			"bucketArn":        "arn:aws:s3:::thanos-a1b2c3d",
			"kmsKeyArn":        "arn:aws:kms:eu-west-1:" + account + ":key/key-thanos",
			"sidecarRoleArn":   "arn:aws:iam::" + account + ":role/" + stack + "-eu-west-1-" + stack + "-thanos-sidecar",
			// Where the Grafana admin credentials are; the render test shows the chart creates it.
			"grafanaAdminSecret": "monitoring/kube-prometheus-stack-grafana",
		}
		// The Grafana datasource's URL (a plain chart value) is the query-frontend's URL output.
		if url := thanos.QueryFrontendURL("monitoring"); r.outputs["queryFrontendUrl"] != url {
			t.Errorf("queryFrontendUrl = %q, thanos.QueryFrontendURL = %q", r.outputs["queryFrontendUrl"], url)
		}
		for name, value := range expect {
			if r.outputs[name] != value {
				t.Errorf("output %s = %q, want %q", name, r.outputs[name], value)
			}
		}
	})
}

func TestBucketIsEncryptedPrivateAndTLSOnly(t *testing.T) {
	forEachStack(t, func(t *testing.T, stack string, r *run) {
		key := r.one(t, "aws:kms/key:Key", "thanos")
		if key.Inputs["enableKeyRotation"] != true {
			t.Error("KMS key rotation is off")
		}
		alias := r.one(t, "aws:kms/alias:Alias", "thanos")
		if alias.Inputs["name"] != "alias/"+stack+"-eu-west-1-"+stack+"-thanos" || alias.Inputs["targetKeyId"] != "key-thanos" {
			t.Errorf("alias %v", alias.Inputs)
		}
		keyArn := "arn:aws:kms:eu-west-1:" + account + ":key/key-thanos"
		sse := r.one(t, "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", "thanos")
		if at(t, sse.Inputs, "rules.0.applyServerSideEncryptionByDefault.sseAlgorithm") != "aws:kms" ||
			at(t, sse.Inputs, "rules.0.applyServerSideEncryptionByDefault.kmsMasterKeyId") != keyArn ||
			at(t, sse.Inputs, "rules.0.bucketKeyEnabled") != true {
			t.Errorf("default encryption %v", sse.Inputs)
		}
		pab := r.one(t, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "thanos")
		for _, setting := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
			if pab.Inputs[setting] != true {
				t.Errorf("public access block %s = %v", setting, pab.Inputs[setting])
			}
		}
		own := r.one(t, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "thanos")
		if at(t, own.Inputs, "rule.objectOwnership") != "BucketOwnerEnforced" {
			t.Errorf("ownership %v", own.Inputs)
		}
		doc := policy(t, r.one(t, "aws:s3/bucketPolicy:BucketPolicy", "thanos").Inputs["policy"])
		deny := doc.Statement[0]
		if len(doc.Statement) != 1 || deny.Effect != "Deny" || !slices.Equal(deny.Action, []string{"s3:*"}) ||
			deny.Condition["Bool"]["aws:SecureTransport"] != "false" ||
			!slices.Equal(deny.Resource, []string{"arn:aws:s3:::thanos-a1b2c3d", "arn:aws:s3:::thanos-a1b2c3d/*"}) {
			t.Errorf("bucket policy is not TLS-only: %+v", doc)
		}
		lifecycle := r.one(t, "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", "thanos")
		if at(t, lifecycle.Inputs, "rules.0.abortIncompleteMultipartUpload.daysAfterInitiation") != float64(7) {
			t.Errorf("lifecycle %v", lifecycle.Inputs)
		}
		versioning := r.all("aws:s3/bucketVersioningV2:BucketVersioningV2")
		rules := at(t, lifecycle.Inputs, "rules").([]any)
		switch stack {
		case "dev": // versioning off: the compactor's deletes are final
			if len(versioning) != 0 || len(rules) != 1 {
				t.Errorf("dev: versioning %v, lifecycle rules %v", versioning, rules)
			}
		case "prod":
			if len(versioning) != 1 || at(t, versioning[0].Inputs, "versioningConfiguration.status") != "Enabled" {
				t.Errorf("prod: versioning %v", versioning)
			}
			if len(rules) != 3 || at(t, rules[1], "noncurrentVersionExpiration.noncurrentDays") != float64(14) {
				t.Errorf("prod: noncurrent version expiry missing: %v", rules)
			}
		}
	})
}

// TestVersionedBucketExpiresDeleteMarkers: with versioning, each object the compactor deletes
// leaves a delete marker; once noncurrent-version expiry has removed the versions behind it, the
// marker alone must expire too, or markers pile up (and slow every listing) forever. S3 refuses
// ExpiredObjectDeleteMarker beside Days or Date in one Expiration.
func TestVersionedBucketExpiresDeleteMarkers(t *testing.T) {
	forEachStack(t, func(t *testing.T, stack string, r *run) {
		lifecycle := r.one(t, "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", "thanos")
		var markers []map[string]any
		for _, rule := range at(t, lifecycle.Inputs, "rules").([]any) {
			rule := rule.(map[string]any)
			if expiration, ok := rule["expiration"].(map[string]any); ok {
				if expiration["expiredObjectDeleteMarker"] != true {
					t.Errorf("rule %v expires current objects: the compactor alone deletes blocks", rule["id"])
				}
				if _, ok := expiration["days"]; ok {
					t.Errorf("rule %v: ExpiredObjectDeleteMarker with Days, which S3 refuses", rule["id"])
				}
				if _, ok := expiration["date"]; ok {
					t.Errorf("rule %v: ExpiredObjectDeleteMarker with Date, which S3 refuses", rule["id"])
				}
				markers = append(markers, rule)
			}
		}
		versioned := stack == "prod" // bucketVersioning
		want := 0
		if versioned {
			want = 1
		}
		if len(markers) != want {
			t.Fatalf("%d rules expire delete markers, want %d (versioning %v)", len(markers), want, versioned)
		}
		if versioned && (markers[0]["status"] != "Enabled" || fmt.Sprint(markers[0]["filter"]) != "map[]") {
			t.Errorf("delete-marker rule %v does not apply to the whole bucket", markers[0])
		}
	})
}

func TestDataIsProtectedInProdOnly(t *testing.T) {
	forEachStack(t, func(t *testing.T, stack string, r *run) {
		bucket := r.one(t, "aws:s3/bucketV2:BucketV2", "thanos")
		key := r.one(t, "aws:kms/key:Key", "thanos")
		prod := stack == "prod"
		if bucket.Protect != prod || key.Protect != prod {
			t.Errorf("protect: bucket %v, key %v; want %v", bucket.Protect, key.Protect, prod)
		}
		if bucket.Inputs["forceDestroy"] != !prod {
			t.Errorf("forceDestroy %v; want %v", bucket.Inputs["forceDestroy"], !prod)
		}
		for _, res := range r.resources { // nothing else holds data: nothing else is protected
			if res.Protect && res.Name == "thanos" && res.Type != bucket.Type && res.Type != key.Type {
				t.Errorf("%s %s is protected", res.Type, res.Name)
			}
		}
	})
}

func TestIRSARolesAreLeastPrivilege(t *testing.T) {
	forEachStack(t, func(t *testing.T, stack string, r *run) {
		issuer := "oidc.eks.eu-west-1.amazonaws.com/id/" + strings.ToUpper(stack)
		bucketArn, keyArn := "arn:aws:s3:::thanos-a1b2c3d", "arn:aws:kms:eu-west-1:"+account+":key/key-thanos"
		// Exactly the calls the pinned objstore S3 client makes (components/bucket/iam_policies.go names the
		// sources): writers abort their own failed multipart uploads; only the compactor deletes.
		cases := []struct {
			role, serviceAccount string
			objects, kms         []string
		}{
			{"sidecar", "prometheus", []string{"s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"}, []string{"kms:GenerateDataKey", "kms:Decrypt"}},
			{"store", "thanos-store", []string{"s3:GetObject"}, []string{"kms:Decrypt"}},
			{"compactor", "thanos-compact", []string{"s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:DeleteObject"}, []string{"kms:GenerateDataKey", "kms:Decrypt"}},
		}
		if n := len(r.all("aws:iam/role:Role")); n != len(cases) {
			t.Fatalf("%d roles, want %d", n, len(cases))
		}
		for _, c := range cases {
			role := r.one(t, "aws:iam/role:Role", "thanos-"+c.role)
			trust := policy(t, role.Inputs["assumeRolePolicy"]).Statement
			if len(trust) != 1 || !slices.Equal(trust[0].Action, []string{"sts:AssumeRoleWithWebIdentity"}) ||
				trust[0].Principal["Federated"] != "arn:aws:iam::"+account+":oidc-provider/"+issuer {
				t.Errorf("%s trust %+v", c.role, trust)
			}
			wantCondition := map[string]string{
				issuer + ":sub": "system:serviceaccount:monitoring:" + c.serviceAccount,
				issuer + ":aud": "sts.amazonaws.com",
			}
			if len(trust) == 1 && !maps.Equal(trust[0].Condition["StringEquals"], wantCondition) {
				t.Errorf("%s trust conditions %v, want %v", c.role, trust[0].Condition, wantCondition)
			}
			statements := policy(t, r.one(t, "aws:iam/rolePolicy:RolePolicy", "thanos-"+c.role).Inputs["policy"]).Statement
			want := []struct {
				actions   []string
				resources []string
			}{
				{[]string{"s3:ListBucket"}, []string{bucketArn}},
				{c.objects, []string{bucketArn + "/*"}},
				{c.kms, []string{keyArn}},
			}
			if len(statements) != len(want) {
				t.Fatalf("%s policy %+v", c.role, statements)
			}
			for i, w := range want {
				if statements[i].Effect != "Allow" || !slices.Equal(statements[i].Action, w.actions) || !slices.Equal(statements[i].Resource, w.resources) {
					t.Errorf("%s statement %d = %+v, want actions %v on %v", c.role, i, statements[i], w.actions, w.resources)
				}
			}
		}
	})
}

func TestObjstoreSecretIsSSEKMSWithoutKeys(t *testing.T) {
	forEachStack(t, func(t *testing.T, stack string, r *run) {
		secret := r.one(t, "kubernetes:core/v1:Secret", "thanos-objstore")
		if at(t, secret.Inputs, "metadata.namespace") != "monitoring" {
			t.Errorf("secret namespace %v", secret.Inputs["metadata"])
		}
		var doc struct {
			Type   string         `yaml:"type"`
			Config map[string]any `yaml:"config"`
		}
		raw := stringMap(at(t, secret.Inputs, "stringData"))[components.ObjstoreSecretKey]
		if err := yaml.Unmarshal([]byte(raw), &doc); err != nil {
			t.Fatal(err)
		}
		c := doc.Config
		if doc.Type != "S3" || c["bucket"] != "thanos-a1b2c3d" || c["endpoint"] != "s3.eu-west-1.amazonaws.com" ||
			c["region"] != "eu-west-1" || c["insecure"] != false {
			t.Errorf("objstore config:\n%s", raw)
		}
		sse := c["sse_config"].(map[string]any)
		if sse["type"] != "SSE-KMS" || sse["kms_key_id"] != "arn:aws:kms:eu-west-1:"+account+":key/key-thanos" {
			t.Errorf("sse_config %v", sse)
		}
		if c["access_key"] != "" || c["secret_key"] != "" {
			t.Errorf("IRSA mode wrote static keys: %v / %v", c["access_key"], c["secret_key"])
		}
	})
}

func TestHelmReleaseValues(t *testing.T) {
	forEachStack(t, func(t *testing.T, stack string, r *run) {
		release := r.one(t, "kubernetes:helm.sh/v3:Release", "kube-prometheus-stack")
		in := release.Inputs
		if in["chart"] != components.ChartName || in["version"] != components.ChartVersion ||
			at(t, in, "repositoryOpts.repo") != components.ChartRepository || in["namespace"] != "monitoring" {
			t.Errorf("chart source %v %v %v", in["chart"], in["version"], in["repositoryOpts"])
		}
		spec := at(t, in, "values.prometheus.prometheusSpec")
		replicas := map[string]float64{"dev": 1, "prod": 2}[stack]
		if at(t, spec, "replicas") != replicas {
			t.Errorf("prometheus replicas %v, want %v", at(t, spec, "replicas"), replicas)
		}
		if at(t, spec, "replicaExternalLabelName") != components.PrometheusReplicaLabel ||
			at(t, spec, "externalLabels.cluster") != stack+"-eu-west-1" {
			t.Errorf("external labels %v / %v", at(t, spec, "replicaExternalLabelName"), at(t, spec, "externalLabels"))
		}
		if at(t, spec, "retention") != map[string]string{"dev": "12h", "prod": "2d"}[stack] {
			t.Errorf("retention %v", at(t, spec, "retention"))
		}
		// The chart's shape for the sidecar's object storage (existingSecret), not the operator's:
		// TestRealChartRendersWhatTheProgramMeans checks what the real chart makes of it.
		if at(t, spec, "thanos.image") != "quay.io/thanos/thanos:"+components.ThanosVersion ||
			at(t, spec, "thanos.version") != components.ThanosVersion ||
			at(t, spec, "thanos.objectStorageConfig.existingSecret.name") != "thanos-objstore" ||
			at(t, spec, "thanos.objectStorageConfig.existingSecret.key") != "thanos.yaml" {
			t.Errorf("thanos sidecar %v", at(t, spec, "thanos"))
		}
		if at(t, spec, "thanos.resources.requests.ephemeral-storage") != "64Mi" || at(t, spec, "thanos.resources.limits.ephemeral-storage") != "256Mi" {
			t.Errorf("thanos sidecar ephemeral storage %v, want the defaults 64Mi / 256Mi", at(t, spec, "thanos.resources"))
		}
		if labels := stringMap(at(t, spec, "podMetadata.labels")); !maps.Equal(labels, components.PrometheusPodLabels()) {
			t.Errorf("prometheus pod labels %v, want %v", labels, components.PrometheusPodLabels())
		}
		sa := at(t, in, "values.prometheus.serviceAccount")
		if at(t, sa, "name") != "prometheus" ||
			stringMap(at(t, sa, "annotations"))[components.IRSARoleAnnotation] != "arn:aws:iam::"+account+":role/"+stack+"-eu-west-1-"+stack+"-thanos-sidecar" {
			t.Errorf("prometheus service account %v", sa)
		}
		size := map[string]string{"dev": "20Gi", "prod": "100Gi"}[stack]
		if at(t, spec, "storageSpec.volumeClaimTemplate.spec.resources.requests.storage") != size {
			t.Errorf("storage %v", at(t, spec, "storageSpec"))
		}
		storageClass, _ := objects.FieldOK(spec, "storageSpec", "volumeClaimTemplate", "spec", "storageClassName")
		if want := map[string]any{"dev": nil, "prod": "gp3"}[stack]; storageClass != want {
			t.Errorf("prometheus storage class %v, want %v", storageClass, want)
		}
		pdb, _ := objects.FieldOK(in, "values", "prometheus", "podDisruptionBudget")
		if want := map[string]any{"dev": nil, "prod": map[string]any{"enabled": true, "minAvailable": float64(1)}}[stack]; fmt.Sprint(pdb) != fmt.Sprint(want) {
			t.Errorf("prometheus PodDisruptionBudget values %v, want %v", pdb, want)
		}
		// The release waits for the objstore Secret its pods mount.
		if !dependsOn(release, "thanos-objstore") {
			t.Errorf("release dependencies %v lack the objstore Secret", release.Dependencies)
		}
	})
}

// waitsForItsCRD says whether a custom resource depends on the CRD of its kind that the program
// applies (chart.PrometheusStack.CRDs).
func waitsForItsCRD(t *testing.T, r *run, res registered) bool {
	t.Helper()
	apiVersion, kind, _ := strings.Cut(strings.TrimPrefix(res.Type, "kubernetes:"), ":")
	group, _, _ := strings.Cut(apiVersion, "/")
	for _, crd := range r.all("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition") {
		if at(t, crd.Inputs, "spec.group") == group && at(t, crd.Inputs, "spec.names.kind") == kind {
			return dependsOn(res, crd.Name)
		}
	}
	t.Errorf("the program applies no CRD of %s's kind %s", res.Name, res.Type)
	return false
}

func dependsOn(r registered, name string) bool {
	for _, urn := range r.Dependencies {
		if strings.HasSuffix(urn, "::"+name) {
			return true
		}
	}
	return false
}

// container returns the one container of a workload's pod template.
func container(t *testing.T, w registered) map[string]any {
	t.Helper()
	containers := at(t, w.Inputs, "spec.template.spec.containers").([]any)
	if len(containers) != 1 {
		t.Fatalf("%s has %d containers", w.Name, len(containers))
	}
	return containers[0].(map[string]any)
}

func TestThanosWorkloads(t *testing.T) {
	forEachStack(t, func(t *testing.T, stack string, r *run) {
		query := r.one(t, "kubernetes:apps/v1:Deployment", "thanos-query")
		frontend := r.one(t, "kubernetes:apps/v1:Deployment", "thanos-query-frontend")
		store := r.one(t, "kubernetes:apps/v1:StatefulSet", "thanos-store")
		compact := r.one(t, "kubernetes:apps/v1:StatefulSet", "thanos-compact")
		wantReplicas := map[string]float64{"dev": 1, "prod": 2}[stack]
		for _, w := range []registered{query, frontend, store} {
			if at(t, w.Inputs, "spec.replicas") != wantReplicas {
				t.Errorf("%s replicas %v, want %v", w.Name, at(t, w.Inputs, "spec.replicas"), wantReplicas)
			}
		}
		if at(t, compact.Inputs, "spec.replicas") != float64(1) {
			t.Errorf("compactor replicas %v: must be exactly 1", at(t, compact.Inputs, "spec.replicas"))
		}
		if n := len(r.all("kubernetes:apps/v1:Deployment")) + len(r.all("kubernetes:apps/v1:StatefulSet")); n != 4 {
			t.Errorf("%d Thanos workloads, want 4 (a second compactor would corrupt the bucket)", n)
		}

		queryArgs := strs(t, container(t, query)["args"])
		if queryArgs[0] != "query" ||
			!slices.Contains(queryArgs, "--endpoint.sd-config=endpoints:\n    - address: dnssrvnoa+_grpc._tcp.thanos-peers.monitoring.svc.cluster.local\n") ||
			!slices.Contains(queryArgs, "--query.replica-label=prometheus_replica") ||
			!slices.Contains(queryArgs, "--query.auto-downsampling") || !slices.Contains(queryArgs, "--query.timeout=5m") {
			t.Errorf("query args %q", queryArgs)
		}
		frontendArgs := strs(t, container(t, frontend)["args"])
		frontendCache := map[string]string{"dev": "128MB", "prod": "256MB"}[stack]
		if frontendArgs[0] != "query-frontend" ||
			!slices.Contains(frontendArgs, "--query-frontend.downstream-url="+r.outputs["querierUrl"]) ||
			!slices.Contains(frontendArgs, "--query-range.split-interval=24h") ||
			!slices.Contains(frontendArgs, "--query-range.response-cache-config=type: IN-MEMORY\nconfig:\n    max_size: "+frontendCache+"\n    validity: 24h\n") {
			t.Errorf("query-frontend args %q", frontendArgs)
		}
		storeArgs := strs(t, container(t, store)["args"])
		cache := map[string]string{"dev": "128MB", "prod": "1GB"}[stack]
		if storeArgs[0] != "store" || !slices.Contains(storeArgs, "--index-cache-size="+cache) ||
			!slices.Contains(storeArgs, "--objstore.config-file=/etc/thanos/objstore/thanos.yaml") ||
			!slices.Contains(storeArgs, "--ignore-deletion-marks-delay=1d") {
			t.Errorf("store args %q", storeArgs)
		}
		// The per-request limits derived from storeMemoryLimit (dev: the default 2Gi; prod: 4Gi)
		// less the index cache and the 256MiB baseline, shared by storeMaxConcurrentRequests
		// (dev: the default 20; prod: 8).
		limits := map[string][]string{
			"dev": {"--store.grpc.series-max-concurrency=20",
				"--store.limits.request-series=72701", "--store.limits.request-samples=14955600", "--store.grpc.downloaded-bytes-limit=43620761B"},
			"prod": {"--store.grpc.series-max-concurrency=8",
				"--store.limits.request-series=307582", "--store.limits.request-samples=63273960", "--store.grpc.downloaded-bytes-limit=184549376B"},
		}[stack]
		for _, want := range limits {
			if !slices.Contains(storeArgs, want) {
				t.Errorf("store args %q lack %q", storeArgs, want)
			}
		}
		retention := map[string][3]string{"dev": {"7d", "30d", "90d"}, "prod": {"90d", "1y", "5y"}}[stack]
		compactArgs := strs(t, container(t, compact)["args"])
		for _, want := range []string{"compact", "--wait", "--retention.resolution-raw=" + retention[0],
			"--retention.resolution-5m=" + retention[1], "--retention.resolution-1h=" + retention[2], "--delete-delay=48h"} {
			if !slices.Contains(compactArgs, want) {
				t.Errorf("compact args %q lack %q", compactArgs, want)
			}
		}

		for _, w := range []registered{query, frontend, store, compact} {
			c := container(t, w)
			if c["image"] != components.ThanosImage() {
				t.Errorf("%s image %v", w.Name, c["image"])
			}
			if at(t, c, "livenessProbe.httpGet.path") != "/-/healthy" || at(t, c, "readinessProbe.httpGet.path") != "/-/ready" {
				t.Errorf("%s probes %v %v", w.Name, c["livenessProbe"], c["readinessProbe"])
			}
			sc := c["securityContext"]
			if at(t, sc, "readOnlyRootFilesystem") != true || at(t, sc, "allowPrivilegeEscalation") != false ||
				!slices.Equal(strs(t, at(t, sc, "capabilities.drop")), []string{"ALL"}) ||
				at(t, sc, "seccompProfile.type") != "RuntimeDefault" || at(t, sc, "runAsNonRoot") != true {
				t.Errorf("%s container security %v", w.Name, sc)
			}
			podSC := at(t, w.Inputs, "spec.template.spec.securityContext")
			if at(t, podSC, "runAsNonRoot") != true || at(t, podSC, "seccompProfile.type") != "RuntimeDefault" {
				t.Errorf("%s pod security %v", w.Name, podSC)
			}
			if at(t, c, "resources.requests.memory") == nil || at(t, c, "resources.limits.memory") == nil {
				t.Errorf("%s resources %v", w.Name, c["resources"])
			}
			if at(t, c, "resources.requests.ephemeral-storage") != "64Mi" || at(t, c, "resources.limits.ephemeral-storage") != "256Mi" {
				t.Errorf("%s ephemeral storage %v, want the defaults 64Mi / 256Mi", w.Name, c["resources"])
			}
		}
		if at(t, store.Inputs, "spec.volumeClaimTemplates.0.spec.resources.requests.storage") !=
			map[string]string{"dev": "5Gi", "prod": "50Gi"}[stack] {
			t.Errorf("store volume %v", at(t, store.Inputs, "spec.volumeClaimTemplates"))
		}
		for _, w := range []registered{store, compact} {
			class, _ := objects.FieldOK(w.Inputs, "spec", "volumeClaimTemplates")
			if want := map[string]any{"dev": nil, "prod": "gp3"}[stack]; objects.Field(objects.List(class)[0], "spec", "storageClassName") != want {
				t.Errorf("%s volume storage class %v, want %v (storageClass)", w.Name, class, want)
			}
		}
		// Each workload's pods name their ServiceAccount through its output, so they are created
		// after it: EKS's pod identity webhook only injects IRSA into pods whose ServiceAccount exists.
		for _, w := range []registered{query, frontend, store, compact} {
			sa := at(t, w.Inputs, "spec.template.spec.serviceAccountName")
			if sa != w.Name || !dependsOn(w, fmt.Sprint(sa)) || !slices.ContainsFunc(r.all("kubernetes:core/v1:ServiceAccount"), func(s registered) bool { return s.Name == sa }) {
				t.Errorf("%s runs as ServiceAccount %v but does not depend on it: %v", w.Name, sa, w.Dependencies)
			}
		}
		for _, w := range []registered{query, frontend, store} {
			term := at(t, w.Inputs, "spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution.0.podAffinityTerm")
			if at(t, term, "topologyKey") != "kubernetes.io/hostname" ||
				!maps.Equal(stringMap(at(t, term, "labelSelector.matchLabels")), stringMap(at(t, w.Inputs, "spec.selector.matchLabels"))) {
				t.Errorf("%s anti-affinity %v", w.Name, term)
			}
		}
	})
}

func TestPodDisruptionBudgetsInProdOnly(t *testing.T) {
	forEachStack(t, func(t *testing.T, stack string, r *run) {
		pdbs := r.all("kubernetes:policy/v1:PodDisruptionBudget")
		if stack == "dev" {
			if len(pdbs) != 0 {
				t.Errorf("dev has %d PodDisruptionBudgets", len(pdbs))
			}
			return
		}
		var names []string
		for _, p := range pdbs {
			names = append(names, p.Name)
			workloadType := map[string]string{
				"thanos-query": "kubernetes:apps/v1:Deployment", "thanos-query-frontend": "kubernetes:apps/v1:Deployment",
				"thanos-store": "kubernetes:apps/v1:StatefulSet",
			}[p.Name]
			w := r.one(t, workloadType, p.Name)
			if !maps.Equal(stringMap(at(t, p.Inputs, "spec.selector.matchLabels")), stringMap(at(t, w.Inputs, "spec.selector.matchLabels"))) ||
				at(t, p.Inputs, "spec.maxUnavailable") != float64(1) {
				t.Errorf("PDB %s %v does not guard its workload", p.Name, p.Inputs["spec"])
			}
		}
		slices.Sort(names)
		if !slices.Equal(names, []string{"thanos-query", "thanos-query-frontend", "thanos-store"}) {
			t.Errorf("PodDisruptionBudgets %v", names)
		}
	})
}

func TestServiceMonitorsWaitForTheChartsCRDs(t *testing.T) {
	forEachStack(t, func(t *testing.T, stack string, r *run) {
		monitors := r.all("kubernetes:monitoring.coreos.com/v1:ServiceMonitor")
		if len(monitors) != 4 {
			t.Fatalf("%d ServiceMonitors, want 4 (query-frontend, querier, store gateway, compactor)", len(monitors))
		}
		for _, m := range monitors {
			if !waitsForItsCRD(t, r, m) {
				t.Errorf("ServiceMonitor %s does not depend on its CRD: %v", m.Name, m.Dependencies)
			}
			// Each selects exactly its own Service: not the governing Service over the same pods,
			// which would scrape them twice under a second job.
			var selected []string
			for _, svc := range r.all("kubernetes:core/v1:Service") {
				if labelSelectorMatches(t, at(t, m.Inputs, "spec.selector"), stringMap(at(t, svc.Inputs, "metadata.labels"))) {
					selected = append(selected, svc.Name)
				}
			}
			if !slices.Equal(selected, []string{m.Name}) {
				t.Errorf("ServiceMonitor %s selects the Services %v, want only %s", m.Name, selected, m.Name)
			}
			if at(t, m.Inputs, "spec.endpoints.0.port") != "http" {
				t.Errorf("ServiceMonitor %s endpoints %v", m.Name, at(t, m.Inputs, "spec.endpoints"))
			}
		}
	})
}

func stringMap(v any) map[string]string {
	out := map[string]string{}
	if m, ok := v.(map[string]any); ok {
		for k, e := range m {
			out[k] = fmt.Sprint(e)
		}
	}
	return out
}

// labelSelectorMatches evaluates a LabelSelector (matchLabels and matchExpressions) as
// Kubernetes does.
func labelSelectorMatches(t *testing.T, selector any, labels map[string]string) bool {
	t.Helper()
	raw, err := json.Marshal(selector)
	if err != nil {
		t.Fatal(err)
	}
	var ls k8smetav1.LabelSelector
	if err := json.Unmarshal(raw, &ls); err != nil {
		t.Fatalf("label selector %s: %v", raw, err)
	}
	sel, err := k8smetav1.LabelSelectorAsSelector(&ls)
	if err != nil {
		t.Fatalf("label selector %s: %v", raw, err)
	}
	return sel.Matches(k8slabels.Set(labels))
}

// selects reports whether a Service selector matches a pod's labels (Kubernetes's rule for a
// map selector: every key present with the same value).
func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// prometheusPodLabels are the labels of the Prometheus pods: the chart's podMetadata the program
// sent, and prometheus-operator's own pod labels (pkg/prometheus/statefulset.go), which win.
func prometheusPodLabels(t *testing.T, r *run) map[string]string {
	t.Helper()
	release := r.one(t, "kubernetes:helm.sh/v3:Release", "kube-prometheus-stack")
	labels := stringMap(at(t, release.Inputs, "values.prometheus.prometheusSpec.podMetadata.labels"))
	maps.Copy(labels, map[string]string{
		"app.kubernetes.io/name": "prometheus", "app.kubernetes.io/instance": "kube-prometheus-stack-prometheus",
		"app.kubernetes.io/managed-by": "prometheus-operator", "operator.prometheus.io/name": "kube-prometheus-stack-prometheus",
	})
	return labels
}

// TestServicesSelectExactlyTheirPods checks each Service against every pod the stack runs: the
// Thanos workloads' templates and the Prometheus pods, whose labels are the chart's podMetadata
// plus the labels prometheus-operator sets itself.
func TestServicesSelectExactlyTheirPods(t *testing.T) {
	forEachStack(t, func(t *testing.T, stack string, r *run) {
		pods := map[string]map[string]string{}
		for _, typ := range []string{"kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"} {
			for _, w := range r.all(typ) {
				pods[w.Name] = stringMap(at(t, w.Inputs, "spec.template.metadata.labels"))
			}
		}
		pods["prometheus"] = prometheusPodLabels(t, r)

		want := map[string][]string{
			"thanos-peers":            {"prometheus", "thanos-store"},
			"thanos-query":            {"thanos-query"},
			"thanos-query-frontend":   {"thanos-query-frontend"},
			"thanos-store":            {"thanos-store"},
			"thanos-store-headless":   {"thanos-store"},
			"thanos-compact":          {"thanos-compact"},
			"thanos-compact-headless": {"thanos-compact"},
		}
		services := r.all("kubernetes:core/v1:Service")
		if len(services) != len(want) {
			t.Errorf("%d Services, want %d", len(services), len(want))
		}
		for _, svc := range services {
			selector := stringMap(at(t, svc.Inputs, "spec.selector"))
			var got []string
			for name, labels := range pods {
				if selects(selector, labels) {
					got = append(got, name)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want[svc.Name]) {
				t.Errorf("Service %s (selector %v) selects %v, want %v", svc.Name, selector, got, want[svc.Name])
			}
		}
		peers := r.one(t, "kubernetes:core/v1:Service", "thanos-peers")
		if at(t, peers.Inputs, "spec.clusterIP") != "None" || at(t, peers.Inputs, "spec.ports.0.name") != "grpc" ||
			at(t, peers.Inputs, "spec.ports.0.port") != float64(10901) {
			t.Errorf("peers Service is not headless on grpc 10901: %v", peers.Inputs["spec"])
		}
		// Every Service's target ports exist, by name, on the pods it selects.
		for _, svc := range services {
			for _, port := range at(t, svc.Inputs, "spec.ports").([]any) {
				target := at(t, port, "targetPort")
				for _, podName := range want[svc.Name] {
					if podName == "prometheus" {
						continue // the operator names the sidecar's gRPC port "grpc"
					}
					kind := map[string]string{"thanos-query": "kubernetes:apps/v1:Deployment", "thanos-query-frontend": "kubernetes:apps/v1:Deployment"}[podName]
					if kind == "" {
						kind = "kubernetes:apps/v1:StatefulSet"
					}
					var names []string
					for _, p := range at(t, container(t, r.one(t, kind, podName)), "ports").([]any) {
						names = append(names, fmt.Sprint(at(t, p, "name")))
					}
					if !slices.Contains(names, fmt.Sprint(target)) {
						t.Errorf("Service %s targets port %v, which pod %s does not have (%v)", svc.Name, target, podName, names)
					}
				}
			}
		}
	})
}

// TestStatefulSetsAreGovernedByHeadlessServices checks each StatefulSet's serviceName: a headless
// Service of its own that selects exactly its pods (their stable DNS names), apart from the
// client-facing Service.
func TestStatefulSetsAreGovernedByHeadlessServices(t *testing.T) {
	forEachStack(t, func(t *testing.T, stack string, r *run) {
		for _, sts := range r.all("kubernetes:apps/v1:StatefulSet") {
			name := fmt.Sprint(at(t, sts.Inputs, "spec.serviceName"))
			if name != thanos.GoverningServiceName(sts.Name) {
				t.Errorf("StatefulSet %s serviceName %q, want %q", sts.Name, name, thanos.GoverningServiceName(sts.Name))
				continue
			}
			svc := r.one(t, "kubernetes:core/v1:Service", name)
			if at(t, svc.Inputs, "spec.clusterIP") != "None" || at(t, svc.Inputs, "spec.publishNotReadyAddresses") != true {
				t.Errorf("Service %s is not a headless governing Service: %v", name, svc.Inputs["spec"])
			}
			if !maps.Equal(stringMap(at(t, svc.Inputs, "spec.selector")), stringMap(at(t, sts.Inputs, "spec.selector.matchLabels"))) {
				t.Errorf("Service %s selector %v, StatefulSet %s selects %v", name, at(t, svc.Inputs, "spec.selector"), sts.Name, at(t, sts.Inputs, "spec.selector.matchLabels"))
			}
			if !dependsOn(sts, name) {
				t.Errorf("StatefulSet %s does not wait for its governing Service %s: %v", sts.Name, name, sts.Dependencies)
			}
			client := r.one(t, "kubernetes:core/v1:Service", sts.Name)
			if clusterIP, set := objects.FieldOK(client.Inputs, "spec", "clusterIP"); set {
				t.Errorf("client Service %s clusterIP %v, want one assigned", sts.Name, clusterIP)
			}
		}
	})
}

func TestEverythingUsesTheStacksKubernetesProvider(t *testing.T) {
	forEachStack(t, func(t *testing.T, stack string, r *run) {
		provider := r.one(t, "pulumi:providers:kubernetes", "cluster")
		if !strings.Contains(fmt.Sprint(provider.Inputs["kubeconfig"]), "# "+stack) {
			t.Errorf("provider kubeconfig %v does not come from the cluster stack", provider.Inputs["kubeconfig"])
		}
		// Every Kubernetes object goes to that cluster, none to the ambient kubeconfig of whoever
		// runs `pulumi up`.
		kubernetesObjects := 0
		for _, res := range r.resources {
			if !strings.HasPrefix(res.Type, "kubernetes:") {
				continue
			}
			kubernetesObjects++
			if !strings.Contains(res.Provider, "::pulumi:providers:kubernetes::cluster::") {
				t.Errorf("%s %s uses provider %q, not the stack's cluster provider", res.Type, res.Name, res.Provider)
			}
		}
		if kubernetesObjects < 10 {
			t.Errorf("only %d Kubernetes objects registered", kubernetesObjects)
		}
	})
}

// TestTheProgramOwnsTheFieldsItDeclares: Server-Side Apply, and every object the program applies
// carries the patch-force annotation, so a refresh and up take back a field another manager
// changed (a `kubectl scale`) instead of failing on the conflict (docs/operations.md, "Drift").
// The Helm release's objects are Helm's.
func TestTheProgramOwnsTheFieldsItDeclares(t *testing.T) {
	forEachStack(t, func(t *testing.T, stack string, r *run) {
		provider := r.one(t, "pulumi:providers:kubernetes", "cluster")
		if fmt.Sprint(provider.Inputs["enableServerSideApply"]) != "true" {
			t.Errorf("provider enableServerSideApply = %v, want true", provider.Inputs["enableServerSideApply"])
		}
		applied := 0
		for _, res := range r.resources {
			if !strings.HasPrefix(res.Type, "kubernetes:") || res.Type == "kubernetes:helm.sh/v3:Release" {
				continue
			}
			applied++
			metadata, _ := res.Inputs["metadata"].(map[string]any)
			annotations, _ := metadata["annotations"].(map[string]any)
			if v := annotations[components.PatchForceAnnotation]; v != "true" {
				t.Errorf("%s %s: %s = %v, want true", res.Type, res.Name, components.PatchForceAnnotation, v)
			}
		}
		if applied < 10 {
			t.Errorf("only %d Kubernetes objects applied", applied)
		}
	})
}

func TestKMSKeyDeletionWindowFromConfig(t *testing.T) {
	forEachStack(t, func(t *testing.T, stack string, r *run) {
		want := map[string]float64{"dev": 7, "prod": 30}[stack] // dev sets 7; prod keeps the default
		if got := r.one(t, "aws:kms/key:Key", "thanos").Inputs["deletionWindowInDays"]; got != want {
			t.Errorf("KMS key deletion window %v days, want %v (kmsKeyDeletionWindowDays)", got, want)
		}
	})
}
