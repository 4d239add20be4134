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
	apps, sups := common.RequireAppsAndSuppressions(t, paths)
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
