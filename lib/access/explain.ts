/**
 * `explain`: whether a request reaches an endpoint, evaluated over the
 * synthesized manifests (the real output, so hand edits count) with Istio's
 * documented semantics, hop by hop: the edge serving the public host (its
 * route, and the policies of its gateway pods or what its NGINX objects
 * enforce), then the backend's sidecar (PeerAuthentication,
 * RequestAuthentication, AuthorizationPolicy CUSTOM, DENY, ALLOW).
 *
 * @see https://istio.io/latest/docs/reference/config/security/authorization-policy/
 * @see https://istio.io/latest/docs/concepts/security/#authorization-policy-precedence
 */
import { AKS_ISTIO_EXTERNAL_GATEWAY, AKS_ISTIO_INTERNAL_GATEWAY, ISTIO_INGRESS_GATEWAY } from '../edge/istio-gateway';
import { nginxGatewayFabricResourceName } from '../edge/nginx-gateway-fabric';
import { explainEgress, explainMeshEgress } from './explain-egress';
import { ExplainWorkload, HopOutcome, HopRequest, IstioEvalOptions, evaluateHop, inIpBlock } from './explain-istio';
import { DEFAULT_ROOT_NAMESPACES, KubeObject, ManifestEntry, ManifestSet, matchesLabels, namespaceOf, objectRef } from './manifests';

/** A token presented with the request (its signature is assumed valid unless `forged`). */
export interface ExplainToken {
  /** The token's claims: `iss`, `aud`, `sub`, `azp`/`appid`, `oid`, `roles`, `groups`, `scp`, ... */
  readonly claims: Record<string, unknown>;
  /**
   * The signature does not verify (a forged or tampered token): rejected with
   * 401 by every proxy whose RequestAuthentication reads it.
   *
   * @default false
   */
  readonly forged?: boolean;
  /**
   * The header that carries the token (`<header>: Bearer <token>`).
   *
   * @default 'authorization'
   */
  readonly header?: string;
  /**
   * Send the token in this query parameter instead of a header.
   *
   * @default - in `header`
   */
  readonly queryParam?: string;
}

/** Where the request goes: a Service in the manifests, or an external host. */
export type ExplainTarget =
  | { readonly namespace: string; readonly service: string; readonly host?: undefined }
  | { readonly host: string; readonly namespace?: undefined; readonly service?: undefined };

/** The request to explain. */
export interface ExplainRequest {
  /**
   * The endpoint: the Service the request is for (with `viaEdge`, the
   * Service the edge routes to), or an external host (a managed online
   * endpoint's scoring host) a mesh workload (`principal`) calls: then only
   * the egress side is evaluated (Sidecar, ServiceEntry), and the token is
   * left to the external service.
   */
  readonly to: ExplainTarget;
  /** The HTTP method, e.g. `POST`. */
  readonly method: string;
  /** The path, e.g. `/score` (a query string is ignored by path matching). */
  readonly path: string;
  /**
   * The Host (`:authority`) the backend sees.
   *
   * @default - the edge host with `viaEdge` (as the edge rewrites it), else the Service's cluster host `<service>.<namespace>.svc.cluster.local`
   */
  readonly host?: string;
  /**
   * The Service port the request is sent to (policies see its target port).
   *
   * @default - the Service's first port (with `viaEdge`, the port of the route's backend)
   */
  readonly port?: number;
  /**
   * The token presented.
   *
   * @default - no token
   */
  readonly token?: ExplainToken;
  /**
   * The mesh principal of the direct peer (`<trustDomain>/ns/<ns>/sa/<sa>`,
   * a `spiffe://` prefix is accepted). Ignored with `viaEdge`, where the
   * backend's peer is the edge.
   *
   * @default - plaintext (a client outside the mesh)
   */
  readonly principal?: string;
  /**
   * The public host of an edge the request enters through (the edge is found
   * in the manifests: an HTTPRoute, an Istio VirtualService, an F5 NGINX
   * VirtualServer or an Ingress for that host).
   *
   * @default - straight to the Service, bypassing any edge
   */
  readonly viaEdge?: string;
  /**
   * The edge controller's mesh principal, when the manifests cannot say it
   * (NGINX controllers and gateways installed separately).
   *
   * @default - read from the manifests; an error when they cannot say it
   */
  readonly edgePrincipal?: string;
  /**
   * The client's address (for `ipBlocks`, `remoteIpBlocks`, `source.ip`, source ranges).
   *
   * @default - unknown: a rule with an IP field (`ipBlocks` or `notIpBlocks`, ALLOW or DENY) does not match, and source ranges are not checked
   */
  readonly sourceIp?: string;
  /**
   * Other request headers (lower-case names), for `request.headers[...]` conditions.
   *
   * @default - none
   */
  readonly headers?: Record<string, string>;
}

/** How `explain` reads the mesh. */
export interface ExplainOptions {
  /**
   * The mesh's root namespaces: policies there without a selector apply mesh-wide.
   *
   * @default ['istio-system', 'aks-istio-system'] (upstream Istio's and the AKS Istio add-on's)
   */
  readonly rootNamespaces?: readonly string[];
  /**
   * The mesh's trust domain (used for principals explain derives).
   *
   * @default 'cluster.local'
   */
  readonly trustDomain?: string;
  /**
   * What a matching CUSTOM (ext-authz) policy's external authorizer answers:
   * it cannot be asked offline, so by default it is assumed to allow, and
   * the trace says so.
   *
   * @default 'allow'
   */
  readonly custom?: 'allow' | 'deny';
}

/** The policy (or object) that decided. */
export interface ExplainDecision {
  /** `<Kind> <namespace>/<name>`. */
  readonly policy: string;
  /**
   * `ALLOW`, `DENY` or `CUSTOM` for an AuthorizationPolicy (an ALLOW policy
   * without a rule means none of its rules matched); `STRICT` for a
   * PeerAuthentication; `REJECT_TOKEN` for a RequestAuthentication or a
   * token policy; `ROUTE` for an edge's route.
   */
  readonly action: string;
  /** The index of the rule that matched, when one did. */
  readonly rule?: number;
}

/** One proxy on the way. */
export interface ExplainHop {
  /** `edge`, `backend`, or `egress` (the caller's sidecar: for an external host, or for an in-mesh Service that its Sidecar does not import). */
  readonly role: 'edge' | 'backend' | 'egress';
  /** The workload that evaluated it, e.g. `Deployment fraud/fraud-model-blue`. */
  readonly workload: string;
  readonly verdict: 'ALLOW' | 'DENY';
  readonly status: number;
  readonly decidedBy?: ExplainDecision;
}

/** The answer. */
export interface ExplainResult {
  readonly verdict: 'ALLOW' | 'DENY';
  /**
   * The HTTP status the client sees: 200, 401 (token rejected), 403
   * (authorization), 404 (no route), a redirect code, or 503 (plaintext
   * refused by STRICT mTLS: the connection is reset; an edge in front
   * answers 503).
   */
  readonly status: number;
  /** What decided (for an ALLOW without any ALLOW policy: undefined). */
  readonly decidedBy?: ExplainDecision;
  /** For a DENY, what is missing (for an ALLOW, what was assumed, e.g. a CUSTOM decision). */
  readonly reasons: string[];
  /** Each hop and each policy considered, in evaluation order. */
  readonly trace: string[];
  /** The proxies on the way, in order. */
  readonly hops: ExplainHop[];
}

/** The request or the manifests do not let explain answer (no such Service, no edge for the host, unknown edge principal). */
export class ExplainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExplainError';
  }
}


const KNOWN_ISTIO_GATEWAYS = [ISTIO_INGRESS_GATEWAY, AKS_ISTIO_EXTERNAL_GATEWAY, AKS_ISTIO_INTERNAL_GATEWAY];

/** A backend the request lands on: a workload and the port it receives on. */
interface Backend {
  readonly workload: ExplainWorkload;
  readonly port: number;
  readonly enrolled: boolean | undefined;
  readonly enrolment: string;
}

/** What the edge hop leaves for the backend hop. */
interface EdgePass {
  readonly principal?: string;
  readonly token?: HopRequest['token'];
  readonly host: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  /** Backend Services (namespace, name, Service port) the route sends to. */
  readonly services: Array<{ namespace: string; name: string; port?: number }>;
  /** Pods selected directly (an InferencePool backend). */
  readonly pools: Array<{ namespace: string; name: string; selector: Record<string, string>; port?: number }>;
}

/**
 * Says whether `request` reaches `request.to` given `manifests`, and why.
 * Throws {@link ExplainError} when the request names what the manifests do
 * not have (a Service, an edge host) or an edge whose principal cannot be
 * read (pass `edgePrincipal`).
 */
export function explain(manifests: ManifestSet, request: ExplainRequest, options: ExplainOptions = {}): ExplainResult {
  const opts: IstioEvalOptions = {
    rootNamespaces: options.rootNamespaces ?? DEFAULT_ROOT_NAMESPACES,
    custom: options.custom ?? 'allow',
  };
  const trustDomain = options.trustDomain ?? 'cluster.local';
  const trace: string[] = [];
  const hops: ExplainHop[] = [];
  const method = request.method.toUpperCase();
  const headers = lowerKeys(request.headers ?? {});
  if (request.to.host !== undefined) {
    if (!request.principal) throw new ExplainError(`principal must be the calling workload's mesh principal for a request to the external host "${request.to.host}", got none`);
    const out = explainEgress(manifests, request.principal, request.to.host, request.port, opts.rootNamespaces, trace);
    hops.push({ role: 'egress', workload: `sidecar of ${request.principal.replace(/^spiffe:\/\//, '')}`, verdict: out.verdict, status: out.status, decidedBy: out.decidedBy });
    trace.push(`verdict: ${out.verdict} ${out.status}`);
    return { ...out, trace, hops };
  }
  const to = request.to as { namespace: string; service: string };
  const service = findService(manifests, to.namespace, to.service);

  let pass: EdgePass;
  if (request.viaEdge !== undefined) {
    const edge = evaluateEdge(manifests, request, method, headers, opts, trustDomain, trace);
    if (edge.hop) hops.push(edge.hop);
    if (edge.final) return { ...edge.final, trace, hops };
    pass = edge.pass!;
  } else {
    const principal = request.principal?.replace(/^spiffe:\/\//, '');
    trace.push(`request: ${method} ${request.path} to Service ${objectRef(service.object).replace(/^Service /, '')} directly (no edge), from ${principal ? `mesh principal \`${principal}\`` : 'a plaintext client'}`);
    if (principal) {
      // the caller's own sidecar must have a route to the Service (a Sidecar's egress hosts may leave it out)
      const clusterHost = `${to.service}.${to.namespace}.svc.cluster.local`;
      const out = explainMeshEgress(manifests, principal, to.namespace, clusterHost, opts.rootNamespaces, trace);
      if (out) {
        hops.push({ role: 'egress', workload: `sidecar of ${principal}`, verdict: out.verdict, status: out.status, decidedBy: out.decidedBy });
        trace.push(`verdict: ${out.verdict} ${out.status}`);
        return { ...out, trace, hops };
      }
    }
    pass = {
      principal,
      token: request.token,
      host: request.host ?? `${request.to.service}.${request.to.namespace}.svc.cluster.local`,
      path: request.path,
      headers,
      services: [{ namespace: request.to.namespace, name: request.to.service, port: request.port }],
      pools: [],
    };
  }

  const backends = resolveBackends(manifests, pass, request, trace);
  if (backends.length === 0) {
    throw new ExplainError(`to must name a Service whose pods the manifests can name, got "${request.to.namespace}/${request.to.service}", which leads to none`);
  }
  let first: { outcome: HopOutcome; backend: Backend } | undefined;
  let denied: { outcome: HopOutcome; backend: Backend } | undefined;
  const seen: string[] = [];
  for (const b of backends) {
    trace.push(`backend: ${b.workload.description} (pod labels ${Object.entries(b.workload.labels).map(([k, v]) => `${k}=${v}`).join(',') || 'none'}), port ${b.port}; ${b.enrolment}`);
    const own: string[] = [];
    let outcome: HopOutcome;
    if (b.enrolled === false) {
      own.push('  not in the mesh: no Istio policy is enforced');
      outcome = { verdict: 'ALLOW', status: 200, reasons: [`${b.workload.description} is not enrolled in the mesh: no policy is enforced`], setHeaders: {} };
    } else {
      outcome = evaluateHop(manifests, b.workload, {
        method, path: pass.path, host: pass.host, port: b.port, token: pass.token, principal: pass.principal,
        sourceIp: request.viaEdge !== undefined ? undefined : request.sourceIp, headers: pass.headers,
      }, opts, own);
    }
    // pods the same policies select (blue and green of one model) evaluate alike: said once
    const text = own.join('\n');
    const same = seen.indexOf(text);
    if (same >= 0) trace.push(`  the same policies as ${backends[same].workload.description}, with the same outcome`);
    else trace.push(...own);
    seen.push(text);
    hops.push({ role: 'backend', workload: b.workload.description, verdict: outcome.verdict, status: outcome.status, decidedBy: outcome.decidedBy });
    first = first ?? { outcome, backend: b };
    if (outcome.verdict === 'DENY' && !denied) denied = { outcome, backend: b };
  }
  const chosen = denied ?? first!;
  const differs = denied && backends.length > 1 && hops.filter((h) => h.role === 'backend').some((h) => h.verdict === 'ALLOW');
  const reasons = [...chosen.outcome.reasons];
  if (differs) reasons.push(`backends disagree: ${chosen.backend.workload.description} denies, others allow`);
  const verdict = chosen.outcome.verdict;
  trace.push(`verdict: ${verdict} ${chosen.outcome.status}${chosen.outcome.decidedBy ? ` (${chosen.outcome.decidedBy.policy}${chosen.outcome.decidedBy.rule !== undefined ? ` rule ${chosen.outcome.decidedBy.rule}` : ''})` : ''}`);
  return { verdict, status: chosen.outcome.status, decidedBy: chosen.outcome.decidedBy, reasons, trace, hops };
}

/** One line per verdict, then the reasons and the trace: what the CLI prints. */
export function formatExplainResult(result: ExplainResult): string {
  const d = result.decidedBy;
  const head = `${result.verdict} ${result.status}${d ? ` by ${d.policy} (${d.action}${d.rule !== undefined ? ` rule ${d.rule}` : ''})` : ''}`;
  const lines = [head];
  if (result.reasons.length) {
    lines.push(result.verdict === 'DENY' ? 'because:' : 'note:');
    for (const r of result.reasons) lines.push(`  - ${r}`);
  }
  lines.push('trace:');
  for (const t of result.trace) lines.push(`  ${t}`);
  return `${lines.join('\n')}\n`;
}

function lowerKeys(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}

function findService(set: ManifestSet, namespace: string, name: string): ManifestEntry {
  const svc = set.ofKind('Service', '').find((e) => namespaceOf(e.object) === namespace && e.object.metadata.name === name);
  if (!svc) {
    const known = set.ofKind('Service', '').map((e) => `${namespaceOf(e.object)}/${e.object.metadata.name}`).sort();
    throw new ExplainError(`to must name a Service in the manifests, got "${namespace}/${name}"; the manifests have ${known.length ? known.join(', ') : 'no Service'}`);
  }
  return svc;
}

function hostMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  if (p === '*') return true;
  if (p.startsWith('*.')) return h.endsWith(p.slice(1)) && h.length > p.length - 1;
  return p === h;
}

// ---------------------------------------------------------------------------
// Backends

function namespaceEnrolment(set: ManifestSet, namespace: string): { enrolled: boolean | undefined; text: string; ambient?: boolean } {
  const ns = set.namespace(namespace);
  if (!ns) return { enrolled: undefined, text: `Namespace ${namespace} is not in the manifests: assumed enrolled in the mesh` };
  const l = ns.object.metadata.labels ?? {};
  if (l['istio.io/dataplane-mode'] === 'ambient') return { enrolled: true, ambient: true, text: `Namespace ${namespace} is ambient (istio.io/dataplane-mode: ambient): ztunnel and the waypoint evaluated as one proxy` };
  if (l['istio-injection'] === 'enabled') return { enrolled: true, text: `Namespace ${namespace} has istio-injection: enabled` };
  if (l['istio.io/rev']) return { enrolled: true, text: `Namespace ${namespace} has istio.io/rev: ${l['istio.io/rev']}` };
  return { enrolled: false, text: `Namespace ${namespace} has no injection label` };
}

function podEnrolment(nsEnrol: { enrolled: boolean | undefined; text: string }, labels: Record<string, string>, annotations: Record<string, string>): { enrolled: boolean | undefined; text: string } {
  const inject = labels['sidecar.istio.io/inject'] ?? annotations['sidecar.istio.io/inject'];
  if (inject === 'false') return { enrolled: false, text: 'the pod opts out (sidecar.istio.io/inject: "false")' };
  if (inject === 'true' || labels['istio.io/rev']) return { enrolled: true, text: 'the pod asks for a sidecar' };
  return nsEnrol;
}

function targetPortOf(service: KubeObject, port: number | undefined, containers: any[]): { servicePort: number; target: number } {
  const ports: any[] = service.spec?.ports ?? [];
  if (ports.length === 0) throw new ExplainError(`the request's Service must have ports, got ${objectRef(service)} with none`);
  const p = port === undefined ? ports[0] : ports.find((x) => x.port === port);
  if (!p) throw new ExplainError(`port must be one of the ports of ${objectRef(service)}, got ${port}; it has ${ports.map((x) => x.port).join(', ')}`);
  let target: number = p.port;
  if (typeof p.targetPort === 'number') target = p.targetPort;
  else if (typeof p.targetPort === 'string') {
    const named = containers.flatMap((c) => (c.ports ?? []) as any[]).find((cp) => cp.name === p.targetPort);
    target = named?.containerPort ?? (/^\d+$/.test(p.targetPort) ? Number(p.targetPort) : p.port);
  }
  return { servicePort: p.port, target };
}

function containersOf(entry: ManifestEntry, templatePath: string): any[] {
  let cur: any = entry.object;
  for (const part of templatePath ? templatePath.split('.') : []) cur = cur?.[part];
  return (templatePath ? cur?.spec?.containers : entry.object.spec?.containers) ?? [];
}

function resolveBackends(set: ManifestSet, pass: EdgePass, request: ExplainRequest, trace: string[]): Backend[] {
  const out: Backend[] = [];
  const podsFor = (namespace: string, selector: Record<string, string>) =>
    set.podTemplates().filter((p) => p.namespace === namespace && Object.keys(selector).length > 0 && matchesLabels(selector, p.labels));
  for (const s of pass.services) {
    const svc = findService(set, s.namespace, s.name);
    const selector: Record<string, string> = svc.object.spec?.selector ?? {};
    const pods = podsFor(s.namespace, selector);
    const nsEnrol = namespaceEnrolment(set, s.namespace);
    if (pods.length === 0) {
      if (Object.keys(selector).length === 0) throw new ExplainError(`the request's Service must have a selector, got ${objectRef(svc.object)} without one; explain cannot tell which pods serve it`);
      const { target } = targetPortOf(svc.object, s.port, []);
      trace.push(`  ${objectRef(svc.object)}: no pod template in the manifests matches its selector; its pods are assumed to carry exactly the selector's labels`);
      out.push({ workload: { description: `pods of ${objectRef(svc.object)}`, namespace: s.namespace, labels: { ...selector }, serviceAccount: 'default', serviceName: s.name, ambient: nsEnrol.ambient },
        port: target, enrolled: nsEnrol.enrolled, enrolment: nsEnrol.text });
      continue;
    }
    for (const p of pods) {
      const { target } = targetPortOf(svc.object, s.port, containersOf(p.entry, p.templatePath));
      const e = podEnrolment(nsEnrol, p.labels, p.annotations);
      out.push({ workload: { description: `${p.kind} ${p.namespace}/${p.name}`, namespace: p.namespace, labels: p.labels, serviceAccount: p.serviceAccount, serviceName: s.name, ambient: nsEnrol.ambient },
        port: target, enrolled: e.enrolled, enrolment: e.text });
    }
  }
  for (const pool of pass.pools) {
    const pods = podsFor(pool.namespace, pool.selector);
    const nsEnrol = namespaceEnrolment(set, pool.namespace);
    const port = pool.port ?? request.port ?? 0;
    if (pods.length === 0) {
      trace.push(`  InferencePool ${pool.namespace}/${pool.name}: no pod template in the manifests matches its selector; its pods are assumed to carry exactly the selector's labels`);
      out.push({ workload: { description: `pods of InferencePool ${pool.namespace}/${pool.name}`, namespace: pool.namespace, labels: { ...pool.selector }, serviceAccount: 'default' },
        port, enrolled: nsEnrol.enrolled, enrolment: nsEnrol.text });
    }
    for (const p of pods) {
      const e = podEnrolment(nsEnrol, p.labels, p.annotations);
      out.push({ workload: { description: `${p.kind} ${p.namespace}/${p.name}`, namespace: p.namespace, labels: p.labels, serviceAccount: p.serviceAccount }, port, enrolled: e.enrolled, enrolment: e.text });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Edges

interface EdgeEval {
  readonly hop?: ExplainHop;
  /** The request ends at the edge (denied, redirected, not routed). */
  readonly final?: Omit<ExplainResult, 'trace' | 'hops'>;
  readonly pass?: EdgePass;
}

function denyAt(status: number, reasons: string[], decidedBy?: ExplainDecision): Omit<ExplainResult, 'trace' | 'hops'> {
  return { verdict: 'DENY', status, reasons, decidedBy };
}

function evaluateEdge(set: ManifestSet, request: ExplainRequest, method: string, headers: Record<string, string>, opts: IstioEvalOptions, trustDomain: string, trace: string[]): EdgeEval {
  const host = request.viaEdge!.toLowerCase();
  trace.push(`request: ${method} ${request.path} to https://${host} (edge), ${request.token ? `with a token${request.token.forged ? ' whose signature does not verify' : ''}` : 'without a token'}`);
  const found = gatewayApiEdge(set, host) ?? istioGatewayEdge(set, host) ?? nginxVirtualServerEdge(set, host) ?? ingressEdge(set, host);
  if (!found) {
    throw new ExplainError(`viaEdge must be a host an edge in the manifests serves (an HTTPRoute, a VirtualService bound to a Gateway, a VirtualServer or an Ingress), got "${host}"`);
  }
  trace.push(`edge: ${found.description}`);
  const explicit = request.edgePrincipal?.replace(/^spiffe:\/\//, '');
  const principal = explicit ?? (found.serviceAccount ? `${trustDomain}/ns/${found.namespace}/sa/${found.serviceAccount}` : undefined);
  if (!principal && found.inMesh !== false) {
    throw new ExplainError(`the manifests do not say the mesh principal of the edge for "${host}" (${found.description}); pass edgePrincipal (--edge-principal), e.g. ${trustDomain}/ns/nginx-ingress/sa/nginx-ingress`);
  }
  const req: HopRequest = { method, path: request.path, host, port: found.port, token: request.token, sourceIp: request.sourceIp, headers };
  let outcome: HopOutcome;
  const workloadName = found.workload?.description ?? found.description;
  if (found.workload) {
    trace.push(`edge hop: ${found.workload.description} (${found.workload.isGateway ? 'Istio gateway' : 'pods'}), port ${found.port}`);
    outcome = evaluateHop(set, found.workload, req, opts, trace);
  } else {
    outcome = found.enforce(req, trace);
  }
  const hop: ExplainHop = { role: 'edge', workload: workloadName, verdict: outcome.verdict, status: outcome.status, decidedBy: outcome.decidedBy };
  if (outcome.verdict === 'DENY') {
    trace.push(`verdict: DENY ${outcome.status} at the edge`);
    return { hop, final: denyAt(outcome.status, outcome.reasons, outcome.decidedBy) };
  }
  const route = found.route(method, request.path, headers);
  if (!route.ok) {
    trace.push(`  route: ${route.reason}`);
    trace.push(`verdict: DENY ${route.status} at the edge`);
    return { hop, final: denyAt(route.status, [route.reason], { policy: found.ref, action: 'ROUTE' }) };
  }
  trace.push(`  route: ${route.description}`);
  if (!route.services.some((s) => s.namespace === request.to.namespace) && route.pools.length === 0) {
    throw new ExplainError(`to must be where the edge for "${host}" routes, got "${request.to.namespace}/${request.to.service}"; ${route.description}`);
  }
  const fwdHeaders = { ...headers, ...outcome.setHeaders };
  for (const h of route.removeHeaders) delete fwdHeaders[h.toLowerCase()];
  for (const [k, v] of Object.entries(route.setHeaders)) fwdHeaders[k.toLowerCase()] = v;
  let token = outcome.forwardedToken;
  if (token && route.removeHeaders.map((h) => h.toLowerCase()).includes((token.header ?? 'authorization').toLowerCase())) token = undefined;
  const inMesh = found.inMesh !== false;
  trace.push(`  forwards: ${inMesh ? `over mTLS as \`${principal}\`` : 'in plaintext (the edge is not in the mesh)'}, ${token ? 'with the token' : 'without a token'}, host ${route.host ?? request.host ?? host}`);
  return {
    hop,
    pass: {
      principal: inMesh ? principal : undefined,
      token,
      host: request.host ?? route.host ?? host,
      path: route.path ?? request.path,
      headers: fwdHeaders,
      services: route.services.filter((s) => s.namespace === request.to.namespace),
      pools: route.pools,
    },
  };
}

type RouteResult =
  | { ok: true; description: string; services: EdgePass['services']; pools: EdgePass['pools']; host?: string; path?: string; removeHeaders: string[]; setHeaders: Record<string, string> }
  | { ok: false; status: number; reason: string };

interface FoundEdge {
  readonly description: string;
  readonly ref: string;
  readonly namespace: string;
  readonly serviceAccount?: string;
  readonly port: number;
  /** Undefined when unknown (assumed in the mesh when a principal is known). */
  readonly inMesh?: boolean;
  /** For Istio gateways: the gateway pods, evaluated like any proxy. */
  readonly workload?: ExplainWorkload;
  /** For NGINX edges: what its own objects enforce. */
  readonly enforce: (req: HopRequest, trace: string[]) => HopOutcome;
  readonly route: (method: string, path: string, headers: Record<string, string>) => RouteResult;
}

const noEnforcement = (what: string) => (_req: HopRequest, trace: string[]): HopOutcome => {
  trace.push(`  ${what}`);
  return { verdict: 'ALLOW', status: 200, reasons: [], forwardedToken: _req.token, setHeaders: {} };
};

function stripQuery(path: string): string {
  return path.split('?')[0].split('#')[0];
}

// Gateway API -----------------------------------------------------------------

function gatewayApiEdge(set: ManifestSet, host: string): FoundEdge | undefined {
  const gateways = set.ofKind('Gateway', 'gateway.networking.k8s.io');
  const routes = set.ofKind('HTTPRoute', 'gateway.networking.k8s.io').filter((r) => {
    const hostnames: string[] = r.object.spec?.hostnames ?? [];
    return hostnames.length === 0 || hostnames.some((h) => hostMatches(h, host));
  });
  // the listener the request arrives on: HTTPS for the host when the Gateway has one
  const attached: Array<{ route: ManifestEntry; gwNs: string; gwName: string; gateway?: ManifestEntry; listener?: any }> = [];
  for (const r of routes) {
    for (const p of (r.object.spec?.parentRefs ?? []) as any[]) {
      if ((p.kind ?? 'Gateway') !== 'Gateway' || (p.group ?? 'gateway.networking.k8s.io') !== 'gateway.networking.k8s.io') continue;
      const gwNs = p.namespace ?? namespaceOf(r.object);
      const gateway = gateways.find((g) => namespaceOf(g.object) === gwNs && g.object.metadata.name === p.name);
      const listeners: any[] = gateway?.object.spec?.listeners ?? [];
      const candidates = listeners.filter((l) => (p.sectionName === undefined || l.name === p.sectionName) && (l.hostname === undefined || hostMatches(l.hostname, host))
        && (p.port === undefined || l.port === p.port));
      if (gateway && candidates.length === 0) continue;
      const https = candidates.find((l) => l.protocol === 'HTTPS');
      attached.push({ route: r, gwNs, gwName: p.name, gateway, listener: https ?? candidates[0] });
    }
  }
  if (attached.length === 0) return undefined;
  const httpsAttached = attached.filter((a) => a.listener?.protocol === 'HTTPS');
  const chosen = httpsAttached.length ? httpsAttached : attached;
  const a0 = chosen[0];
  const sameParent = chosen.filter((a) => a.gwNs === a0.gwNs && a.gwName === a0.gwName && a.listener?.name === a0.listener?.name);
  const className: string | undefined = a0.gateway?.object.spec?.gatewayClassName;
  const gwClass = className ? set.ofKind('GatewayClass', 'gateway.networking.k8s.io').find((c) => c.object.metadata.name === className) : undefined;
  const controller: string = gwClass?.object.spec?.controllerName ?? '';
  const isIstio = className === 'istio' || controller === 'istio.io/gateway-controller';
  const isNgf = className === 'nginx' || controller.startsWith('gateway.nginx.org/');
  const port: number = a0.listener?.port ?? 443;
  const gwRef = `Gateway ${a0.gwNs}/${a0.gwName}`;
  const base = {
    ref: objectRef(a0.route.object),
    namespace: a0.gwNs,
    port,
    route: (method: string, path: string, headers: Record<string, string>) => httpRouteMatch(set, sameParent.map((a) => a.route), method, path, headers),
  };
  if (!a0.gateway) {
    return { ...base, description: `${sameParent.map((a) => objectRef(a.route.object)).join(', ')} on ${gwRef} (not in the manifests: its class and policies are unknown)`,
      enforce: noEnforcement(`${gwRef} is not in the manifests: nothing evaluated at the edge`) };
  }
  const description = `${sameParent.map((a) => objectRef(a.route.object)).join(', ')} on ${gwRef} listener ${a0.listener?.name ?? '?'} (class ${className})`;
  // the automated deployment's ServiceAccount: <gateway>-<class> (NGINX Gateway Fabric shortens long names with a hash)
  const sa = className ? (isNgf ? nginxGatewayFabricResourceName(a0.gwName, className) : `${a0.gwName}-${className}`) : undefined;
  if (isIstio) {
    const pods = set.podTemplates().find((p) => p.namespace === a0.gwNs && p.labels['gateway.networking.k8s.io/gateway-name'] === a0.gwName);
    const workload: ExplainWorkload = {
      description: pods ? `${pods.kind} ${pods.namespace}/${pods.name}` : `Deployment ${a0.gwNs}/${sa} (the Gateway's automated deployment)`,
      namespace: a0.gwNs,
      labels: pods?.labels ?? { 'gateway.networking.k8s.io/gateway-name': a0.gwName, 'istio.io/gateway-name': a0.gwName },
      serviceAccount: pods?.serviceAccount ?? sa!,
      gateway: { name: a0.gwName, className: className! },
      isGateway: true,
    };
    return { ...base, description, serviceAccount: workload.serviceAccount, inMesh: true, workload, enforce: noEnforcement('') };
  }
  if (isNgf) {
    const infra = a0.gateway.object.spec?.infrastructure ?? {};
    const labels = infra.labels ?? {};
    const nsEnrol = namespaceEnrolment(set, a0.gwNs);
    const inMesh = labels['sidecar.istio.io/inject'] === 'false' ? false
      : labels['istio.io/rev'] || labels['sidecar.istio.io/inject'] === 'true' ? true : nsEnrol.enrolled ?? false;
    const ranges = nginxProxyRanges(set, a0.gateway);
    return {
      ...base, description, serviceAccount: inMesh ? sa : undefined, inMesh,
      enforce: (req, trace) => {
        trace.push(`edge hop: NGINX Gateway Fabric data plane ${a0.gwNs}/${sa} (${inMesh ? 'in the mesh' : 'not in the mesh'}); it validates no token, and forwards it as sent`);
        if (ranges && req.sourceIp !== undefined && !ranges.some((r) => inIpBlock(r, req.sourceIp))) {
          const reason = `source ip \`${req.sourceIp}\` is not in the load balancer's source ranges ${ranges.map((r) => `\`${r}\``).join(', ')} (NginxProxy)`;
          trace.push(`  ${reason}`);
          return { verdict: 'DENY', status: 403, reasons: [reason], decidedBy: { policy: gwRef, action: 'SOURCE_RANGES' }, setHeaders: {} };
        }
        return { verdict: 'ALLOW', status: 200, reasons: [], forwardedToken: req.token, setHeaders: {} };
      },
    };
  }
  return { ...base, description: `${description}: a controller explain does not model`, enforce: noEnforcement(`class ${className} is not modeled: nothing evaluated at the edge`) };
}

function nginxProxyRanges(set: ManifestSet, gateway: ManifestEntry): string[] | undefined {
  const p = gateway.object.spec?.infrastructure?.parametersRef;
  if (!p || p.kind !== 'NginxProxy') return undefined;
  const np = set.ofKind('NginxProxy', 'gateway.nginx.org').find((e) => e.object.metadata.name === p.name && namespaceOf(e.object) === namespaceOf(gateway.object));
  return np?.object.spec?.kubernetes?.service?.loadBalancerSourceRanges;
}

function httpRouteMatch(set: ManifestSet, routes: ManifestEntry[], method: string, path: string, headers: Record<string, string>): RouteResult {
  const p = stripQuery(path);
  type Cand = { route: ManifestEntry; rule: any; index: number; score: number };
  const cands: Cand[] = [];
  for (const r of routes) {
    ((r.object.spec?.rules ?? []) as any[]).forEach((rule, index) => {
      const matches: any[] = rule.matches?.length ? rule.matches : [{ path: { type: 'PathPrefix', value: '/' } }];
      for (const m of matches) {
        if (m.method && m.method !== method) continue;
        if (((m.headers ?? []) as any[]).some((h) => (h.type ?? 'Exact') === 'Exact' && headers[String(h.name).toLowerCase()] !== h.value)) continue;
        const type = m.path?.type ?? 'PathPrefix';
        const value: string = m.path?.value ?? '/';
        let score = -1;
        if (type === 'Exact' && p === value) score = 1e6 + value.length;
        else if (type === 'PathPrefix') {
          const v = value.replace(/\/$/, '');
          if (v === '' || p === v || p.startsWith(`${v}/`)) score = value.length;
        } else if (type === 'RegularExpression' && new RegExp(`^${value}$`).test(p)) score = 0.5;
        if (score >= 0) cands.push({ route: r, rule, index, score: score + (m.method ? 0.1 : 0) + (m.headers?.length ?? 0) * 0.01 });
      }
    });
  }
  if (cands.length === 0) return { ok: false, status: 404, reason: `path \`${p}\` matches no rule of ${routes.map((r) => objectRef(r.object)).join(', ')}: 404` };
  cands.sort((a, b) => b.score - a.score);
  const { route, rule, index } = cands[0];
  const filters: any[] = rule.filters ?? [];
  const redirect = filters.find((f) => f.type === 'RequestRedirect');
  if (redirect) {
    const code = redirect.requestRedirect?.statusCode ?? 302;
    return { ok: false, status: code, reason: `${objectRef(route.object)} rule ${index} redirects (${code}) instead of forwarding` };
  }
  const removeHeaders: string[] = [];
  const setHeaders: Record<string, string> = {};
  let host: string | undefined;
  let newPath: string | undefined;
  for (const f of filters) {
    if (f.type === 'RequestHeaderModifier') {
      removeHeaders.push(...((f.requestHeaderModifier?.remove ?? []) as string[]));
      for (const h of [...(f.requestHeaderModifier?.set ?? []), ...(f.requestHeaderModifier?.add ?? [])] as any[]) setHeaders[String(h.name).toLowerCase()] = String(h.value);
    }
    if (f.type === 'URLRewrite') {
      if (f.urlRewrite?.hostname) host = f.urlRewrite.hostname;
      const pm = f.urlRewrite?.path;
      if (pm?.type === 'ReplaceFullPath') newPath = pm.replaceFullPath;
      if (pm?.type === 'ReplacePrefixMatch') {
        const prefix: string = (rule.matches?.[0]?.path?.value ?? '/').replace(/\/$/, '');
        newPath = `${pm.replacePrefixMatch.replace(/\/$/, '')}${p.slice(prefix.length)}` || '/';
      }
    }
  }
  const rns = namespaceOf(route.object);
  const services: EdgePass['services'] = [];
  const pools: EdgePass['pools'] = [];
  for (const b of (rule.backendRefs ?? []) as any[]) {
    if (b.weight === 0) continue;
    const ns = b.namespace ?? rns;
    const kind = b.kind ?? 'Service';
    if (kind === 'Service' && (b.group ?? '') === '') services.push({ namespace: ns, name: b.name, port: b.port });
    if (kind === 'InferencePool') {
      const pool = set.ofKind('InferencePool').find((e) => namespaceOf(e.object) === ns && e.object.metadata.name === b.name);
      pools.push({ namespace: ns, name: b.name, selector: pool?.object.spec?.selector?.matchLabels ?? pool?.object.spec?.selector ?? {}, port: pool?.object.spec?.targetPorts?.[0]?.number ?? pool?.object.spec?.targetPortNumber });
    }
  }
  if (services.length === 0 && pools.length === 0) return { ok: false, status: 500, reason: `${objectRef(route.object)} rule ${index} has no backend` };
  return {
    ok: true,
    description: `${objectRef(route.object)} rule ${index} sends to ${[...services.map((s) => `Service ${s.namespace}/${s.name}${s.port ? `:${s.port}` : ''}`), ...pools.map((x) => `InferencePool ${x.namespace}/${x.name}`)].join(', ')}`
      + `${removeHeaders.length ? `, removes ${removeHeaders.join(', ')}` : ''}${host ? `, host rewritten to ${host}` : ''}${newPath ? `, path rewritten to ${newPath}` : ''}`,
    services, pools, host, path: newPath, removeHeaders, setHeaders,
  };
}

// Istio Gateway + VirtualService ------------------------------------------------

function istioGatewayEdge(set: ManifestSet, host: string): FoundEdge | undefined {
  const gateways = set.ofKind('Gateway', 'networking.istio.io');
  const serving = gateways.map((g) => {
    const servers: any[] = g.object.spec?.servers ?? [];
    const hits = servers.filter((s) => ((s.hosts ?? []) as string[]).some((h) => hostMatches(h.includes('/') ? h.split('/')[1] : h, host)));
    return { g, server: hits.find((s) => String(s.port?.protocol).toUpperCase() === 'HTTPS') ?? hits[0] };
  }).filter((x) => x.server);
  if (serving.length === 0) return undefined;
  serving.sort((a, b) => Number(String(b.server.port?.protocol).toUpperCase() === 'HTTPS') - Number(String(a.server.port?.protocol).toUpperCase() === 'HTTPS'));
  const { g, server } = serving[0];
  const gwNs = namespaceOf(g.object);
  const gwName = g.object.metadata.name!;
  const vss = set.ofKind('VirtualService', 'networking.istio.io').filter((v) => {
    const vns = namespaceOf(v.object);
    const bound = ((v.object.spec?.gateways ?? []) as string[]).some((x) => x === `${gwNs}/${gwName}` || (x === gwName && vns === gwNs));
    return bound && ((v.object.spec?.hosts ?? []) as string[]).some((h) => hostMatches(h, host));
  });
  const selector: Record<string, string> = g.object.spec?.selector ?? {};
  const pods = set.podTemplates().find((p) => Object.keys(selector).length > 0 && matchesLabels(selector, p.labels));
  const known = KNOWN_ISTIO_GATEWAYS.find((k) => Object.keys(k.selector).length === Object.keys(selector).length && matchesLabels(k.selector, selector));
  const namespace = pods?.namespace ?? known?.namespace ?? gwNs;
  const serviceAccount = pods?.serviceAccount ?? known?.serviceAccount;
  const labels = pods?.labels ?? { ...selector };
  const workload: ExplainWorkload = {
    description: pods ? `${pods.kind} ${pods.namespace}/${pods.name}` : known ? `the ingress gateway pods ${fmt(selector)} in ${namespace} (ServiceAccount ${serviceAccount})` : `the gateway pods ${fmt(selector)} (not in the manifests)`,
    namespace, labels, serviceAccount: serviceAccount ?? 'default', isGateway: true,
  };
  return {
    description: `${objectRef(g.object)} server ${server.name ?? server.port?.number} (${server.port?.protocol} ${server.port?.number}), ${vss.length ? vss.map((v) => objectRef(v.object)).join(', ') : 'no VirtualService'}`,
    ref: vss[0] ? objectRef(vss[0].object) : objectRef(g.object),
    namespace, serviceAccount, port: Number(server.port?.targetPort ?? server.port?.number ?? 443), inMesh: true,
    workload: serviceAccount ? workload : undefined,
    enforce: noEnforcement('the gateway pods are not in the manifests and not a known gateway: no policy evaluated at the edge'),
    route: (method, path, headers) => virtualServiceMatch(set, vss, method, path, headers),
  };
}

function fmt(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');
}

function stringMatch(m: any, v: string | undefined): boolean {
  if (!m) return true;
  if (v === undefined) return false;
  if (m.exact !== undefined) return v === m.exact;
  if (m.prefix !== undefined) return v.startsWith(m.prefix);
  if (m.regex !== undefined) return new RegExp(`^(?:${m.regex})$`).test(v);
  return true;
}

function serviceOfHost(set: ManifestSet, h: string, fromNs: string): { namespace: string; name: string } | undefined {
  const parts = h.split('.');
  if (parts.length === 1) return { namespace: fromNs, name: parts[0] };
  if (parts.length === 2 || (parts.length >= 3 && parts[2] === 'svc')) return { namespace: parts[1], name: parts[0] };
  const se = set.ofKind('Service', '').find((s) => s.object.metadata.name === parts[0] && namespaceOf(s.object) === parts[1]);
  return se ? { namespace: parts[1], name: parts[0] } : undefined;
}

function virtualServiceMatch(set: ManifestSet, vss: ManifestEntry[], method: string, path: string, headers: Record<string, string>): RouteResult {
  const p = stripQuery(path);
  if (vss.length === 0) return { ok: false, status: 404, reason: 'no VirtualService is bound to the gateway for the host: 404' };
  for (const vs of vss) {
    const https: any[] = vs.object.spec?.http ?? [];
    for (let i = 0; i < https.length; i++) {
      const h = https[i];
      const matches: any[] = h.match?.length ? h.match : [{}];
      const hit = matches.some((m) => stringMatch(m.uri, p) && stringMatch(m.method, method)
        && Object.entries(m.headers ?? {}).every(([k, v]) => stringMatch(v, headers[k.toLowerCase()])));
      if (!hit) continue;
      if (h.redirect) return { ok: false, status: h.redirect.redirectCode ?? 301, reason: `${objectRef(vs.object)} http[${i}] redirects instead of forwarding` };
      if (h.directResponse) return { ok: false, status: h.directResponse.status ?? 200, reason: `${objectRef(vs.object)} http[${i}] answers directly (directResponse)` };
      const services: EdgePass['services'] = [];
      for (const r of (h.route ?? []) as any[]) {
        if (r.weight === 0) continue;
        const s = serviceOfHost(set, String(r.destination?.host ?? ''), namespaceOf(vs.object));
        if (s) services.push({ ...s, port: r.destination?.port?.number });
      }
      const removeHeaders: string[] = h.headers?.request?.remove ?? [];
      const setHeaders: Record<string, string> = { ...(h.headers?.request?.set ?? {}), ...(h.headers?.request?.add ?? {}) };
      const host: string | undefined = h.rewrite?.authority;
      const newPath: string | undefined = h.rewrite?.uri !== undefined && matches[0]?.uri?.prefix !== undefined ? `${h.rewrite.uri}${p.slice(matches[0].uri.prefix.length)}` : undefined;
      return {
        ok: true, description: `${objectRef(vs.object)} http[${i}]${h.name ? ` (${h.name})` : ''} sends to ${services.map((s) => `Service ${s.namespace}/${s.name}${s.port ? `:${s.port}` : ''}`).join(', ')}`,
        services, pools: [], host, path: newPath, removeHeaders, setHeaders,
      };
    }
  }
  return { ok: false, status: 404, reason: `${method} \`${p}\` matches no http route of ${vss.map((v) => objectRef(v.object)).join(', ')}: 404` };
}

// F5 NGINX VirtualServer -----------------------------------------------------------

function nginxVirtualServerEdge(set: ManifestSet, host: string): FoundEdge | undefined {
  const vs = set.ofKind('VirtualServer', 'k8s.nginx.org').find((v) => hostMatches(String(v.object.spec?.host ?? ''), host));
  if (!vs) return undefined;
  const ns = namespaceOf(vs.object);
  const policyRefs = (refs: any[] | undefined) => (refs ?? []).map((r) => set.ofKind('Policy', 'k8s.nginx.org')
    .find((p) => p.object.metadata.name === r.name && namespaceOf(p.object) === (r.namespace ?? ns))).filter((x): x is ManifestEntry => !!x);
  let matchedRoute: { route: any; index: number } | undefined;
  const pickRoute = (path: string) => {
    const p = stripQuery(path);
    const routes: any[] = vs.object.spec?.routes ?? [];
    let best: { route: any; index: number; score: number } | undefined;
    routes.forEach((route, index) => {
      const rp = String(route.path ?? '/');
      let score = -1;
      if (rp.startsWith('=')) score = p === rp.slice(1).trim() ? 1e6 : -1;
      else if (rp.startsWith('~')) score = new RegExp(rp.replace(/^~\*?\s*/, ''), rp.startsWith('~*') ? 'i' : '').test(p) ? 5e5 : -1;
      else score = p.startsWith(rp) ? rp.length : -1;
      if (score >= 0 && (!best || score > best.score)) best = { route, index, score };
    });
    return best;
  };
  return {
    description: `${objectRef(vs.object)} (F5 NGINX Ingress Controller, class ${vs.object.spec?.ingressClassName ?? 'default'})`,
    ref: objectRef(vs.object), namespace: ns, port: 443,
    enforce: (req, trace) => {
      const best = pickRoute(req.path);
      matchedRoute = best;
      trace.push('edge hop: F5 NGINX Ingress Controller; PeerAuthentication and AuthorizationPolicy do not apply to what it receives');
      const policies = [...policyRefs(vs.object.spec?.policies), ...policyRefs(best?.route.policies)];
      for (const p of policies) {
        const spec = p.object.spec ?? {};
        if (spec.jwt) {
          if (!req.token) {
            const reason = `no token: ${objectRef(p.object)} (jwt) requires one: 401`;
            trace.push(`  ${reason}`);
            return { verdict: 'DENY', status: 401, reasons: [reason], decidedBy: { policy: objectRef(p.object), action: 'REJECT_TOKEN' }, setHeaders: {} };
          }
          if (req.token.forged) {
            const reason = `token signature does not verify (${objectRef(p.object)}, jwt): 401`;
            trace.push(`  ${reason}`);
            return { verdict: 'DENY', status: 401, reasons: [reason], decidedBy: { policy: objectRef(p.object), action: 'REJECT_TOKEN' }, setHeaders: {} };
          }
          trace.push(`  ${objectRef(p.object)} (jwt): the token's signature is checked; issuer and audience are not`);
        } else if (spec.accessControl) {
          const allow: string[] | undefined = spec.accessControl.allow;
          const deny: string[] | undefined = spec.accessControl.deny;
          const ip = req.sourceIp;
          if ((allow && !(ip && allow.some((c) => inIpBlock(c, ip)))) || (deny && ip && deny.some((c) => inIpBlock(c, ip)))) {
            const reason = `source ip \`${ip ?? '<unknown>'}\` is refused by ${objectRef(p.object)} (accessControl): 403`;
            trace.push(`  ${reason}`);
            return { verdict: 'DENY', status: 403, reasons: [reason], decidedBy: { policy: objectRef(p.object), action: 'DENY' }, setHeaders: {} };
          }
        } else if (spec.ingressMTLS) {
          trace.push(`  ${objectRef(p.object)} (ingressMTLS): a client certificate is required; assumed presented and valid`);
        } else if (spec.oidc) {
          trace.push(`  ${objectRef(p.object)} (oidc): a signed-in session is required; not modeled, assumed present`);
        } else {
          trace.push(`  ${objectRef(p.object)}: no access decision (${Object.keys(spec).filter((k) => k !== 'ingressClassName').join(', ')})`);
        }
      }
      return { verdict: 'ALLOW', status: 200, reasons: [], forwardedToken: req.token, setHeaders: {} };
    },
    route: (_method, path) => {
      const best = matchedRoute ?? pickRoute(path);
      if (!best) return { ok: false, status: 404, reason: `path \`${stripQuery(path)}\` matches no route of ${objectRef(vs.object)}: 404` };
      const action = best.route.action ?? best.route.splits?.[0]?.action ?? best.route.matches?.[0]?.action;
      const upstreamName = action?.pass ?? action?.proxy?.upstream;
      if (!upstreamName) return { ok: false, status: action?.return?.code ?? action?.redirect?.code ?? 301, reason: `${objectRef(vs.object)} route ${best.index} does not proxy (redirect or return)` };
      const upstream = ((vs.object.spec?.upstreams ?? []) as any[]).find((u) => u.name === upstreamName);
      if (!upstream) return { ok: false, status: 502, reason: `${objectRef(vs.object)} route ${best.index} names upstream ${upstreamName}, which is not declared` };
      const set: Array<{ name: string; value: string }> = action?.proxy?.requestHeaders?.set ?? [];
      const hostHeader = set.find((h) => h.name.toLowerCase() === 'host')?.value;
      return {
        ok: true, description: `${objectRef(vs.object)} route ${best.index} (${best.route.path}) sends to upstream ${upstream.name}: Service ${ns}/${upstream.service}:${upstream.port}`,
        services: [{ namespace: ns, name: upstream.service, port: upstream.port }], pools: [], host: hostHeader,
        removeHeaders: [], setHeaders: Object.fromEntries(set.filter((h) => h.name.toLowerCase() !== 'host').map((h) => [h.name.toLowerCase(), h.value])),
      };
    },
  };
}

// Ingress -------------------------------------------------------------------------------

function ingressEdge(set: ManifestSet, host: string): FoundEdge | undefined {
  const ing = set.ofKind('Ingress', 'networking.k8s.io').find((i) => ((i.object.spec?.rules ?? []) as any[]).some((r) => r.host && hostMatches(r.host, host)));
  if (!ing) return undefined;
  const ns = namespaceOf(ing.object);
  const ann = ing.object.metadata.annotations ?? {};
  const ranges = ann['nginx.ingress.kubernetes.io/whitelist-source-range'] ?? ann['nginx.ingress.kubernetes.io/allowlist-source-range'];
  return {
    description: `${objectRef(ing.object)} (class ${ing.object.spec?.ingressClassName ?? 'default'})`,
    ref: objectRef(ing.object), namespace: ns, port: 443,
    enforce: (req, trace) => {
      trace.push('edge hop: the Ingress controller; PeerAuthentication and AuthorizationPolicy do not apply to what it receives');
      if (ann['nginx.ingress.kubernetes.io/auth-url']) trace.push('  note: auth-url (external authentication) is not modeled; assumed to allow');
      if (ranges && req.sourceIp !== undefined) {
        const list = String(ranges).split(',').map((s) => s.trim()).filter(Boolean);
        if (!list.some((c) => inIpBlock(c, req.sourceIp))) {
          const reason = `source ip \`${req.sourceIp}\` is not in the allowed source ranges ${list.map((r) => `\`${r}\``).join(', ')} (${objectRef(ing.object)}): 403`;
          trace.push(`  ${reason}`);
          return { verdict: 'DENY', status: 403, reasons: [reason], decidedBy: { policy: objectRef(ing.object), action: 'SOURCE_RANGES' }, setHeaders: {} };
        }
      }
      return { verdict: 'ALLOW', status: 200, reasons: [], forwardedToken: req.token, setHeaders: {} };
    },
    route: (_method, path) => {
      const p = stripQuery(path);
      let best: { path: any; score: number } | undefined;
      for (const r of (ing.object.spec?.rules ?? []) as any[]) {
        if (!r.host || !hostMatches(r.host, host)) continue;
        for (const hp of (r.http?.paths ?? []) as any[]) {
          const v = String(hp.path ?? '/');
          let score = -1;
          if (hp.pathType === 'Exact') score = p === v ? 1e6 : -1;
          else {
            const base = v.replace(/\/$/, '');
            score = base === '' || p === base || p.startsWith(`${base}/`) ? v.length : -1;
          }
          if (score >= 0 && (!best || score > best.score)) best = { path: hp, score };
        }
      }
      if (!best) return { ok: false, status: 404, reason: `path \`${p}\` matches no path of ${objectRef(ing.object)}: 404` };
      const svc = best.path.backend?.service;
      const port = svc?.port?.number;
      return {
        ok: true, description: `${objectRef(ing.object)} path ${best.path.path ?? '/'} sends to Service ${ns}/${svc?.name}${port ? `:${port}` : ''}`,
        services: [{ namespace: ns, name: svc?.name, port }], pools: [], host: ann['nginx.ingress.kubernetes.io/upstream-vhost'],
        removeHeaders: [], setHeaders: {},
      };
    },
  };
}
