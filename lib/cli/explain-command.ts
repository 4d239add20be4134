import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { ExplainError, ExplainRequest, ExplainTarget, explain, formatExplainResult } from '../access/explain';
import { ManifestError, ManifestSet, rootNamespaceProblem } from '../access/manifests';
import { CliIo, ExitCode } from './io';

/** The command's `--help` text. */
export const explainHelp = `usage: cdk8s-azureml-mesh explain PATH... --to NAMESPACE/SERVICE --method M --path P
                          (--claims FILE.json | --no-token) [--forged]
                          (--principal SPIFFE | --plaintext) [--via-edge HOST [--edge-principal P]]
                          [--host H] [--port N] [--source-ip IP] [--root-namespace NS]... [--json]

Says whether a request reaches an endpoint, evaluated over the manifests in PATH
(files or folders of YAML or JSON) with Istio's semantics: the edge serving
--via-edge (its route and the policies of its gateway), then the backend's
PeerAuthentication, RequestAuthentication and AuthorizationPolicies (CUSTOM,
DENY, ALLOW). The first word printed is ALLOW or DENY (without --json).

request:
  --to NAMESPACE/SERVICE   the Service the request is for (with --via-edge, the one the edge routes to);
                           or an external HOST (a managed online endpoint's scoring host) a mesh workload calls
  --method M               HTTP method, e.g. POST
  --path P                 path, e.g. /score
  --claims FILE.json       the token's claims (a JSON object: iss, aud, sub, roles, azp, oid, ...)
  --no-token               the request carries no token
  --forged                 the token's signature does not verify
  --token-header NAME      the header that carries the token (default authorization, "Bearer <token>")
  --principal SPIFFE       the direct peer's mesh principal, <trust-domain>/ns/<ns>/sa/<sa> (spiffe:// accepted)
  --plaintext              the peer is outside the mesh (no mTLS)
  --via-edge HOST          the request enters at the edge serving this public host (the backend's peer is the edge)
  --edge-principal P       the edge controller's mesh principal, when the manifests cannot say it (NGINX controllers)
  --host H                 the Host the backend sees (default: the Service's cluster host, or as the edge forwards it)
  --port N                 the Service port (default: its first port)
  --source-ip IP           the client's address (for ipBlocks and source ranges)
  --header NAME=VALUE      another request header (repeatable)

mesh:
  --root-namespace NS      the mesh's root namespace (repeatable; default istio-system and aks-istio-system)
  --trust-domain TD        default cluster.local
  --custom allow|deny      what CUSTOM (ext-authz) policies answer, which cannot be asked offline (default allow)

output:
  --json                   the result as one JSON object (verdict, status, decidedBy, reasons, hops, trace)
                           instead of text whose first word is the verdict

exit status: 0 ALLOW, 3 DENY, 2 usage error or unreadable manifests
`;

class UsageError extends Error {}

function parse(args: readonly string[]): { paths: string[]; request: ExplainRequest; options: Parameters<typeof explain>[2]; json: boolean } {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      strict: true,
      options: {
        'to': { type: 'string' },
        'method': { type: 'string' },
        'path': { type: 'string' },
        'claims': { type: 'string' },
        'no-token': { type: 'boolean' },
        'forged': { type: 'boolean' },
        'token-header': { type: 'string' },
        'principal': { type: 'string' },
        'plaintext': { type: 'boolean' },
        'via-edge': { type: 'string' },
        'edge-principal': { type: 'string' },
        'host': { type: 'string' },
        'port': { type: 'string' },
        'source-ip': { type: 'string' },
        'header': { type: 'string', multiple: true },
        'root-namespace': { type: 'string', multiple: true },
        'trust-domain': { type: 'string' },
        'custom': { type: 'string' },
        'json': { type: 'boolean' },
      },
    });
  } catch (e) {
    // node's first sentence ("Unknown option '--x'"), in the CLI's style
    throw new UsageError((e as Error).message.split('\n')[0].split('. ')[0].replace(/^./, (c) => c.toLowerCase()).replace(/\.$/, ''));
  }
  const v = parsed.values;
  if (parsed.positionals.length === 0) throw new UsageError('no manifest paths given; pass files or folders of YAML');
  for (const name of ['to', 'method', 'path'] as const) {
    if (v[name] === undefined) throw new UsageError(`--${name} is required`);
  }
  let to: ExplainTarget;
  const t = v.to!;
  if (t.includes('/')) {
    const [namespace, service, ...rest] = t.split('/');
    if (!namespace || !service || rest.length) throw new UsageError(`--to must be NAMESPACE/SERVICE or an external HOST, got "${t}"`);
    to = { namespace, service };
  } else if (t.includes('.')) {
    to = { host: t };
  } else {
    throw new UsageError(`--to must be NAMESPACE/SERVICE or an external HOST, got "${t}"`);
  }
  if ((v.claims === undefined) === (v['no-token'] === undefined)) throw new UsageError('pass exactly one of --claims FILE.json and --no-token');
  if (v.forged && v['no-token']) throw new UsageError('--forged needs a token; it cannot go with --no-token');
  const viaEdge = v['via-edge'];
  if (viaEdge === undefined && (v.principal === undefined) === (v.plaintext === undefined)) {
    throw new UsageError('pass exactly one of --principal SPIFFE and --plaintext (unless --via-edge, where the backend\'s peer is the edge)');
  }
  if (viaEdge !== undefined && (v.principal !== undefined || v.plaintext)) throw new UsageError('--principal and --plaintext do not go with --via-edge: the backend\'s peer is the edge (use --edge-principal)');
  if (v['edge-principal'] !== undefined && viaEdge === undefined) throw new UsageError('--edge-principal needs --via-edge');
  const badRoot = rootNamespaceProblem(v['root-namespace']);
  if (badRoot) throw new UsageError(badRoot);
  let claims: Record<string, unknown> | undefined;
  if (v.claims !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(v.claims, 'utf8');
    } catch {
      throw new UsageError(`--claims must be a readable JSON file, got "${v.claims}"`);
    }
    try {
      claims = JSON.parse(text);
    } catch (e) {
      throw new UsageError(`--claims must be a JSON object of claims, got ${v.claims} that does not parse (${(e as Error).message})`);
    }
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw new UsageError(`--claims must be a JSON object of claims, got ${Array.isArray(claims) ? 'a list' : typeof claims} in ${v.claims}`);
  }
  let port: number | undefined;
  if (v.port !== undefined) {
    if (!/^\d{1,5}$/.test(v.port) || Number(v.port) < 1 || Number(v.port) > 65535) throw new UsageError(`--port must be a port number (1-65535), got "${v.port}"`);
    port = Number(v.port);
  }
  if (v.custom !== undefined && v.custom !== 'allow' && v.custom !== 'deny') throw new UsageError(`--custom must be allow or deny, got "${v.custom}"`);
  const headers: Record<string, string> = {};
  for (const h of v.header ?? []) {
    const i = h.indexOf('=');
    if (i <= 0) throw new UsageError(`--header must be NAME=VALUE, got "${h}"`);
    headers[h.slice(0, i).toLowerCase()] = h.slice(i + 1);
  }
  const request: ExplainRequest = {
    to,
    method: v.method!,
    path: v.path!,
    host: v.host,
    port,
    token: claims ? { claims, forged: v.forged ?? false, header: v['token-header'] } : undefined,
    principal: v.principal,
    viaEdge,
    edgePrincipal: v['edge-principal'],
    sourceIp: v['source-ip'],
    headers,
  };
  return {
    paths: parsed.positionals,
    request,
    options: { rootNamespaces: v['root-namespace'], trustDomain: v['trust-domain'], custom: v.custom as 'allow' | 'deny' | undefined },
    json: v.json ?? false,
  };
}

/** `cdk8s-azureml-mesh explain`: ALLOW or DENY for a request, with the deciding policy and rule. */
export function explainCommand(args: readonly string[], io: CliIo): number {
  let input: ReturnType<typeof parse>;
  try {
    input = parse(args);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`cdk8s-azureml-mesh explain: ${e.message}\n\n${explainHelp}`);
      return ExitCode.USAGE;
    }
    throw e;
  }
  try {
    const set = ManifestSet.load(input.paths);
    const result = explain(set, input.request, input.options);
    if (input.json) {
      // one JSON object (for machines, the verdict is its first field; the text form starts with the verdict word)
      io.stdout(`${JSON.stringify({ verdict: result.verdict, status: result.status, decidedBy: result.decidedBy, reasons: result.reasons, hops: result.hops, trace: result.trace }, null, 2)}\n`);
    } else {
      io.stdout(formatExplainResult(result));
    }
    return result.verdict === 'ALLOW' ? ExitCode.OK : ExitCode.DENY;
  } catch (e) {
    if (e instanceof ManifestError || e instanceof ExplainError) {
      io.stderr(`cdk8s-azureml-mesh explain: ${e.message}\n`);
      return ExitCode.USAGE;
    }
    throw e;
  }
}
