import { Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { Diagnostics } from './diagnostics/diagnostics';
import { STRICT_SUFFIX } from './diagnostics/diagnostic';
import { Origin } from './diagnostics/location';

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

export { Diagnostics, PRINT_WARNINGS_CONTEXT, STRICT_CONTEXT } from './diagnostics/diagnostics';
export { DiagnosticSeverity } from './diagnostics/diagnostic';
export type { Diagnostic } from './diagnostics/diagnostic';

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
    // the message names every construct and field; a stack would only show the library's rendering
    this.stack = `${this.name}: ${this.message}`;
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
  /** Where the construct was declared (the stack is formatted only if it reports a problem). */
  private readonly origin = new Origin();

  constructor(private readonly scope: Construct) {
    scope.node.addValidation({ validate: () => this.messages() });
    // installs the app's reports (diagnostics.json, diagnostics.sarif) before synth
    Diagnostics.of(scope);
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
    diagnostics._report(this.scope.node.path, errors, warnings, this.origin);
    if (diagnostics.strict) {
      errors.push(...warnings.map((w) => ({ field: w.field, message: `${w.message}${STRICT_SUFFIX}` })));
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
