package common

import (
	"fmt"
	"os"
	"path"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// Tool names, as they appear in reports and in suppressions.yaml.
const (
	ToolIstioValidate = "istio-validate"   // istioctl validate: pkg/config/validation via the schema collections
	ToolIstioAnalyze  = "istioctl-analyze" // pkg/config/analysis/analyzers All(), offline
	ToolCRD           = "crd-validation"   // k8s.io/apiextensions-apiserver: schema, pruning, list types, CEL
	ToolCore          = "kubeconform"      // kubeconform (strict) against schemas generated from swagger.json
	ToolCoreMeta      = "k8s-metadata"     // k8s.io/apimachinery object-meta, name and label validation
	ToolLint          = "kube-score"       // kube-score checks over the library's own workloads
)

// Tools lists the tools in report order.
var Tools = []string{ToolIstioValidate, ToolIstioAnalyze, ToolCRD, ToolCore, ToolCoreMeta, ToolLint}

// Severity of a finding. Every finding, whatever its severity, fails the
// run unless a suppression matches it.
type Severity string

const (
	SevError   Severity = "error"
	SevWarning Severity = "warning"
	SevInfo    Severity = "info"
)

// Finding is one message from one tool about one object (or the app).
type Finding struct {
	Tool       string
	App        string
	Object     string // Ref() of the object, "" when about the app as a whole
	Code       string // tool-specific code: IST0101, a kube-score check id, a field path...
	Severity   Severity
	Message    string
	Suppressed *Suppression
}

func (f Finding) String() string {
	obj := f.Object
	if obj == "" {
		obj = "-"
	}
	return fmt.Sprintf("[%s] %s %s (%s) %s: %s", f.Tool, f.Severity, f.Code, obj, f.App, f.Message)
}

// Suppression silences findings that are expected, each with a reason.
// Tool and Code must match exactly (Code may be a glob); Object, App and
// Message are globs (path.Match syntax, "*" matches "/" too) that default to
// "*". A reason starting with LibraryBugPrefix marks a known library bug to be
// fixed in lib/ (and the entry removed then).
type Suppression struct {
	Tool    string `json:"tool"`
	Code    string `json:"code"`
	Object  string `json:"object,omitempty"`
	App     string `json:"app,omitempty"`
	Message string `json:"message,omitempty"`
	Reason  string `json:"reason"`

	Index int `json:"-"` // 1-based position in the file
	Used  int `json:"-"`
}

// LibraryBugPrefix starts the reason of a suppression for a known library bug.
const LibraryBugPrefix = "LIBRARY BUG:"

// LibraryBug reports whether the suppression marks a known library bug.
func (s *Suppression) LibraryBug() bool { return strings.HasPrefix(s.Reason, LibraryBugPrefix) }

type suppressionFile struct {
	Suppressions []*Suppression `json:"suppressions"`
}

// LoadSuppressions reads the reviewed suppression list.
func LoadSuppressions(file string) ([]*Suppression, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var sf suppressionFile
	if err := yaml.UnmarshalStrict(raw, &sf); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	known := map[string]bool{}
	for _, t := range Tools {
		known[t] = true
	}
	for i, s := range sf.Suppressions {
		s.Index = i + 1
		switch {
		case !known[s.Tool]:
			return nil, fmt.Errorf("%s: suppression %d: unknown tool %q (one of %s)", file, s.Index, s.Tool, strings.Join(Tools, ", "))
		case s.Code == "":
			return nil, fmt.Errorf("%s: suppression %d: code is required", file, s.Index)
		case strings.TrimSpace(s.Reason) == "":
			return nil, fmt.Errorf("%s: suppression %d (%s %s): a reason is required", file, s.Index, s.Tool, s.Code)
		}
		for _, g := range []string{s.Code, s.Object, s.App, s.Message} {
			if _, err := path.Match(globPattern(g), ""); err != nil {
				return nil, fmt.Errorf("%s: suppression %d: bad pattern %q: %v", file, s.Index, g, err)
			}
		}
	}
	return sf.Suppressions, nil
}

// globPattern makes "*" match across "/" by escaping nothing but treating the
// string as a path.Match pattern over a "/"-free copy of the subject.
func globPattern(g string) string {
	if g == "" {
		return "*"
	}
	return strings.ReplaceAll(g, "/", "\x00")
}

func globMatch(g, s string) bool {
	ok, _ := path.Match(globPattern(g), strings.ReplaceAll(s, "/", "\x00"))
	return ok
}

func (s *Suppression) matches(f Finding) bool {
	return s.Tool == f.Tool && globMatch(s.Code, f.Code) && globMatch(s.Object, f.Object) &&
		globMatch(s.App, f.App) && globMatch(s.Message, f.Message)
}

// Apply marks each finding suppressed by the first matching suppression.
func Apply(findings []Finding, sups []*Suppression) []Finding {
	out := make([]Finding, len(findings))
	for i, f := range findings {
		for _, s := range sups {
			if s.matches(f) {
				s.Used++
				f.Suppressed = s
				break
			}
		}
		out[i] = f
	}
	return out
}

// SortFindings orders findings by tool, app, object, code, message.
func SortFindings(fs []Finding) {
	order := map[string]int{}
	for i, t := range Tools {
		order[t] = i
	}
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Tool != b.Tool {
			return order[a.Tool] < order[b.Tool]
		}
		if a.App != b.App {
			return a.App < b.App
		}
		if a.Object != b.Object {
			return a.Object < b.Object
		}
		if a.Code != b.Code {
			return a.Code < b.Code
		}
		return a.Message < b.Message
	})
}
