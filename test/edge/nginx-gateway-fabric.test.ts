import { App, Chart, Duration, Size, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import {
  Caller, Diagnostics, Edge, EndpointBackend, EntraApplication, EntraTenant, ITlsCertificate, MANAGED_BY_LABEL, ManagedIdentity, MeshIdentityBinding,
  MeshNamespace, MeshProfile, SecureMlEndpoint, SecureMlEndpointProps, TokenVersion,
} from '../../lib';
import {
  INCLUDE_INBOUND_PORTS_ANNOTATION, NginxGatewayFabricEdge, NginxGatewayFabricEdgeOptions, nginxGatewayFabricResourceName,
} from '../../lib/edge/nginx-gateway-fabric';
import { BackendServicePort, BoundEdge, EdgeBindContext } from '../../lib/edge/types';
import { sharedValidator, formatViolations } from '../conformance/validator';
import { checkInvariants } from '../invariants';
import { Manifest, allowPolicy, ofKind, one, synthApp, synthToDisk } from '../util';

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const API = '0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5';
const V2P = `https://login.microsoftonline.com/${TID}/v2.0/*`;
const SERVICE_HOST = 'fraud.models.svc.cluster.local';
const TLS: ITlsCertificate = { bind: () => ({ secretName: 'fraud-tls', problems: () => [] }) };
const HOST = 'fraud.contoso.com';
const SHARED = { name: 'shared', namespace: 'edge', httpsListener: 'https-fraud', httpListener: 'http' };

interface Bound {
  edge: BoundEdge;
  manifests: Manifest[];
}

/** Binds the edge as SecureMlEndpoint would, in a test chart, and synthesizes it. */
function bindEdge(options: Partial<NginxGatewayFabricEdgeOptions> = {}, ctx: Partial<EdgeBindContext> = {}): Bound {
  const chart = Testing.chart();
  const scope = new Construct(chart, 'fraud');
  const port: BackendServicePort = { name: 'http', targetPort: 8080 };
  const edge = new NginxGatewayFabricEdge({ host: HOST, tls: TLS, ...options } as NginxGatewayFabricEdgeOptions).bind({
    scope,
    namespace: 'models',
    serviceName: 'fraud',
    servicePort: 8080,
    serviceHost: SERVICE_HOST,
    tenant: new EntraTenant({ tenantId: TID }),
    audiences: ['api://fraud-scoring'],
    timeout: Duration.seconds(60),
    labels: { ...MANAGED_BY_LABEL },
    selector: () => ({ app: 'fraud' }),
    servicePortDetails: () => port,
    ...ctx,
  });
  return { edge, manifests: Testing.synth(chart) as Manifest[] };
}

const messages = (edge: BoundEdge) => edge.problems().map((p) => p.message);
const gateway = (ms: Manifest[]) => one(ms, 'Gateway');
const hostRoute = (ms: Manifest[]) => one(ms, 'HTTPRoute', (r) => r.spec.rules[0].backendRefs !== undefined);
const redirectRoute = (ms: Manifest[]) => one(ms, 'HTTPRoute', (r) => r.spec.rules[0].backendRefs === undefined);
const filterOf = (ms: Manifest[], type: string) => hostRoute(ms).spec.rules[0].filters.filter((f: { type: string }) => f.type === type);

/** Every key of every object, at any depth. */
function allKeys(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => allKeys(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      allKeys(v, out);
    }
  }
  return out;
}

/**
 * Invariant 5 on NGINX Gateway Fabric: TLS on the host's listener only, a 308
 * redirect on plain HTTP, through the Service (Host rewritten to the
 * Service's in-mesh name, the Service as the only backend), HSTS, one filter
 * of each type (NGF keeps only the first of a type), the policies on the
 * route in its namespace, and no snippet.
 */
function expectNgfInvariants(ms: Manifest[], serviceHost = SERVICE_HOST): void {
  const route = hostRoute(ms);
  expect(route.spec.hostnames).toEqual([HOST]);
  // attached to the HTTPS listener only: a route without sectionName would also be served on plain HTTP
  for (const p of route.spec.parentRefs) expect(p.sectionName).toMatch(/^https/);
  const rule = route.spec.rules[0];
  expect(route.spec.rules).toHaveLength(1);
  const types = rule.filters.map((f: { type: string }) => f.type);
  expect(new Set(types).size).toBe(types.length);
  expect(rule.filters).toContainEqual({ type: 'URLRewrite', urlRewrite: { hostname: serviceHost } });
  expect(rule.filters).toContainEqual({ type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ name: 'Strict-Transport-Security', value: 'max-age=31536000' }] } });
  // NGF ignores HTTPRoute timeouts: the ProxySettingsPolicy sets them
  expect(rule.timeouts).toBeUndefined();
  expect(rule.backendRefs).toEqual([{ name: serviceHost.split('.')[0], port: expect.any(Number) }]);
  const redirect = redirectRoute(ms);
  expect(redirect.spec.parentRefs.map((p: { sectionName: string }) => p.sectionName)).toEqual(['http']);
  expect(redirect.spec.rules).toEqual([{ filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 308 } }] }]);
  for (const kind of ['ClientSettingsPolicy', 'ProxySettingsPolicy', 'RateLimitPolicy']) {
    for (const p of ofKind(ms, kind)) {
      expect(p.metadata.namespace).toBe(route.metadata.namespace);
      const refs = p.spec.targetRefs ?? [p.spec.targetRef];
      expect(refs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: route.metadata.name }]);
    }
  }
  expect(allKeys(ms).filter((k) => /snippet/i.test(k))).toEqual([]);
  expect(sharedValidator().validateAll(ms)).toEqual([]);
}

function props(overrides: Partial<SecureMlEndpointProps> = {}): SecureMlEndpointProps {
  return {
    backend: EndpointBackend.service({ name: 'fraud', port: 8080, targetPort: 8080, selector: { app: 'fraud' } }),
    tenant: new EntraTenant({ tenantId: TID }),
    audiences: [API],
    callers: [Caller.appRole('Fraud.Score')],
    edge: Edge.nginxGatewayFabric({ host: HOST, tls: TLS }),
    ...overrides,
  };
}

/** An endpoint in namespace fraud (enrolled), with the edge. */
function synth(overrides: Partial<SecureMlEndpointProps> = {}, more?: (app: App, endpoint: SecureMlEndpoint) => void): Manifest[] {
  return synthApp((app) => {
    const chart = new Chart(app, 'fraud', { namespace: 'fraud' });
    new MeshNamespace(chart, 'Namespace', { name: 'fraud', mesh: overrides.mesh });
    const endpoint = new SecureMlEndpoint(chart, 'Endpoint', props(overrides));
    more?.(app, endpoint);
  }).manifests;
}

describe('Edge.nginxGatewayFabric', () => {
  test('minimal definition: Gateway of class nginx, route on the HTTPS listener, 308 redirect, body size and timeouts as NGF policies', () => {
    const { edge, manifests } = bindEdge();
    expect(manifests).toMatchSnapshot();
    expectNgfInvariants(manifests);
    expect(manifests.map((m) => `${m.apiVersion} ${m.kind}`)).toEqual([
      'gateway.networking.k8s.io/v1 Gateway',
      'gateway.networking.k8s.io/v1 HTTPRoute',
      'gateway.networking.k8s.io/v1 HTTPRoute',
      'gateway.nginx.org/v1alpha1 ClientSettingsPolicy',
      'gateway.nginx.org/v1alpha1 ProxySettingsPolicy',
    ]);
    const gw = gateway(manifests);
    expect(gw.metadata).toMatchObject({ name: 'models-fraud', namespace: 'models' });
    expect(gw.spec.gatewayClassName).toBe('nginx');
    expect(gw.spec.listeners).toEqual([
      expect.objectContaining({ name: 'https', hostname: HOST, port: 443, protocol: 'HTTPS', tls: { mode: 'Terminate', certificateRefs: [{ group: '', kind: 'Secret', name: 'fraud-tls' }] } }),
      expect.objectContaining({ name: 'http', hostname: HOST, port: 80, protocol: 'HTTP' }),
    ]);
    // the data-plane pods join the mesh; the clients' traffic reaches NGINX untouched
    expect(gw.spec.infrastructure).toEqual({
      labels: { 'sidecar.istio.io/inject': 'true' },
      annotations: { [INCLUDE_INBOUND_PORTS_ANNOTATION]: '', 'proxy.istio.io/config': '{"holdApplicationUntilProxyStarts": true}' },
    });
    expect(one(manifests, 'ClientSettingsPolicy').spec.body).toEqual({ maxSize: '32m' });
    expect(one(manifests, 'ProxySettingsPolicy').spec.timeout).toEqual({ read: '60s', send: '60s' });
    expect(hostRoute(manifests).spec.rules[0].backendRefs).toEqual([{ name: 'fraud', port: 8080 }]);
    expect(edge.meshPrincipals).toEqual(['cluster.local/ns/models/sa/models-fraud-nginx']);
    expect(edge.sources).toEqual([{ namespace: 'models', podLabels: { 'gateway.networking.k8s.io/gateway-name': 'models-fraud' } }]);
    expect(edge.uniquenessKey).toBe('gateway-api/models/models-fraud');
    expect(edge.routesToInferencePool).toBe(false);
    expect(edge.problems()).toEqual([]);
    expect(edge.warnings?.()).toEqual([]);
  });

  test('the backend admits exactly the data-plane principal (with a token) and the declared mesh callers', () => {
    const ms = synth({ callers: [Caller.appRole('Fraud.Score')] }, (app, endpoint) => {
      const b = new MeshIdentityBinding(new Chart(app, 'batch', { namespace: 'batch' }), 'Id', {
        identity: ManagedIdentity.existing({ clientId: '5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d', principalId: '9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b' }),
        oidcIssuerUrl: `https://westeurope.oic.prod-aks.azure.com/${TID}/1b2c3d4e-5f60-4a1b-9c2d-3e4f5a6b7c8d/`,
        serviceAccountName: 'scorer',
      });
      endpoint.addCaller(Caller.workload(b));
    });
    const sources = allowPolicy(ms).spec.rules.map((r: any) => r.from[0].source);
    expect(sources).toEqual([
      { principals: ['cluster.local/ns/batch/sa/scorer'], requestPrincipals: [V2P] },
      { principals: ['cluster.local/ns/fraud/sa/fraud-fraud-nginx'], requestPrincipals: [V2P] },
    ]);
    for (const s of sources) expect(s.namespaces).toBeUndefined();
    // the NetworkPolicy admits the data-plane pods of this Gateway and the caller's namespace, nothing else
    const np = one(ms, 'NetworkPolicy', (n) => n.metadata.namespace === 'fraud');
    expect(np.spec.podSelector.matchLabels).toEqual({ app: 'fraud' });
    expect(np.spec.ingress.flatMap((r: any) => r.from)).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'batch' } } },
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'fraud' } }, podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'fraud-fraud' } } },
    ]);
    expect(checkInvariants(ms)).toEqual([]);
    expect(sharedValidator().validateAll(ms)).toEqual([]);
  });

  test('data-plane principal: <gateway>-<class>, in the Gateway\'s namespace and trust domain', () => {
    expect(bindEdge({ gatewayClassName: 'nginx-plus', gateway: { name: 'inference', namespace: 'edge' }, trustDomain: 'contoso.mesh' }).edge.meshPrincipals)
      .toEqual(['contoso.mesh/ns/edge/sa/inference-nginx-plus']);
    expect(bindEdge({ existingGateway: SHARED, controllerInMesh: true }).edge.meshPrincipals).toEqual(['cluster.local/ns/edge/sa/shared-nginx']);
    expect(bindEdge({ existingGateway: { ...SHARED, serviceAccount: 'edge-data-plane' }, controllerInMesh: true }).edge.meshPrincipals)
      .toEqual(['cluster.local/ns/edge/sa/edge-data-plane']);
  });

  test.each([
    ['fraud', 'nginx', 'fraud-nginx'],
    ['a'.repeat(57), 'nginx', `${'a'.repeat(57)}-nginx`],
    // beyond 63 characters: the name cut short, 8 hex digits of sha256("<gateway>-<class>"), the class (values computed with Python's hashlib)
    ['a'.repeat(60), 'nginx', `${'a'.repeat(48)}-342e0afa-nginx`],
    [`${'x'.repeat(47)}-${'y'.repeat(12)}`, 'nginx', `${'x'.repeat(47)}-3911ffcf-nginx`],
    ['shared-gateway-for-all-inference-endpoints-of-team-42', 'nginx-plus', 'shared-gateway-for-all-inference-endpoints-a756c253-nginx-plus'],
  ])('data-plane name of Gateway %s in class %s is %s', (name, className, expected) => {
    const got = nginxGatewayFabricResourceName(name, className);
    expect(got).toBe(expected);
    expect(got.length).toBeLessThanOrEqual(63);
  });

  test('fails when the infrastructure labels opt the data-plane pods out of injection', () => {
    const mesh = MeshProfile.aksIstioAddon('asm-1-28');
    expect(messages(bindEdge({ gateway: { infrastructureLabels: { 'sidecar.istio.io/inject': 'false' } } }, { mesh }).edge)).toEqual([
      expect.stringMatching(/^edge\.gateway\.infrastructureLabels\["sidecar\.istio\.io\/inject"\] must be "true" or left out, got "false"; the edge enrols/),
    ]);
    expect(bindEdge({ gateway: { infrastructureLabels: { 'sidecar.istio.io/inject': 'true' } } }, { mesh }).edge.problems()).toEqual([]);
  });

  test('a revisioned mesh (AKS Istio add-on) enrols the data-plane pods with istio.io/rev', () => {
    const mesh = MeshProfile.aksIstioAddon('asm-1-28');
    const { manifests } = bindEdge({ gateway: { infrastructureLabels: { team: 'ml' } } }, { mesh });
    expect(gateway(manifests).spec.infrastructure.labels).toEqual({ 'istio.io/rev': 'asm-1-28', team: 'ml' });
    const ms = synth({ mesh });
    expect(gateway(ms).spec.infrastructure.labels).toEqual({ 'istio.io/rev': 'asm-1-28' });
    expect(checkInvariants(ms)).toEqual([]);
  });

  test('a Gateway in its own namespace reads the certificate through a ReferenceGrant; the data plane is named there', () => {
    const { edge, manifests } = bindEdge({ gateway: { name: 'public', namespace: 'edge' } });
    expectNgfInvariants(manifests);
    expect(gateway(manifests).metadata.namespace).toBe('edge');
    expect(gateway(manifests).spec.listeners[0].tls.certificateRefs).toEqual([{ group: '', kind: 'Secret', name: 'fraud-tls', namespace: 'models' }]);
    expect(one(manifests, 'ReferenceGrant').spec).toEqual({
      from: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'edge' }],
      to: [{ group: '', kind: 'Secret', name: 'fraud-tls' }],
    });
    expect(hostRoute(manifests).spec.parentRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public', namespace: 'edge', sectionName: 'https' }]);
    expect(edge.meshPrincipals).toEqual(['cluster.local/ns/edge/sa/public-nginx']);
    expect(edge.sources).toEqual([{ namespace: 'edge', podLabels: { 'gateway.networking.k8s.io/gateway-name': 'public' } }]);
  });

  test('rate limit, body size and timeouts become RateLimitPolicy, ClientSettingsPolicy and ProxySettingsPolicy on the route', () => {
    const { manifests } = bindEdge({ rateLimit: { requestsPerSecond: 20, burstMultiplier: 3 }, maxBodySize: Size.mebibytes(200), readTimeout: Duration.minutes(5) });
    expectNgfInvariants(manifests);
    expect(one(manifests, 'RateLimitPolicy').spec.rateLimit).toEqual({
      local: { rules: [{ key: '$binary_remote_addr', rate: '20r/s', burst: 60, noDelay: true, zoneSize: '10m' }] },
      rejectCode: 429,
    });
    expect(one(manifests, 'ClientSettingsPolicy').spec.body).toEqual({ maxSize: '200m' });
    expect(one(manifests, 'ProxySettingsPolicy').spec.timeout).toEqual({ read: '300s', send: '300s' });
  });

  test('sizes and times beyond four digits move to the next unit (NGF\'s patterns take at most four), rounding up', () => {
    const { manifests } = bindEdge({ maxBodySize: Size.gibibytes(20), readTimeout: Duration.hours(4) });
    expect(one(manifests, 'ClientSettingsPolicy').spec.body).toEqual({ maxSize: '20g' });
    expect(one(manifests, 'ProxySettingsPolicy').spec.timeout).toEqual({ read: '240m', send: '240m' });
    const longer = bindEdge({ readTimeout: Duration.days(10) }).manifests;
    expect(one(longer, 'ProxySettingsPolicy').spec.timeout).toEqual({ read: '240h', send: '240h' });
    expect(sharedValidator().validateAll([...manifests, ...longer])).toEqual([]);
  });

  test('the endpoint timeout is the default read timeout', () => {
    const { manifests } = bindEdge({}, { timeout: Duration.millis(1500) });
    expect(one(manifests, 'ProxySettingsPolicy').spec.timeout).toEqual({ read: '2s', send: '2s' });
  });

  test('source ranges on a created Gateway: an NginxProxy with loadBalancerSourceRanges, referenced by the Gateway', () => {
    const { manifests } = bindEdge({ gateway: { namespace: 'edge' }, sourceRanges: ['10.0.0.0/8', '2001:db8::/32'] });
    expectNgfInvariants(manifests);
    const proxy = one(manifests, 'NginxProxy');
    expect(proxy.apiVersion).toBe('gateway.nginx.org/v1alpha2');
    expect(proxy.metadata.namespace).toBe('edge');
    expect(proxy.spec).toEqual({ kubernetes: { service: { type: 'LoadBalancer', loadBalancerSourceRanges: ['10.0.0.0/8', '2001:db8::/32'] } } });
    expect(gateway(manifests).spec.infrastructure.parametersRef).toEqual({ group: 'gateway.nginx.org', kind: 'NginxProxy', name: proxy.metadata.name });
    expect(ofKind(bindEdge().manifests, 'NginxProxy')).toEqual([]);
  });

  test('traffic split: the route\'s only backend is the Service; the mesh\'s VirtualService splits between the deployments', () => {
    const ms = synth({ deployments: [{ name: 'blue', weight: 90 }, { name: 'green', weight: 10 }] });
    expectNgfInvariants(ms, 'fraud.fraud.svc.cluster.local');
    // no per-deployment Service: the sidecar would re-route by Host anyway
    expect(ofKind(ms, 'Service')).toEqual([]);
    const vs = one(ms, 'VirtualService');
    expect(vs.spec.hosts).toEqual(['fraud.fraud.svc.cluster.local']);
    expect(vs.spec.gateways).toBeUndefined();
    expect(vs.spec.http[0].route).toEqual([
      { destination: { host: 'fraud.fraud.svc.cluster.local', port: { number: 8080 }, subset: 'blue' }, weight: 90 },
      { destination: { host: 'fraud.fraud.svc.cluster.local', port: { number: 8080 }, subset: 'green' }, weight: 10 },
    ]);
    expect(checkInvariants(ms)).toEqual([]);
  });

  test('claim headers are removed at the edge and in the mesh, one filter of each type on the rule', () => {
    const ms = synth({ claimToHeaders: [{ claim: 'oid', header: 'x-caller-oid' }] });
    expect(filterOf(ms, 'RequestHeaderModifier')).toEqual([{ type: 'RequestHeaderModifier', requestHeaderModifier: { remove: ['x-caller-oid'] } }]);
    expect(one(ms, 'VirtualService').spec.http[0].headers.request.remove).toEqual(['x-caller-oid']);
    expectNgfInvariants(ms, 'fraud.fraud.svc.cluster.local');
  });

  describe('token validation at the edge (NGINX Plus)', () => {
    test('an AuthenticationFilter of type JWT with the tenant\'s JWKS, referenced from the route', () => {
      const { manifests } = bindEdge({ nginxPlus: true, validateTokens: true });
      expectNgfInvariants(manifests);
      const filter = one(manifests, 'AuthenticationFilter');
      expect(filter.metadata.namespace).toBe('models');
      expect(filter.spec).toEqual({
        type: 'JWT',
        jwt: { realm: HOST, source: 'Remote', remote: { uri: `https://login.microsoftonline.com/${TID}/discovery/v2.0/keys` }, keyCache: '1h' },
      });
      expect(filterOf(manifests, 'ExtensionRef')).toEqual([
        { type: 'ExtensionRef', extensionRef: { group: 'gateway.nginx.org', kind: 'AuthenticationFilter', name: filter.metadata.name } },
      ]);
    });

    test('v1 tokens: the v1 JWKS URI (same signing keys)', () => {
      const { manifests } = bindEdge({ nginxPlus: true, validateTokens: true }, { tenant: new EntraTenant({ tenantId: TID, tokenVersion: TokenVersion.V1 }) });
      expect(one(manifests, 'AuthenticationFilter').spec.jwt.remote.uri).toBe(`https://login.microsoftonline.com/${TID}/discovery/keys`);
    });

    test('fails without NGINX Plus, and writes no filter', () => {
      const { edge, manifests } = bindEdge({ validateTokens: true });
      expect(messages(edge)).toEqual([
        expect.stringMatching(/^edge\.validateTokens must be false unless nginxPlus is true, got true; NGF's JWT AuthenticationFilter needs NGINX Plus/),
      ]);
      expect(ofKind(manifests, 'AuthenticationFilter')).toEqual([]);
      expect(filterOf(manifests, 'ExtensionRef')).toEqual([]);
    });

    test('fails when the endpoint reads its token from tokenHeader', () => {
      const { edge } = bindEdge({ nginxPlus: true, validateTokens: true }, { tokenHeader: 'x-mesh-authorization' });
      expect(messages(edge)).toEqual([
        expect.stringMatching(/^edge\.validateTokens must be false when the endpoint reads its token from tokenHeader \("x-mesh-authorization"\), got true; NGF's JWT filter checks the Authorization header/),
      ]);
    });

    test('nginxPlus alone writes nothing more', () => {
      const { edge, manifests } = bindEdge({ nginxPlus: true });
      expect(edge.problems()).toEqual([]);
      expect(ofKind(manifests, 'AuthenticationFilter')).toEqual([]);
    });
  });

  describe('an existing Gateway', () => {
    test('the routes attach to its listeners; no Gateway, no NginxProxy', () => {
      const { edge, manifests } = bindEdge({ existingGateway: SHARED, controllerInMesh: true, tls: undefined });
      expect(manifests).toMatchSnapshot();
      expectNgfInvariants(manifests);
      expect(ofKind(manifests, 'Gateway')).toEqual([]);
      expect(hostRoute(manifests).spec.parentRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'shared', namespace: 'edge', sectionName: 'https-fraud' }]);
      expect(redirectRoute(manifests).spec.parentRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'shared', namespace: 'edge', sectionName: 'http' }]);
      expect(edge.uniquenessKey).toBe('gateway-api/edge/shared');
      expect(edge.sources).toEqual([{ namespace: 'edge', podLabels: { 'gateway.networking.k8s.io/gateway-name': 'shared' } }]);
      expect(edge.problems()).toEqual([]);
      expect(edge.warnings?.()).toEqual([]);
    });

    test('warns when controllerInMesh is not stated, fails for false', () => {
      const unset = bindEdge({ existingGateway: SHARED, tls: undefined }).edge;
      expect(unset.problems()).toEqual([]);
      expect(unset.warnings?.().map((w) => w.message)).toEqual([
        expect.stringMatching(/^edge\.controllerInMesh is not set: the stock NGINX Gateway Fabric install runs the controller in edge without an Istio sidecar/),
      ]);
      expect(messages(bindEdge({ existingGateway: SHARED, tls: undefined, controllerInMesh: false }).edge)).toEqual([
        expect.stringMatching(/^edge\.controllerInMesh must be true: the backend admits the edge only through the controller's mesh principal, got false/),
      ]);
    });

    test('warns through the endpoint at synth (strict mode: an error)', () => {
      const app = Testing.app();
      const chart = new Chart(app, 'fraud', { namespace: 'fraud' });
      new MeshNamespace(chart, 'Namespace', { name: 'fraud' });
      new SecureMlEndpoint(chart, 'Endpoint', props({ edge: Edge.nginxGatewayFabric({ host: HOST, existingGateway: SHARED }) }));
      app.synth();
      expect(Diagnostics.of(app).warnings.map((w) => w.message)).toEqual([
        expect.stringMatching(/^edge\.controllerInMesh is not set: the stock NGINX Gateway Fabric install/),
      ]);
    });

    test('fails for source ranges (they belong to the Gateway owner\'s NginxProxy)', () => {
      const { edge, manifests } = bindEdge({ existingGateway: SHARED, tls: undefined, controllerInMesh: true, sourceRanges: ['10.0.0.0/8'] });
      expect(messages(edge)).toEqual([
        expect.stringMatching(/^edge\.sourceRanges must be left out with existingGateway, got \["10\.0\.0\.0\/8"\]; NGF restricts sources only at the Gateway's load balancer \(NginxProxy kubernetes\.service\.loadBalancerSourceRanges\), which belongs to Gateway edge\/shared's owner/),
      ]);
      expect(ofKind(manifests, 'NginxProxy')).toEqual([]);
    });

    test('fails for a Gateway name longer than a label value (the NetworkPolicy admits the pods by the gateway-name label)', () => {
      const name = 'g'.repeat(64);
      expect(messages(bindEdge({ existingGateway: { ...SHARED, name }, tls: undefined, controllerInMesh: true }).edge)).toContainEqual(
        expect.stringMatching(/^edge\.existingGateway\.name must be a Gateway name of at most 63 characters, got "g{64}"; NGF labels the data-plane pods/),
      );
    });
  });

  describe('the backend Service port', () => {
    test('fails when the target port differs from the Service port (the sidecar would send plain text)', () => {
      const { edge } = bindEdge({}, { servicePortDetails: () => ({ name: 'http', targetPort: 9000 }) });
      expect(messages(edge)).toEqual([
        expect.stringMatching(/^backend\.targetPort must be a Service whose target port equals its port 8080 behind the NGINX Gateway Fabric edge, got "targetPort 9000"; NGINX Gateway Fabric 2\.6 sends to Pod IPs on the target port, .*PassthroughCluster.*STRICT mTLS backend refuses/),
      ]);
    });

    test('fails for a named target port (not comparable at synth)', () => {
      const { edge } = bindEdge({}, { servicePortDetails: () => ({ name: 'http', targetPort: 'http' }) });
      expect(messages(edge)).toEqual([expect.stringMatching(/^backend\.targetPort must be a Service whose target port equals its port 8080 .*got "targetPort \\"http\\""/)]);
    });

    test('fails when the target port is unknown', () => {
      const { edge } = bindEdge({}, { servicePortDetails: () => undefined });
      expect(messages(edge)).toEqual([
        expect.stringMatching(/^backend\.targetPort must be a Service whose target port is known and equals its port 8080 \(EndpointBackend\.service\(\{ targetPort: 8080 \}\), fromService or fromDeployment\)/),
      ]);
    });

    test('through the endpoint: no manifest is written', () => {
      const { error, files } = synthToDisk((app) => {
        const chart = new Chart(app, 'fraud', { namespace: 'fraud' });
        new MeshNamespace(chart, 'Namespace', { name: 'fraud' });
        new SecureMlEndpoint(chart, 'Endpoint', props({ backend: EndpointBackend.service({ name: 'fraud', port: 80, targetPort: 8080, selector: { app: 'fraud' } }) }));
      });
      expect(error?.message).toMatch(/\[fraud\/Endpoint\] backend\.targetPort must be a Service whose target port equals its port 80 behind the NGINX Gateway Fabric edge, got "targetPort 8080"/);
      expect(files).toEqual([]);
    });
  });

  describe('unsupported options', () => {
    test('fails for a connection limit', () => {
      expect(messages(bindEdge({ rateLimit: { requestsPerSecond: 5, connections: 10 } }).edge)).toEqual([
        expect.stringMatching(/^edge\.rateLimit\.connections must be unset on the NGINX Gateway Fabric edge, got 10; NGF's RateLimitPolicy limits requests \(limit_req\), not connections/),
      ]);
    });

    test('fails for browser sign-in, naming why and the alternative, and writes nothing for it', () => {
      const { edge, manifests } = bindEdge({
        browserSignIn: {
          application: EntraApplication.fromClientId(API),
          oidcIssuerUrl: `https://westeurope.oic.prod-aks.azure.com/${TID}/1b2c3d4e-5f60-4a1b-9c2d-3e4f5a6b7c8d/`,
          cookieSecret: { secretName: 'cookie', key: 'secret' },
        },
      });
      const [message, ...rest] = messages(edge);
      expect(rest).toEqual([]);
      expect(message).toMatch(/^edge\.browserSignIn must be left out on the NGINX Gateway Fabric edge, got /);
      expect(message).toMatch(/forwards no token to the backend/);
      expect(message).toMatch(/sends every request without its session cookie to sign-in, bearer-token callers included/);
      expect(message).toMatch(/use the Istio Gateway API edge's browserSignIn/);
      expect(ofKind(manifests, 'AuthenticationFilter')).toEqual([]);
      expect(manifests.filter((m) => m.kind === 'Deployment' || m.kind === 'Secret')).toEqual([]);
    });

    test('fails for controllerInMesh: false on a created Gateway (the edge enrols its pods)', () => {
      expect(messages(bindEdge({ controllerInMesh: false }).edge)).toEqual([
        expect.stringMatching(/^edge\.controllerInMesh must be true or left out when the edge creates the Gateway, got false; the edge enrols/),
      ]);
      expect(bindEdge({ controllerInMesh: true }).edge.problems()).toEqual([]);
    });

    test('fails for a GatewayClass that is no DNS label, and for more infrastructure labels than the Gateway API allows', () => {
      expect(messages(bindEdge({ gatewayClassName: 'nginx.plus' }).edge)).toEqual([
        expect.stringMatching(/^edge\.gatewayClassName must be a GatewayClass name that is a DNS label/),
      ]);
      const labels = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`l${i}`, 'x']));
      expect(messages(bindEdge({ gateway: { infrastructureLabels: labels } }).edge)).toEqual([
        expect.stringMatching(/^edge\.gateway\.infrastructureLabels must be at most 8 labels with the edge's own/),
      ]);
    });

    test('fails without a certificate for a created Gateway; the shared options are checked', () => {
      expect(messages(bindEdge({ tls: undefined }).edge)).toEqual([expect.stringMatching(/^edge\.tls must be a TLS certificate/)]);
      expect(messages(bindEdge({ host: 'fraud.models.svc.cluster.local' }).edge)).toEqual([expect.stringMatching(/^edge\.host must be an exact lower-case DNS name/)]);
    });
  });

  test('an InferencePool backend is left to the endpoint, which rejects it (routesToInferencePool false); no port check for it', () => {
    const { edge } = bindEdge({}, { inferencePool: { name: 'pool' }, servicePortDetails: () => undefined });
    expect(edge.routesToInferencePool).toBe(false);
    expect(edge.problems()).toEqual([]);
  });

  test('same declaration, same bytes', () => {
    const a = synthApp((app) => new SecureMlEndpoint(new Chart(app, 'fraud', { namespace: 'fraud' }), 'Endpoint', props({ edge: Edge.nginxGatewayFabric({ host: HOST, tls: TLS, nginxPlus: true, validateTokens: true, sourceRanges: ['10.0.0.0/8'], rateLimit: { requestsPerSecond: 5 } }) }))).yaml;
    const b = synthApp((app) => new SecureMlEndpoint(new Chart(app, 'fraud', { namespace: 'fraud' }), 'Endpoint', props({ edge: Edge.nginxGatewayFabric({ rateLimit: { requestsPerSecond: 5 }, sourceRanges: ['10.0.0.0/8'], validateTokens: true, nginxPlus: true, tls: TLS, host: HOST }) }))).yaml;
    expect(a).toBe(b);
  });

  test('every object conforms to the official schemas, CEL rules included', () => {
    const ms = synth({
      deployments: [{ name: 'blue', weight: 3 }, { name: 'green', weight: 1 }],
      edge: Edge.nginxGatewayFabric({
        host: HOST, tls: TLS, gateway: { namespace: 'edge' }, nginxPlus: true, validateTokens: true, sourceRanges: ['10.0.0.0/8'],
        rateLimit: { requestsPerSecond: 5 }, maxBodySize: Size.gibibytes(2), readTimeout: Duration.minutes(10),
      }),
    });
    const violations = sharedValidator().validateAll(ms);
    if (violations.length) throw new Error(formatViolations(violations));
  });
});
