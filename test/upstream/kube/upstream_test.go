// Kubernetes' own validation (1.36 libraries) over every synthesized object;
// see the README section "Upstream checks".
package kube_test

import (
	"testing"

	"github.com/cdk8s-azureml-mesh/test/upstream/common"
	"github.com/cdk8s-azureml-mesh/test/upstream/kube/internal/kubecheck"
)

var paths = common.DefaultPaths("..")

func newChecker(t *testing.T) *kubecheck.Checker {
	t.Helper()
	c, err := kubecheck.New(paths.Schemas)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	t.Logf("%d CRDs from %d files, %d kubeconform schemas generated from swagger.json", c.CRDs.Count, len(c.CRDs.Files), c.Kubeconform.Schemas)
	return c
}

// TestApps: every object of every dumped app, suppressions applied.
func TestApps(t *testing.T) {
	apps, sups := common.RequireAppsAndSuppressions(t, paths)
	r := newChecker(t).Run(apps)
	r.Suppress(sups)
	common.RequireClean(t, r, sups, len(apps))
}

// TestBrokenFixture: each check rejects the object built to fail it.
func TestBrokenFixture(t *testing.T) {
	app, err := common.LoadApp(paths.Broken)
	if err != nil {
		t.Fatal(err)
	}
	r := newChecker(t).Run([]*common.App{app})
	common.RequireExpected(t, r, BrokenExpectations)
}
