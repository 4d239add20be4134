/**
 * Istio's documented evaluation of PeerAuthentication, RequestAuthentication
 * and AuthorizationPolicy for one workload and one request, over objects read
 * from manifests. `explain.ts` chains these per hop (edge, then backend).
 *
 * @see https://istio.io/latest/docs/reference/config/security/authorization-policy/
 * @see https://istio.io/latest/docs/reference/config/security/request_authentication/
 * @see https://istio.io/latest/docs/reference/config/security/peer_authentication/
 */
import { KubeObject, ManifestEntry, ManifestSet, matchesLabels, namespaceOf, objectRef } from './manifests';

/** The workload (pods) a hop lands on, as the policies see it. */
export interface ExplainWorkload {
  /** How the trace names it, e.g. `Deployment fraud/fraud-model-blue`. */
  readonly description: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly serviceAccount: string;
  /** For gateway pods: the Gateway API Gateway they implement (for `targetRefs`). */
  readonly gateway?: { readonly name: string; readonly className: string };
  /** The Service the request was sent to (for `targetRefs` of kind Service). */
  readonly serviceName?: string;
  /** True for gateway pods (PeerAuthentication does not apply to what clients send them). */
  readonly isGateway?: boolean;
  /** True in an ambient namespace, where policies attached to the Service (`targetRefs` kind Service) are its waypoint's. */
  readonly ambient?: boolean;
}

/** A validated token as a hop sees it. */
export interface ExplainAuth {
  /** `request.auth.principal`: `<iss>/<sub>`. */
  readonly principal: string;
  readonly claims: Record<string, unknown>;
}

/** What one proxy receives. */
export interface HopRequest {
  readonly method: string;
  /** The path as sent (a query is ignored by path matching). */
  readonly path: string;
  readonly host: string;
  /** The workload's port (the Service's target port for sidecars, the listener port for gateways). */
  readonly port: number;
  readonly token?: { readonly claims: Record<string, unknown>; readonly forged?: boolean; readonly header?: string; readonly queryParam?: string };
  /** The direct peer's mesh principal (no `spiffe://`); undefined = plaintext. */
  readonly principal?: string;
  readonly sourceIp?: string;
  readonly headers: Record<string, string>;
}

/** What one proxy decides. */
export interface HopOutcome {
  readonly verdict: 'ALLOW' | 'DENY';
  readonly status: number;
  readonly decidedBy?: { readonly policy: string; readonly action: string; readonly rule?: number };
  readonly reasons: string[];
  /** The token as this proxy forwards it (undefined when absent or stripped). */
  readonly forwardedToken?: HopRequest['token'];
  /** Headers this proxy sets for the upstream (claims copied by `outputClaimToHeaders`). */
  readonly setHeaders: Record<string, string>;
}

/** Options of the evaluation. */
export interface IstioEvalOptions {
  readonly rootNamespaces: readonly string[];
  /** What a matching CUSTOM policy's external authorizer answers. */
  readonly custom: 'allow' | 'deny';
}

const DRY_RUN = 'istio.io/dry-run';

/** `<Kind> <ns>/<name>`. */
const ref = (e: ManifestEntry) => objectRef(e.object);

/**
 * Why a policy applies to the workload (`selector`, namespace-wide,
 * mesh-wide, `targetRefs`), or undefined when it does not.
 *
 * @param selectorInRootAllowed false for PeerAuthentication, whose selector policies in the root namespace are ignored
 */
export function policyScope(object: KubeObject, wl: ExplainWorkload, roots: readonly string[], selectorInRootAllowed = true): string | undefined {
  const ns = namespaceOf(object);
  const spec = object.spec ?? {};
  const isRoot = roots.includes(ns);
  const targetRefs: any[] | undefined = spec.targetRefs ?? (spec.targetRef ? [spec.targetRef] : undefined);
  if (targetRefs && targetRefs.length > 0) {
    for (const r of targetRefs) {
      const group = r.group ?? '';
      if (r.kind === 'Gateway' && group === 'gateway.networking.k8s.io' && wl.gateway && r.name === wl.gateway.name && ns === wl.namespace) {
        return `targetRefs Gateway ${ns}/${r.name}`;
      }
      if (r.kind === 'GatewayClass' && group === 'gateway.networking.k8s.io' && isRoot && wl.gateway && r.name === wl.gateway.className) {
        return `targetRefs GatewayClass ${r.name}`;
      }
      // kind Service is "only supported for waypoints": sidecars ignore it
      if (r.kind === 'Service' && (group === '' || group === 'core') && ns === wl.namespace && wl.ambient && wl.serviceName === r.name) {
        return `targetRefs Service ${ns}/${r.name}`;
      }
    }
    return undefined;
  }
  const labels: Record<string, string> | undefined = spec.selector?.matchLabels;
  if (labels && Object.keys(labels).length > 0) {
    if (ns === wl.namespace && matchesLabels(labels, wl.labels)) return `selector ${fmtLabels(labels)}`;
    if (isRoot && selectorInRootAllowed && matchesLabels(labels, wl.labels)) return `selector ${fmtLabels(labels)} in root namespace ${ns}`;
    return undefined;
  }
  if (ns === wl.namespace) return `namespace-wide (${ns})`;
  if (isRoot) return `mesh-wide (root namespace ${ns})`;
  return undefined;
}

function fmtLabels(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');
}

// ---------------------------------------------------------------------------
// PeerAuthentication

/** The effective mTLS mode for the workload's port, and the policy that set it. */
export function peerAuthentication(set: ManifestSet, wl: ExplainWorkload, port: number, roots: readonly string[], trace: string[]): { mode: string; source?: string } {
  const all = set.ofKind('PeerAuthentication', 'security.istio.io');
  const workloadLevel: ManifestEntry[] = [];
  const namespaceLevel: ManifestEntry[] = [];
  const meshLevel: ManifestEntry[] = [];
  for (const e of all) {
    const scope = policyScope(e.object, wl, roots, false);
    if (!scope) continue;
    const ns = namespaceOf(e.object);
    const hasSelector = Object.keys(e.object.spec?.selector?.matchLabels ?? {}).length > 0;
    if (hasSelector) workloadLevel.push(e);
    else if (ns === wl.namespace) namespaceLevel.push(e);
    else meshLevel.push(e);
  }
  const levels: Array<[string, ManifestEntry[]]> = [['workload', workloadLevel], ['namespace', namespaceLevel], ['mesh', meshLevel]];
  for (const [level, entries] of levels) {
    for (const e of entries) {
      const spec = e.object.spec ?? {};
      // port-level settings apply only with a workload selector, keyed by the workload's port
      const portMode = level === 'workload' ? spec.portLevelMtls?.[String(port)]?.mode : undefined;
      if (portMode && portMode !== 'UNSET') {
        trace.push(`  ${ref(e)} (${level}) portLevelMtls ${port}: ${portMode}`);
        return { mode: portMode, source: ref(e) };
      }
      const mode = spec.mtls?.mode;
      if (mode && mode !== 'UNSET') {
        trace.push(`  ${ref(e)} (${level}) mtls ${mode}`);
        return { mode, source: ref(e) };
      }
      trace.push(`  ${ref(e)} (${level}) mtls UNSET, inherits`);
    }
  }
  trace.push('  PeerAuthentication: none applies, PERMISSIVE (Istio\'s default)');
  return { mode: 'PERMISSIVE' };
}

// ---------------------------------------------------------------------------
// RequestAuthentication

interface JwtRuleRef { readonly entry: ManifestEntry; readonly rule: any; readonly index: number }

/** The result of request authentication at one proxy. */
export interface AuthnOutcome {
  /** 401 with a reason when the token is rejected. */
  readonly rejected?: { readonly reason: string; readonly policy: string };
  readonly auth?: ExplainAuth;
  readonly forwardedToken?: HopRequest['token'];
  readonly setHeaders: Record<string, string>;
}

function ruleReadsToken(rule: any, token: NonNullable<HopRequest['token']>): boolean {
  const headers: any[] = rule.fromHeaders ?? [];
  const params: string[] = rule.fromParams ?? [];
  const cookies: string[] = rule.fromCookies ?? [];
  const explicit = headers.length + params.length + cookies.length > 0;
  if (token.queryParam !== undefined) {
    return explicit ? params.includes(token.queryParam) : token.queryParam === 'access_token';
  }
  const header = (token.header ?? 'authorization').toLowerCase();
  if (!explicit) return header === 'authorization';
  return headers.some((h) => String(h.name ?? '').toLowerCase() === header);
}

function tokenPlace(token: NonNullable<HopRequest['token']>): string {
  return token.queryParam !== undefined ? `query parameter ${token.queryParam}` : `header ${(token.header ?? 'authorization').toLowerCase()}`;
}

/** Validates the request's token against the RequestAuthentications that apply to the workload. */
export function requestAuthentication(set: ManifestSet, wl: ExplainWorkload, req: HopRequest, roots: readonly string[], trace: string[]): AuthnOutcome {
  const rules: JwtRuleRef[] = [];
  for (const e of set.ofKind('RequestAuthentication', 'security.istio.io')) {
    const scope = policyScope(e.object, wl, roots);
    if (!scope) continue;
    trace.push(`  ${ref(e)} applies (${scope}), issuers ${((e.object.spec?.jwtRules ?? []) as any[]).map((r) => `\`${r.issuer}\``).join(', ') || 'none'}`);
    ((e.object.spec?.jwtRules ?? []) as any[]).forEach((rule, index) => rules.push({ entry: e, rule, index }));
  }
  const token = req.token;
  if (!token) {
    trace.push('  token: none, so no request principal (RequestAuthentication alone does not reject it)');
    return { setHeaders: {} };
  }
  if (rules.length === 0) {
    trace.push('  token: no RequestAuthentication applies, the token is not validated and gives no request principal; forwarded as sent');
    return { forwardedToken: token, setHeaders: {} };
  }
  const readers = rules.filter((r) => ruleReadsToken(r.rule, token));
  if (readers.length === 0) {
    trace.push(`  token: in ${tokenPlace(token)}, which no jwtRule reads: no request principal; forwarded as sent`);
    return { forwardedToken: token, setHeaders: {} };
  }
  const policies = [...new Set(readers.map((r) => ref(r.entry)))].join(', ');
  const iss = typeof token.claims.iss === 'string' ? token.claims.iss : undefined;
  const sameIssuer = readers.filter((r) => r.rule.issuer === iss);
  if (sameIssuer.length === 0) {
    // Envoy: a token of an issuer no provider is configured for fails even beside allow_missing (JwtUnknownIssuer)
    const reason = `token issuer \`${iss ?? '<none>'}\` is not accepted (${policies} accepts ${[...new Set(readers.map((r) => `\`${r.rule.issuer}\``))].join(', ')}): 401 Jwt issuer is not configured`;
    trace.push(`  token: rejected, ${reason}`);
    return { rejected: { reason, policy: ref(readers[0].entry) }, setHeaders: {} };
  }
  if (token.forged) {
    const reason = `token signature does not verify against the issuer's keys (${ref(sameIssuer[0].entry)}): 401 Jwt verification fails`;
    trace.push(`  token: rejected, ${reason}`);
    return { rejected: { reason, policy: ref(sameIssuer[0].entry) }, setHeaders: {} };
  }
  const aud = listOf(token.claims.aud);
  const accepted = sameIssuer.find((r) => {
    const audiences: string[] = r.rule.audiences ?? [];
    return audiences.length === 0 || aud.some((a) => audiences.includes(a));
  });
  if (!accepted) {
    const wanted = [...new Set(sameIssuer.flatMap((r) => (r.rule.audiences ?? []) as string[]))];
    const reason = `token audience ${aud.length ? aud.map((a) => `\`${a}\``).join(', ') : '<none>'} is not one of ${wanted.map((a) => `\`${a}\``).join(', ')} (${ref(sameIssuer[0].entry)}): 401 Audiences in Jwt are not allowed`;
    trace.push(`  token: rejected, ${reason}`);
    return { rejected: { reason, policy: ref(sameIssuer[0].entry) }, setHeaders: {} };
  }
  const sub = typeof token.claims.sub === 'string' ? token.claims.sub : '';
  const principal = `${iss}/${sub}`;
  const setHeaders: Record<string, string> = {};
  for (const o of (accepted.rule.outputClaimToHeaders ?? []) as any[]) {
    const v = claimAt(token.claims, String(o.claim ?? '').split('.'));
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') setHeaders[String(o.header).toLowerCase()] = String(v);
  }
  const keep = accepted.rule.forwardOriginalToken === true;
  trace.push(`  token: valid (${ref(accepted.entry)} jwtRules[${accepted.index}]), request principal \`${principal}\`${sub ? '' : ' (no sub claim)'}`
    + `; ${keep ? 'forwarded (forwardOriginalToken: true)' : 'removed before forwarding (forwardOriginalToken unset or false)'}`
    + `${Object.keys(setHeaders).length ? `; claims copied to ${Object.keys(setHeaders).join(', ')}` : ''}`);
  return { auth: { principal, claims: token.claims }, forwardedToken: keep ? token : undefined, setHeaders };
}

function listOf(v: unknown): string[] {
  if (Array.isArray(v)) return v.filter((x) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean').map(String);
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return [String(v)];
  return [];
}

function claimAt(claims: Record<string, unknown>, path: string[]): unknown {
  let cur: unknown = claims;
  for (const p of path) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

// ---------------------------------------------------------------------------
// String matching (exact, prefix `x*`, suffix `*x`, presence `*`)

/** Istio's string match: exact, prefix `abc*`, suffix `*abc`, presence `*` (any non-empty value). */
export function matchValue(pattern: string, value: string | undefined, ignoreCase = false): boolean {
  if (value === undefined || value === '') return false;
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  const v = ignoreCase ? value.toLowerCase() : value;
  if (p === '*') return true;
  if (p.startsWith('*')) return v.endsWith(p.slice(1));
  if (p.endsWith('*')) return v.startsWith(p.slice(0, -1));
  return v === p;
}

/**
 * `requestPrincipals` matching as istiod renders it: the value is split at its
 * last `/` into issuer and subject (issuers are URLs), each matched on its own.
 */
export function matchRequestPrincipal(pattern: string, principal: string | undefined): boolean {
  if (!principal) return false;
  const at = principal.lastIndexOf('/');
  const iss = at >= 0 ? principal.slice(0, at) : principal;
  const sub = at >= 0 ? principal.slice(at + 1) : '';
  const any = (s: string) => s.length > 0;
  if (pattern === '*') return any(iss) && any(sub);
  const idx = pattern.lastIndexOf('/');
  const found = idx >= 0;
  const pIss = found ? pattern.slice(0, idx) : pattern;
  const pSub = found ? pattern.slice(idx + 1) : '';
  if (pattern.startsWith('*')) {
    if (found) return (pIss === '*' ? any(iss) : iss.endsWith(pIss.slice(1))) && sub === pSub;
    return any(iss) && sub.endsWith(pattern.slice(1));
  }
  if (pattern.endsWith('*')) {
    if (found) return iss === pIss && (pSub === '*' ? any(sub) : sub.startsWith(pSub.slice(0, -1)));
    return iss.startsWith(pattern.slice(0, -1)) && any(sub);
  }
  return iss === pIss && sub === pSub;
}

function globRegex(value: string): string {
  return value.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*');
}

/** `source.namespaces`: matched against the `/ns/<namespace>/` segment of the peer principal. */
function matchNamespace(pattern: string, principal: string | undefined): boolean {
  if (!principal) return false;
  return new RegExp(`^(spiffe://)?.*/ns/${globRegex(pattern)}/.*$`).test(principal);
}

function matchServiceAccount(pattern: string, policyNamespace: string, principal: string | undefined): boolean {
  if (!principal) return false;
  const [ns, sa] = pattern.includes('/') ? pattern.split('/', 2) : [policyNamespace, pattern];
  const q = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^.+/ns/${q(ns)}/(.+/|)sa/${q(sa)}(/.+)?$`).test(principal);
}

function matchTrustDomain(pattern: string, principal: string | undefined): boolean {
  if (!principal) return false;
  const td = principal.split('/')[0];
  return matchValue(pattern, td);
}

function matchPath(pattern: string, path: string): boolean {
  const p = path.split('?')[0].split('#')[0];
  if (pattern.includes('{*}') || pattern.includes('{**}')) {
    const re = pattern.split(/(\{\*\*\}|\{\*\})/).map((s) => s === '{**}' ? '.*' : s === '{*}' ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('');
    return new RegExp(`^${re}$`).test(p);
  }
  return matchValue(pattern, p);
}

function ipToInt(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((x) => x > 255)) return undefined;
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

/** True when `ip` is in the IPv4 block `cidr` (a single address or `a.b.c.d/n`); other forms compare as strings. */
export function inIpBlock(cidr: string, ip: string | undefined): boolean {
  if (!ip) return false;
  const [base, bitsText] = cidr.split('/');
  const b = ipToInt(base);
  const v = ipToInt(ip);
  if (b === undefined || v === undefined) return cidr === ip;
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  if (bits === 0) return true;
  const mask = (~0 << (32 - bits)) >>> 0;
  return ((b & mask) >>> 0) === ((v & mask) >>> 0);
}

// ---------------------------------------------------------------------------
// AuthorizationPolicy

interface Ctx {
  readonly req: HopRequest;
  readonly auth?: ExplainAuth;
  readonly policyNamespace: string;
  readonly notes: Set<string>;
}

const q = (s: string) => `\`${s}\``;
const list = (xs: readonly string[]) => xs.map(q).join(', ');

/** Misses of a positive list field (none when the value matches one entry). */
function positive(_name: string, patterns: string[] | undefined, ok: (p: string) => boolean, miss: () => string): string[] {
  if (patterns === undefined) return [];
  return patterns.some(ok) ? [] : [miss()];
}
function negative(name: string, patterns: string[] | undefined, ok: (p: string) => boolean, describe: string): string[] {
  if (patterns === undefined) return [];
  const hit = patterns.find(ok);
  return hit === undefined ? [] : [`${describe} is excluded by ${name} ${q(hit)}`];
}

function sourceMisses(s: any, c: Ctx): string[] {
  const p = c.req.principal;
  const rp = c.auth?.principal;
  const out: string[] = [];
  out.push(...positive('principals', s.principals, (x) => matchValue(x, p),
    () => p ? `principal ${q(p)} is not a declared caller (principals: ${list(s.principals)})` : `no mTLS: the request is plaintext, so it has no principal (principals: ${list(s.principals)})`));
  out.push(...negative('notPrincipals', s.notPrincipals, (x) => matchValue(x, p), `principal ${q(p ?? '<none>')}`));
  out.push(...positive('requestPrincipals', s.requestPrincipals, (x) => matchRequestPrincipal(x, rp),
    () => rp ? `request principal ${q(rp)} is not in requestPrincipals ${list(s.requestPrincipals)}` : `no valid token, so no request principal (requestPrincipals: ${list(s.requestPrincipals)})`));
  const notRp: string[] | undefined = s.notRequestPrincipals;
  if (notRp !== undefined) {
    const hit = notRp.find((x) => matchRequestPrincipal(x, rp));
    if (hit !== undefined) out.push(`request principal ${q(rp ?? '')} is excluded by notRequestPrincipals ${q(hit)}`);
  }
  out.push(...positive('namespaces', s.namespaces, (x) => matchNamespace(x, p),
    () => p ? `source namespace of ${q(p)} is not in ${list(s.namespaces)}` : `no mTLS: plaintext has no source namespace (namespaces: ${list(s.namespaces)})`));
  out.push(...negative('notNamespaces', s.notNamespaces, (x) => matchNamespace(x, p), `principal ${q(p ?? '<none>')}`));
  out.push(...positive('serviceAccounts', s.serviceAccounts, (x) => matchServiceAccount(x, c.policyNamespace, p),
    () => `principal ${q(p ?? '<none>')} is not one of the service accounts ${list(s.serviceAccounts)}`));
  out.push(...negative('notServiceAccounts', s.notServiceAccounts, (x) => matchServiceAccount(x, c.policyNamespace, p), `principal ${q(p ?? '<none>')}`));
  out.push(...positive('trustDomains', s.trustDomains, (x) => matchTrustDomain(x, p), () => `trust domain of ${q(p ?? '<none>')} is not in ${list(s.trustDomains)}`));
  out.push(...negative('notTrustDomains', s.notTrustDomains, (x) => matchTrustDomain(x, p), `principal ${q(p ?? '<none>')}`));
  const ip = c.req.sourceIp;
  for (const [field, not] of [['ipBlocks', false], ['remoteIpBlocks', false], ['notIpBlocks', true], ['notRemoteIpBlocks', true]] as const) {
    const blocks: string[] | undefined = s[field];
    if (blocks === undefined) continue;
    if (ip === undefined) {
      // an unknown address decides nothing: a rule with an IP field does not match (ALLOW or DENY alike)
      c.notes.add(`${field} needs the client's address; the request gives none (sourceIp), so rules with IP fields do not match`);
      out.push(`source ip unknown (${field} ${list(blocks)})`);
      continue;
    }
    const hit = blocks.find((b) => inIpBlock(b, ip));
    if (!not && hit === undefined) out.push(`source ip ${q(ip ?? '<unknown>')} is not in ${field} ${list(blocks)}`);
    if (not && hit !== undefined) out.push(`source ip ${q(ip ?? '')} is excluded by ${field} ${q(hit)}`);
  }
  return out;
}

function operationMisses(o: any, c: Ctx): string[] {
  const r = c.req;
  const out: string[] = [];
  const path = r.path.split('?')[0];
  out.push(...positive('hosts', o.hosts, (x) => matchValue(x, r.host, true), () => `host ${q(r.host)} not in ${list(o.hosts)}`));
  out.push(...negative('notHosts', o.notHosts, (x) => matchValue(x, r.host, true), `host ${q(r.host)}`));
  out.push(...positive('ports', o.ports, (x) => String(x) === String(r.port), () => `port ${q(String(r.port))} not in ${list((o.ports as unknown[]).map(String))}`));
  out.push(...negative('notPorts', o.notPorts, (x) => String(x) === String(r.port), `port ${q(String(r.port))}`));
  out.push(...positive('methods', o.methods, (x) => matchValue(x, r.method), () => `method ${q(r.method)} not in ${list(o.methods)}`));
  out.push(...negative('notMethods', o.notMethods, (x) => matchValue(x, r.method), `method ${q(r.method)}`));
  out.push(...positive('paths', o.paths, (x) => matchPath(x, r.path), () => `path ${q(path)} not in ${list(o.paths)}`));
  out.push(...negative('notPaths', o.notPaths, (x) => matchPath(x, r.path), `path ${q(path)}`));
  return out;
}

/** The values of an attribute (`when` key) for the request, or undefined when absent; `kind` says how values compare. */
function attribute(key: string, c: Ctx): { values: string[]; kind: 'string' | 'ip' | 'exact' } | undefined {
  const r = c.req;
  const p = r.principal;
  if (key.startsWith('request.auth.claims')) {
    if (!c.auth) return undefined;
    const rest = key.slice('request.auth.claims'.length);
    const names = rest.startsWith('[') ? [...rest.matchAll(/\[([^\]]*)\]/g)].map((m) => m[1]) : rest.replace(/^\./, '').split('.');
    const v = claimAt(c.auth.claims, names);
    const last = names[names.length - 1];
    if (typeof v === 'string' && (last === 'scope' || last === 'permission')) return { values: v.split(/\s+/).filter(Boolean), kind: 'string' };
    const values = listOf(v);
    return values.length ? { values, kind: 'string' } : undefined;
  }
  if (key.startsWith('request.headers[')) {
    const name = key.slice('request.headers['.length, -1).toLowerCase();
    const v = name === ':authority' || name === 'host' ? r.host : name === ':method' ? r.method : name === ':path' ? r.path : r.headers[name];
    return v === undefined ? undefined : { values: [v], kind: 'string' };
  }
  switch (key) {
    case 'request.auth.principal': return c.auth ? { values: [c.auth.principal], kind: 'string' } : undefined;
    case 'request.auth.audiences': return c.auth ? { values: listOf(c.auth.claims.aud), kind: 'string' } : undefined;
    case 'request.auth.presenter': return c.auth && c.auth.claims.azp !== undefined ? { values: listOf(c.auth.claims.azp), kind: 'string' } : undefined;
    case 'source.principal': return p ? { values: [p], kind: 'string' } : undefined;
    case 'source.namespace': {
      const m = p ? /\/ns\/([^/]+)\//.exec(p) : null;
      return m ? { values: [m[1]], kind: 'string' } : undefined;
    }
    case 'source.serviceAccount': {
      const m = p ? /\/ns\/([^/]+)\/sa\/([^/]+)/.exec(p) : null;
      return m ? { values: [`${m[1]}/${m[2]}`], kind: 'string' } : undefined;
    }
    case 'source.trustDomain': return p ? { values: [p.split('/')[0]], kind: 'string' } : undefined;
    case 'source.ip':
    case 'remote.ip': return r.sourceIp ? { values: [r.sourceIp], kind: 'ip' } : undefined;
    case 'destination.port': return { values: [String(r.port)], kind: 'exact' };
    default:
      c.notes.add(`condition key ${q(key)} is not modeled; treated as absent`);
      return undefined;
  }
}

function describeKey(key: string): string {
  const m = /^request\.auth\.claims\[(.+)\]$/.exec(key);
  if (m) return `claim ${q(m[1].replace(/\]\[/g, '.'))}`;
  if (key === 'request.auth.presenter') return 'presenter (azp)';
  return q(key);
}

function conditionMisses(w: any, c: Ctx): string[] {
  const key = String(w.key ?? '');
  const attr = attribute(key, c);
  const cmp = (pattern: string, v: string) => attr?.kind === 'ip' ? inIpBlock(pattern, v) : attr?.kind === 'exact' ? pattern === v : matchValue(pattern, v);
  const values: string[] | undefined = w.values;
  const notValues: string[] | undefined = w.notValues;
  const out: string[] = [];
  if (values !== undefined && !(attr && values.some((pat) => attr.values.some((v) => cmp(pat, v))))) {
    if (!c.auth && key.startsWith('request.auth.')) out.push(`no valid token, so no ${describeKey(key)} (needs ${list(values)})`);
    else if (key === 'request.auth.claims[roles]') out.push(`token has no role ${list(values)}${attr ? ` (roles: ${list(attr.values)})` : ''}`);
    else if (key === 'request.auth.claims[groups]') out.push(`token has no group ${list(values)}${attr ? '' : ' (no groups claim)'}`);
    else if (!attr) out.push(`${key.startsWith('request.auth.') ? 'token' : 'request'} has no ${describeKey(key)} (needs ${list(values)})`);
    else out.push(`${describeKey(key)} is ${list(attr.values)}, not ${list(values)}`);
  }
  if (notValues !== undefined && attr) {
    const hit = notValues.find((pat) => attr.values.some((v) => cmp(pat, v)));
    if (hit !== undefined) out.push(`${describeKey(key)} ${list(attr.values)} is excluded by notValues ${q(hit)}`);
  }
  return out;
}

/** The misses of a rule: empty when it matches (at least one source, one operation, and every condition). */
export function ruleMisses(rule: any, c: Ctx): string[] {
  const out: string[] = [];
  const from: any[] | undefined = rule.from;
  if (from && from.length) {
    const each = from.map((f) => sourceMisses(f.source ?? {}, c));
    if (!each.some((m) => m.length === 0)) out.push(...each.reduce((a, b) => (b.length < a.length ? b : a)));
  }
  const to: any[] | undefined = rule.to;
  if (to && to.length) {
    const each = to.map((t) => operationMisses(t.operation ?? {}, c));
    if (!each.some((m) => m.length === 0)) out.push(...each.reduce((a, b) => (b.length < a.length ? b : a)));
  }
  for (const w of (rule.when ?? []) as any[]) out.push(...conditionMisses(w, c));
  return out;
}

/** Why a DENY rule matched, in words. */
function describeDenyMatch(rule: any, c: Ctx): string {
  const parts: string[] = [];
  for (const f of (rule.from ?? []) as any[]) {
    const s = f.source ?? {};
    if (s.notRequestPrincipals) parts.push(c.auth ? `request principal ${q(c.auth.principal)} is not in ${list(s.notRequestPrincipals)}` : 'no valid token: the request has no request principal');
    if (s.notPrincipals) parts.push(c.req.principal ? `principal ${q(c.req.principal)} is not in ${list(s.notPrincipals)}` : 'no mTLS: the request is plaintext, it has no principal');
    if (s.principals) parts.push(`principal ${q(c.req.principal ?? '')} is in ${list(s.principals)}`);
    if (s.notNamespaces) parts.push(`source namespace is not in ${list(s.notNamespaces)}`);
    if (s.namespaces) parts.push(`source namespace is in ${list(s.namespaces)}`);
    if (s.ipBlocks || s.notIpBlocks || s.remoteIpBlocks || s.notRemoteIpBlocks) parts.push(`source ip ${q(c.req.sourceIp ?? '<unknown>')} matches`);
  }
  for (const t of (rule.to ?? []) as any[]) {
    const o = t.operation ?? {};
    if (o.paths) parts.push(`path ${q(c.req.path.split('?')[0])} is in ${list(o.paths)}`);
    if (o.notPaths) parts.push(`path ${q(c.req.path.split('?')[0])} is not one of ${list(o.notPaths)}`);
    if (o.methods) parts.push(`method ${q(c.req.method)} is in ${list(o.methods)}`);
    if (o.notMethods) parts.push(`method ${q(c.req.method)} is not in ${list(o.notMethods)}`);
    if (o.notPorts) parts.push(`port ${q(String(c.req.port))} is not one of ${list(o.notPorts.map(String))}`);
    if (o.ports) parts.push(`port ${q(String(c.req.port))} is in ${list(o.ports.map(String))}`);
    if (o.hosts || o.notHosts) parts.push(`host ${q(c.req.host)} matches`);
  }
  for (const w of (rule.when ?? []) as any[]) parts.push(`${describeKey(String(w.key))} matches`);
  return parts.length ? parts.join(', ') : 'the rule matches every request';
}

/** Evaluates the AuthorizationPolicies that apply to the workload: CUSTOM, then DENY, then ALLOW. */
export function authorize(set: ManifestSet, wl: ExplainWorkload, req: HopRequest, auth: ExplainAuth | undefined, opts: IstioEvalOptions, trace: string[]): Omit<HopOutcome, 'forwardedToken' | 'setHeaders'> {
  const byAction = new Map<string, Array<{ entry: ManifestEntry; scope: string }>>();
  for (const e of set.ofKind('AuthorizationPolicy', 'security.istio.io')) {
    const scope = policyScope(e.object, wl, opts.rootNamespaces);
    if (!scope) continue;
    if (String(e.object.metadata.annotations?.[DRY_RUN] ?? '') === 'true') {
      trace.push(`  ${ref(e)} (${scope}) is a dry run (istio.io/dry-run), not enforced`);
      continue;
    }
    const action = String(e.object.spec?.action ?? 'ALLOW');
    const l = byAction.get(action) ?? [];
    l.push({ entry: e, scope });
    byAction.set(action, l);
  }
  const notes = new Set<string>();
  const ctxFor = (e: ManifestEntry): Ctx => ({ req, auth, policyNamespace: namespaceOf(e.object), notes });
  const flushNotes = () => { for (const n of notes) trace.push(`  note: ${n}`); notes.clear(); };
  const matching = (e: ManifestEntry): number => {
    const rules: any[] = e.object.spec?.rules ?? [];
    return rules.findIndex((r) => ruleMisses(r ?? {}, ctxFor(e)).length === 0);
  };

  for (const { entry: e } of byAction.get('AUDIT') ?? []) trace.push(`  ${ref(e)} AUDIT, ignored (it does not allow or deny)`);

  for (const { entry: e, scope } of byAction.get('CUSTOM') ?? []) {
    const i = matching(e);
    const provider = e.object.spec?.provider?.name ?? '<none>';
    if (i < 0) { trace.push(`  ${ref(e)} CUSTOM (${scope}): no rule matches`); continue; }
    if (opts.custom === 'deny') {
      trace.push(`  ${ref(e)} CUSTOM rule ${i} matches: provider ${q(provider)} decides; assumed to deny`);
      flushNotes();
      return { verdict: 'DENY', status: 403, decidedBy: { policy: ref(e), action: 'CUSTOM', rule: i },
        reasons: [`CUSTOM ${ref(e)} rule ${i} sends the request to the external authorizer ${q(provider)}, assumed to deny (option custom: deny)`] };
    }
    trace.push(`  ${ref(e)} CUSTOM rule ${i} matches: provider ${q(provider)} decides; assumed to allow (not evaluated offline)`);
  }

  for (const { entry: e, scope } of byAction.get('DENY') ?? []) {
    const i = matching(e);
    if (i < 0) {
      trace.push(`  ${ref(e)} DENY (${scope}): ${(e.object.spec?.rules ?? []).length ? 'no rule matches' : 'no rules, matches nothing'}`);
      continue;
    }
    const why = describeDenyMatch(e.object.spec.rules[i] ?? {}, ctxFor(e));
    trace.push(`  ${ref(e)} DENY rule ${i} matches (${why}): denied`);
    flushNotes();
    return { verdict: 'DENY', status: 403, decidedBy: { policy: ref(e), action: 'DENY', rule: i }, reasons: [`${why} (DENY ${ref(e)} rule ${i})`] };
  }

  const allows = byAction.get('ALLOW') ?? [];
  if (allows.length === 0) {
    trace.push('  AuthorizationPolicy: no ALLOW policy applies, so the request is allowed');
    flushNotes();
    return { verdict: 'ALLOW', status: 200, reasons: [] };
  }
  const candidates: Array<{ misses: string[]; policy: string; rule: number }> = [];
  for (const { entry: e, scope } of allows) {
    const rules: any[] = e.object.spec?.rules ?? [];
    if (rules.length === 0) {
      trace.push(`  ${ref(e)} ALLOW (${scope}): no rules, allows nothing`);
      continue;
    }
    for (let i = 0; i < rules.length; i++) {
      const misses = ruleMisses(rules[i] ?? {}, ctxFor(e));
      if (misses.length === 0) {
        trace.push(`  ${ref(e)} ALLOW rule ${i} matches: allowed`);
        flushNotes();
        return { verdict: 'ALLOW', status: 200, decidedBy: { policy: ref(e), action: 'ALLOW', rule: i }, reasons: [] };
      }
      trace.push(`  ${ref(e)} ALLOW rule ${i} does not match: ${misses.join('; ')}`);
      candidates.push({ misses, policy: ref(e), rule: i });
    }
  }
  flushNotes();
  const fewest = Math.min(...candidates.map((c) => c.misses.length));
  const reasons = [...new Set(candidates.filter((c) => c.misses.length === fewest).flatMap((c) => c.misses))];
  const policies = allows.map((a) => ref(a.entry));
  // the policy of the closest rule (the one the request misses least), else the first (an allow-nothing policy)
  const closest = candidates.find((c) => c.misses.length === fewest);
  return {
    verdict: 'DENY',
    status: 403,
    decidedBy: { policy: closest?.policy ?? policies[0], action: 'ALLOW' },
    reasons: [...reasons, `no ALLOW rule matches (${policies.join(', ')}${candidates.length ? '' : ' allow nothing'})`],
  };
}

/** Full evaluation of one sidecar or gateway: mTLS, token, authorization. */
export function evaluateHop(set: ManifestSet, wl: ExplainWorkload, req: HopRequest, opts: IstioEvalOptions, trace: string[]): HopOutcome {
  let principal = req.principal;
  if (!wl.isGateway) {
    const pa = peerAuthentication(set, wl, req.port, opts.rootNamespaces, trace);
    if (pa.mode === 'STRICT' && !principal) {
      const reason = `no mTLS: STRICT (PeerAuthentication ${pa.source?.replace(/^PeerAuthentication /, '')}) rejects the plaintext connection before any AuthorizationPolicy`;
      trace.push(`  mTLS: plaintext against STRICT, connection reset`);
      return { verdict: 'DENY', status: 503, decidedBy: { policy: pa.source!, action: 'STRICT' }, reasons: [reason], setHeaders: {} };
    }
    if (pa.mode === 'DISABLE' && principal) {
      trace.push('  mTLS: DISABLE, the connection is plaintext, so the peer has no principal');
      principal = undefined;
    } else {
      trace.push(principal ? `  mTLS: peer principal \`${principal}\`` : '  mTLS: plaintext accepted (PERMISSIVE): no peer principal');
    }
  } else {
    trace.push('  mTLS: the client connects to the gateway over TLS from outside the mesh: no peer principal (PeerAuthentication does not apply)');
    principal = undefined;
  }
  const hopReq: HopRequest = { ...req, principal };
  const authn = requestAuthentication(set, wl, hopReq, opts.rootNamespaces, trace);
  if (authn.rejected) {
    return { verdict: 'DENY', status: 401, decidedBy: { policy: authn.rejected.policy, action: 'REJECT_TOKEN' }, reasons: [authn.rejected.reason], setHeaders: {} };
  }
  const authz = authorize(set, wl, hopReq, authn.auth, opts, trace);
  return { ...authz, forwardedToken: authn.forwardedToken, setHeaders: authn.setHeaders };
}
