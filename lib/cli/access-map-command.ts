import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { accessMapFromManifests } from '../access/from-manifests';
import { ManifestError, ManifestSet, rootNamespaceProblem } from '../access/manifests';
import { accessMapJson, accessMapMarkdown, accessMapMermaid } from '../access/map';
import { CliIo, ExitCode } from './io';

const FORMATS = ['markdown', 'json', 'mermaid'] as const;
type Format = (typeof FORMATS)[number];

/** The command's `--help` text. */
export const accessMapHelp = [
  'usage: cdk8s-azureml-mesh access-map PATH... [--format markdown|json|mermaid] [--output FILE]',
  '                                      [--edge-principal HOST=PRINCIPAL]... [--root-namespace NS]...',
  '',
  'Who can call which endpoint, through which door, on which paths and methods, read from',
  'Kubernetes manifests alone (files or folders of YAML or JSON; folders are read recursively):',
  'one row per Istio ALLOW rule source that reaches a Service\'s pods, and a row for pods',
  'that no ALLOW policy protects (open to every peer).',
  '',
  'options:',
  '  --format FORMAT              markdown (a table and a Mermaid diagram; the default), json, or mermaid',
  '  -o, --output FILE            write the map to FILE instead of standard output',
  '  --edge-principal HOST=PRINCIPAL',
  '                               the mesh principal of the edge controller serving HOST, when the',
  '                               controller is not in the manifests (F5 NGINX Ingress Controller,',
  '                               ingress-nginx); repeat for each host; e.g.',
  '                               --edge-principal claims.contoso.com=cluster.local/ns/nginx-ingress/sa/nginx-ingress',
  '  --root-namespace NS          Istio\'s root namespace, whose AuthorizationPolicies apply mesh-wide;',
  '                               repeat for several (default istio-system, aks-istio-system)',
  '  -h, --help                   print this help',
  '',
  'exit status: 0 the map was written, 2 usage error or manifests that cannot be read',
  '',
].join('\n');

/**
 * `cdk8s-azureml-mesh access-map PATH... [--format F] [--output FILE]
 * [--edge-principal HOST=PRINCIPAL]... [--root-namespace NS]...`: the
 * access map of the manifests.
 * Exits 0 when written; 2 for a usage error or manifests that cannot be read
 * (the message on standard error).
 */
export function accessMapCommand(args: readonly string[], io: CliIo): number {
  const fail = (message: string): number => {
    io.stderr(`cdk8s-azureml-mesh access-map: ${message}\n`);
    return ExitCode.USAGE;
  };
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      strict: true,
      options: {
        'format': { type: 'string' },
        'output': { type: 'string', short: 'o' },
        'edge-principal': { type: 'string', multiple: true },
        'root-namespace': { type: 'string', multiple: true },
        'help': { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const option = /'(-[^' ]+)/.exec(err.message)?.[1];
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      return fail(`unknown option "${option}"; expected --format, --output (-o), --edge-principal, --root-namespace or --help`);
    }
    if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) return fail(`option ${option} needs a value; see --help`);
    return fail(`${lowerFirst(err.message.split('. ')[0])}; see --help`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(accessMapHelp);
    return ExitCode.OK;
  }
  const format = (values.format ?? 'markdown') as Format;
  if (!FORMATS.includes(format)) return fail(`--format must be one of ${FORMATS.join(', ')}, got "${values.format}"`);
  if (positionals.length === 0) return fail('no manifest paths given; pass files or folders of YAML, e.g. access-map dist/');

  const edgePrincipals: Record<string, string> = {};
  for (const pair of values['edge-principal'] ?? []) {
    const at = pair.indexOf('=');
    const host = pair.slice(0, at).trim();
    const principal = pair.slice(at + 1).trim();
    if (at < 0 || !host || !principal) {
      return fail(`--edge-principal must be HOST=PRINCIPAL (e.g. claims.contoso.com=cluster.local/ns/nginx-ingress/sa/nginx-ingress), got "${pair}"`);
    }
    if (edgePrincipals[host] !== undefined && edgePrincipals[host] !== principal) {
      return fail(`--edge-principal gives host "${host}" two principals, "${edgePrincipals[host]}" and "${principal}"; give one per host`);
    }
    edgePrincipals[host] = principal;
  }

  const rootNamespaces = values['root-namespace'];
  const badRoot = rootNamespaceProblem(rootNamespaces);
  if (badRoot) return fail(badRoot);

  let set: ManifestSet;
  try {
    set = ManifestSet.load(positionals);
  } catch (e) {
    if (e instanceof ManifestError) return fail(e.message);
    throw e;
  }
  const rows = accessMapFromManifests(set, { edgePrincipals, ...(rootNamespaces ? { rootNamespaces } : {}) });
  const text = format === 'json'
    ? accessMapJson(rows, { source: positionals.join(' ') })
    : format === 'mermaid'
      ? accessMapMermaid(rows)
      : accessMapMarkdown(rows, { source: `Read from the manifests in ${positionals.map((p) => `\`${p}\``).join(', ')} by \`cdk8s-azureml-mesh access-map\`.` });
  if (values.output !== undefined) {
    try {
      fs.writeFileSync(values.output, text);
    } catch (e) {
      return fail(`--output ${values.output}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  } else {
    io.stdout(text);
  }
  return ExitCode.OK;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1).replace(/\.$/, '');
}
