package mocks

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"

	"github.com/prometheus-thanos/prometheus-thanos/program"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/objects"
)

const account = "123456789012"

// registered is one resource the program registered, as the engine would have received it.
type registered struct {
	Type, Name   string
	Inputs       map[string]any
	Protect      bool
	Dependencies []string
	Parent       string
	// Provider is the provider reference ("<urn>::<id>"); empty for the default provider.
	Provider string
	// DeleteBeforeReplace: a replacement deletes the old object before creating the new one.
	DeleteBeforeReplace bool
	// RetainOnDelete: deleting the resource leaves the object in the cluster.
	RetainOnDelete bool
}

// mocks records every registration and answers with plausible provider outputs: the inputs plus
// the computed properties the program reads (ARNs, key IDs, generated names).
type mocks struct {
	mu        sync.Mutex
	resources []registered
	raw       map[string]resource.PropertyMap // "type/name" -> inputs with secret markers
	stacks    map[string]map[string]any       // stack name -> its outputs
	region    string
	// preview leaves out the IAM roles' ARNs, which AWS only knows once it has created them: in
	// the preview of a new stack the engine sends them as unknown. (The bucket's name and the key's
	// ARN stay known here: the mock monitor cannot record a secret whose value is unknown, and the
	// objstore Secret holds both.)
	preview bool
}

// loadBalancers numbers the load balancers the mocks make: each its own hostname, as each NLB has.
var loadBalancers atomic.Int64

func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	inputs := unsecret(resource.NewObjectProperty(args.Inputs)).ObjectValue()
	r := registered{Type: args.TypeToken, Name: args.Name, Inputs: inputs.Mappable(), Provider: args.Provider}
	if rpc := args.RegisterRPC; rpc != nil {
		r.Protect = rpc.GetProtect()
		r.Dependencies = rpc.GetDependencies()
		r.Parent = rpc.GetParent()
		r.DeleteBeforeReplace = rpc.GetDeleteBeforeReplace()
		r.RetainOnDelete = rpc.GetRetainOnDelete()
	}
	m.mu.Lock()
	m.resources = append(m.resources, r)
	if m.raw == nil {
		m.raw = map[string]resource.PropertyMap{}
	}
	m.raw[args.TypeToken+"/"+args.Name] = args.Inputs
	m.mu.Unlock()

	out := inputs.Copy()
	if m.preview && args.TypeToken == "aws:iam/role:Role" {
		return args.Name + "-id", out, nil
	}
	switch args.TypeToken {
	case "pulumi:pulumi:StackReference":
		name := args.Name // the stack's name, unless the reference names it
		if n, ok := inputs["name"]; ok && n.IsString() {
			name = n.StringValue()
		}
		outputs, ok := m.stacks[name]
		if !ok {
			return "", nil, fmt.Errorf("unknown stack %q", name)
		}
		out["name"] = resource.NewStringProperty(name)
		out["outputs"] = resource.NewObjectProperty(resource.NewPropertyMapFromMap(outputs))
		out["secretOutputNames"] = resource.NewArrayProperty([]resource.PropertyValue{resource.NewStringProperty("kubeconfig")})
	case "aws:s3/bucketV2:BucketV2":
		name := args.Name + "-a1b2c3d"
		if b, ok := inputs["bucket"]; ok && b.IsString() {
			name = b.StringValue()
		}
		out["bucket"] = resource.NewStringProperty(name)
		out["arn"] = resource.NewStringProperty("arn:aws:s3:::" + name)
	case "aws:kms/key:Key":
		out["keyId"] = resource.NewStringProperty("key-" + args.Name)
		out["arn"] = resource.NewStringProperty(fmt.Sprintf("arn:aws:kms:%s:%s:key/key-%s", m.region, account, args.Name))
	case "kubernetes:core/v1:Service":
		// As the AWS Load Balancer Controller reports the NLB it made for a LoadBalancer Service.
		if spec, ok := inputs["spec"]; ok && spec.IsObject() && spec.ObjectValue()["type"].IsString() && spec.ObjectValue()["type"].StringValue() == "LoadBalancer" {
			out["status"] = resource.NewPropertyValue(map[string]any{"loadBalancer": map[string]any{"ingress": []any{
				map[string]any{"hostname": fmt.Sprintf("k8s-%s-%010d.elb.%s.amazonaws.com", args.Name, loadBalancers.Add(1), m.region)},
			}}})
		}
	case "aws:iam/role:Role":
		out["arn"] = resource.NewStringProperty(fmt.Sprintf("arn:aws:iam::%s:role/%s", account, inputs["name"].StringValue()))
	}
	return args.Name + "-id", out, nil
}

func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return nil, fmt.Errorf("unexpected function call %s: the program calls no provider function", args.Token)
}

// unsecret strips secret markers so tests read values; secrecy itself is asserted separately.
func unsecret(v resource.PropertyValue) resource.PropertyValue {
	switch {
	case v.IsSecret():
		return unsecret(v.SecretValue().Element)
	case v.IsObject():
		out := resource.PropertyMap{}
		for k, e := range v.ObjectValue() {
			out[k] = unsecret(e)
		}
		return resource.NewObjectProperty(out)
	case v.IsArray():
		var out []resource.PropertyValue
		for _, e := range v.ArrayValue() {
			out = append(out, unsecret(e))
		}
		return resource.NewArrayProperty(out)
	}
	return v
}

// run is one program run under mocks.
type run struct {
	*mocks
	deployment *program.Deployed
	outputs    map[string]string
	// values are the outputs as the program exports them, for a stack that reads them.
	values     map[string]any
	outputList []string
	err        error
}

// clusterStackOutputs are what the cluster stack of the stack files exports.
func clusterStackOutputs(stack string) map[string]any {
	return map[string]any{
		"kubeconfig":      "apiVersion: v1\nkind: Config\n# " + stack,
		"oidcProviderArn": "arn:aws:iam::" + account + ":oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/" + strings.ToUpper(stack),
		"oidcIssuerUrl":   "https://oidc.eks.eu-west-1.amazonaws.com/id/" + strings.ToUpper(stack),
	}
}

// pulumiEKSStack is a cluster stack made with pulumi-eks, which exports its Cluster's outputs as
// they are (harness.PulumiEKSClusterOutputs).
const pulumiEKSStack = "acme/pulumi-eks-cluster/dev"

// pulumiEKSIssuer is that cluster's OIDC issuer, as its oidcProviderUrl output gives it.
const pulumiEKSIssuer = "https://oidc.eks.eu-west-1.amazonaws.com/id/PULUMIEKS"

func pulumiEKSStackOutputs(t *testing.T) map[string]any {
	kubeconfig := harness.PulumiEKSKubeconfig("pulumi-eks", "https://PULUMIEKS.gr7.eu-west-1.eks.amazonaws.com", "eu-west-1", "Q0EK")
	outputs, err := harness.PulumiEKSClusterOutputs(kubeconfig, pulumiEKSIssuer,
		"arn:aws:iam::"+account+":oidc-provider/"+strings.TrimPrefix(pulumiEKSIssuer, "https://"))
	if err != nil {
		t.Fatal(err)
	}
	return outputs
}

// stackConfig reads a committed stack file (Pulumi.<stack>.yaml) into fully qualified keys.
func stackConfig(t *testing.T, stack string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(harness.RepoRoot(), "Pulumi."+stack+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for k, v := range file.Config {
		out[k] = fmt.Sprint(v)
	}
	return out
}

// runProgram runs program.Deploy, the body of program.Run, under mocks with the given config.
// Tests in this package share the process environment: they do not run in parallel.
func runProgram(t *testing.T, stack string, config map[string]string) *run {
	t.Helper()
	return runMocked(t, stack, config, false, nil)
}

// runProgramReading is runProgram for a stack that reads more stacks than the cluster stacks:
// their outputs by fully qualified name.
func runProgramReading(t *testing.T, stack string, config map[string]string, stacks map[string]map[string]any) *run {
	t.Helper()
	return runMocked(t, stack, config, false, stacks)
}

// runProgramWithSecrets is runProgram with more keys (without the project prefix) set as
// `pulumi config set --secret` sets them.
func runProgramWithSecrets(t *testing.T, stack string, config map[string]string, secret ...string) *run {
	t.Helper()
	return runMocked(t, stack, config, false, nil, secret...)
}

// previewProgram runs the program as the preview of a new stack: a dry run in which what AWS
// computes (ARNs, generated names) is unknown. Outputs are not collected: unknown ones never resolve.
func previewProgram(t *testing.T, stack string, config map[string]string) *run {
	t.Helper()
	t.Setenv("PULUMI_DRY_RUN", "true")
	return runMocked(t, stack, config, true, nil)
}

func runMocked(t *testing.T, stack string, config map[string]string, preview bool, stacks map[string]map[string]any, moreSecrets ...string) *run {
	t.Helper()
	raw, err := json.Marshal(config)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PULUMI_CONFIG", string(raw))
	// As `pulumi config set --secret` would: the program refuses these keys in plaintext.
	var secretKeys []string
	for _, key := range append([]string{"kubeconfig", "existingBucketAccessKey", "existingBucketSecretKey", "chartSecretValues"}, moreSecrets...) {
		if _, ok := config[program.ProjectName+":"+key]; ok {
			secretKeys = append(secretKeys, program.ProjectName+":"+key)
		}
	}
	rawSecretKeys, err := json.Marshal(secretKeys)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PULUMI_CONFIG_SECRET_KEYS", string(rawSecretKeys))
	r := &run{mocks: &mocks{
		preview: preview,
		region:  config["aws:region"],
		stacks: map[string]map[string]any{
			"acme/eks-cluster/dev":  clusterStackOutputs("dev"),
			"acme/eks-cluster/prod": clusterStackOutputs("prod"),
			pulumiEKSStack:          pulumiEKSStackOutputs(t),
		},
	}, outputs: map[string]string{}, values: map[string]any{}}
	maps.Copy(r.stacks, stacks)
	var wg sync.WaitGroup
	r.err = pulumi.RunErr(func(ctx *pulumi.Context) error {
		d, err := program.Deploy(ctx)
		if err != nil {
			return err
		}
		r.deployment = d
		if preview {
			return nil
		}
		for _, o := range d.Outputs {
			name := o.Name
			r.outputList = append(r.outputList, name)
			wg.Add(1)
			o.Value.ApplyT(func(v any) any {
				r.mu.Lock()
				r.outputs[name] = fmt.Sprint(v)
				r.values[name] = v
				r.mu.Unlock()
				wg.Done()
				return nil
			})
		}
		return nil
	}, pulumi.WithMocks(program.ProjectName, stack, r.mocks))
	if r.err == nil {
		wg.Wait()
	}
	return r
}

func (r *run) all(typ string) []registered {
	var out []registered
	for _, res := range r.resources {
		if res.Type == typ {
			out = append(out, res)
		}
	}
	return out
}

func (r *run) one(t *testing.T, typ, name string) registered {
	t.Helper()
	for _, res := range r.resources {
		if res.Type == typ && res.Name == name {
			return res
		}
	}
	t.Fatalf("no %s named %q was registered", typ, name)
	return registered{}
}

// at walks a path of map keys and list indexes ("spec.template.spec.containers.0.args") with
// objects.FieldOK, and fails the test where the path does not exist.
func at(t *testing.T, v any, path string) any {
	t.Helper()
	keys := strings.Split(path, ".")
	out, ok := objects.FieldOK(v, keys...)
	if !ok {
		// Only to name it: the first step with nothing at it.
		for i := range keys {
			if _, ok := objects.FieldOK(v, keys[:i+1]...); !ok {
				t.Fatalf("path %q: nothing at %q", path, strings.Join(keys[:i+1], "."))
			}
		}
	}
	return out
}

func strs(t *testing.T, v any) []string {
	t.Helper()
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("%v is not a list", v)
	}
	var out []string
	for _, e := range list {
		out = append(out, fmt.Sprint(e))
	}
	return out
}
