package program

import (
	"fmt"
	"regexp"

	"github.com/prometheus-thanos/prometheus-thanos/components/bucket"
)

// The names of the AWS resources the program creates where it creates the bucket. Each is built
// by one function here, which both the resources and the config check (checkAWSNames) use. Every
// name holds clusterName and the stack's name: two stacks of one cluster, in one account and
// region, share none. (The bucket's name is Pulumi's, thanos-<random suffix>, or bucketName; the
// role policies are inline, named within their role.)

// kmsAliasName is the name of the bucket key's alias, unique in the account and region.
func kmsAliasName(clusterName, stack string) string {
	return "alias/" + clusterName + "-" + stack + "-thanos"
}

// iamRoleNames are the IRSA roles' names, unique in the account (IAM is global).
func iamRoleNames(clusterName, stack string) bucket.IRSARoleNames {
	name := func(component string) string { return clusterName + "-" + stack + "-thanos-" + component }
	return bucket.IRSARoleNames{Sidecar: name("sidecar"), Store: name("store"), Compactor: name("compactor")}
}

// AWS's limits on those names.
const (
	// iamRoleNameMax: IAM role names are 1 to 64 characters of [\w+=,.@-].
	iamRoleNameMax = 64
	// kmsAliasNameMax: KMS alias names are at most 256 characters, alias/[a-zA-Z0-9/_-]+.
	kmsAliasNameMax = 256
)

var (
	iamRoleNamePattern  = regexp.MustCompile(`^[\w+=,.@-]+$`)
	kmsAliasNamePattern = regexp.MustCompile(`^alias/[a-zA-Z0-9/_-]+$`)
)

// checkAWSNames refuses an AWS name AWS would refuse at `pulumi up`, after other resources were
// created. clusterName is the key to change; the stack name is not a config key, so where no
// clusterName fits the error names the stack and how to rename it.
func checkAWSNames(r *reader, clusterName, stack string) {
	if !clusterNamePattern.MatchString(clusterName) {
		return // reported as clusterName's own error
	}
	renameStack := "rename the stack (pulumi stack rename)"
	alias := kmsAliasName(clusterName, stack)
	switch {
	case !kmsAliasNamePattern.MatchString(alias):
		r.errs = append(r.errs, fmt.Errorf("the stack name %q: the KMS alias name %q may only hold letters, digits, '/', '_' and '-' after alias/; %s", stack, alias, renameStack))
	case len(alias) > kmsAliasNameMax:
		// With clusterName at most 32 characters and stack names at most 100, never; kept so the
		// rule stays true if either changes.
		r.fail("clusterName", "with the stack name %q the KMS alias name %q is %d characters, KMS allows at most %d", stack, alias, len(alias), kmsAliasNameMax)
	}
	// The longest role name decides; what it holds beside clusterName is fixed by the stack.
	longest := ""
	for _, role := range iamRoleNames(clusterName, stack).All() {
		if !iamRoleNamePattern.MatchString(role) {
			r.errs = append(r.errs, fmt.Errorf("the stack name %q: the IAM role name %q may only hold letters, digits and +=,.@_-; %s", stack, role, renameStack))
		}
		if len(role) > len(longest) {
			longest = role
		}
	}
	if len(longest) <= iamRoleNameMax {
		return
	}
	room := iamRoleNameMax - (len(longest) - len(clusterName)) // for clusterName
	if room < 1 {
		r.errs = append(r.errs, fmt.Errorf("the stack name %q: the IAM role name %q is %d characters, IAM allows at most %d, and no clusterName fits beside this stack name; %s to one of at most %d characters with clusterName %q",
			stack, longest, len(longest), iamRoleNameMax, renameStack, len(stack)-(len(longest)-iamRoleNameMax), clusterName))
		return
	}
	r.fail("clusterName", "the IAM role name %q is %d characters, IAM allows at most %d (it is <clusterName>-<stack>-thanos-<component>, and the stack name is %q); use a clusterName of at most %d characters with this stack, or a shorter stack name",
		longest, len(longest), iamRoleNameMax, stack, room)
}
