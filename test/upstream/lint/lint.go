// Package lint runs kube-score (as a library: its parser, checks and
// scorecard, exactly as its CLI does) over each app and reports the checks
// that fail on the workloads the library itself builds (objects labelled
// app.kubernetes.io/managed-by=cdk8s-azureml-mesh). kube-score v1.20.0 needs
// the Kubernetes API types it was built with (k8s.io/api v0.32), so it lives
// in a module of its own.
package lint

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/zegl/kube-score/config"
	ks "github.com/zegl/kube-score/domain"
	"github.com/zegl/kube-score/parser"
	"github.com/zegl/kube-score/score"
	"github.com/zegl/kube-score/score/checks"
	"github.com/zegl/kube-score/scorecard"

	"github.com/cdk8s-azureml-mesh/test/upstream/common"
)

type namedReader struct {
	*bytes.Reader
	name string
}

func (n namedReader) Name() string { return n.name }

// KubernetesVersion is the cluster version kube-score's stable-API check assumes.
var KubernetesVersion = config.Semver{Major: 1, Minor: 36}

// Run scores every app; objects counts the library's own workloads checked.
func Run(apps []*common.App) (*common.Result, error) {
	r := common.NewResult(common.ToolLint)
	p, err := parser.New(&parser.Config{})
	if err != nil {
		return nil, err
	}
	runConfig := &config.RunConfiguration{
		UseIgnoreChecksAnnotation:   true,
		UseOptionalChecksAnnotation: true,
		KubernetesVersion:           KubernetesVersion,
		MinReplicasDeployment:       2, // the CLI's default
		MinReplicasHPA:              2, // the CLI's default
	}
	for _, a := range apps {
		// All of the app's objects go in, so that the checks that look
		// across objects (network policies, services, PDBs) see them.
		parsed, err := p.ParseFiles([]ks.NamedReader{namedReader{bytes.NewReader(a.Raw), a.File}})
		if err != nil {
			return nil, fmt.Errorf("%s: kube-score parser: %w", a.Slug, err)
		}
		cs := score.RegisterAllChecks(parsed, &checks.Config{}, runConfig)
		card, err := score.Score(parsed, cs, runConfig)
		if err != nil {
			return nil, fmt.Errorf("%s: kube-score: %w", a.Slug, err)
		}
		workloads := map[string]*common.Object{}
		for _, o := range a.Objects {
			if o.ManagedByLibrary() && isWorkload(o.Kind) {
				workloads[o.Ref()] = o
			}
		}
		keys := make([]string, 0, len(*card))
		for k := range *card {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		seen := map[string]bool{}
		for _, k := range keys {
			so := (*card)[k]
			ref := common.Ref(so.TypeMeta.Kind, so.ObjectMeta.Namespace, so.ObjectMeta.Name)
			o, ok := workloads[ref]
			if !ok {
				continue
			}
			if !seen[ref] {
				seen[ref] = true
				r.Checked(common.ToolLint, o)
			}
			for _, c := range so.Checks {
				if c.Skipped || c.Grade >= scorecard.GradeAlmostOK {
					continue
				}
				sev := common.SevWarning
				if c.Grade <= scorecard.GradeCritical {
					sev = common.SevError
				}
				r.Add(common.Finding{Tool: common.ToolLint, App: a.Slug, Object: ref, Code: c.Check.ID, Severity: sev,
					Message: fmt.Sprintf("%s %s: %s", c.Grade, c.Check.Name, comments(c.Comments))})
			}
		}
		for ref, o := range workloads {
			if !seen[ref] {
				r.Checked(common.ToolLint, o)
				r.Add(common.Finding{Tool: common.ToolLint, App: a.Slug, Object: ref, Code: "NotScored", Severity: common.SevError,
					Message: "kube-score did not score this workload"})
			}
		}
	}
	return r, nil
}

func isWorkload(kind string) bool {
	switch kind {
	case "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "ReplicaSet":
		return true
	}
	return false
}

func comments(cs []scorecard.TestScoreComment) string {
	parts := make([]string, 0, len(cs))
	for _, c := range cs {
		s := c.Summary
		if c.Path != "" {
			s = "(" + c.Path + ") " + s
		}
		if c.Description != "" {
			s += " - " + c.Description
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}
