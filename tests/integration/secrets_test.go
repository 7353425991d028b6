//go:build integration

package integration

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"

	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/harness"
)

// slackURL is the stack's Alertmanager receiver credential, set through chartSecretValues.
const slackURL = "https://hooks.slack.com/services/T0INTEGRATION/B0INTEGRATION/first-token"

// alertmanagerSecretValues are chart values routing the chart's Alertmanager to Slack at url.
func alertmanagerSecretValues(url string) string {
	return fmt.Sprintf("alertmanager:\n  config:\n    global:\n      slack_api_url: %s\n", url)
}

// previewMasksSecretValues changes the receiver's URL and previews with a diff, as the pull-request
// workflow comments it: neither the old nor the new URL appears, the change shows as a secret.
// The stack's configuration is put back afterwards (the update is not made).
func previewMasksSecretValues(ctx context.Context, t *testing.T, stack auto.Stack) {
	const rotated = "https://hooks.slack.com/services/T0INTEGRATION/B0INTEGRATION/second-token"
	harness.MustSetConfig(ctx, t, stack, map[string]string{"chartSecretValues": alertmanagerSecretValues(rotated)}, "chartSecretValues")
	defer harness.MustSetConfig(ctx, t, stack, map[string]string{"chartSecretValues": alertmanagerSecretValues(slackURL)}, "chartSecretValues")
	var out bytes.Buffer
	rec := harness.NewStepRecorder()
	if _, err := stack.Preview(ctx, optpreview.Diff(), optpreview.ProgressStreams(&out), optpreview.EventStreams(rec.Events)); err != nil {
		t.Fatalf("preview --diff: %v\n%s", err, out.String())
	}
	if changes := rec.Changes(); len(changes) != 1 || !strings.HasSuffix(changes[0].URN, "::"+releaseName) {
		t.Errorf("the preview plans %s, want an update of the Release alone", harness.DescribeSteps(changes))
	}
	for _, url := range []string{slackURL, rotated} {
		if strings.Contains(out.String(), url) {
			t.Errorf("the preview's diff prints %s", url)
		}
	}
	if !strings.Contains(out.String(), "[secret]") {
		t.Errorf("the preview's diff shows no masked value:\n%s", out.String())
	}
}
