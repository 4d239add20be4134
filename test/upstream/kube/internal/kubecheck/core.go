package kubecheck

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/yannh/kubeconform/pkg/resource"
	"github.com/yannh/kubeconform/pkg/validator"

	"github.com/cdk8s-azureml-mesh/test/upstream/common"
)

// Swagger holds the vendored Kubernetes OpenAPI v2 document.
type Swagger struct {
	defs map[string]map[string]any
	// gvk ("group/version/Kind", "" group for core) -> definition name
	kinds map[string]string
}

// LoadSwagger reads schemas/kubernetes/swagger.json.
func LoadSwagger(file string) (*Swagger, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Definitions map[string]map[string]any `json:"definitions"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	s := &Swagger{defs: doc.Definitions, kinds: map[string]string{}}
	for name, d := range doc.Definitions {
		gvks, _ := d["x-kubernetes-group-version-kind"].([]any)
		if len(gvks) != 1 {
			continue // shared types such as DeleteOptions list many
		}
		g := gvks[0].(map[string]any)
		key := gvkKey(g["group"].(string), g["version"].(string), g["kind"].(string))
		if prev, ok := s.kinds[key]; !ok || name < prev {
			s.kinds[key] = name
		}
	}
	return s, nil
}

func gvkKey(group, version, kind string) string { return group + "/" + version + "/" + kind }

// Has reports whether the OpenAPI document defines the object's kind.
func (s *Swagger) Has(o *common.Object) bool {
	_, ok := s.kinds[gvkKey(o.Group(), o.Version(), o.Kind)]
	return ok
}

// kubeconformFileName is the name kubeconform's registry template
// "{{ .ResourceKind }}{{ .KindSuffix }}.json" gives a kind.
func kubeconformFileName(group, version, kind string) string {
	suffix := ""
	if group != "" {
		suffix = "-" + strings.ToLower(strings.Split(group, ".")[0])
	}
	return strings.ToLower(kind) + suffix + "-" + strings.ToLower(version) + ".json"
}

// WriteStandaloneStrict writes one standalone JSON schema per kind into dir,
// the form kubeconform reads (what openapi2jsonschema calls
// "standalone-strict"): the kind's definition with every definition it
// reaches inlined under "definitions", "additionalProperties": false on every
// object with declared properties, IntOrString as string-or-integer and
// Quantity as string-or-number (both accepted by the API server's decoder).
func (s *Swagger) WriteStandaloneStrict(dir string) (int, error) {
	n := 0
	keys := make([]string, 0, len(s.kinds))
	for k := range s.kinds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	written := map[string]string{}
	for _, key := range keys {
		parts := strings.SplitN(key, "/", 3)
		fname := kubeconformFileName(parts[0], parts[1], parts[2])
		if prev, ok := written[fname]; ok {
			return n, fmt.Errorf("%s and %s both map to %s", prev, key, fname)
		}
		written[fname] = key
		root := s.kinds[key]
		defs := map[string]any{}
		s.closure(root, defs)
		doc := map[string]any{}
		for k, v := range strict(s.defs[root]).(map[string]any) {
			doc[k] = v
		}
		doc["definitions"] = defs
		b, err := json.Marshal(doc)
		if err != nil {
			return n, err
		}
		if err := os.WriteFile(filepath.Join(dir, fname), b, 0o644); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

const refPrefix = "#/definitions/"

func (s *Swagger) closure(name string, into map[string]any) {
	if _, ok := into[name]; ok {
		return
	}
	d, ok := s.defs[name]
	if !ok {
		return
	}
	into[name] = strict(d)
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			for k, x := range t {
				if k == "$ref" {
					if r, ok := x.(string); ok && strings.HasPrefix(r, refPrefix) {
						s.closure(strings.TrimPrefix(r, refPrefix), into)
					}
					continue
				}
				walk(x)
			}
		case []any:
			for _, x := range t {
				walk(x)
			}
		}
	}
	walk(d)
}

// strict returns a copy of a schema node with the strict rewrites applied.
func strict(v any) any {
	switch t := v.(type) {
	case map[string]any:
		if t["format"] == "int-or-string" {
			return map[string]any{"oneOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "integer"}}}
		}
		out := map[string]any{}
		for k, x := range t {
			if k == "properties" {
				props := map[string]any{}
				for pk, pv := range x.(map[string]any) {
					props[pk] = strict(pv)
				}
				out[k] = props
				continue
			}
			out[k] = strict(x)
		}
		if _, hasProps := t["properties"]; hasProps {
			if _, hasAP := t["additionalProperties"]; !hasAP {
				out["additionalProperties"] = false
			}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = strict(x)
		}
		return out
	default:
		return v
	}
}

// quantityFix: the Quantity definition is a string in OpenAPI, but the API
// server's decoder also takes a JSON number; kubeconform's published schemas
// say the same.
func (s *Swagger) quantityFix() {
	if q, ok := s.defs["io.k8s.apimachinery.pkg.api.resource.Quantity"]; ok {
		delete(q, "type")
		q["oneOf"] = []any{map[string]any{"type": "string"}, map[string]any{"type": "number"}}
	}
}

// Kubeconform validates built-in objects with kubeconform in strict mode
// (unknown fields and duplicate keys are errors) against the schemas written
// by WriteStandaloneStrict; nothing is downloaded.
type Kubeconform struct {
	v       validator.Validator
	Schemas int
	dir     string
}

// NewKubeconform writes the schemas into a temporary folder and builds the validator.
func NewKubeconform(s *Swagger) (*Kubeconform, error) {
	dir, err := os.MkdirTemp("", "upstream-kubeconform-")
	if err != nil {
		return nil, err
	}
	s.quantityFix()
	n, err := s.WriteStandaloneStrict(dir)
	if err != nil {
		return nil, err
	}
	v, err := validator.New([]string{filepath.Join(dir, "{{ .ResourceKind }}{{ .KindSuffix }}.json")}, validator.Opts{
		Strict:            true,
		KubernetesVersion: "1.36.0",
	})
	if err != nil {
		return nil, err
	}
	return &Kubeconform{v: v, Schemas: n, dir: dir}, nil
}

// Close removes the temporary schemas.
func (k *Kubeconform) Close() { _ = os.RemoveAll(k.dir) }

// Validate checks one built-in object.
func (k *Kubeconform) Validate(o *common.Object) []common.Finding {
	res := k.v.ValidateResource(resource.Resource{Path: o.File, Bytes: o.Raw})
	var out []common.Finding
	add := func(code, msg string) {
		out = append(out, common.Finding{Tool: common.ToolCore, App: o.App, Object: o.Ref(), Code: code, Severity: common.SevError, Message: msg})
	}
	switch res.Status {
	case validator.Valid:
	case validator.Invalid:
		if len(res.ValidationErrors) == 0 {
			add("Invalid", res.Err.Error())
		}
		// The causes kubeconform lists are the first level only ("validation
		// failed" for a nested one); its error text has the whole tree.
		detail := res.Err.Error()
		if i := strings.Index(detail, " - at "); i >= 0 {
			detail = detail[i+3:]
		}
		for _, e := range res.ValidationErrors {
			add(e.Path, e.Msg+": "+detail)
		}
	case validator.Error:
		add("Error", res.Err.Error())
	case validator.Skipped, validator.Empty:
		add("NotValidated", fmt.Sprintf("kubeconform did not validate the object (status %d, %v)", res.Status, res.Err))
	}
	return out
}
