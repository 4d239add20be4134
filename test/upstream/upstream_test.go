// Istio's own validation and analyzers (release-1.30) over every synthesized
// object; see the README section "Upstream checks".
package upstream_test

import (
	"testing"

	"github.com/cdk8s-azureml-mesh/test/upstream/common"
	"github.com/cdk8s-azureml-mesh/test/upstream/internal/istiocheck"
)

var paths = common.DefaultPaths(".")

// TestApps: every object of every dumped app, suppressions applied.
func TestApps(t *testing.T) {
	apps, err := common.LoadApps(paths.Apps)
	if err != nil {
		t.Fatal(err)
	}
	if len(apps) == 0 {
		t.Fatalf("no app in %s: run test/upstream/dump-apps.ts first (npm run test:upstream does)", paths.Apps)
	}
	sups, err := common.LoadSuppressions(paths.Suppressions)
	if err != nil {
		t.Fatal(err)
	}
	r, executed, err := istiocheck.Run(apps)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("analyzers executed: %d", len(executed))
	r.Suppress(sups)
	common.RequireClean(t, r, sups, len(apps))
}

// TestBrokenFixture: each check rejects the object built to fail it.
func TestBrokenFixture(t *testing.T) {
	app, err := common.LoadApp(paths.Broken)
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := istiocheck.Run([]*common.App{app})
	if err != nil {
		t.Fatal(err)
	}
	common.RequireExpected(t, r, BrokenExpectations)
}
