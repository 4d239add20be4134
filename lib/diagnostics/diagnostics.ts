import * as fs from 'node:fs';
import * as path from 'node:path';
import { IConstruct } from 'constructs';
import type { Problem } from '../errors';
import { Artifacts, SynthOutcome } from './artifacts';
import { Diagnostic, DiagnosticSeverity, STRICT_SUFFIX, effectiveLevel, ruleIdOf } from './diagnostic';
import { inGitHubActions, workflowCommand } from './github';
import { Origin, relativeToRoot } from './location';
import { SarifLog, toSarif, TOOL_NAME } from './sarif';

/**
 * App context key: `true` turns every warning into an error (strict mode):
 * `app.node.setContext(STRICT_CONTEXT, true)` before adding charts, or the
 * environment variable `CDK8S_AZUREML_MESH_STRICT=1` (e.g. in CI around `cdk8s synth`).
 */
export const STRICT_CONTEXT = 'cdk8s-azureml-mesh/strict';

/**
 * App context key: `false` stops warnings from being printed at synth (they
 * are still collected in {@link Diagnostics} and written to the reports),
 * and the line naming where `app.synth()` wrote the plan and the reports;
 * so does the environment variable `CDK8S_AZUREML_MESH_PRINT_WARNINGS=false`
 * (the test suite sets it).
 *
 * @default - printed once each, to stderr
 */
export const PRINT_WARNINGS_CONTEXT = 'cdk8s-azureml-mesh/printWarnings';

/** File name of the JSON report in the library's output folder ({@link OUTDIR_CONTEXT}). */
export const DIAGNOSTICS_JSON_FILE = 'diagnostics.json';
/** File name of the SARIF 2.1.0 report in the library's output folder. */
export const DIAGNOSTICS_SARIF_FILE = 'diagnostics.sarif';

/** One entry of the JSON report: a diagnostic with its effective level. */
export interface DiagnosticsReportEntry extends Diagnostic {
  /** `error` for errors, and for warnings in strict mode; else `warning`. */
  readonly level: 'error' | 'warning';
}

/** The document written to `diagnostics.json`. */
export interface DiagnosticsReport {
  readonly schemaVersion: 1;
  /** `cdk8s-azureml-mesh`. */
  readonly tool: string;
  /** The library's version, when known. */
  readonly version?: string;
  /** False when `app.synth()` threw: nothing was written to the manifests folder. */
  readonly succeeded: boolean;
  /** True in strict mode (warnings are errors). */
  readonly strict: boolean;
  /** Entries at level `error`. */
  readonly errors: number;
  /** Entries at level `warning`. */
  readonly warnings: number;
  /** First line of what synth threw when it failed without a validation error (a bug, a file system error). */
  readonly failure?: string;
  /** Sorted by path, severity and message. */
  readonly diagnostics: DiagnosticsReportEntry[];
}

/**
 * The errors and warnings of an app, as of its last validation (every
 * `app.synth()`/`synthYaml()` validates). `Diagnostics.of(app).warnings`
 * lists the warnings (each printed once at synth); errors are also thrown.
 * `app.synth()` also writes them to `diagnostics.json` and
 * `diagnostics.sarif` in the library's output folder, on success and on
 * failure, and prints them as workflow commands under GitHub Actions.
 */
export class Diagnostics {
  /** The diagnostics of the app that `scope` belongs to. */
  public static of(scope: IConstruct): Diagnostics {
    const root = scope.node.root;
    let d = Diagnostics.byRoot.get(root);
    if (!d) {
      d = new Diagnostics(root);
      Diagnostics.byRoot.set(root, d);
    }
    return d;
  }

  private static readonly byRoot = new WeakMap<IConstruct, Diagnostics>();
  private readonly current = new Map<string, Map<string, Omit<Diagnostic, 'location'>>>();
  private readonly origins = new Map<string, Origin>();
  private readonly printed = new Set<string>();

  private constructor(private readonly root: IConstruct) {
    const artifacts = Artifacts.of(root);
    if (artifacts) {
      artifacts.add(DIAGNOSTICS_JSON_FILE, (outcome) => `${JSON.stringify(this.report(outcome), null, 2)}\n`);
      artifacts.add(DIAGNOSTICS_SARIF_FILE, (outcome) => `${JSON.stringify(this.sarif(outcome), null, 2)}\n`);
      artifacts.onSynth((outcome, outdir, written) => this.afterSynth(outcome, outdir, written));
    }
  }

  /** True when the app's context asks for strict mode ({@link STRICT_CONTEXT}). */
  public get strict(): boolean {
    const v = this.root.node.tryGetContext(STRICT_CONTEXT) ?? process.env.CDK8S_AZUREML_MESH_STRICT;
    return v === true || v === 'true' || v === '1';
  }

  /** Every diagnostic, sorted by path, severity and message. */
  public get all(): Diagnostic[] {
    const out = [...this.current.values()].flatMap((m) => [...m.values()]).map((d) => {
      const location = this.origins.get(d.path)?.location();
      return location ? { ...d, location } : { ...d };
    });
    return out.sort((a, b) => cmp(a.path, b.path) || cmp(a.severity, b.severity) || cmp(a.message, b.message));
  }

  /** The warnings (in strict mode they are errors as well). */
  public get warnings(): Diagnostic[] {
    return this.all.filter((d) => d.severity === DiagnosticSeverity.WARNING);
  }

  /** The errors. */
  public get errors(): Diagnostic[] {
    return this.all.filter((d) => d.severity === DiagnosticSeverity.ERROR);
  }

  /** The JSON report (`diagnostics.json`) of the last validation; `outcome` is that of the synth it describes. */
  public report(outcome: SynthOutcome = {}): DiagnosticsReport {
    const strict = this.strict;
    const diagnostics = this.entries(outcome).map((d) => ({ level: effectiveLevel(d, strict), ...d }));
    const failure = failureOf(outcome, diagnostics);
    const version = libraryVersion();
    return {
      schemaVersion: 1,
      tool: TOOL_NAME,
      ...(version ? { version } : {}),
      succeeded: outcome.error === undefined,
      strict,
      errors: diagnostics.filter((d) => d.level === 'error').length,
      warnings: diagnostics.filter((d) => d.level === 'warning').length,
      ...(failure !== undefined ? { failure } : {}),
      diagnostics,
    };
  }

  /** The SARIF 2.1.0 log (`diagnostics.sarif`) of the last validation; `outcome` is that of the synth it describes. */
  public sarif(outcome: SynthOutcome = {}): SarifLog {
    const strict = this.strict;
    const entries = this.entries(outcome);
    const failure = failureOf(outcome, entries.map((d) => ({ level: effectiveLevel(d, strict) })));
    return toSarif(entries, { strict, version: libraryVersion(), failure, entryFile: entryFile() });
  }

  /**
   * The diagnostics, and the errors that other constructs' validations (cdk8s-plus, the user's own
   * `node.addValidation`) put in the synth's error: every error of the synth is in the reports.
   */
  private entries(outcome: SynthOutcome): Diagnostic[] {
    const all = this.all;
    const known = new Set(all.map((d) => `[${d.path}] ${d.message}`));
    const foreign: Diagnostic[] = [];
    for (const line of validationLines(outcome.error)) {
      const m = /^\[([^\]]*)\] ([\s\S]*)$/.exec(line);
      if (!m) continue;
      const message = (m[2].endsWith(STRICT_SUFFIX) ? m[2].slice(0, -STRICT_SUFFIX.length) : m[2]);
      if (known.has(`[${m[1]}] ${message}`)) continue;
      foreign.push({ severity: DiagnosticSeverity.ERROR, path: m[1], field: '', message: m[2], ruleId: FOREIGN_RULE_ID });
    }
    return [...all, ...foreign].sort((a, b) => cmp(a.path, b.path) || cmp(a.severity, b.severity) || cmp(a.message, b.message));
  }

  /** @internal records what one construct reported in its latest validation, and prints new warnings once */
  public _report(path: string, errors: Problem[], warnings: Problem[], origin?: Origin): void {
    const m = new Map<string, Omit<Diagnostic, 'location'>>();
    for (const p of errors) {
      m.set(`e|${p.message}`, { severity: DiagnosticSeverity.ERROR, path, field: p.field, message: p.message, ruleId: ruleIdOf(DiagnosticSeverity.ERROR, p.field) });
    }
    for (const p of warnings) {
      m.set(`w|${p.message}`, { severity: DiagnosticSeverity.WARNING, path, field: p.field, message: p.message, ruleId: ruleIdOf(DiagnosticSeverity.WARNING, p.field) });
    }
    this.current.set(path, m);
    if (origin && !this.origins.has(path)) this.origins.set(path, origin);
    if (!this.printing || this.strict) return;
    const github = inGitHubActions();
    for (const p of warnings) {
      const line = `[${path}] warning: ${p.message}`;
      if (this.printed.has(line)) continue;
      this.printed.add(line);
      if (github) {
        const location = origin?.location();
        const d: Diagnostic = { severity: DiagnosticSeverity.WARNING, path, field: p.field, message: p.message, ruleId: ruleIdOf(DiagnosticSeverity.WARNING, p.field), ...(location ? { location } : {}) };
        process.stderr.write(`${workflowCommand(d, 'warning')}\n`);
      } else {
        process.stderr.write(`${line}\n`);
      }
    }
  }

  private get printing(): boolean {
    const print = this.root.node.tryGetContext(PRINT_WARNINGS_CONTEXT) ?? process.env.CDK8S_AZUREML_MESH_PRINT_WARNINGS;
    return print !== false && print !== 'false';
  }

  /**
   * After `app.synth()` wrote the files: a validation failure loses its stack
   * (the message names every construct and field; the stack would only show
   * cdk8s's validation loop) and, under GitHub Actions, is printed as one
   * `::error` workflow command per error; then one line says where the files went.
   */
  private afterSynth(outcome: SynthOutcome, outdir: string, written: string[]): void {
    const strict = this.strict;
    if (validationLines(outcome.error).length > 0) {
      const e = outcome.error as Error;
      e.stack = `${e.name}: ${e.message}`;
      const errors = this.entries(outcome).filter((d) => effectiveLevel(d, strict) === 'error');
      if (inGitHubActions()) {
        for (const d of errors) process.stderr.write(`${workflowCommand(d, 'error')}\n`);
      }
    }
    if (this.printing && written.length > 0) {
      const where = path.relative(process.cwd(), path.resolve(outdir)) || '.';
      process.stderr.write(`[cdk8s-azureml-mesh] wrote ${written.join(', ')} to ${where.split(path.sep).join('/')}/\n`);
    }
  }
}

/** Rule id of an error that a construct outside the library reported (cdk8s-plus, the app's own validations). */
export const FOREIGN_RULE_ID = 'error/construct-validation';

const VALIDATION_HEADER = 'Validation failed with the following errors:\n';

/** The `[path] message` lines of cdk8s's validation error, or none when `error` is something else. */
function validationLines(error: unknown): string[] {
  if (!(error instanceof Error) || !error.message.startsWith(VALIDATION_HEADER)) return [];
  return error.message.slice(VALIDATION_HEADER.length).split('\n  ').map((l) => l.trim()).filter(Boolean);
}

/** The first line of what synth threw, when no error entry explains it. */
function failureOf(outcome: SynthOutcome, entries: Array<{ level: string }>): string | undefined {
  if (outcome.error === undefined || entries.some((d) => d.level === 'error')) return undefined;
  const e = outcome.error;
  return (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).split('\n')[0];
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

let version: string | null | undefined;

/** The version in the library's package.json (found upward from this file), or undefined. */
function libraryVersion(): string | undefined {
  if (version === undefined) {
    version = null;
    for (let dir = __dirname; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
      const file = path.join(dir, 'package.json');
      if (!fs.existsSync(file)) continue;
      try {
        const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
        if (pkg.name === TOOL_NAME && typeof pkg.version === 'string') version = pkg.version;
      } catch {
        // unreadable: no version
      }
      break;
    }
  }
  return version ?? undefined;
}

/** The app's entry file (`process.argv[1]`) relative to the repository root, unless it is a tool in node_modules. */
function entryFile(): string | undefined {
  const entry = process.argv[1];
  if (!entry || !fs.existsSync(entry)) return undefined;
  const file = path.resolve(entry);
  if (file.split(path.sep).includes('node_modules')) return undefined;
  return relativeToRoot(file);
}
