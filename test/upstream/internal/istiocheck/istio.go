// Package istiocheck runs Istio's own code (release-1.30 branch) over the
// synthesized objects: `istioctl validate` (pkg/config/validation through the
// schema collections, the same ValidateConfig the validating webhook calls)
// on every object, and the analyzers `istioctl analyze --use-kube=false -A`
// runs on each app's objects as one set.
package istiocheck

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/hashicorp/go-multierror"
	"istio.io/istio/istioctl/pkg/cli"
	"istio.io/istio/istioctl/pkg/validate"
	"istio.io/istio/pkg/config"
	"istio.io/istio/pkg/config/analysis/analyzers"
	"istio.io/istio/pkg/config/analysis/diag"
	"istio.io/istio/pkg/config/analysis/local"
	"istio.io/istio/pkg/config/resource"
	"istio.io/istio/pkg/config/schema/collections"
	"istio.io/istio/pkg/log"

	"github.com/cdk8s-azureml-mesh/test/upstream/common"
)

// IstioNamespace is the control plane namespace istioctl assumes by default.
const IstioNamespace = "istio-system"

func init() {
	// Istio's packages log through their own scopes; the harness reports
	// through findings only.
	for _, s := range log.Scopes() {
		s.SetOutputLevel(log.NoneLevel)
	}
}

// IsIstio reports whether Istio's schema collections know the object's kind.
func IsIstio(o *common.Object) bool {
	_, ok := collections.Pilot.FindByGroupVersionAliasesKind(config.GroupVersionKind{Group: o.Group(), Version: o.Version(), Kind: o.Kind})
	return ok
}

var prefixRE = regexp.MustCompile(`^\S+/\S*/\S*:\s*`)

// Validate runs `istioctl validate -f <object>` in process (the cobra
// command istioctl builds, with a context that reaches no cluster) on one
// object written to its own file in dir. Errors and warnings become findings.
func Validate(dir string, o *common.Object) ([]common.Finding, error) {
	file := filepath.Join(dir, fmt.Sprintf("%s-%03d.yaml", o.App, o.Index))
	if err := os.WriteFile(file, o.Raw, 0o644); err != nil {
		return nil, err
	}
	defer os.Remove(file)
	cmd := validate.NewValidateCommand(cli.NewFakeContext(&cli.NewFakeContextOption{IstioNamespace: IstioNamespace}))
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs([]string{"-f", file})
	cmd.SilenceUsage = true
	cmd.SilenceErrors = true
	err := cmd.Execute()

	var fs []common.Finding
	add := func(sev common.Severity, code, msg string) {
		fs = append(fs, common.Finding{Tool: common.ToolIstioValidate, App: o.App, Object: o.Ref(), Code: code, Severity: sev, Message: strings.TrimSpace(msg)})
	}
	if err != nil {
		var errs []error
		if me, ok := err.(*multierror.Error); ok {
			errs = me.Errors
		} else {
			errs = []error{err}
		}
		for _, e := range errs {
			add(common.SevError, "error", prefixRE.ReplaceAllString(e.Error(), ""))
		}
	}
	text := out.String()
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasSuffix(line, " is valid") || line == "validation succeed":
		case strings.Contains(line, "has warnings:"):
			// the warnings follow as "* <warning>" lines
		case strings.HasPrefix(line, "* "):
			add(common.SevWarning, "warning", prefixRE.ReplaceAllString(strings.TrimPrefix(line, "* "), ""))
		default:
			add(common.SevWarning, "warning", line)
		}
	}
	return fs, nil
}

// Analyze runs every analyzer of `istioctl analyze` (analyzers.AllCombined())
// over one app's objects as one file source, offline: default resources as
// with --use-kube=false, all namespaces (-A), the default mesh config.
func Analyze(app *common.App) ([]common.Finding, []string, error) {
	sa := local.NewIstiodAnalyzer(analyzers.AllCombined(), resource.Namespace(""), resource.Namespace(IstioNamespace), nil)
	if err := sa.AddDefaultResources(); err != nil {
		return nil, nil, err
	}
	var fs []common.Finding
	if err := sa.AddReaderKubeSource([]local.ReaderSource{{Name: app.File, Reader: bytes.NewReader(app.Raw)}}); err != nil {
		fs = append(fs, common.Finding{Tool: common.ToolIstioAnalyze, App: app.Slug, Code: "FileParseError", Severity: common.SevError, Message: err.Error()})
	}
	cancel := make(chan struct{})
	defer close(cancel)
	res, err := sa.Analyze(cancel)
	if err != nil {
		return nil, nil, err
	}
	for _, m := range res.Messages {
		obj := ""
		if m.Resource != nil {
			obj = m.Resource.Origin.FriendlyName()
		}
		fs = append(fs, common.Finding{
			Tool: common.ToolIstioAnalyze, App: app.Slug, Object: obj, Code: m.Type.Code(),
			Severity: severity(m.Type.Level()),
			Message:  fmt.Sprintf(m.Type.Template(), m.Parameters...),
		})
	}
	return fs, res.ExecutedAnalyzers, nil
}

func severity(l diag.Level) common.Severity {
	switch l {
	case diag.Error:
		return common.SevError
	case diag.Warning:
		return common.SevWarning
	default:
		return common.SevInfo
	}
}

// Run checks every object of every app with istioctl validate and every
// app with the analyzers.
func Run(apps []*common.App) (*common.Result, []string, error) {
	r := common.NewResult(common.ToolIstioValidate, common.ToolIstioAnalyze)
	dir, err := os.MkdirTemp("", "upstream-istio-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)
	var executed []string
	for _, a := range apps {
		for _, o := range a.Objects {
			fs, err := Validate(dir, o)
			if err != nil {
				return nil, nil, err
			}
			r.Checked(common.ToolIstioValidate, o)
			r.Add(fs...)
		}
		fs, ex, err := Analyze(a)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", a.Slug, err)
		}
		executed = ex
		for _, o := range a.Objects {
			r.Checked(common.ToolIstioAnalyze, o)
		}
		r.Add(fs...)
	}
	return r, executed, nil
}
