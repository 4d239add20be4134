// Package kubectl reads the synthesized manifests folder (the examples'
// dist/, written by run.sh into ../.dist) the way kubectl's client side does
// before it talks to an API server, and builds a kustomization over it:
//
//   - `kubectl apply -f dist/` and `-R`: k8s.io/cli-runtime's resource.Builder
//     (the code behind kubectl's -f, -R and -k flags), local, unstructured,
//     ContinueOnError, as kubectl apply uses it: every .json, .yaml and .yml
//     file is decoded and each document must carry apiVersion, kind and
//     metadata.name;
//   - `kubectl kustomize` over a kustomization.yaml that lists the dist/
//     files: kustomize's own engine (sigs.k8s.io/kustomize/api/krusty, which
//     kubectl embeds), and the same through the builder's -k path.
//
// testdata/with-plan is the layout before issue 13 (the Azure plan inside the
// manifests folder): both checks must reject it, so a check that silently
// stops working fails.
package kubectl

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/resource"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// distDir is the synthesized manifests folder (DIST_DIR, default ../.dist).
func distDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("DIST_DIR")
	if dir == "" {
		dir = filepath.Join("..", ".dist")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(abs)
	if err != nil || len(entries) == 0 {
		t.Fatalf("%s is missing or empty: run test/upstream/run.sh (it synthesizes the examples there first)", abs)
	}
	return abs
}

// decode reads what `kubectl apply` would read for these options, without a server.
func decode(opts *resource.FilenameOptions) ([]*resource.Info, error) {
	return resource.NewLocalBuilder().
		Unstructured().
		ContinueOnError().
		FilenameParam(false, opts).
		Flatten().
		Do().
		Infos()
}

// short cuts an error message (a decode error quotes the whole file).
func short(err error) string {
	msg := err.Error()
	if len(msg) > 300 {
		return msg[:300] + "..."
	}
	return msg
}

// objects is "Kind namespace/name" per decoded object, sorted.
func objects(t *testing.T, infos []*resource.Info) []string {
	t.Helper()
	out := make([]string, 0, len(infos))
	for _, info := range infos {
		gvk := info.Object.GetObjectKind().GroupVersionKind()
		if gvk.Kind == "" || gvk.Version == "" || info.Name == "" {
			t.Errorf("%s: an object without apiVersion, kind or metadata.name: %v", info.Source, gvk)
		}
		out = append(out, fmt.Sprintf("%s %s/%s", gvk.Kind, info.Namespace, info.Name))
	}
	sort.Strings(out)
	return out
}

// manifestFiles lists the files of dir (recursively) and fails on any file kubectl would not read.
func manifestFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch filepath.Ext(p) {
		case ".yaml", ".yml", ".json":
			files = append(files, filepath.ToSlash(rel))
		default:
			t.Errorf("%s: not a manifest file (kubectl skips it; the manifests folder should hold manifests only)", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

func TestApplyFilenames(t *testing.T) {
	dist := distDir(t)
	files := manifestFiles(t, dist)
	var flat []string
	for _, recursive := range []bool{false, true} {
		infos, err := decode(&resource.FilenameOptions{Filenames: []string{dist}, Recursive: recursive})
		if err != nil {
			t.Fatalf("kubectl apply -f %s (recursive %v) would fail: %s", dist, recursive, short(err))
		}
		got := objects(t, infos)
		if len(got) == 0 {
			t.Fatalf("no objects decoded from %s", dist)
		}
		if !recursive {
			flat = got
		} else if strings.Join(got, "\n") != strings.Join(flat, "\n") {
			t.Errorf("-R read %d objects, -f %d: dist/ has no subfolders, so they should agree", len(got), len(flat))
		}
	}
	t.Logf("kubectl apply -f / -R %s: %d files, %d objects decoded", filepath.Base(dist), len(files), len(flat))
}

// kustomizationOver copies the manifests into root/dist and writes
// root/kustomization.yaml listing each of them, as a user would beside dist/.
func kustomizationOver(t *testing.T, manifests string, files []string) string {
	t.Helper()
	root := t.TempDir()
	var list strings.Builder
	list.WriteString("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n")
	for _, f := range files {
		content, err := os.ReadFile(filepath.Join(manifests, f))
		if err != nil {
			t.Fatal(err)
		}
		target := filepath.Join(root, "dist", filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(target, content, 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&list, "  - dist/%s\n", f)
	}
	if err := os.WriteFile(filepath.Join(root, "kustomization.yaml"), []byte(list.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestKustomizationOverDist(t *testing.T) {
	dist := distDir(t)
	files := manifestFiles(t, dist)
	applied, err := decode(&resource.FilenameOptions{Filenames: []string{dist}})
	if err != nil {
		t.Fatalf("kubectl apply -f would fail: %s", short(err))
	}
	root := kustomizationOver(t, dist, files)

	// kubectl kustomize <root>
	resources, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), root)
	if err != nil {
		t.Fatalf("kubectl kustomize over dist/ would fail: %s", short(err))
	}
	if resources.Size() != len(applied) {
		t.Errorf("kustomize built %d resources, kubectl apply -f decodes %d", resources.Size(), len(applied))
	}

	// kubectl apply -k <root>
	infos, err := decode(&resource.FilenameOptions{Kustomize: root})
	if err != nil {
		t.Fatalf("kubectl apply -k would fail: %s", short(err))
	}
	if got, want := strings.Join(objects(t, infos), "\n"), strings.Join(objects(t, applied), "\n"); got != want {
		t.Errorf("apply -k and apply -f read different objects:\n-k:\n%s\n-f:\n%s", got, want)
	}
	t.Logf("kustomization listing %d dist/ files: %d resources built", len(files), resources.Size())
}

// The layout before issue 13: kubectl and kustomize refuse a plan file in the manifests folder.
func TestPlanInManifestsFolderIsRejected(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("testdata", "with-plan"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = decode(&resource.FilenameOptions{Filenames: []string{dir}})
	if err == nil || !strings.Contains(err.Error(), "azure-plan.json") || !strings.Contains(err.Error(), "Object 'Kind' is missing") {
		t.Fatalf("kubectl apply -f should fail on azure-plan.json with \"Object 'Kind' is missing\", got %v", err)
	}
	t.Logf("kubectl apply -f over the old layout: %s", short(err))
	root := kustomizationOver(t, dir, []string{"app.k8s.yaml", "azure-plan.json"})
	if _, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), root); err == nil {
		t.Fatal("kustomize should refuse a kustomization listing azure-plan.json")
	} else {
		t.Logf("kustomize over the old layout: %s", short(err))
	}
}
