package kubecheck

import (
	"fmt"

	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/cdk8s-azureml-mesh/test/upstream/common"
)

// clusterScoped lists the built-in kinds that have no namespace.
var clusterScoped = map[string]bool{
	"Namespace": true, "Node": true, "PersistentVolume": true, "ClusterRole": true, "ClusterRoleBinding": true,
	"StorageClass": true, "PriorityClass": true, "IngressClass": true, "RuntimeClass": true, "CSIDriver": true,
	"CSINode": true, "VolumeAttachment": true, "ValidatingWebhookConfiguration": true,
	"MutatingWebhookConfiguration": true, "ValidatingAdmissionPolicy": true, "ValidatingAdmissionPolicyBinding": true,
	"CustomResourceDefinition": true, "APIService": true, "CertificateSigningRequest": true,
}

// nameRule is the name validation Kubernetes applies to a kind (the
// ValidateXName functions of pkg/apis/*/validation, all built on these
// apimachinery helpers).
func nameRule(kind string) (apimachineryvalidation.ValidateNameFunc, string) {
	switch kind {
	case "Namespace":
		return apimachineryvalidation.ValidateNamespaceName, "DNS-1123 label"
	case "Service":
		return apimachineryvalidation.NameIsDNS1035Label, "DNS-1035 label"
	default:
		return apimachineryvalidation.NameIsDNSSubdomain, "DNS-1123 subdomain"
	}
}

// ValidateMeta runs k8s.io/apimachinery's ObjectMeta validation
// (ValidateObjectMetaAccessor: name, generateName, namespace, labels,
// annotations, owner references, finalizers) with the kind's name rule, and
// the label and name rules Kubernetes applies inside workloads: pod template
// labels, label selectors, container names (DNS-1123 labels), container port
// names (IANA service names), and a CronJob name's 52-character limit.
func ValidateMeta(o *common.Object) []common.Finding {
	var out []common.Finding
	add := func(errs field.ErrorList) {
		for _, e := range errs {
			out = append(out, common.Finding{Tool: common.ToolCoreMeta, App: o.App, Object: o.Ref(), Code: string(e.Type), Severity: common.SevError, Message: e.Error()})
		}
	}
	obj, err := decode(o)
	if err != nil {
		add(field.ErrorList{field.Invalid(field.NewPath(""), "", err.Error())})
		return out
	}
	u := &unstructured.Unstructured{Object: obj}
	fn, _ := nameRule(o.Kind)
	add(apimachineryvalidation.ValidateObjectMetaAccessor(u, !clusterScoped[o.Kind], fn, field.NewPath("metadata")))
	if o.Kind == "CronJob" && len(o.Name) > 52 {
		add(field.ErrorList{field.Invalid(field.NewPath("metadata", "name"), o.Name, "must be no more than 52 characters")})
	}

	var templates []*field.Path
	switch o.Kind {
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job":
		templates = append(templates, field.NewPath("spec", "template"))
	case "CronJob":
		templates = append(templates, field.NewPath("spec", "jobTemplate", "spec", "template"))
	case "Pod":
		add(podSpec(field.NewPath("spec"), obj["spec"]))
	}
	for _, t := range templates {
		tmpl := lookup(obj, t)
		if tm, ok := tmpl.(map[string]any); ok {
			if md, ok := tm["metadata"].(map[string]any); ok {
				add(metav1validation.ValidateLabels(stringMap(md["labels"]), t.Child("metadata", "labels")))
				add(apimachineryvalidation.ValidateAnnotations(stringMap(md["annotations"]), t.Child("metadata", "annotations")))
			}
			add(podSpec(t.Child("spec"), tm["spec"]))
		}
	}
	for _, p := range []*field.Path{field.NewPath("spec", "selector")} {
		sel, ok := lookup(obj, p).(map[string]any)
		if !ok {
			continue
		}
		switch o.Kind {
		case "Service":
			add(metav1validation.ValidateLabels(stringMap(sel), p))
		case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job":
			add(metav1validation.ValidateLabels(stringMap(sel["matchLabels"]), p.Child("matchLabels")))
		}
	}
	return out
}

func podSpec(p *field.Path, spec any) field.ErrorList {
	var errs field.ErrorList
	s, ok := spec.(map[string]any)
	if !ok {
		return errs
	}
	for _, list := range []string{"initContainers", "containers"} {
		cs, _ := s[list].([]any)
		for i, c := range cs {
			cm, _ := c.(map[string]any)
			cp := p.Child(list).Index(i)
			if name, _ := cm["name"].(string); name != "" {
				for _, msg := range validation.IsDNS1123Label(name) {
					errs = append(errs, field.Invalid(cp.Child("name"), name, msg))
				}
			}
			ports, _ := cm["ports"].([]any)
			for j, port := range ports {
				pm, _ := port.(map[string]any)
				if name, _ := pm["name"].(string); name != "" {
					for _, msg := range validation.IsValidPortName(name) {
						errs = append(errs, field.Invalid(cp.Child("ports").Index(j).Child("name"), name, msg))
					}
				}
			}
		}
	}
	if sa, _ := s["serviceAccountName"].(string); sa != "" {
		for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(sa, false) {
			errs = append(errs, field.Invalid(p.Child("serviceAccountName"), sa, msg))
		}
	}
	return errs
}

func lookup(obj map[string]any, p *field.Path) any {
	var cur any = obj
	for _, s := range splitPath(p.String()) {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[s]
	}
	return cur
}

func splitPath(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

func stringMap(v any) map[string]string {
	out := map[string]string{}
	m, _ := v.(map[string]any)
	for k, x := range m {
		out[k] = fmt.Sprint(x)
	}
	return out
}
