import { Diagnostic, STRICT_SUFFIX } from './diagnostic';

/** True under GitHub Actions (`GITHUB_ACTIONS=true`, set by the runner for every step). */
export function inGitHubActions(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.GITHUB_ACTIONS === 'true';
}

/**
 * Escapes a workflow command's message, as GitHub's toolkit does
 * (`@actions/core` `escapeData`): `%` → `%25`, CR → `%0D`, LF → `%0A`.
 */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/**
 * Escapes a workflow command's property value (`@actions/core`
 * `escapeProperty`): as {@link escapeData}, and `:` → `%3A`, `,` → `%2C`.
 */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/**
 * A diagnostic as a GitHub Actions workflow command,
 * `::error file=<file>,line=<n>,col=<n>,title=<title>::<message>` (or
 * `::warning`), which the runner turns into an annotation on the file and
 * line (from stdout or stderr alike). `level` is the effective level: a
 * warning is an error in strict mode. The message carries the construct
 * path, as the thrown error does.
 *
 * @see https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands
 */
export function workflowCommand(d: Diagnostic, level: 'error' | 'warning'): string {
  const props: string[] = [];
  if (d.location) {
    props.push(`file=${escapeProperty(d.location.file)}`, `line=${d.location.line}`, `col=${d.location.column}`);
  }
  props.push(`title=${escapeProperty(`cdk8s-azureml-mesh ${d.ruleId}`)}`);
  const strict = level === 'error' && d.severity === 'warning' ? STRICT_SUFFIX : '';
  return `::${level} ${props.join(',')}::${escapeData(`[${d.path}] ${d.message}${strict}`)}`;
}
