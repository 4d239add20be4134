// Package kubecheck runs Kubernetes' own validation code (1.36 libraries)
// over the synthesized objects: k8s.io/apiextensions-apiserver for every
// custom resource against its vendored CRD, kubeconform against schemas
// generated from the vendored swagger.json for every built-in object, and
// k8s.io/apimachinery's object-meta, name and label validation.
package kubecheck

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apiextensions-apiserver/pkg/registry/customresource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured/unstructuredscheme"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"github.com/cdk8s-azureml-mesh/test/upstream/common"
)

// crdVersion is everything the API server builds to validate one served
// version of one CRD (as in apiextensions-apiserver's crdHandler).
type crdVersion struct {
	source     string // file under schemas/
	crdName    string
	gvk        schema.GroupVersionKind
	structural *structuralschema.Structural
	strategy   interface {
		Validate(ctx context.Context, obj runtime.Object) field.ErrorList
	}
	preserveUnknownFields bool
}

// CRDs holds every served version of every vendored CRD, by GVK.
type CRDs struct {
	byGVK   map[schema.GroupVersionKind]*crdVersion
	byGroup map[string]bool
	Files   []string
	Count   int
}

// LoadCRDs reads every CustomResourceDefinition in schemas/ (YAML files,
// recursively; kubernetes/ holds the built-in OpenAPI and is skipped).
func LoadCRDs(schemasDir string) (*CRDs, error) {
	c := &CRDs{byGVK: map[schema.GroupVersionKind]*crdVersion{}, byGroup: map[string]bool{}}
	err := filepath.WalkDir(schemasDir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !(strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			return nil
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(schemasDir, p)
		found := false
		for _, doc := range common.SplitDocuments(raw) {
			var head struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
			}
			if err := yaml.Unmarshal(doc, &head); err != nil || head.Kind != "CustomResourceDefinition" {
				continue
			}
			if head.APIVersion != "apiextensions.k8s.io/v1" {
				return fmt.Errorf("%s: CRD with apiVersion %q: only apiextensions.k8s.io/v1 is served by Kubernetes 1.36", rel, head.APIVersion)
			}
			crd := &apiextensionsv1.CustomResourceDefinition{}
			if err := yaml.UnmarshalStrict(doc, crd); err != nil {
				return fmt.Errorf("%s: %w", rel, err)
			}
			apiextensionsv1.SetObjectDefaults_CustomResourceDefinition(crd)
			if err := c.add(rel, crd); err != nil {
				return fmt.Errorf("%s: CRD %s: %w", rel, crd.Name, err)
			}
			found = true
		}
		if found {
			c.Files = append(c.Files, rel)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(c.Files)
	return c, nil
}

func (c *CRDs) add(source string, crd *apiextensionsv1.CustomResourceDefinition) error {
	c.Count++
	c.byGroup[crd.Spec.Group] = true
	for _, v := range crd.Spec.Versions {
		if !v.Served {
			continue
		}
		gvk := schema.GroupVersionKind{Group: crd.Spec.Group, Version: v.Name, Kind: crd.Spec.Names.Kind}
		if prev, ok := c.byGVK[gvk]; ok {
			return fmt.Errorf("%s is also defined by %s", gvk, prev.source)
		}
		// Schema for the version, converted to the internal type, made
		// structural and stripped of defaults the way crdHandler does it.
		val := v.Schema
		if val == nil {
			return fmt.Errorf("version %s has no schema", v.Name)
		}
		internal := &apiextensionsinternal.CustomResourceValidation{}
		if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(val, internal, nil); err != nil {
			return fmt.Errorf("converting the schema of %s to internal: %w", v.Name, err)
		}
		s, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
		if err != nil {
			return fmt.Errorf("schema of %s is not structural: %w", v.Name, err)
		}
		s = s.DeepCopy()
		if err := structuraldefaulting.PruneDefaults(s); err != nil {
			return fmt.Errorf("pruning defaults of %s: %w", v.Name, err)
		}
		validator, _, err := apiservervalidation.NewSchemaValidator(internal.OpenAPIV3Schema)
		if err != nil {
			return fmt.Errorf("schema validator of %s: %w", v.Name, err)
		}
		var statusSpec *apiextensionsinternal.CustomResourceSubresourceStatus
		var statusValidator apiservervalidation.SchemaValidator
		if v.Subresources != nil && v.Subresources.Status != nil {
			statusSpec = &apiextensionsinternal.CustomResourceSubresourceStatus{}
			if st, ok := internal.OpenAPIV3Schema.Properties["status"]; ok {
				if statusValidator, _, err = apiservervalidation.NewSchemaValidator(&st); err != nil {
					return err
				}
			}
		}
		var scaleSpec *apiextensionsinternal.CustomResourceSubresourceScale
		if v.Subresources != nil && v.Subresources.Scale != nil {
			scaleSpec = &apiextensionsinternal.CustomResourceSubresourceScale{}
			if err := apiextensionsv1.Convert_v1_CustomResourceSubresourceScale_To_apiextensions_CustomResourceSubresourceScale(v.Subresources.Scale, scaleSpec, nil); err != nil {
				return err
			}
		}
		strategy := customresource.NewStrategy(
			unstructuredscheme.NewUnstructuredObjectTyper(),
			crd.Spec.Scope == apiextensionsv1.NamespaceScoped,
			gvk,
			validator,
			statusValidator,
			s,
			statusSpec,
			scaleSpec,
			v.SelectableFields,
		)
		c.byGVK[gvk] = &crdVersion{
			source: source, crdName: crd.Name, gvk: gvk, structural: s, strategy: strategy,
			preserveUnknownFields: crd.Spec.PreserveUnknownFields,
		}
	}
	return nil
}

// Covers reports whether a vendored CRD defines the object's API group.
func (c *CRDs) Covers(group string) bool { return c.byGroup[group] }

// Validate runs, for one custom resource, what the API server runs on a
// create with fieldValidation=Strict (kubectl's default): unknown metadata
// and spec fields are errors (objectmeta coercion and pruning with
// unknown-field tracking), nulls are dropped and defaults applied, then the
// registry strategy validates: object meta, the OpenAPI schema, list-type
// invariants and the x-kubernetes-validations CEL rules.
func (c *CRDs) Validate(o *common.Object) (findings []common.Finding, checked bool) {
	gvk := schema.FromAPIVersionAndKind(o.APIVersion, o.Kind)
	v, ok := c.byGVK[gvk]
	if !ok {
		return []common.Finding{{
			Tool: common.ToolCRD, App: o.App, Object: o.Ref(), Code: "NoCRD", Severity: common.SevError,
			Message: fmt.Sprintf("no vendored CRD serves %s (groups with CRDs: %s)", gvk, strings.Join(c.groups(), ", ")),
		}}, false
	}
	add := func(code, msg string) {
		findings = append(findings, common.Finding{
			Tool: common.ToolCRD, App: o.App, Object: o.Ref(), Code: code, Severity: common.SevError, Message: msg,
		})
	}
	obj, err := decode(o)
	if err != nil {
		add("Decode", err.Error())
		return findings, true
	}
	u := &unstructured.Unstructured{Object: obj}
	if !v.preserveUnknownFields {
		ferr, unknownMeta := schemaobjectmeta.CoerceWithOptions(nil, u.Object, v.structural, true, schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true})
		if ferr != nil {
			add(string(ferr.Type), ferr.Error())
		}
		for _, p := range unknownMeta {
			add("UnknownField", fmt.Sprintf("strict decoding error: unknown field %q", p))
		}
		unknown := structuralpruning.PruneWithOptions(u.Object, v.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
		for _, p := range unknown {
			add("UnknownField", fmt.Sprintf("strict decoding error: unknown field %q", p))
		}
		structuraldefaulting.PruneNonNullableNullsWithoutDefaults(u.Object, v.structural)
		structuraldefaulting.Default(u.Object, v.structural)
	}
	for _, e := range v.strategy.Validate(context.Background(), u) {
		add(string(e.Type), e.Error())
	}
	return findings, true
}

// decode reads the document as the API server does: YAML to JSON, then
// apimachinery's JSON decoding (whole numbers become int64).
func decode(o *common.Object) (map[string]any, error) {
	j, err := yaml.YAMLToJSONStrict(o.Raw)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := utiljson.Unmarshal(j, &m); err != nil {
		return nil, err
	}
	return m, nil
}

func (c *CRDs) groups() []string {
	var gs []string
	for g := range c.byGroup {
		gs = append(gs, g)
	}
	sort.Strings(gs)
	return gs
}
