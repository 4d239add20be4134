import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'cdk8s';
import { IConstruct } from 'constructs';

/**
 * App context key: the folder that `app.synth()` writes the library's own
 * files to (the Azure plan, the diagnostics in JSON and SARIF), outside the
 * manifests folder so that `kubectl apply -f dist/` reads manifests only.
 * The environment variable `CDK8S_AZUREML_MESH_OUTDIR` does the same; the
 * context wins. A relative path is relative to the working directory, as
 * cdk8s's own `outdir` (`dist`) is.
 *
 * @default - `azureml-mesh.out` ({@link DEFAULT_OUTDIR})
 */
export const OUTDIR_CONTEXT = 'cdk8s-azureml-mesh/outdir';
/** Environment variable for {@link OUTDIR_CONTEXT}. */
export const OUTDIR_ENV = 'CDK8S_AZUREML_MESH_OUTDIR';
/** The folder of the library's own files when neither the context nor the environment names one: beside `dist/`, like `cdk.out`. */
export const DEFAULT_OUTDIR = 'azureml-mesh.out';

/** The folder that `app.synth()` writes the plan and the diagnostics to ({@link OUTDIR_CONTEXT}). */
export function meshOutdir(scope: IConstruct): string {
  const v = scope.node.root.node.tryGetContext(OUTDIR_CONTEXT) ?? process.env[OUTDIR_ENV];
  return typeof v === 'string' && v !== '' ? v : DEFAULT_OUTDIR;
}

/** What one `app.synth()` came to, handed to every artifact. */
export interface SynthOutcome {
  /** What `app.synth()` threw, if it did (validation errors, or anything else). */
  readonly error?: unknown;
}

/**
 * One file in the library's output folder: its content for this synth, or
 * undefined to remove it (so a failed synth never leaves a stale plan).
 */
export type ArtifactProducer = (outcome: SynthOutcome) => string | undefined;

/** Told after the files are written: the folder, the files written, the outcome. */
export type SynthListener = (outcome: SynthOutcome, outdir: string, written: string[]) => void;

/**
 * The library's files written by `app.synth()` beside the manifests: one per
 * app, installed by the first construct that needs it. It wraps `app.synth()`
 * once: runs cdk8s's synth (validation, then manifests), then writes every
 * registered file whether synth succeeded or threw, then rethrows. Only
 * `app.synth()` writes: `app.synthYaml()` and `Testing.synth()` do not.
 */
export class Artifacts {
  /** The artifacts of the app that `scope` belongs to; undefined when its root is not a cdk8s `App`. */
  public static of(scope: IConstruct): Artifacts | undefined {
    const root = scope.node.root;
    if (!(root instanceof App)) return undefined;
    let a = Artifacts.byApp.get(root);
    if (!a) {
      a = new Artifacts(root);
      Artifacts.byApp.set(root, a);
    }
    return a;
  }

  private static readonly byApp = new WeakMap<App, Artifacts>();
  private readonly producers = new Map<string, ArtifactProducer>();
  private readonly listeners: SynthListener[] = [];

  private constructor(private readonly app: App) {
    const synth = app.synth.bind(app);
    app.synth = () => this.synth(synth);
  }

  /** Registers a file (by name, in the output folder); a second registration of a name replaces the first. */
  public add(file: string, produce: ArtifactProducer): void {
    this.producers.set(file, produce);
  }

  /** Registers a listener run after the files are written (printing, annotations). */
  public onSynth(listener: SynthListener): void {
    this.listeners.push(listener);
  }

  private synth(original: () => void): void {
    const outdir = meshOutdir(this.app);
    assertOutside(outdir, this.app.outdir);
    let outcome: SynthOutcome = {};
    try {
      original();
    } catch (error) {
      outcome = { error };
    }
    const written: string[] = [];
    fs.mkdirSync(outdir, { recursive: true });
    for (const file of [...this.producers.keys()].sort()) {
      const content = this.producers.get(file)!(outcome);
      const target = path.join(outdir, file);
      if (content === undefined) {
        fs.rmSync(target, { force: true });
      } else {
        fs.writeFileSync(target, content);
        written.push(file);
      }
    }
    for (const listener of this.listeners) listener(outcome, outdir, written);
    if (outcome.error !== undefined) throw outcome.error;
  }
}

/** Refuses an output folder that is the manifests folder or inside it: kubectl would read the plan as a manifest. */
function assertOutside(outdir: string, manifests: string): void {
  const rel = path.relative(path.resolve(manifests), path.resolve(outdir));
  if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) {
    throw new Error(`context ${OUTDIR_CONTEXT} (or ${OUTDIR_ENV}) must be a folder outside the manifests folder ${JSON.stringify(manifests)}, `
      + `got ${JSON.stringify(outdir)}; kubectl apply -f reads every .json and .yaml file of the manifests folder, and the Azure plan is not a Kubernetes object`);
  }
}
