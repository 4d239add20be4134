package common

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Result collects what a set of tools checked and found.
type Result struct {
	Tools    []string
	Objects  map[string]int            // tool -> objects checked
	Kinds    map[string]map[string]int // tool -> kind -> objects checked
	Findings []Finding
}

// NewResult starts a result for the given tools.
func NewResult(tools ...string) *Result {
	return &Result{Tools: tools, Objects: map[string]int{}, Kinds: map[string]map[string]int{}}
}

// Checked counts one object as checked by a tool.
func (r *Result) Checked(tool string, o *Object) {
	r.Objects[tool]++
	if r.Kinds[tool] == nil {
		r.Kinds[tool] = map[string]int{}
	}
	r.Kinds[tool][o.Kind]++
}

// Add records findings.
func (r *Result) Add(fs ...Finding) { r.Findings = append(r.Findings, fs...) }

// Of returns the findings of one tool.
func (r *Result) Of(tool string) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Tool == tool {
			out = append(out, f)
		}
	}
	return out
}

// Unsuppressed returns the findings no suppression matched.
func (r *Result) Unsuppressed() []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Suppressed == nil {
			out = append(out, f)
		}
	}
	return out
}

// Suppress applies the suppressions (only those of this result's tools).
func (r *Result) Suppress(sups []*Suppression) {
	r.Findings = Apply(r.Findings, r.own(sups))
	SortFindings(r.Findings)
}

func (r *Result) own(sups []*Suppression) []*Suppression {
	var out []*Suppression
	for _, s := range sups {
		for _, t := range r.Tools {
			if s.Tool == t {
				out = append(out, s)
			}
		}
	}
	return out
}

// Unused returns this result's tools' suppressions that matched nothing.
func (r *Result) Unused(sups []*Suppression) []*Suppression {
	var out []*Suppression
	for _, s := range r.own(sups) {
		if s.Used == 0 {
			out = append(out, s)
		}
	}
	return out
}

// Print writes the per-tool report: objects checked (by kind), findings,
// suppressed findings grouped by reason, and every unsuppressed finding.
func (r *Result) Print(w io.Writer, apps int) {
	for _, t := range r.Tools {
		fs := r.Of(t)
		var open, suppressed, bugs int
		reasons := map[string]int{}
		for _, f := range fs {
			switch {
			case f.Suppressed == nil:
				open++
			case f.Suppressed.LibraryBug():
				bugs++
				reasons[fmt.Sprintf("#%d %s %s: %s", f.Suppressed.Index, f.Suppressed.Code, f.Suppressed.Object, f.Suppressed.Reason)]++
			default:
				suppressed++
				reasons[fmt.Sprintf("#%d %s %s: %s", f.Suppressed.Index, f.Suppressed.Code, f.Suppressed.Object, f.Suppressed.Reason)]++
			}
		}
		fmt.Fprintf(w, "== %s: %d objects checked in %d apps (%s); %d messages: %d unsuppressed, %d suppressed, %d known library bugs\n",
			t, r.Objects[t], apps, kinds(r.Kinds[t]), len(fs), open, suppressed, bugs)
		keys := make([]string, 0, len(reasons))
		for k := range reasons {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "   suppressed %4d x %s\n", reasons[k], oneLine(k))
		}
		for _, f := range fs {
			if f.Suppressed == nil {
				fmt.Fprintf(w, "   UNSUPPRESSED %s\n", oneLine(f.String()))
			}
		}
	}
}

func kinds(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "\t", " ")
	if len(s) > 400 {
		s = s[:400] + "..."
	}
	return s
}
