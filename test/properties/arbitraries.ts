/**
 * Random declarations for the property tests: a spec (plain data) that
 * fast-check generates and shrinks, and a builder that turns it into an app,
 * declaring everything in a given order so shuffles can be compared.
 */
import { App, Chart, Duration, Size } from 'cdk8s';
import * as fc from 'fast-check';
import {
  AzureScope,
  Caller,
  Edge,
  EgressTlsMode,
  EndpointBackend,
  EntraTenant,
  IEdge,
  ExistingGatewayOptions,
  ISTIO_EGRESS_GATEWAY,
  ManagedIdentity,
  ManagedOnlineEndpoint,
  MeshIdentityBinding,
  MeshNamespace,
  SecureMlEndpoint,
  TlsCertificate,
  TokenVersion,
} from '../../lib';

export const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const SUB = '6c2f4e1a-9b8d-4c7e-a5f3-2d1b0e9c8a7f';
export const OIDC = `https://westeurope.oic.prod-aks.azure.com/${TID}/1b2c3d4e-5f60-4a1b-9c2d-3e4f5a6b7c8d/`;
export const API = '0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5';

/** A deterministic GUID per (kind, number). */
export const guid = (kind: number, n: number) => `${kind.toString(16).padStart(8, '0')}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

export type CallerSpec =
  | { kind: 'appRole'; n: number } | { kind: 'group'; n: number } | { kind: 'application'; n: number }
  | { kind: 'servicePrincipal'; n: number } | { kind: 'user'; n: number } | { kind: 'any' };

export interface EndpointSpec {
  namespace: number;
  tokenVersion: TokenVersion;
  callers: CallerSpec[];
  edge: 'none' | 'ingress-nginx' | 'nic' | 'istio' | 'istio-gateway-api' | 'nginx-gateway-fabric';
  weights: number[];
  paths: boolean;
  claimHeader: boolean;
  retries: number;
}

export interface BindingSpec { namespace: number; grants: number[]; create: boolean }
export interface ManagedSpec { callers: number[]; tlsMode: EgressTlsMode; gateway: boolean }

export interface AppSpec {
  endpoints: EndpointSpec[];
  bindings: BindingSpec[];
  managed: ManagedSpec[];
}

const callerArb: fc.Arbitrary<CallerSpec> = fc.oneof(
  fc.record({ kind: fc.constant('appRole' as const), n: fc.nat(20) }),
  fc.record({ kind: fc.constant('group' as const), n: fc.nat(20) }),
  fc.record({ kind: fc.constant('application' as const), n: fc.nat(20) }),
  fc.record({ kind: fc.constant('servicePrincipal' as const), n: fc.nat(20) }),
  fc.record({ kind: fc.constant('user' as const), n: fc.nat(20) }),
  fc.constant({ kind: 'any' as const }),
);

const endpointArb: fc.Arbitrary<EndpointSpec> = fc.record({
  namespace: fc.nat(3),
  tokenVersion: fc.constantFrom(TokenVersion.V1, TokenVersion.V2, TokenVersion.BOTH),
  callers: fc.array(callerArb, { minLength: 1, maxLength: 10 }),
  edge: fc.constantFrom('none' as const, 'ingress-nginx' as const, 'nic' as const, 'istio' as const, 'istio-gateway-api' as const, 'nginx-gateway-fabric' as const),
  weights: fc.oneof(fc.constant([] as number[]), fc.tuple(fc.integer({ min: 1, max: 100 }), fc.nat(100)).map(([a, b]) => [a, b])),
  paths: fc.boolean(),
  claimHeader: fc.boolean(),
  retries: fc.integer({ min: 0, max: 5 }),
});

/** Valid apps: 1-20 endpoints across up to 4 namespaces, callers of every kind, bindings, grants, edges, managed endpoints, splits. */
export function appSpecArb(maxEndpoints = 20): fc.Arbitrary<AppSpec> {
  return fc.array(endpointArb, { minLength: 1, maxLength: maxEndpoints }).chain((endpoints) => fc.record({
    endpoints: fc.constant(endpoints),
    bindings: fc.array(fc.record({
      namespace: fc.nat(3),
      grants: fc.uniqueArray(fc.nat(endpoints.length - 1), { maxLength: 3 }),
      create: fc.boolean(),
    }), { maxLength: 5 }),
    managed: fc.array(fc.record({
      callers: fc.uniqueArray(fc.nat(4), { minLength: 1, maxLength: 3 }),
      tlsMode: fc.constantFrom(EgressTlsMode.PASSTHROUGH, EgressTlsMode.ORIGINATION),
      gateway: fc.boolean(),
    }), { maxLength: 2 }),
  })).map((spec) => ({
    ...spec,
    // managed endpoints call existing bindings only; a gateway needs passthrough
    managed: spec.bindings.length === 0 ? [] : spec.managed.map((m) => ({
      ...m,
      callers: [...new Set(m.callers.map((c) => c % spec.bindings.length))],
      gateway: m.gateway && m.tlsMode === EgressTlsMode.PASSTHROUGH,
    })),
  }));
}

/** A permutation of 0..n-1 for declaration order. */
export function orderArb(n: number): fc.Arbitrary<number[]> {
  return fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n });
}

function caller(c: CallerSpec): Caller {
  switch (c.kind) {
    case 'appRole': return Caller.appRole(`Role${c.n}.Invoke`);
    case 'group': return Caller.group(guid(1, c.n));
    case 'application': return Caller.application(guid(2, c.n));
    case 'servicePrincipal': return Caller.servicePrincipal(guid(3, c.n));
    case 'user': return Caller.user(guid(4, c.n));
    default: return Caller.anyAuthenticated();
  }
}

function edge(kind: EndpointSpec['edge'], i: number): IEdge | undefined {
  const host = `model-${i}.contoso.com`;
  const tls = TlsCertificate.fromSecret(`model-${i}-tls`);
  if (kind === 'ingress-nginx') return Edge.ingressNginx({ host, tls, rateLimit: { requestsPerSecond: 10 + i }, sourceRanges: ['10.0.0.0/8'] });
  if (kind === 'nic') return Edge.nginxIngressController({ host, tls, rateLimit: { requestsPerSecond: 10 + i } });
  if (kind === 'istio') return Edge.istioGateway({ host, tls });
  // Gateway API edges: a Gateway of their own (in the endpoint's namespace, or in a shared edge namespace with a
  // ReferenceGrant for the certificate), or a platform team's shared Gateway
  if (kind === 'istio-gateway-api') {
    if (i % 3 === 2) return Edge.istioGatewayApi({ host, existingGateway: { name: 'platform', namespace: 'platform-gateways', httpsListener: 'https', httpListener: 'http' } });
    return Edge.istioGatewayApi({ host, tls, ...(i % 3 === 1 ? { gateway: { namespace: 'edge' }, validateTokens: true, sourceRanges: ['10.0.0.0/8'] } : {}) });
  }
  if (kind === 'nginx-gateway-fabric') {
    if (i % 2 === 1) {
      return Edge.nginxGatewayFabric({ host, controllerInMesh: true, rateLimit: { requestsPerSecond: 10 + i },
        existingGateway: { name: 'platform-nginx', namespace: 'platform-gateways', httpsListener: 'https', httpListener: 'http' } });
    }
    return Edge.nginxGatewayFabric({ host, tls, gateway: { namespace: 'edge' }, rateLimit: { requestsPerSecond: 10 + i }, maxBodySize: Size.mebibytes(8 + i) });
  }
  return undefined;
}

/** One rule broken in an otherwise valid app, and the message it must produce. */
export const FAULTS = {
  tenantId: /tenantId must be a GUID, got "contoso\.com"/,
  audiences: /audiences must be a non-empty list, got \[\]/,
  callers: /callers must be at least one Caller, got \[\]/,
  weight: /deployments\[1\]\.weight must be a non-negative integer, got -1/,
  edgeHost: /edge\.host must be an exact lower-case DNS name .*got "\*\.contoso\.com"/,
  gatewayListener: /edge\.existingGateway\.httpsListener must be the name of the Gateway's HTTPS listener for the host, got undefined; a route without sectionName attaches to every listener/,
  ngfTargetPort: /backend\.targetPort must be a Service whose target port equals its port 8080 behind the NGINX Gateway Fabric edge, got "targetPort 9000"/,
  oidcIssuerUrl: /oidcIssuerUrl must be an https URL, got "http:/,
  endpointName: /endpointName must be an online endpoint name .*got "1bad"/,
  claim: /claimToHeaders\[0\]\.claim must be a scalar claim, not one of the list claims .*got "groups"/,
  group: /callers\[\d+\]\.group must be a group Object ID \(GUID\), got "data-scientists"/,
  path: /paths\[0\] must be a path starting with "\/" .*got "score"/,
} as const;
export type Fault = keyof typeof FAULTS;

export interface Orders {
  endpoints?: number[];
  bindings?: number[];
  callers?: boolean;
}

/** Builds the app of `spec`, declaring endpoints, callers, bindings and grants in the given orders. */
export function buildSpec(app: App, spec: AppSpec, orders: Orders = {}, fault?: Fault): void {
  if (fault) spec = withFault(spec, fault);
  const tenantFor = (v: TokenVersion) => new EntraTenant({ tenantId: TID, tokenVersion: v });
  const endpoints: SecureMlEndpoint[] = [];
  // the endpoints' namespaces, enrolled in the mesh (invariant 12), in one chart whatever the declaration order
  const namespaces = [...new Set(spec.endpoints.map((e) => `ns-${e.namespace}`))].sort();
  if (namespaces.length) {
    const nsChart = new Chart(app, 'namespaces');
    for (const ns of namespaces) new MeshNamespace(nsChart, ns, { name: ns });
  }
  const endpointOrder = orders.endpoints ?? spec.endpoints.map((_, i) => i);
  for (const i of endpointOrder) {
    const e = spec.endpoints[i];
    const ns = `ns-${e.namespace}`;
    // one chart per endpoint, named after it: files do not depend on declaration order
    const chart = new Chart(app, `endpoint-${i}`, { namespace: ns });
    const callers = e.callers.map(caller);
    endpoints[i] = new SecureMlEndpoint(chart, 'Endpoint', {
      // NGINX Gateway Fabric needs the Service port to be the target port (it sends to pod IPs)
      backend: EndpointBackend.service({ name: `model-${i}`, port: 8080, targetPort: i === 0 && fault === 'ngfTargetPort' ? 9000 : 8080, selector: { app: `model-${i}` } }),
      tenant: i === 0 && fault === 'tenantId' ? new EntraTenant({ tenantId: 'contoso.com' }) : tenantFor(e.tokenVersion),
      audiences: i === 0 && fault === 'audiences' ? [] : e.tokenVersion === TokenVersion.V1 ? ['api://models'] : [API, 'api://models'],
      callers: i === 0 && fault === 'callers' ? [] : [
        ...(orders.callers ? [...callers].reverse() : callers),
        ...(i === 0 && fault === 'group' ? [Caller.group('data-scientists')] : []),
      ],
      edge: i === 0 && fault === 'edgeHost' ? Edge.ingressNginx({ host: '*.contoso.com', tls: TlsCertificate.fromSecret('x-tls') })
        : i === 0 && fault === 'gatewayListener'
          ? Edge.istioGatewayApi({ host: 'model-0.contoso.com', existingGateway: { name: 'platform', namespace: 'platform-gateways' } as ExistingGatewayOptions })
          : i === 0 && fault === 'ngfTargetPort' ? Edge.nginxGatewayFabric({ host: 'model-0.contoso.com', tls: TlsCertificate.fromSecret('model-0-tls') })
            : edge(e.edge, i),
      deployments: i === 0 && fault === 'weight'
        ? [{ name: 'blue', weight: 5 }, { name: 'green', weight: -1 }]
        : e.weights.length ? [{ name: 'blue', weight: e.weights[0] }, { name: 'green', weight: e.weights[1] }] : undefined,
      paths: i === 0 && fault === 'path' ? ['score'] : e.paths ? ['/score'] : undefined,
      methods: e.paths ? ['POST'] : undefined,
      claimToHeaders: i === 0 && fault === 'claim' ? [{ claim: 'groups', header: 'x-groups' }] : e.claimHeader ? [{ claim: 'oid', header: 'x-caller-oid' }] : undefined,
      retries: { attempts: e.retries },
      timeout: Duration.seconds(30),
    });
  }
  const bindings: MeshIdentityBinding[] = [];
  const bindingOrder = orders.bindings ?? spec.bindings.map((_, j) => j);
  for (const j of bindingOrder) {
    const b = spec.bindings[j];
    const chart = new Chart(app, `binding-${j}`, { namespace: `ns-${b.namespace}` });
    bindings[j] = new MeshIdentityBinding(chart, 'Identity', {
      identity: b.create
        ? ManagedIdentity.create({ name: `identity-${j}`, resourceGroup: 'ml', subscriptionId: SUB, location: 'westeurope' })
        : ManagedIdentity.existing({ clientId: guid(5, j), principalId: guid(6, j) }),
      oidcIssuerUrl: j === 0 && fault === 'oidcIssuerUrl' ? OIDC.replace('https:', 'http:') : OIDC,
      serviceAccountName: `caller-${j}`,
    });
  }
  for (const j of bindingOrder) for (const i of spec.bindings[j].grants) endpoints[i].grantInvoke(bindings[j]);
  spec.managed.forEach((m, k) => {
    const chart = new Chart(app, `managed-${k}`, { namespace: 'ml-clients' });
    new ManagedOnlineEndpoint(chart, 'Endpoint', {
      endpointName: k === 0 && fault === 'endpointName' ? '1bad' : `scoring-${k}`,
      region: 'westeurope',
      workspace: AzureScope.mlWorkspace({ subscriptionId: SUB, resourceGroup: 'ml', workspace: 'ws-prop' }),
      tenant: new EntraTenant({ tenantId: TID }),
      callers: m.callers.map((c) => bindings[c]),
      tlsMode: m.tlsMode,
      acknowledgePlainHttpInPod: m.tlsMode === EgressTlsMode.ORIGINATION ? true : undefined,
      egressGateway: m.gateway ? ISTIO_EGRESS_GATEWAY : undefined,
    });
  });
}

/** Makes the spec able to carry `fault` (a binding, a managed endpoint, no grant hiding an empty caller list). */
function withFault(spec: AppSpec, fault: Fault): AppSpec {
  const bindings = spec.bindings.length ? spec.bindings : [{ namespace: 0, grants: [], create: false }];
  if (fault === 'callers') return { ...spec, bindings: spec.bindings.map((b) => ({ ...b, grants: b.grants.filter((g) => g !== 0) })) };
  if (fault === 'oidcIssuerUrl') return { ...spec, bindings };
  if (fault === 'endpointName') {
    return { ...spec, bindings, managed: spec.managed.length ? spec.managed : [{ callers: [0], tlsMode: EgressTlsMode.PASSTHROUGH, gateway: false }] };
  }
  return spec;
}
