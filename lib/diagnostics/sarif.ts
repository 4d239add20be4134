import { Diagnostic, DiagnosticSeverity, STRICT_SUFFIX, effectiveLevel } from './diagnostic';

/** The `$schema` of the SARIF files written: the OASIS standard's schema (2.1.0, errata 01). */
export const SARIF_SCHEMA_URI = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

/** The tool name in SARIF (`runs[0].tool.driver.name`) and the JSON report. */
export const TOOL_NAME = 'cdk8s-azureml-mesh';

/** Options of {@link toSarif}. */
export interface SarifOptions {
  /** True in strict mode: warnings are reported at level `error`. */
  readonly strict: boolean;
  /** The library's version, when known (`tool.driver.semanticVersion`). */
  readonly version?: string;
  /**
   * A synth that failed for another reason than validation (no error
   * diagnostic): reported as a tool execution notification.
   */
  readonly failure?: string;
  /**
   * The app's entry file relative to the repository root, used as the
   * location of a diagnostic whose construct's declaration was not found
   * (GitHub code scanning shows only results with a file).
   */
  readonly entryFile?: string;
}

/** A minimal typing of the SARIF 2.1.0 log this library writes. */
export interface SarifLog {
  readonly $schema: string;
  readonly version: '2.1.0';
  readonly runs: Array<Record<string, unknown>>;
}

/**
 * The diagnostics of a synth as a SARIF 2.1.0 log (one run, deterministic:
 * no timestamps, rules and results sorted). Each result has a `ruleId`
 * (see {@link Diagnostic.ruleId}), a `level`, the message with the
 * construct path, and a location: the construct path as a logical location
 * (`fullyQualifiedName`) and, when known, the file and line that declared
 * the construct as a physical location, relative to the repository root
 * (`uriBaseId` `%SRCROOT%`), as GitHub code scanning expects.
 */
export function toSarif(diagnostics: readonly Diagnostic[], options: SarifOptions): SarifLog {
  const ruleIds = [...new Set(diagnostics.map((d) => d.ruleId))].sort();
  const rules = ruleIds.map((id) => rule(id, diagnostics.find((d) => d.ruleId === id)!, options.strict));
  const results = diagnostics.map((d) => result(d, ruleIds.indexOf(d.ruleId), options));
  const run: Record<string, unknown> = {
    tool: {
      driver: {
        name: TOOL_NAME,
        ...(options.version ? { semanticVersion: options.version } : {}),
        rules,
      },
    },
    ...(options.failure !== undefined ? {
      invocations: [{
        executionSuccessful: false,
        toolExecutionNotifications: [{ level: 'error', message: { text: options.failure } }],
      }],
    } : {}),
    columnKind: 'utf16CodeUnits',
    results,
  };
  return { $schema: SARIF_SCHEMA_URI, version: '2.1.0', runs: [run] };
}

function rule(id: string, example: Diagnostic, strict: boolean): Record<string, unknown> {
  const field = id.slice(id.indexOf('/') + 1);
  const isError = example.severity === DiagnosticSeverity.ERROR;
  const short = isError
    ? `invalid ${field}: the declaration cannot produce manifests`
    : `${field} is legal but probably a mistake`;
  const full = isError
    ? `The value of ${field} is not accepted. Each result names the construct, the value received and what would be accepted; nothing is synthesized until it is fixed.`
    : `A warning on ${field}: legal, but probably not what was meant. Each result says why and what to do instead; in strict mode it is an error.`;
  return {
    id,
    name: id,
    shortDescription: { text: short },
    fullDescription: { text: full },
    defaultConfiguration: { level: effectiveLevel(example, strict) },
    help: { text: 'See docs/errors.md of cdk8s-azureml-mesh: the catalogue lists every error and warning with its fix.' },
    properties: { tags: ['cdk8s-azureml-mesh', isError ? 'error' : 'warning'] },
  };
}

function result(d: Diagnostic, ruleIndex: number, options: SarifOptions): Record<string, unknown> {
  const name = d.path.split('/').pop() || d.path;
  const file = d.location?.file ?? options.entryFile;
  const physical = file ? {
    physicalLocation: {
      artifactLocation: { uri: file, uriBaseId: '%SRCROOT%' },
      region: d.location
        ? { startLine: d.location.line, startColumn: d.location.column }
        : { startLine: 1 },
    },
  } : {};
  const strict = options.strict && d.severity === DiagnosticSeverity.WARNING ? STRICT_SUFFIX : '';
  return {
    ruleId: d.ruleId,
    ruleIndex,
    level: effectiveLevel(d, options.strict),
    message: { text: `[${d.path}] ${d.message}${strict}` },
    locations: [{
      ...physical,
      logicalLocations: [{ name, fullyQualifiedName: d.path, kind: 'object' }],
    }],
    properties: { constructPath: d.path, field: d.field },
  };
}
