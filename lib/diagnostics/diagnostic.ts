/** Severity of a {@link Diagnostic}. */
export enum DiagnosticSeverity {
  ERROR = 'error',
  WARNING = 'warning',
}

/**
 * Where in the user's source a construct was declared: the first stack
 * frame outside the library when the construct was created. Paths are
 * relative to the repository root (`GITHUB_WORKSPACE`, else the nearest
 * folder with `.git`, else the working directory), with `/` separators.
 */
export interface SourceLocation {
  /** e.g. `examples/fraud-scoring.ts`. */
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based, in UTF-16 code units (as V8 reports it). */
  readonly column: number;
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
  /**
   * A stable id of the kind of problem: the severity and the field with its
   * values taken out (indices, keys, quoted names, identity references), e.g.
   * `error/callers[].appRole` or `warning/namespace`. The SARIF `ruleId`.
   */
  readonly ruleId: string;
  /** Where the construct was declared, when the stack showed it. */
  readonly location?: SourceLocation;
}

/**
 * The rule id of a problem: `<severity>/<field>` with the field's values
 * taken out, so every occurrence of one kind of mistake shares it:
 * `callers[2].group` → `callers[].group`, `namespace "ml"` → `namespace`,
 * `identity principal:9e8d…` → `identity`, `applyTo(jobs/Cron)` →
 * `applyTo()`, `backend namespace` → `backend-namespace`.
 */
export function ruleIdOf(severity: DiagnosticSeverity, field: string): string {
  const normalized = field
    .replace(/"[^"]*"/g, ' ')
    .replace(/\s*\([^)]*\)/g, '()')
    .replace(/\[[^\]]*\]/g, '[]')
    .split(/\s+/)
    .filter((token) => /^[A-Za-z][A-Za-z0-9_.()[\]]*$/.test(token))
    .join('-');
  return `${severity}/${normalized || 'declaration'}`;
}

/** What a warning's message says when strict mode made it an error. */
export const STRICT_SUFFIX = ' (a warning, an error in strict mode)';

/** The level a diagnostic has in a synth: a warning is an error in strict mode. */
export function effectiveLevel(d: Pick<Diagnostic, 'severity'>, strict: boolean): 'error' | 'warning' {
  return d.severity === DiagnosticSeverity.ERROR || strict ? 'error' : 'warning';
}
