import { Lazy } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';

/**
 * One problem found in a declaration: the field, the value received and what
 * would be accepted. Rendered as `<field> must be <expected>, got <value>; <hint>`.
 */
export interface Problem {
  /** The field, as the user wrote it (e.g. `tenantId`, `callers[2]`). */
  readonly field: string;
  /** The whole message, lowercase start, no trailing period. */
  readonly message: string;
}

/** Formats a received value for an error message. */
export function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/**
 * Builds a problem in the library's one error style:
 * `<field> must be <expected>, got <value>[; <hint>]`.
 */
export function problem(field: string, expected: string, value: unknown, hint?: string): Problem {
  const message = `${field} must be ${expected}, got ${show(value)}${hint ? `; ${hint}` : ''}`;
  return { field, message };
}

/**
 * Builds a warning in the library's one style: `<field> <text>` (lowercase
 * start, no trailing period), e.g. `callers[1] is a group: ...; prefer ...`.
 */
export function warning(field: string, text: string): Problem {
  return { field, message: `${field} ${text}` };
}

/**
 * App context key: `true` turns every warning into an error (strict mode):
 * `app.node.setContext(STRICT_CONTEXT, true)` before adding charts, or the
 * environment variable `CDK8S_AZUREML_MESH_STRICT=1` (e.g. in CI around `cdk8s synth`).
 */
export const STRICT_CONTEXT = 'cdk8s-azureml-mesh/strict';

/**
 * App context key: `false` stops warnings from being printed at synth (they
 * are still collected in {@link Diagnostics}); so does the environment
 * variable `CDK8S_AZUREML_MESH_PRINT_WARNINGS=false` (the test suite sets it).
 *
 * @default - printed once each, to stderr
 */
export const PRINT_WARNINGS_CONTEXT = 'cdk8s-azureml-mesh/printWarnings';

/** Severity of a {@link Diagnostic}. */
export enum DiagnosticSeverity {
  ERROR = 'error',
  WARNING = 'warning',
}

/** One error or warning of a declaration, machine-readable. */
export interface Diagnostic {
  /** `error`, or `warning` (an error in strict mode). */
  readonly severity: DiagnosticSeverity;
  /** Path of the construct that reports it, e.g. `fraud/Endpoint`. */
  readonly path: string;
  /** The field, as the user wrote it. */
  readonly field: string;
  /** The message, without the path. */
  readonly message: string;
}

/**
 * The errors and warnings of an app, as of its last validation (every
 * `app.synth()`/`synthYaml()` validates). `Diagnostics.of(app).warnings`
 * lists the warnings (each printed once at synth); errors are also thrown.
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
  private readonly current = new Map<string, Map<string, Diagnostic>>();
  private readonly printed = new Set<string>();

  private constructor(private readonly root: IConstruct) {}

  /** True when the app's context asks for strict mode ({@link STRICT_CONTEXT}). */
  public get strict(): boolean {
    const v = this.root.node.tryGetContext(STRICT_CONTEXT) ?? process.env.CDK8S_AZUREML_MESH_STRICT;
    return v === true || v === 'true' || v === '1';
  }

  /** Every diagnostic, sorted by path, severity and message. */
  public get all(): Diagnostic[] {
    const out = [...this.current.values()].flatMap((m) => [...m.values()]);
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

  /** @internal records what one construct reported in its latest validation, and prints new warnings once */
  public _report(path: string, errors: Problem[], warnings: Problem[]): void {
    const m = new Map<string, Diagnostic>();
    for (const p of errors) m.set(`e|${p.message}`, { severity: DiagnosticSeverity.ERROR, path, field: p.field, message: p.message });
    for (const p of warnings) m.set(`w|${p.message}`, { severity: DiagnosticSeverity.WARNING, path, field: p.field, message: p.message });
    this.current.set(path, m);
    const print = this.root.node.tryGetContext(PRINT_WARNINGS_CONTEXT) ?? process.env.CDK8S_AZUREML_MESH_PRINT_WARNINGS;
    for (const p of warnings) {
      const line = `[${path}] warning: ${p.message}`;
      if (this.printed.has(line)) continue;
      this.printed.add(line);
      if (print !== false && print !== 'false' && !this.strict) process.stderr.write(`${line}\n`);
    }
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Prefixes the field of every problem (e.g. `callers[1].` or `tenant.`). */
export function prefixed(prefix: string, problems: readonly Problem[]): Problem[] {
  return problems.map((p) => ({ field: `${prefix}${p.field}`, message: `${prefix}${p.message}` }));
}

/**
 * Thrown when a declaration cannot produce manifests. Carries every problem
 * found, each prefixed with the construct path.
 */
export class MeshValidationError extends Error {
  public readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`validation failed with ${problems.length} error(s):\n  ${problems.join('\n  ')}`);
    this.name = 'MeshValidationError';
    this.problems = problems;
  }
}

/**
 * Collects the problems of one construct. They are reported through
 * `node.addValidation` (so `app.synth()` lists every error of the app at once
 * and writes nothing) and again when the construct renders (so
 * `chart.toJson()` without validation can never emit manifests from a bad
 * declaration).
 */
export class ProblemCollector {
  private readonly problems: Problem[] = [];
  private readonly checks: Array<() => Problem[]> = [];
  private readonly appChecks: Array<() => Problem[]> = [];
  private readonly warnings: Problem[] = [];
  private readonly warningChecks: Array<() => Problem[]> = [];
  /** The construct's own problems as of the last validation. */
  private validated?: Problem[];

  constructor(private readonly scope: Construct) {
    scope.node.addValidation({ validate: () => this.messages() });
  }

  /** Records warnings found now: legal but probably a mistake (errors in strict mode). */
  public warn(...warnings: Problem[]): void {
    this.warnings.push(...warnings);
  }

  /** Registers a warning check run at synth (facts that depend on the rest of the app). */
  public addWarningCheck(check: () => Problem[]): void {
    this.warningChecks.push(check);
  }

  /** Records problems found now (facts local to the construct). */
  public add(...problems: Problem[]): void {
    this.problems.push(...problems);
    this.validated = undefined;
  }

  /** Registers a check run at synth (facts that depend on the rest of the app: later calls, cdk8s-plus objects). */
  public addCheck(check: () => Problem[]): void {
    this.checks.push(check);
  }

  /**
   * Registers a check that compares this construct with its peers across the
   * app (overlaps, clashes). It runs in validation only, where it sees the
   * whole app once, not again for every object rendered.
   */
  public addAppCheck(check: () => Problem[]): void {
    this.appChecks.push(check);
  }

  /** Messages of every problem, without the construct path (cdk8s adds it). */
  public messages(): string[] {
    this.validated = this.localProblems();
    const errors = [...this.validated, ...this.appChecks.flatMap((check) => check())];
    const warnings = [...this.warnings, ...this.warningChecks.flatMap((check) => check())];
    const diagnostics = Diagnostics.of(this.scope);
    diagnostics._report(this.scope.node.path, errors, warnings);
    if (diagnostics.strict) {
      errors.push(...warnings.map((w) => ({ field: w.field, message: `${w.message} (a warning, an error in strict mode)` })));
    }
    return errors.map((p) => p.message);
  }

  /**
   * Throws when the construct's own problems are not empty (messages prefixed
   * with the construct path): the guard every rendered object passes. Reuses
   * the result of the validation that synthesis runs just before rendering.
   */
  public assertNone(): void {
    const messages = (this.validated ?? this.localProblems()).map((p) => p.message);
    if (messages.length === 0) return;
    throw new MeshValidationError(messages.map((m) => `${this.scope.node.path}: ${m}`));
  }

  /**
   * A value rendered at synth (so later declarations count) that is never
   * produced from a bad declaration: every generated object's spec goes through it.
   */
  public guard<T>(produce: () => T): T {
    return Lazy.any({
      produce: () => {
        this.assertNone();
        return produce();
      },
    }) as unknown as T;
  }

  private localProblems(): Problem[] {
    return [...this.problems, ...this.checks.flatMap((check) => check())];
  }
}
