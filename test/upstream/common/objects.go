// Package common holds what both harness modules share: the app files, findings
// and the suppression list. It depends on sigs.k8s.io/yaml and the standard
// library only, so that each harness module keeps its own Kubernetes version.
package common

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// ManagedByLabel is the label the library puts on the objects it builds
// itself (lib/util/names.ts MANAGED_BY_LABEL).
const ManagedByLabel = "app.kubernetes.io/managed-by"

// ManagedByValue is the value of ManagedByLabel.
const ManagedByValue = "cdk8s-azureml-mesh"

// Object is one document of one app file.
type Object struct {
	App        string // app slug (file name without .yaml)
	File       string
	Index      int    // 0-based document index in the file
	Raw        []byte // the document as written
	Obj        map[string]any
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
}

// Group returns the API group ("" for core).
func (o *Object) Group() string {
	if i := strings.Index(o.APIVersion, "/"); i >= 0 {
		return o.APIVersion[:i]
	}
	return ""
}

// Version returns the API version without the group.
func (o *Object) Version() string {
	if i := strings.Index(o.APIVersion, "/"); i >= 0 {
		return o.APIVersion[i+1:]
	}
	return o.APIVersion
}

// Ref names the object as istioctl does: "Kind namespace/name" or "Kind name".
func (o *Object) Ref() string { return Ref(o.Kind, o.Namespace, o.Name) }

// Ref formats a reference as istioctl's FriendlyName does.
func Ref(kind, namespace, name string) string {
	if namespace != "" {
		return fmt.Sprintf("%s %s/%s", kind, namespace, name)
	}
	return fmt.Sprintf("%s %s", kind, name)
}

// Labels returns metadata.labels.
func (o *Object) Labels() map[string]string {
	out := map[string]string{}
	md, _ := o.Obj["metadata"].(map[string]any)
	ls, _ := md["labels"].(map[string]any)
	for k, v := range ls {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

// ManagedByLibrary reports whether the library itself built the object.
func (o *Object) ManagedByLibrary() bool { return o.Labels()[ManagedByLabel] == ManagedByValue }

// App is every object of one app file.
type App struct {
	Slug    string
	File    string
	Raw     []byte
	Objects []*Object
}

// LoadApps reads every *.yaml file in dir, sorted by name.
func LoadApps(dir string) ([]*App, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var apps []*App
	for _, f := range files {
		a, err := LoadApp(f)
		if err != nil {
			return nil, err
		}
		apps = append(apps, a)
	}
	return apps, nil
}

// LoadApp reads one multi-document YAML file.
func LoadApp(file string) (*App, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	slug := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	app := &App{Slug: slug, File: file, Raw: raw}
	i := 0
	for _, doc := range SplitDocuments(raw) {
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		var m map[string]any
		if err := yaml.Unmarshal(doc, &m); err != nil {
			return nil, fmt.Errorf("%s document %d: %w", file, i, err)
		}
		if m == nil {
			continue
		}
		o := &Object{App: slug, File: file, Index: i, Raw: doc, Obj: m}
		o.APIVersion, _ = m["apiVersion"].(string)
		o.Kind, _ = m["kind"].(string)
		if md, ok := m["metadata"].(map[string]any); ok {
			o.Namespace, _ = md["namespace"].(string)
			o.Name, _ = md["name"].(string)
		}
		app.Objects = append(app.Objects, o)
		i++
	}
	return app, nil
}

// SplitDocuments splits a multi-document YAML stream at "---" lines.
func SplitDocuments(raw []byte) [][]byte {
	var docs [][]byte
	var cur [][]byte
	for _, l := range bytes.Split(raw, []byte("\n")) {
		t := bytes.TrimRight(l, " \t\r")
		if bytes.Equal(t, []byte("---")) || bytes.HasPrefix(t, []byte("--- ")) {
			docs = append(docs, bytes.Join(cur, []byte("\n")))
			cur = nil
			continue
		}
		cur = append(cur, l)
	}
	docs = append(docs, bytes.Join(cur, []byte("\n")))
	return docs
}

func stripComments(doc []byte) []byte {
	var out [][]byte
	for _, l := range bytes.Split(doc, []byte("\n")) {
		if t := bytes.TrimSpace(l); len(t) > 0 && t[0] == '#' {
			continue
		}
		out = append(out, l)
	}
	return bytes.Join(out, []byte("\n"))
}
