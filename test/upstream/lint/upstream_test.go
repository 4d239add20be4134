// kube-score over the library's own workloads; see the README section
// "Upstream checks".
package lint_test

import (
	"testing"

	"github.com/cdk8s-azureml-mesh/test/upstream/common"
	"github.com/cdk8s-azureml-mesh/test/upstream/lint"
)

var paths = common.DefaultPaths("..")

// TestApps: every library-built workload of every dumped app, suppressions applied.
func TestApps(t *testing.T) {
	apps, sups := common.RequireAppsAndSuppressions(t, paths)
	r, err := lint.Run(apps)
	if err != nil {
		t.Fatal(err)
	}
	r.Suppress(sups)
	common.RequireClean(t, r, sups, len(apps))
}

// TestBrokenFixture: kube-score rejects a library-labelled workload without resource limits.
func TestBrokenFixture(t *testing.T) {
	app, err := common.LoadApp(paths.Broken)
	if err != nil {
		t.Fatal(err)
	}
	r, err := lint.Run([]*common.App{app})
	if err != nil {
		t.Fatal(err)
	}
	common.RequireExpected(t, r, []common.Expectation{
		{Tool: common.ToolLint, Object: "Deployment broken/no-limits", Code: "container-resources", Contains: "CPU limit is not set"},
	})
}
