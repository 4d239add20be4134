/**
 * `cdk8s synth` of the examples, as a user runs it (issue 13 item 2): dist/
 * holds only Kubernetes manifests, so `kubectl apply -f dist/` (and `-R`, and
 * a kustomization listing dist/ files) can read it; the Azure plan and the
 * reports go to azureml-mesh.out/ beside it, with `--stdout` too.
 *
 * The client-side step of `kubectl apply -f DIR` is mirrored here: kubectl
 * reads every file ending in .json, .yaml or .yml (recursing with -R) and
 * decodes each YAML or JSON document into an object that must have
 * apiVersion, kind and metadata.name (else "Object 'Kind' is missing").
 * test/upstream/kubectl runs kubectl's own code (k8s.io/cli-runtime) and
 * kustomize over the same folder.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';

const ROOT = path.resolve(__dirname, '..');
const CDK8S = path.join(ROOT, 'node_modules', 'cdk8s-cli', 'bin', 'cdk8s');

/** The problems kubectl's client-side decoding would report for the files under `dir`. */
function kubectlDecodeProblems(dir: string): { problems: string[]; objects: number } {
  const problems: string[] = [];
  let objects = 0;
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const file = path.join(d, e.name);
      const rel = path.relative(dir, file);
      if (e.isDirectory()) { walk(file); continue; }
      if (!/\.(json|ya?ml)$/.test(e.name)) { problems.push(`${rel}: not a manifest file (kubectl skips it)`); continue; }
      const docs = parseAllDocuments(fs.readFileSync(file, 'utf8'));
      for (const [i, doc] of docs.entries()) {
        if (doc.errors.length) { problems.push(`${rel}#${i}: ${doc.errors[0].message}`); continue; }
        const o = doc.toJS();
        if (o === null || o === undefined) continue; // an empty document is skipped by kubectl
        if (typeof o.kind !== 'string' || !o.kind) problems.push(`${rel}#${i}: Object 'Kind' is missing`);
        else if (typeof o.apiVersion !== 'string' || !o.apiVersion) problems.push(`${rel}#${i}: Object 'apiVersion' is missing`);
        else if (!o.metadata || typeof o.metadata.name !== 'string' || !o.metadata.name) problems.push(`${rel}#${i}: ${o.kind} has no metadata.name`);
        else objects++;
      }
    }
  };
  walk(dir);
  return { problems, objects };
}

/** A project folder that runs the repository's examples through `cdk8s synth` (no env override of the output folders). */
function project(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-cdk8s-'));
  fs.writeFileSync(path.join(dir, 'cdk8s.yaml'), [
    'language: typescript',
    `app: node ${JSON.stringify(path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'))} ${JSON.stringify(path.join(ROOT, 'examples/main.ts'))}`,
    'output: dist',
    '',
  ].join('\n'));
  return dir;
}

function env(): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, CDK8S_CHECK_UPGRADE: 'false' };
  delete e.CDK8S_AZUREML_MESH_OUTDIR;
  delete e.CDK8S_AZUREML_MESH_PRINT_WARNINGS;
  delete e.CDK8S_OUTDIR;
  delete e.GITHUB_ACTIONS;
  return e;
}

describe('cdk8s synth of the examples', () => {
  test('dist/ holds only Kubernetes objects; the plan and reports are in azureml-mesh.out/', () => {
    const dir = project();
    try {
      execFileSync(process.execPath, [CDK8S, 'synth', '--no-check-upgrade'], { cwd: dir, env: env(), stdio: 'pipe' });
      const { problems, objects } = kubectlDecodeProblems(path.join(dir, 'dist'));
      expect(problems).toEqual([]);
      expect(objects).toBeGreaterThan(50);
      expect(fs.readdirSync(path.join(dir, 'dist')).every((f) => f.endsWith('.k8s.yaml'))).toBe(true);
      expect(fs.readdirSync(path.join(dir, 'azureml-mesh.out')).sort()).toEqual(['access-map.json', 'access-map.md', 'access-map.mmd', 'azure-plan.json', 'diagnostics.json', 'diagnostics.sarif']);
      const plan = JSON.parse(fs.readFileSync(path.join(dir, 'azureml-mesh.out', 'azure-plan.json'), 'utf8'));
      expect(plan.schemaVersion).toBe(1);
      expect(plan.roleAssignments.length).toBeGreaterThan(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--stdout prints only manifests and still writes the plan, saying where', () => {
    const dir = project();
    try {
      const run = spawnSync(process.execPath, [CDK8S, 'synth', '--stdout', '--no-check-upgrade'], { cwd: dir, env: env(), encoding: 'utf8' });
      expect(run.status).toBe(0);
      const docs = parseAllDocuments(run.stdout).map((d) => d.toJS()).filter(Boolean);
      expect(docs.length).toBeGreaterThan(50);
      expect(docs.every((o) => typeof o.kind === 'string' && typeof o.apiVersion === 'string' && o.metadata?.name)).toBe(true);
      expect(run.stdout).not.toContain('roleAssignments');
      expect(run.stderr).toContain('[cdk8s-azureml-mesh] wrote access-map.json, access-map.md, access-map.mmd, azure-plan.json, diagnostics.json, diagnostics.sarif to azureml-mesh.out/');
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'azureml-mesh.out', 'azure-plan.json'), 'utf8')).schemaVersion).toBe(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the decoding check fails on the old layout (a plan in the manifests folder)', () => {
    const dir = path.join(ROOT, 'test', 'upstream', 'kubectl', 'testdata', 'with-plan');
    expect(kubectlDecodeProblems(dir).problems).toEqual(["azure-plan.json#0: Object 'Kind' is missing"]);
  });
});
