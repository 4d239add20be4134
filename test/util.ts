import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Chart, Testing } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { OUTDIR_CONTEXT } from '../lib';

/** A Kubernetes object as synthesized. */
export type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
};

/** Synthesizes an app through the full path (validation included) and parses the YAML. */
export function synthApp(build: (app: App) => void): { manifests: Manifest[]; yaml: string } {
  const app = Testing.app();
  build(app);
  const yaml = app.synthYaml();
  const manifests = parseAllDocuments(yaml).map((d) => d.toJS() as Manifest).filter(Boolean);
  return { manifests, yaml };
}

/** A chart in a fresh test app. */
export function testChart(namespace?: string): Chart {
  return new Chart(Testing.app(), 'test', namespace ? { namespace } : {});
}

export function ofKind(manifests: Manifest[], kind: string): Manifest[] {
  return manifests.filter((m) => m.kind === kind);
}

export function one(manifests: Manifest[], kind: string, predicate: (m: Manifest) => boolean = () => true): Manifest {
  const found = manifests.filter((m) => m.kind === kind && predicate(m));
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0];
}

export const denyPolicy = (ms: Manifest[]) => one(ms, 'AuthorizationPolicy', (m) => m.spec.action === 'DENY');
export const allowPolicy = (ms: Manifest[]) => one(ms, 'AuthorizationPolicy', (m) => m.spec.action === 'ALLOW');

/** What `app.synth()` wrote to the library's output folder (the plan, the reports). */
export interface MeshOutput {
  /** File names, sorted. */
  readonly files: string[];
  /** diagnostics.sarif, parsed. */
  readonly sarif?: any;
  /** diagnostics.json, parsed. */
  readonly report?: any;
}

/**
 * Runs `build`, then `app.synth()` into a fresh folder (and a fresh folder
 * for the library's own files); returns the error thrown (or undefined),
 * the manifest files written and what went to the library's folder.
 */
export function synthToDisk(build: (app: App) => void): { error?: Error; files: string[]; mesh: MeshOutput } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-mesh-'));
  const meshdir = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-mesh-out-'));
  let error: Error | undefined;
  try {
    const app = new App({ outdir });
    app.node.setContext(OUTDIR_CONTEXT, meshdir);
    build(app);
    app.synth();
  } catch (e) {
    error = e as Error;
  }
  const files = fs.readdirSync(outdir);
  const meshFiles = fs.readdirSync(meshdir).sort();
  const parse = (f: string) => (meshFiles.includes(f) ? JSON.parse(fs.readFileSync(path.join(meshdir, f), 'utf8')) : undefined);
  const mesh = { files: meshFiles, sarif: parse('diagnostics.sarif'), report: parse('diagnostics.json') };
  fs.rmSync(outdir, { recursive: true, force: true });
  fs.rmSync(meshdir, { recursive: true, force: true });
  return { error, files, mesh };
}
