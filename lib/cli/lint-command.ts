import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_ROOT_NAMESPACES, ManifestError, ManifestSet, rootNamespaceProblem } from '../access/manifests';
import { CliIo, ExitCode } from './io';
import { LINT_RULES, lint } from './lint';
import { LintFormat, formatJson, formatText, toLintSarif } from './lint-format';

const FORMATS: readonly LintFormat[] = ['text', 'json', 'sarif'];

/** The command's `--help` text, with every rule. */
export const lintHelp = [
  'usage: cdk8s-azureml-mesh lint PATH... [--format text|json|sarif] [--output FILE]',
  '                               [--root-namespace NS]... [--disable RULE]...',
  '',
  'Checks Kubernetes manifests (files or folders of YAML/JSON, read recursively) against the',
  'zero-trust invariants: Istio security policies, mesh enrolment, NGINX snippets, egress.',
  '',
  'options:',
  '  --format text|json|sarif  output format (default text; sarif is SARIF 2.1.0 for code scanning)',
  '  --output FILE             write the report to FILE instead of standard output (a summary line still goes to standard output)',
  `  --root-namespace NS       the mesh's root namespace; repeat for several (default ${DEFAULT_ROOT_NAMESPACES.join(', ')})`,
  '  --disable RULE            do not run RULE; repeat for several',
  '',
  'rules:',
  ...LINT_RULES.map((r) => `  ${r.id.padEnd(36)} ${r.level.padEnd(7)} ${r.description}`),
  '',
  'exit status: 0 no findings, 1 findings (errors or warnings), 2 usage error or unreadable manifests',
  'docs: docs/lint.md',
  '',
].join('\n');

/** `cdk8s-azureml-mesh lint PATH...`: returns 0 clean, 1 findings, 2 usage or manifest error. */
export function lintCommand(args: readonly string[], io: CliIo): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      strict: true,
      options: {
        'format': { type: 'string', default: 'text' },
        'output': { type: 'string' },
        'root-namespace': { type: 'string', multiple: true },
        'disable': { type: 'string', multiple: true },
      },
    });
  } catch (e) {
    return usageError(io, (e as Error).message);
  }
  const { values, positionals } = parsed;
  const format = values.format as LintFormat;
  if (!FORMATS.includes(format)) return usageError(io, `--format must be one of ${FORMATS.join(', ')}, got "${values.format}"`);
  if (positionals.length === 0) return usageError(io, 'no manifest paths given; pass files or folders of YAML');
  const ids = new Set(LINT_RULES.map((r) => r.id));
  const unknown = (values.disable ?? []).filter((id) => !ids.has(id));
  if (unknown.length > 0) return usageError(io, `--disable got unknown rule "${unknown[0]}"; expected one of ${[...ids].join(', ')}`);
  const roots = values['root-namespace'];
  const badRoot = rootNamespaceProblem(roots);
  if (badRoot) return usageError(io, badRoot);

  let manifests: ManifestSet;
  try {
    manifests = ManifestSet.load(positionals);
  } catch (e) {
    if (e instanceof ManifestError) {
      io.stderr(`cdk8s-azureml-mesh lint: ${e.message}\n`);
      return ExitCode.USAGE;
    }
    throw e;
  }
  const findings = lint(manifests, { rootNamespaces: roots, disable: values.disable });
  const text = format === 'text' ? formatText(findings)
    : format === 'json' ? formatJson(findings)
      : `${JSON.stringify(toLintSarif(findings), null, 2)}\n`;
  if (values.output) {
    try {
      fs.writeFileSync(values.output, text);
    } catch (e) {
      io.stderr(`cdk8s-azureml-mesh lint: cannot write --output ${values.output} (${(e as Error).message})\n`);
      return ExitCode.USAGE;
    }
    io.stdout(`${formatText(findings).trimEnd().split('\n').pop()}; ${format} report written to ${values.output}\n`);
  } else {
    io.stdout(text);
  }
  return findings.length > 0 ? ExitCode.FINDINGS : ExitCode.OK;
}

function usageError(io: CliIo, message: string): number {
  io.stderr(`cdk8s-azureml-mesh lint: ${message}\n\n${lintHelp}`);
  return ExitCode.USAGE;
}
