/**
 * The access map read back from Kubernetes manifests alone: for apps not
 * built with the library (hand-written YAML, a Kubeflow or KServe install),
 * or to see what hand edits did to ours. Every ALLOW rule that can reach an
 * endpoint becomes rows; what a row cannot express is spelled out in its
 * `caller`, never dropped.
 *
 * @see https://istio.io/latest/docs/reference/config/security/authorization-policy/
 */
import { compareStrings, sortStrings } from '../util/names';
import { DEFAULT_ROOT_NAMESPACES, ManifestEntry, ManifestSet, apiGroup, matchesLabels, namespaceOf, objectRef } from './manifests';
import { AccessMapRow } from './map-row';
import { sortAccessMap } from './map';

/** Options of {@link accessMapFromManifests}. */
export interface AccessMapFromManifestsOptions {
  /**
   * The mesh principal of the edge controller that serves each public host,
   * for edges whose controller is not in the manifests (F5 NGINX Ingress
   * Controller, ingress-nginx, a shared gateway installed elsewhere): a rule
   * that admits this principal reads as door `edge <host>`.
   *
   * @default - Gateway API Gateways and Istio Gateways found in the manifests only
   */
  readonly edgePrincipals?: Readonly<Record<string, string>>;
  /**
   * Istio's root namespaces: an AuthorizationPolicy there applies to the
   * whole mesh (its selector, when set, to matching workloads of every
   * namespace).
   *
   * @default ['istio-system', 'aks-istio-system'] (upstream Istio, the AKS Istio add-on)
   */
  readonly rootNamespaces?: readonly string[];
}

/** What an endpoint's pods are known as: a workload of the manifests, or the Service's selector when none is. */
interface Workload {
  readonly labels: Record<string, string>;
  /** `Deployment ns/name`, or `pods k=v,...` for the Service's selector standing in for pods not in the manifests. */
  readonly ref: string;
}

interface Endpoint {
  readonly namespace: string;
  readonly name: string;
  /** `<namespace>/<service>`. */
  readonly id: string;
  readonly selector: Record<string, string>;
  readonly labels: Record<string, string>;
  readonly workloads: readonly Workload[];
}

interface Policy {
  readonly entry: ManifestEntry;
  readonly namespace: string;
  readonly name: string;
  readonly action: string;
  readonly selector?: Record<string, string>;
  readonly targetRefs: readonly any[];
  readonly rules: readonly any[];
  /**
   * `mesh-wide` (root namespace, no selector), `root-namespace` (root
   * namespace, a selector matching in every namespace), `namespace-wide` (no
   * selector, no targetRefs), or undefined.
   */
  readonly breadth?: 'mesh-wide' | 'root-namespace' | 'namespace-wide';
  readonly root: boolean;
}

/** An edge found in the manifests: the principals of its pods and the hosts it serves per backend. */
interface EdgeController {
  /** `/ns/<ns>/sa/<sa>` suffixes of the mesh principals its pods run as. */
  readonly principalSuffixes: readonly string[];
  /** The hosts it serves whatever the backend (listener or server hosts), `*` when none is named. */
  readonly hosts: readonly string[];
  /** The routes' hosts and the backends they lead to. */
  readonly routes: readonly Route[];
}

/** A host and the backends (Services or pod selectors) its routes lead to. */
interface Route {
  readonly host: string;
  readonly namespace: string;
  readonly service?: string;
  readonly selector?: Record<string, string>;
}

/** Istio GatewayClasses whose Gateways are not edges: ambient waypoints, multi-network gateways. */
const NOT_EDGE_CLASSES = new Set(['istio-waypoint', 'istio-east-west', 'istio-remote']);

/** The keys of `from.source` a row reads into `principal` and `token`; every other key is spelled out in `caller`. */
const READ_SOURCE_KEYS = new Set(['principals', 'requestPrincipals']);
/** The keys of `to.operation` a row reads into `paths` and `methods`. */
const READ_OPERATION_KEYS = new Set(['paths', 'methods']);

/**
 * The access map of `set`, from its objects alone: for every Service with a
 * selector (its pods: the workloads of the set that it selects, or its
 * selector when none is in the set), the Istio ALLOW AuthorizationPolicies
 * that apply to its pods (in the Service's namespace by selector or
 * namespace-wide, mesh-wide from a root namespace, or by `targetRefs` to the
 * Service) give one row per rule, `from` source, `to` operation and
 * principal:
 *
 * - `principal` from `source.principals` (`*` when absent; for
 *   `source.namespaces`, `/ns/<ns>/sa/*` after a `*` trust domain);
 * - `token` from `requestPrincipals` and `when` on `request.auth.*`:
 *   `claim=value` alternatives (`request.auth.presenter` as `azp`, a
 *   `requestPrincipals` entry other than `<issuer>/*` as `sub`), `any` when
 *   a token is required without a claim condition (by `requestPrincipals`,
 *   or by a DENY policy with `notRequestPrincipals: ["*"]` over the pods),
 *   `none` otherwise;
 * - `paths` and `methods` from `to.operation`;
 * - `door` `edge <host>` when the principal is an edge's (a Gateway API
 *   Gateway's automated deployment, ServiceAccount
 *   `<gateway name>-<gatewayClassName>` in its namespace, or the one its
 *   `gateway.istio.io/service-account` annotation names; the pods an Istio
 *   Gateway selects, or the AKS add-on's and upstream Istio's ingress
 *   gateways when those pods are not in the set; `options.edgePrincipals`),
 *   one row per host whose routes lead to the Service's pods; `mesh` otherwise;
 * - `caller` the token condition and principal as read (`roles=Fraud.Score
 *   via cluster.local/ns/x/sa/y`), then every condition the other fields
 *   cannot hold (`notPrincipals`, `ipBlocks`, ports, `when` on other keys),
 *   the policy when it is namespace-wide, mesh-wide or selects from the root
 *   namespace (Istio ORs ALLOW policies), and the pods it covers when not
 *   all of the Service's;
 * - `azureRole` `-` (Azure's side is not in manifests).
 *
 * Pods with no ALLOW policy at all are open to every peer: a row with caller
 * `anyone (no ALLOW policy)`. An ALLOW policy with no rules admits nobody and
 * gives no row. A Service whose selector adds labels to another Service's of
 * the same namespace (the per-version Services of a traffic split) is read
 * as part of that one. An ALLOW policy that applies to no Service of the set
 * still gives its rows, under `<namespace>/pods <selector>` (or
 * `<namespace>/<Kind> <name>` of what its `targetRefs` name, e.g. an edge's
 * Gateway).
 * Rows that differ only by the claim carrying one client id (`azp` in v2
 * tokens, `appid` in v1) are one row with both alternatives.
 *
 * The map says what ALLOW rules admit: DENY policies narrow it only as the
 * token requirement above; CUSTOM (ext-authz) and AUDIT policies,
 * PeerAuthentication and NetworkPolicies are not read (`explain` and `lint`
 * do).
 */
export function accessMapFromManifests(set: ManifestSet, options: AccessMapFromManifestsOptions = {}): AccessMapRow[] {
  const roots = new Set(options.rootNamespaces ?? DEFAULT_ROOT_NAMESPACES);
  const policies = set.ofKind('AuthorizationPolicy', 'security.istio.io').map((e) => readPolicy(e, roots));
  const endpoints = readEndpoints(set);
  const edges = readEdges(set);
  const rows: AccessMapRow[] = [];
  const used = new Set<Policy>();

  for (const endpoint of endpoints) {
    const applying = new Map<Policy, Workload[]>();
    for (const p of policies) {
      const covered = endpoint.workloads.filter((w) => applies(p, endpoint, w, set));
      if (covered.length) applying.set(p, covered);
    }
    const allow = [...applying].filter(([p]) => p.action === 'ALLOW');
    allow.forEach(([p]) => used.add(p));
    const tokenRequired = (covered: readonly Workload[]) => covered.every((w) =>
      [...applying].some(([p, ws]) => p.action === 'DENY' && ws.includes(w) && p.rules.some(deniesTokenless)));

    const open = endpoint.workloads.filter((w) => !allow.some(([, ws]) => ws.includes(w)));
    if (open.length) {
      rows.push({
        endpoint: endpoint.id,
        door: 'mesh',
        caller: `anyone (no ALLOW policy)${partial(open, endpoint)}`,
        principal: '*',
        token: tokenRequired(open) ? 'any' : 'none',
        paths: [],
        methods: [],
        azureRole: '-',
      });
    }
    for (const [policy, covered] of allow) {
      rows.push(...policyRows(policy, endpoint, covered, tokenRequired(covered), edges, options.edgePrincipals ?? {}));
    }
  }

  // ALLOW policies that protect no Service of the set: their pods (or the object they target) are endpoints too
  for (const p of policies) {
    if (p.action !== 'ALLOW' || used.has(p)) continue;
    if (p.targetRefs.length) {
      for (const ref of p.targetRefs) {
        const target = `${String(ref?.kind ?? 'Service')} ${String(ref?.name ?? '')}`;
        const workload: Workload = { labels: {}, ref: target };
        const endpoint: Endpoint = { namespace: p.namespace, name: target, id: `${p.namespace}/${target}`, selector: {}, labels: {}, workloads: [workload] };
        rows.push(...policyRows(p, endpoint, [workload], false, edges, options.edgePrincipals ?? {}));
      }
      continue;
    }
    const selector = p.selector ?? {};
    const pods = Object.keys(selector).length ? `pods ${formatLabels(selector)}` : 'pods *';
    const workload: Workload = { labels: selector, ref: pods };
    const endpoint: Endpoint = { namespace: p.namespace, name: pods, id: `${p.root ? '*' : p.namespace}/${pods}`, selector, labels: {}, workloads: [workload] };
    rows.push(...policyRows(p, endpoint, [workload], false, edges, options.edgePrincipals ?? {}));
  }
  return sortAccessMap(mergeClientIdRows(rows));
}

function readPolicy(entry: ManifestEntry, roots: ReadonlySet<string>): Policy {
  const o = entry.object;
  const spec = o.spec ?? {};
  const namespace = namespaceOf(o);
  const selector = spec.selector?.matchLabels as Record<string, string> | undefined;
  const targetRefs = Array.isArray(spec.targetRefs) ? spec.targetRefs : spec.targetRef ? [spec.targetRef] : [];
  const root = roots.has(namespace);
  const hasSelector = selector !== undefined && Object.keys(selector).length > 0;
  return {
    entry,
    namespace,
    name: o.metadata?.name ?? '<unnamed>',
    action: spec.action ?? 'ALLOW',
    selector: hasSelector ? selector : undefined,
    targetRefs,
    rules: Array.isArray(spec.rules) ? spec.rules : [],
    breadth: targetRefs.length ? undefined : root ? (hasSelector ? 'root-namespace' : 'mesh-wide') : hasSelector ? undefined : 'namespace-wide',
    root,
  };
}

function readEndpoints(set: ManifestSet): Endpoint[] {
  const pods = set.podTemplates();
  const services = set.ofKind('Service', '')
    .map((e) => e.object)
    .filter((s) => s.spec?.type !== 'ExternalName' && s.spec?.selector && Object.keys(s.spec.selector).length > 0);
  const refines = (narrow: Record<string, string>, wide: Record<string, string>) =>
    Object.keys(narrow).length > Object.keys(wide).length && matchesLabels(wide, narrow);
  return services
    // a Service that adds labels to another's selector (blue/green Services) is part of the wider one
    .filter((s) => !services.some((w) => w !== s && namespaceOf(w) === namespaceOf(s) && refines(s.spec.selector, w.spec.selector)))
    .map((s) => {
      const namespace = namespaceOf(s);
      const selector = { ...s.spec.selector } as Record<string, string>;
      const selected = pods.filter((p) => p.namespace === namespace && matchesLabels(selector, p.labels));
      const workloads: Workload[] = selected.length
        ? selected.map((p) => ({ labels: p.labels, ref: `${p.kind} ${p.namespace}/${p.name}` }))
        : [{ labels: selector, ref: `pods ${formatLabels(selector)}` }];
      const name = s.metadata?.name ?? '<unnamed>';
      return { namespace, name, id: `${namespace}/${name}`, selector, labels: { ...(s.metadata?.labels ?? {}) }, workloads };
    });
}

/** Whether `policy` applies to `workload`, one of `endpoint`'s. */
function applies(policy: Policy, endpoint: Endpoint, workload: Workload, set: ManifestSet): boolean {
  if (policy.targetRefs.length) {
    return policy.targetRefs.some((ref) => {
      const kind = ref?.kind;
      const group = ref?.group ?? '';
      if (kind === 'Service' && group === '') return policy.namespace === endpoint.namespace && ref.name === endpoint.name;
      // ambient: a policy on a waypoint applies to the Services that use it (label on the Service or its namespace)
      if (kind === 'Gateway' && group === 'gateway.networking.k8s.io') {
        const nsLabels = set.namespace(endpoint.namespace)?.object.metadata?.labels ?? {};
        const waypoint = endpoint.labels['istio.io/use-waypoint'] ?? nsLabels['istio.io/use-waypoint'];
        const waypointNs = endpoint.labels['istio.io/use-waypoint-namespace'] ?? nsLabels['istio.io/use-waypoint-namespace'] ?? endpoint.namespace;
        return waypoint === ref.name && waypointNs === policy.namespace;
      }
      return false;
    });
  }
  if (!policy.root && policy.namespace !== endpoint.namespace) return false;
  return matchesLabels(policy.selector, workload.labels);
}

/** A DENY rule that refuses every request without a token: `from: [{ source: { notRequestPrincipals: ["*"] } }]` and nothing else. */
function deniesTokenless(rule: any): boolean {
  if (!rule || rule.to?.length || rule.when?.length || !Array.isArray(rule.from) || rule.from.length === 0) return false;
  return rule.from.every((f: any) => {
    const s = f?.source ?? {};
    return Object.keys(s).length === 1 && Array.isArray(s.notRequestPrincipals) && s.notRequestPrincipals.includes('*');
  });
}

function policyRows(policy: Policy, endpoint: Endpoint, covered: readonly Workload[], tokenRequired: boolean,
  edges: readonly EdgeController[], edgePrincipals: Readonly<Record<string, string>>): AccessMapRow[] {
  const rows: AccessMapRow[] = [];
  const suffix = `${policy.breadth ? ` (${policy.breadth} ${objectRef(policy.entry.object)})` : ''}${partial(covered, endpoint)}`;
  for (const rule of policy.rules) {
    const sources: any[] = Array.isArray(rule?.from) && rule.from.length ? rule.from.map((f: any) => f?.source ?? {}) : [{}];
    const operations: any[] = Array.isArray(rule?.to) && rule.to.length ? rule.to.map((t: any) => t?.operation ?? {}) : [{}];
    const when: any[] = Array.isArray(rule?.when) ? rule.when : [];
    const ruleIsEmpty = sources.every((s) => Object.keys(s).length === 0) && operations.every((o) => Object.keys(o).length === 0) && when.length === 0;
    for (const source of sources) {
      for (const operation of operations) for (const when of claimAlternatives(rule?.when, source)) {
        const token = tokenOf(source, when, tokenRequired);
        const extras = [...sourceExtras(source), ...operationExtras(operation), ...whenExtras(when)];
        const principals: string[] = stringList(source.principals).length
          ? stringList(source.principals)
          : stringList(source.namespaces).length ? stringList(source.namespaces).map((ns) => `*/ns/${ns}/sa/*`) : ['*'];
        for (const principal of principals) {
          const who = ruleIsEmpty
            ? 'anyone (ALLOW rule with no conditions)'
            : `${token === 'any' ? 'any token' : token === 'none' ? 'no token' : token} via ${principal === '*' ? 'any peer' : principal}`
              + (extras.length ? `, if ${extras.join(', ')}` : '');
          for (const door of doorsOf(principal, endpoint, edges, edgePrincipals)) {
            rows.push({
              endpoint: endpoint.id,
              door,
              caller: `${who}${suffix}`,
              principal,
              token,
              paths: stringList(operation.paths),
              methods: stringList(operation.methods),
              azureRole: '-',
            });
          }
        }
      }
    }
  }
  return rows;
}

/**
 * A rule's `when` conditions as alternatives, one row each: a rule whose
 * one condition on a token claim lists several values (Istio ORs them; the
 * library merges callers that differ only in that claim's value into one
 * rule) reads as one alternative per value, as if each were a rule of its
 * own, when that condition is the rule's only one on the token (no other
 * `when`, no subject named in `requestPrincipals`). Any other `when` is one
 * alternative.
 */
function claimAlternatives(when: unknown, source: any): any[][] {
  const list: any[] = Array.isArray(when) ? when : [];
  const only = list.length === 1 ? list[0] : undefined;
  const namesSubject = stringList(source?.requestPrincipals).some((rp) => rp !== '*' && !rp.endsWith('/*'));
  if (!only || namesSubject || only.notValues !== undefined || claimOf(String(only.key ?? '')) === undefined || stringList(only.values).length < 2) return [list];
  return stringList(only.values).map((v) => [{ ...only, values: [v] }]);
}

/** `(only Deployment ns/a, ...)` when `covered` is not every workload of the endpoint. */
function partial(covered: readonly Workload[], endpoint: Endpoint): string {
  return covered.length < endpoint.workloads.length ? ` (only ${covered.map((w) => w.ref).join(', ')})` : '';
}

/** The claim name a `when` key on the request's token reads, or undefined for other keys. */
function claimOf(key: string): string | undefined {
  if (key === 'request.auth.presenter') return 'azp';
  if (key === 'request.auth.audiences') return 'aud';
  if (key === 'request.auth.principal') return 'requestPrincipal';
  const m = /^request\.auth\.claims((?:\[[^\]]+\])+)$/.exec(key);
  return m ? m[1].slice(1, -1).split('][').join('.') : undefined;
}

function tokenOf(source: any, when: readonly any[], requiredByDeny: boolean): string {
  const groups: string[][] = [];
  const requestPrincipals = stringList(source.requestPrincipals);
  // `<issuer>/*` or `*` only asks for a valid token; `<issuer>/<subject>` names a subject (split at the last `/`)
  if (requestPrincipals.length && !requestPrincipals.some((rp) => rp === '*' || rp.endsWith('/*'))) {
    groups.push(requestPrincipals.map((rp) => `sub=${rp.slice(rp.lastIndexOf('/') + 1)}`));
  }
  for (const w of when) {
    const claim = claimOf(String(w?.key ?? ''));
    if (!claim) continue;
    const values = stringList(w.values);
    if (values.length) groups.push(values.map((v) => `${claim}=${v}`));
    for (const v of stringList(w.notValues)) groups.push([`${claim}!=${v}`]);
  }
  const required = requiredByDeny || requestPrincipals.length > 0 || groups.length > 0;
  if (groups.length === 0) return required ? 'any' : 'none';
  const texts = groups.map((g) => sortStrings(new Set(g)));
  if (texts.length === 1) return texts[0].join(' or ');
  return sortStrings(texts.map((g) => (g.length > 1 ? `(${g.join(' or ')})` : g[0]))).join(' and ');
}

function sourceExtras(source: any): string[] {
  return Object.keys(source).filter((k) => !READ_SOURCE_KEYS.has(k)).sort(compareStrings).map((k) => `${k}=${formatValue(source[k])}`);
}

function operationExtras(operation: any): string[] {
  return Object.keys(operation).filter((k) => !READ_OPERATION_KEYS.has(k)).sort(compareStrings).map((k) => `${k}=${formatValue(operation[k])}`);
}

function whenExtras(when: readonly any[]): string[] {
  const out: string[] = [];
  for (const w of when) {
    const key = String(w?.key ?? '');
    if (claimOf(key)) continue;
    if (w?.values !== undefined) out.push(`${key} in ${formatValue(w.values)}`);
    if (w?.notValues !== undefined) out.push(`${key} not in ${formatValue(w.notValues)}`);
  }
  return out;
}

function formatValue(value: unknown): string {
  return Array.isArray(value) ? `[${value.map(String).join(', ')}]` : typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

function formatLabels(labels: Record<string, string>): string {
  return sortStrings(Object.keys(labels)).map((k) => `${k}=${labels[k]}`).join(',');
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v) => typeof v === 'string') : [];
}

/** `/ns/<ns>/sa/<sa>` of a principal `<trustDomain>/ns/<ns>/sa/<sa>` (an optional `spiffe://` ignored), or undefined. */
function principalSuffix(principal: string): string | undefined {
  const parts = principal.replace(/^spiffe:\/\//, '').split('/');
  return parts.length === 5 && parts[1] === 'ns' && parts[3] === 'sa' && !principal.includes('*') ? `/ns/${parts[2]}/sa/${parts[4]}` : undefined;
}

/** The doors through which `principal` reaches `endpoint`: `edge <host>` for each host of an edge it runs, else `mesh`. */
function doorsOf(principal: string, endpoint: Endpoint, edges: readonly EdgeController[], edgePrincipals: Readonly<Record<string, string>>): string[] {
  const suffix = principalSuffix(principal);
  const hosts = new Set<string>();
  for (const edge of edges) {
    if (!suffix || !edge.principalSuffixes.includes(suffix)) continue;
    const leading = edge.routes.filter((r) => leadsTo(r, endpoint)).map((r) => r.host);
    for (const h of leading.length ? leading : edge.hosts) hosts.add(h);
  }
  const named = Object.keys(edgePrincipals).filter((h) => {
    const p = edgePrincipals[h];
    return p === principal || (suffix !== undefined && principalSuffix(p) === suffix);
  });
  if (named.length) {
    const allRoutes = edges.flatMap((e) => e.routes);
    const leading = named.filter((h) => allRoutes.some((r) => r.host === h && leadsTo(r, endpoint)));
    for (const h of leading.length ? leading : named) hosts.add(h);
  }
  return hosts.size ? sortStrings(hosts).map((h) => `edge ${h}`) : ['mesh'];
}

/** Whether a route's backend (a Service by name, or a pod selector) is `endpoint` or reaches some of its pods. */
function leadsTo(route: Route, endpoint: Endpoint): boolean {
  if (route.namespace !== endpoint.namespace) return false;
  if (route.service === endpoint.name) return true;
  const selector = route.selector;
  if (!selector || Object.keys(selector).length === 0) return false;
  return endpoint.workloads.some((w) => matchesLabels(selector, w.labels)) || matchesLabels(endpoint.selector, selector);
}

/** Edges found in the manifests: Gateway API Gateways, Istio Gateways, and the routes of Ingresses and F5 VirtualServers. */
function readEdges(set: ManifestSet): EdgeController[] {
  const serviceSelectors = new Map<string, Record<string, string>>();
  for (const e of set.ofKind('Service', '')) {
    if (e.object.spec?.selector) serviceSelectors.set(`${namespaceOf(e.object)}/${e.object.metadata?.name}`, e.object.spec.selector);
  }
  const backend = (host: string, namespace: string, service: string): Route =>
    ({ host, namespace, service, selector: serviceSelectors.get(`${namespace}/${service}`) });
  const pools = new Map<string, Record<string, string>>();
  for (const e of set.ofKind('InferencePool')) {
    const sel = e.object.spec?.selector;
    const labels = sel?.matchLabels ?? (sel && typeof sel === 'object' && !Array.isArray(sel) ? sel : undefined);
    if (labels) pools.set(`${namespaceOf(e.object)}/${e.object.metadata?.name}`, labels);
  }
  const edges: EdgeController[] = [];

  // Gateway API: the automated deployment runs as ServiceAccount <gateway>-<gatewayClassName>
  // (Istio: the annotation gateway.istio.io/service-account overrides it; waypoints and east-west gateways are no edges)
  const routes = set.ofKind('HTTPRoute', 'gateway.networking.k8s.io').concat(set.ofKind('GRPCRoute', 'gateway.networking.k8s.io'));
  for (const g of set.ofKind('Gateway', 'gateway.networking.k8s.io')) {
    const ns = namespaceOf(g.object);
    const name = g.object.metadata?.name ?? '';
    const cls = g.object.spec?.gatewayClassName;
    if (!cls || NOT_EDGE_CLASSES.has(cls)) continue;
    const serviceAccount = g.object.metadata?.annotations?.['gateway.istio.io/service-account'] || `${name}-${cls}`;
    const listeners: any[] = Array.isArray(g.object.spec?.listeners) ? g.object.spec.listeners : [];
    const listenerHosts = sortStrings(new Set(listeners.map((l) => l?.hostname).filter((h): h is string => typeof h === 'string')));
    const gwRoutes: Route[] = [];
    for (const r of routes) {
      const rns = namespaceOf(r.object);
      const parents: any[] = Array.isArray(r.object.spec?.parentRefs) ? r.object.spec.parentRefs : [];
      const attached = parents.some((p) => (p?.kind ?? 'Gateway') === 'Gateway' && (p?.group ?? 'gateway.networking.k8s.io') === 'gateway.networking.k8s.io'
        && p?.name === name && (p?.namespace ?? rns) === ns);
      if (!attached) continue;
      const hostnames: string[] = stringList(r.object.spec?.hostnames);
      const hosts = hostnames.length ? hostnames : listenerHosts.length ? listenerHosts : ['*'];
      for (const rule of Array.isArray(r.object.spec?.rules) ? r.object.spec.rules : []) {
        for (const ref of Array.isArray(rule?.backendRefs) ? rule.backendRefs : []) {
          const refNs = ref?.namespace ?? rns;
          const kind = ref?.kind ?? 'Service';
          const group = ref?.group ?? '';
          for (const host of hosts) {
            if (kind === 'Service' && group === '') gwRoutes.push(backend(host, refNs, ref.name));
            else if (kind === 'InferencePool') gwRoutes.push({ host, namespace: refNs, selector: pools.get(`${refNs}/${ref.name}`) });
          }
        }
      }
    }
    edges.push({ principalSuffixes: [`/ns/${ns}/sa/${serviceAccount}`], hosts: listenerHosts.length ? listenerHosts : ['*'], routes: gwRoutes });
  }

  // Istio Gateway: the pods it selects (any namespace), or the well-known ingress gateways when they are not in the set
  const pods = set.podTemplates();
  const virtualServices = set.ofKind('VirtualService', 'networking.istio.io');
  for (const g of set.ofKind('Gateway', 'networking.istio.io')) {
    const ns = namespaceOf(g.object);
    const name = g.object.metadata?.name ?? '';
    const selector: Record<string, string> = g.object.spec?.selector ?? {};
    const selected = pods.filter((p) => Object.keys(selector).length > 0 && matchesLabels(selector, p.labels));
    const suffixes = selected.length
      ? selected.map((p) => `/ns/${p.namespace}/sa/${p.serviceAccount}`)
      : wellKnownIngressGateway(selector);
    const servers: any[] = Array.isArray(g.object.spec?.servers) ? g.object.spec.servers : [];
    const serverHosts = sortStrings(new Set(servers.flatMap((s) => stringList(s?.hosts)).map((h) => (h.includes('/') ? h.slice(h.indexOf('/') + 1) : h))));
    const gwRoutes: Route[] = [];
    for (const v of virtualServices) {
      const vns = namespaceOf(v.object);
      const gateways = stringList(v.object.spec?.gateways);
      if (!gateways.some((ref) => (ref.includes('/') ? ref === `${ns}/${name}` : vns === ns && ref === name))) continue;
      const hosts = stringList(v.object.spec?.hosts);
      for (const http of Array.isArray(v.object.spec?.http) ? v.object.spec.http : []) {
        for (const dest of Array.isArray(http?.route) ? http.route : []) {
          const target = serviceOfHost(String(dest?.destination?.host ?? ''), vns);
          if (!target) continue;
          for (const host of hosts) gwRoutes.push(backend(host, target.namespace, target.name));
        }
      }
    }
    edges.push({ principalSuffixes: sortStrings(new Set(suffixes)), hosts: serverHosts.length ? serverHosts : ['*'], routes: gwRoutes });
  }

  // Ingress and F5 VirtualServer: routes only; their controllers' principals come from options.edgePrincipals
  const hostRoutes: Route[] = [];
  for (const i of set.ofKind('Ingress', 'networking.k8s.io')) {
    const ns = namespaceOf(i.object);
    for (const rule of Array.isArray(i.object.spec?.rules) ? i.object.spec.rules : []) {
      for (const p of Array.isArray(rule?.http?.paths) ? rule.http.paths : []) {
        const service = p?.backend?.service?.name;
        if (typeof service === 'string') hostRoutes.push(backend(typeof rule.host === 'string' ? rule.host : '*', ns, service));
      }
    }
  }
  for (const v of set.ofKind('VirtualServer').filter((e) => apiGroup(e.object) === 'k8s.nginx.org')) {
    const ns = namespaceOf(v.object);
    const host = typeof v.object.spec?.host === 'string' ? v.object.spec.host : '*';
    for (const u of Array.isArray(v.object.spec?.upstreams) ? v.object.spec.upstreams : []) {
      if (typeof u?.service === 'string') hostRoutes.push(backend(host, ns, u.service));
    }
  }
  if (hostRoutes.length) edges.push({ principalSuffixes: [], hosts: [], routes: hostRoutes });
  return edges;
}

/**
 * The ServiceAccounts of the ingress gateways whose pods are installed with
 * the mesh (not in an app's manifests), by the selector their Gateways use:
 * the AKS Istio add-on's `istio: aks-istio-ingressgateway-external|internal`
 * in `aks-istio-ingress`, and upstream Istio's `istio: ingressgateway`.
 */
function wellKnownIngressGateway(selector: Record<string, string>): string[] {
  const istio = selector.istio;
  if (Object.keys(selector).length !== 1 || !istio) return [];
  if (/^aks-istio-ingressgateway-(external|internal)$/.test(istio)) return [`/ns/aks-istio-ingress/sa/${istio}`];
  if (istio === 'ingressgateway') return ['/ns/istio-system/sa/istio-ingressgateway-service-account'];
  return [];
}

/** The Service a VirtualService destination host names (`svc`, `svc.ns`, `svc.ns.svc[.<domain>]`), or undefined for other hosts. */
function serviceOfHost(host: string, namespace: string): { namespace: string; name: string } | undefined {
  const parts = host.split('.');
  if (parts.length === 1 && parts[0]) return { namespace, name: parts[0] };
  if (parts.length === 2) return { namespace: parts[1], name: parts[0] };
  if (parts.length >= 3 && parts[2] === 'svc') return { namespace: parts[1], name: parts[0] };
  return undefined;
}

/**
 * One row for the rows that differ only by the claim that carries one client
 * id: `azp` (v2 tokens) and `appid` (v1), rendered as two rules for a
 * tenant that accepts both versions.
 */
function mergeClientIdRows(rows: readonly AccessMapRow[]): AccessMapRow[] {
  const clientIdOnly = (token: string): string | undefined => {
    const alts = token.split(' or ');
    const values = new Set(alts.map((a) => /^(azp|appid)=([^\s()]+)$/.exec(a)?.[2]));
    return values.size === 1 && !values.has(undefined) ? [...values][0] : undefined;
  };
  const out: AccessMapRow[] = [];
  const merged = new Map<string, AccessMapRow>();
  for (const row of rows) {
    const clientId = clientIdOnly(row.token);
    if (clientId === undefined) {
      out.push(row);
      continue;
    }
    const rest = row.caller.startsWith(`${row.token} via `) ? row.caller.slice(row.token.length) : undefined;
    if (rest === undefined) {
      out.push(row);
      continue;
    }
    const key = JSON.stringify([row.endpoint, row.door, row.principal, row.paths, row.methods, row.azureRole, clientId, rest]);
    const seen = merged.get(key);
    const token = seen ? sortStrings(new Set([...seen.token.split(' or '), ...row.token.split(' or ')])).join(' or ') : row.token;
    merged.set(key, { ...row, token, caller: `${token}${rest}` });
  }
  return [...out, ...merged.values()];
}
