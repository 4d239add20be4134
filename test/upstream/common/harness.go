package common

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Paths are the harness inputs, relative to the module that runs the tests.
type Paths struct {
	Apps         string // folder of <slug>.yaml written by dump-apps.ts
	Suppressions string
	Schemas      string // the repository's schemas/
	Broken       string // the deliberately broken fixture
}

// DefaultPaths resolves the inputs from upstreamDir (test/upstream);
// UPSTREAM_APPS overrides the apps folder.
func DefaultPaths(upstreamDir string) Paths {
	p := Paths{
		Apps:         filepath.Join(upstreamDir, ".apps"),
		Suppressions: filepath.Join(upstreamDir, "suppressions.yaml"),
		Schemas:      filepath.Join(upstreamDir, "..", "..", "schemas"),
		Broken:       filepath.Join(upstreamDir, "testdata", "broken.yaml"),
	}
	if a := os.Getenv("UPSTREAM_APPS"); a != "" {
		p.Apps = a
	}
	return p
}

// Expectation is a finding a tool must report on the broken fixture.
type Expectation struct {
	Tool     string
	Object   string // exact Ref()
	Code     string // exact, or "" for any
	Contains string // substring of the message, or "" for any
}

// RequireExpected fails t for every expectation no finding meets, and logs
// what the tools reported on each object.
func RequireExpected(t *testing.T, r *Result, exps []Expectation) {
	t.Helper()
	for _, f := range r.Findings {
		t.Logf("finding: %s", f.String())
	}
	for _, e := range exps {
		found := false
		for _, f := range r.Findings {
			if f.Tool == e.Tool && f.Object == e.Object && (e.Code == "" || f.Code == e.Code) && strings.Contains(f.Message, e.Contains) {
				found = true
				break
			}
		}
		if !found {
			var got []string
			for _, f := range r.Findings {
				if f.Tool == e.Tool && f.Object == e.Object {
					got = append(got, "\n    "+f.String())
				}
			}
			t.Errorf("%s did not report %q (code %q) on %s; it reported:%s", e.Tool, e.Contains, e.Code, e.Object, strings.Join(got, ""))
		} else {
			t.Logf("ok: %s rejects %s (%s %q)", e.Tool, e.Object, e.Code, e.Contains)
		}
	}
}

// RequireClean prints the report and fails t on any unsuppressed finding or
// any of the result's suppressions that matched nothing.
func RequireClean(t *testing.T, r *Result, sups []*Suppression, apps int) {
	t.Helper()
	var b strings.Builder
	r.Print(&b, apps)
	// Printed on stdout so that the per-tool counts show without -v.
	os.Stdout.WriteString(b.String())
	for _, f := range r.Unsuppressed() {
		t.Errorf("unsuppressed: %s", f.String())
	}
	for _, s := range r.Unused(sups) {
		t.Errorf("suppression #%d (%s %s %q) matched nothing: remove it from suppressions.yaml", s.Index, s.Tool, s.Code, s.Object)
	}
}

// RequireAppsAndSuppressions loads every dumped app and the reviewed
// suppressions, failing the test when either is missing or malformed.
func RequireAppsAndSuppressions(t *testing.T, p Paths) ([]*App, []*Suppression) {
	t.Helper()
	apps, err := LoadApps(p.Apps)
	if err != nil {
		t.Fatal(err)
	}
	if len(apps) == 0 {
		t.Fatalf("no app in %s: run test/upstream/dump-apps.ts first (npm run test:upstream does)", p.Apps)
	}
	sups, err := LoadSuppressions(p.Suppressions)
	if err != nil {
		t.Fatal(err)
	}
	return apps, sups
}
