package mocks

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// awsNames are the names a run gave its account-wide and region-wide AWS resources: the KMS
// alias and the IAM roles. (The bucket's name is Pulumi's, with a random suffix, or bucketName; the
// role policies are inline, named within their role.)
func awsNames(t *testing.T, r *run) []string {
	t.Helper()
	var names []string
	for _, typ := range []string{"aws:kms/alias:Alias", "aws:iam/role:Role"} {
		for _, res := range r.all(typ) {
			names = append(names, typ+" "+res.Inputs["name"].(string))
		}
	}
	return names
}

// TestAWSNamesAreUniquePerStack: two stacks of the same cluster (same clusterName) in one account
// and region share no AWS name, so the second one's `pulumi up` does not fail on the first's.
func TestAWSNamesAreUniquePerStack(t *testing.T) {
	config := stackConfig(t, "dev")
	first := runProgram(t, "dev", config)
	second := runProgram(t, "dev-canary", config)
	if first.err != nil || second.err != nil {
		t.Fatalf("runs: %v, %v", first.err, second.err)
	}
	a, b := awsNames(t, first), awsNames(t, second)
	if len(a) != 4 || len(b) != 4 {
		t.Fatalf("names %v and %v, want an alias and three roles each", a, b)
	}
	for _, name := range a {
		if slices.Contains(b, name) {
			t.Errorf("both stacks name a resource %s", name)
		}
	}
	// The alias, like the roles, is <clusterName>-<stack>-thanos...
	if alias := first.one(t, "aws:kms/alias:Alias", "thanos").Inputs["name"]; alias != "alias/dev-eu-west-1-dev-thanos" {
		t.Errorf("alias %v, want alias/dev-eu-west-1-dev-thanos", alias)
	}
}

// TestAWSNamesWithinAWSLimits: a name AWS would refuse (an IAM role name over 64 characters, a KMS
// alias with a character it does not allow) fails in config, before any resource is registered,
// naming what makes it too long and what is allowed.
func TestAWSNamesWithinAWSLimits(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	cases := []struct {
		name, stack string
		set         map[string]string
		want        []string // empty: accepted
	}{
		// <clusterName>-<stack>-thanos-compactor: 32 + 1 + 14 + 17 = 64.
		{"longest role name at the limit", long(14), map[string]string{"prometheus-thanos:clusterName": long(32)}, nil},
		{"role name over the limit", long(15), map[string]string{"prometheus-thanos:clusterName": long(32)},
			[]string{"prometheus-thanos:clusterName", `IAM role name "` + long(32) + "-" + long(15) + `-thanos-compactor" is 65 characters`, "at most 64", "the stack name", "at most 31 characters with this stack"}},
		{"stack name too long for any role name", long(47), nil,
			[]string{"the stack name " + `"` + long(47) + `"`, "IAM role name", "at most 64", "no clusterName fits", "pulumi stack rename"}},
		{"stack name a KMS alias cannot hold", "prod.eu", nil,
			[]string{"the stack name \"prod.eu\"", `KMS alias name "alias/dev-eu-west-1-prod.eu-thanos"`, "letters, digits, '/', '_' and '-'", "pulumi stack rename"}},
		// An existing bucket: the program creates no AWS resource, so no AWS name to check.
		{"existing bucket with a long stack name", long(60), map[string]string{"prometheus-thanos:existingBucketName": "blocks", "prometheus-thanos:existingBucketAccessKey": "AKIA", "prometheus-thanos:existingBucketSecretKey": "secret"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			config := stackConfig(t, "dev")
			maps.Copy(config, c.set)
			r := runProgram(t, c.stack, config)
			if len(c.want) == 0 {
				if r.err != nil {
					t.Fatalf("stack %q refused: %v", c.stack, r.err)
				}
				return
			}
			if r.err == nil {
				t.Fatalf("stack %q with %v was accepted; AWS names %v", c.stack, c.set, awsNames(t, r))
			}
			for _, want := range c.want {
				if !strings.Contains(r.err.Error(), want) {
					t.Errorf("error %q does not contain %q", r.err, want)
				}
			}
			if len(r.resources) != 0 {
				t.Errorf("%d resources were registered before the error, first %s %s", len(r.resources), r.resources[0].Type, r.resources[0].Name)
			}
		})
	}
}
