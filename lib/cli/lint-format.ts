import * as path from 'node:path';
import { SARIF_SCHEMA_URI, SarifLog, TOOL_NAME } from '../diagnostics/sarif';
import { LINT_RULES, LintFinding } from './lint';

/** Output formats of `lint`. */
export type LintFormat = 'text' | 'json' | 'sarif';

/** `file:line: level rule-id Kind ns/name field: message`, one a line, then a summary line. */
export function formatText(findings: readonly LintFinding[]): string {
  const lines = findings.map((f) => `${f.file}:${f.line}: ${f.level} ${f.ruleId} ${f.object} ${f.field}: ${f.message}`);
  const errors = findings.filter((f) => f.level === 'error').length;
  const warnings = findings.length - errors;
  lines.push(findings.length === 0
    ? 'lint: no findings'
    : `lint: ${findings.length} finding${findings.length > 1 ? 's' : ''} (${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}) in ${new Set(findings.map((f) => f.object)).size} object${new Set(findings.map((f) => f.object)).size === 1 ? '' : 's'}`);
  return `${lines.join('\n')}\n`;
}

/** `{ tool, findings, summary }` as JSON (stable key order, two-space indent). */
export function formatJson(findings: readonly LintFinding[]): string {
  const errors = findings.filter((f) => f.level === 'error').length;
  return `${JSON.stringify({
    tool: TOOL_NAME,
    findings: findings.map((f) => ({ ruleId: f.ruleId, level: f.level, object: f.object, field: f.field, file: f.file, line: f.line, message: f.message })),
    summary: { findings: findings.length, errors, warnings: findings.length - errors },
  }, null, 2)}\n`;
}

/** Options of {@link toLintSarif}. */
export interface LintSarifOptions {
  /** The folder file URIs are made relative to (GitHub's `%SRCROOT%`, the repository root). @default process.cwd() */
  readonly cwd?: string;
  /** The library's version (`tool.driver.semanticVersion`). */
  readonly version?: string;
}

/**
 * The findings as a SARIF 2.1.0 log: one run, tool `cdk8s-azureml-mesh` with
 * every lint rule (descriptions, help, default level), one result per finding
 * with its file and line relative to `cwd` (`uriBaseId` `%SRCROOT%`) and the
 * object as a logical location. No timestamps: the same findings give the
 * same bytes.
 */
export function toLintSarif(findings: readonly LintFinding[], options: LintSarifOptions = {}): SarifLog {
  const cwd = options.cwd ?? process.cwd();
  const rules = [...LINT_RULES].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const ids = rules.map((r) => r.id);
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: TOOL_NAME,
          ...(options.version ? { semanticVersion: options.version } : {}),
          informationUri: 'https://github.com/cdk8s-azureml-mesh/cdk8s-azureml-mesh/blob/main/docs/lint.md',
          rules: rules.map((r) => ({
            id: r.id,
            name: r.id,
            shortDescription: { text: r.description },
            fullDescription: { text: `${r.description} (zero-trust invariant ${r.invariant}, see docs/lint.md)` },
            defaultConfiguration: { level: r.level },
            help: { text: r.help },
            helpUri: `https://github.com/cdk8s-azureml-mesh/cdk8s-azureml-mesh/blob/main/docs/lint.md#${r.id}`,
            properties: { tags: ['security', 'kubernetes', 'istio'], invariant: r.invariant },
          })),
        },
      },
      columnKind: 'utf16CodeUnits',
      results: findings.map((f) => ({
        ruleId: f.ruleId,
        ruleIndex: ids.indexOf(f.ruleId),
        level: f.level,
        message: { text: `${f.object} ${f.field}: ${f.message}` },
        locations: [{
          ...(f.file !== '<memory>' ? {
            physicalLocation: {
              artifactLocation: { uri: toUri(cwd, f.file), uriBaseId: '%SRCROOT%' },
              region: { startLine: f.line },
            },
          } : {}),
          logicalLocations: [{ name: f.object.slice(f.object.indexOf(' ') + 1), fullyQualifiedName: `${f.object} ${f.field}`, kind: 'object' }],
        }],
        partialFingerprints: { 'objectField/v1': `${f.ruleId}:${f.object}:${f.field}` },
        properties: { object: f.object, field: f.field },
      })),
    }],
  };
}

function toUri(cwd: string, file: string): string {
  const rel = path.relative(cwd, path.resolve(cwd, file)).split(path.sep).join('/');
  return rel.split('/').map(encodeURIComponent).join('/');
}
