/**
 * Migration from ingress-nginx to the Gateway API edges (issue 14, item 7;
 * docs/migrate-from-ingress-nginx.md): one declaration moved from
 * `Edge.ingressNginx` to `Edge.nginxGatewayFabric` or `Edge.istioGatewayApi`
 * keeps its callers (the backend's ALLOW rules, apart from the edge's own
 * principal), its host, its paths (the route's and the policy's paths and
 * methods) and its limits: on NGINX Gateway Fabric each limit becomes an NGF
 * policy of the same value; on Istio the limits it cannot express are synth
 * errors, and the ones it can (timeout, source ranges) keep their values.
 */
import { App, Chart, Duration, Size } from 'cdk8s';
import { parse } from 'yaml';
import {
  Caller, Edge, EdgeRateLimit, EndpointBackend, EntraTenant, IEdge, MeshNamespace, MeshProfile, SecureMlEndpoint, TlsCertificate,
} from '../../lib';
import { formatViolations, sharedValidator } from '../conformance/validator';
import { checkInvariants } from '../invariants';
import { Manifest, allowPolicy, ofKind, one, synthApp, synthToDisk } from '../util';

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const API = '0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5';
const PAYMENTS = '3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
const HOST = 'fraud.contoso.com';
const SERVICE_HOST = 'fraud-model.fraud.svc.cluster.local';
const MESH = MeshProfile.aksIstioAddon('asm-1-28');
const PLANNER = 'cluster.local/ns/agents/sa/planner';

/** The limits of the declaration, the same on every edge that can express them. */
const RATE: EdgeRateLimit = { requestsPerSecond: 20, burstMultiplier: 3 };
const BODY = Size.mebibytes(16);
const READ = Duration.seconds(90);
const SOURCES = ['10.0.0.0/8', '192.168.0.0/16'];

/** The edges the declaration moves between. */
const INGRESS_NGINX = 'cluster.local/ns/ingress-nginx/sa/ingress-nginx';
const NGF = 'cluster.local/ns/fraud/sa/fraud-nginx';
const ISTIO = 'cluster.local/ns/fraud-edge/sa/fraud-edge-istio';
const EDGE = '<edge principal>';

/** One declaration; only the edge changes. */
function declaration(edge: IEdge): (app: App) => void {
  return (app) => {
    const chart = new Chart(app, 'fraud', { namespace: 'fraud' });
    new MeshNamespace(chart, 'Namespace', { name: 'fraud', mesh: MESH });
    new MeshNamespace(chart, 'EdgeNamespace', { name: 'fraud-edge', mesh: MESH });
    new SecureMlEndpoint(chart, 'Endpoint', {
      // NGINX Gateway Fabric 2.6 needs the Service port to equal the target port; ingress-nginx and Istio do not mind
      backend: EndpointBackend.service({ name: 'fraud-model', port: 8080, targetPort: 8080, selector: { app: 'fraud-model' } }),
      tenant: new EntraTenant({ tenantId: TID }),
      audiences: [API],
      callers: [Caller.appRole('Fraud.Score'), Caller.application(PAYMENTS), Caller.workload({ meshPrincipal: PLANNER })],
      paths: ['/score', '/explain'],
      methods: ['POST'],
      claimToHeaders: [{ claim: 'oid', header: 'x-caller-oid' }],
      timeout: Duration.seconds(120),
      mesh: MESH,
      edge,
    });
  };
}

const shared = { host: HOST, tls: TlsCertificate.fromSecret('fraud-contoso-com-tls'), readTimeout: READ, sourceRanges: SOURCES };
const before = () => Edge.ingressNginx({ ...shared, controllerInMesh: true, rateLimit: RATE, maxBodySize: BODY });
const onNgf = () => Edge.nginxGatewayFabric({ ...shared, gateway: { name: 'fraud' }, rateLimit: RATE, maxBodySize: BODY });
const onIstio = () => Edge.istioGatewayApi({ ...shared, gateway: { name: 'fraud-edge', namespace: 'fraud-edge' } });

const synth = (edge: IEdge) => synthApp(declaration(edge)).manifests;

/** The backend's ALLOW rules with the edge's principal replaced by a placeholder: who may call, whichever the door. */
function callers(ms: Manifest[], edgePrincipal: string): unknown[] {
  const rules = allowPolicy(ms.filter((m) => m.metadata.namespace === 'fraud')).spec.rules as any[];
  const principals = rules.flatMap((r) => r.from[0].source.principals ?? []);
  // the edge's principal is there: the rules are not vacuously equal
  expect(principals).toContain(edgePrincipal);
  return JSON.parse(JSON.stringify(rules).split(JSON.stringify(edgePrincipal)).join(JSON.stringify(EDGE)));
}

/** The backend's other policies (STRICT, token validation, DENY without token): the edge does not touch them. */
function backendPolicies(ms: Manifest[]): unknown[] {
  return ms
    .filter((m) => m.metadata.namespace === 'fraud' && m.apiVersion.startsWith('security.istio.io/') && !(m.kind === 'AuthorizationPolicy' && m.spec.action === 'ALLOW'))
    .map((m) => [m.kind, m.spec]);
}

const hostRoute = (ms: Manifest[]) => one(ms, 'HTTPRoute', (r) => r.spec.parentRefs[0].sectionName === 'https');
const redirectRoute = (ms: Manifest[]) => one(ms, 'HTTPRoute', (r) => r.spec.parentRefs[0].sectionName === 'http');
const noViolations = (ms: Manifest[]) => {
  const violations = sharedValidator().validateAll(ms);
  expect(violations.length ? formatViolations(violations) : '').toBe('');
};

describe('migrating one declaration from Edge.ingressNginx to the Gateway API edges', () => {
  const old = synth(before());
  const ingress = one(old, 'Ingress');
  const annotation = (name: string) => ingress.metadata.annotations![`nginx.ingress.kubernetes.io/${name}`];

  test('the ingress-nginx declaration this starts from', () => {
    expect(ingress.spec.rules).toEqual([{
      host: HOST,
      http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'fraud-model', port: { number: 8080 } } } }] },
    }]);
    expect(ingress.spec.tls).toEqual([{ hosts: [HOST], secretName: 'fraud-contoso-com-tls' }]);
    expect([annotation('ssl-redirect'), annotation('force-ssl-redirect')]).toEqual(['true', 'true']);
    expect([annotation('proxy-body-size'), annotation('proxy-read-timeout'), annotation('proxy-send-timeout')]).toEqual(['16m', '90', '90']);
    expect([annotation('limit-rps'), annotation('limit-burst-multiplier')]).toEqual(['20', '3']);
    expect(annotation('whitelist-source-range')).toBe('10.0.0.0/8,192.168.0.0/16');
    expect(callers(old, INGRESS_NGINX)).toEqual([
      // the in-mesh caller keeps its own principal, with a token
      {
        from: [{ source: { principals: [PLANNER], requestPrincipals: [`https://login.microsoftonline.com/${TID}/v2.0/*`] } }],
        to: [{ operation: { paths: ['/explain', '/score'], methods: ['POST'] } }],
      },
      {
        from: [{ source: { principals: [EDGE], requestPrincipals: [`https://login.microsoftonline.com/${TID}/v2.0/*`] } }],
        to: [{ operation: { paths: ['/explain', '/score'], methods: ['POST'] } }],
        when: [{ key: 'request.auth.claims[roles]', values: ['Fraud.Score'] }],
      },
      {
        from: [{ source: { principals: [EDGE], requestPrincipals: [`https://login.microsoftonline.com/${TID}/v2.0/*`] } }],
        to: [{ operation: { paths: ['/explain', '/score'], methods: ['POST'] } }],
        when: [{ key: 'request.auth.presenter', values: [PAYMENTS] }],
      },
    ]);
  });

  test('beside the old edge: a second endpoint (its own Service and pods) on the same host behind the new edge; each backend admits only its own edge', () => {
    const ms = synthApp((app) => {
      const chart = new Chart(app, 'fraud', { namespace: 'fraud' });
      new MeshNamespace(chart, 'Namespace', { name: 'fraud', mesh: MESH });
      new MeshNamespace(chart, 'EdgeNamespace', { name: 'fraud-edge', mesh: MESH });
      const common = {
        tenant: new EntraTenant({ tenantId: TID }), audiences: [API], callers: [Caller.appRole('Fraud.Score')], paths: ['/score'], methods: ['POST'], mesh: MESH,
      };
      new SecureMlEndpoint(chart, 'Endpoint', {
        ...common,
        backend: EndpointBackend.service({ name: 'fraud-model', port: 8080, targetPort: 8080, selector: { app: 'fraud-model' } }),
        edge: before(),
      });
      new SecureMlEndpoint(chart, 'NextEndpoint', {
        ...common,
        backend: EndpointBackend.service({ name: 'fraud-model-gw', port: 8080, targetPort: 8080, selector: { app: 'fraud-model-gw' } }),
        edge: onIstio(),
      });
    }).manifests;
    expect(one(ms, 'Ingress').spec.rules[0].host).toBe(HOST);
    expect(hostRoute(ms).spec.hostnames).toEqual([HOST]);
    const allows = ofKind(ms, 'AuthorizationPolicy').filter((p) => p.spec.action === 'ALLOW');
    const admitted = allows.map((p) => [p.spec.selector.matchLabels.app, [...new Set(p.spec.rules.flatMap((r: any) => r.from[0].source.principals))]]);
    expect(admitted.sort()).toEqual([['fraud-model', [INGRESS_NGINX]], ['fraud-model-gw', [ISTIO]]]);
    // the same callers behind each door
    const [a, b] = allows.map((p) => JSON.stringify(p.spec.rules).split(JSON.stringify(INGRESS_NGINX)).join('"E"').split(JSON.stringify(ISTIO)).join('"E"'));
    expect(a).toBe(b);
    expect(checkInvariants(ms)).toEqual([]);
  });

  describe('to NGINX Gateway Fabric', () => {
    const ms = synth(onNgf());
    const route = hostRoute(ms);
    const routeRef = { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: route.metadata.name };

    test('keeps the callers: the same ALLOW rules, the edge principal now the data plane\'s <gateway>-nginx', () => {
      expect(callers(ms, NGF)).toEqual(callers(old, INGRESS_NGINX));
      // and only the new edge is admitted: the old controller's principal is gone
      expect(JSON.stringify(allowPolicy(ms.filter((m) => m.metadata.namespace === 'fraud')))).not.toContain(INGRESS_NGINX);
      expect(backendPolicies(ms)).toEqual(backendPolicies(old));
    });

    test('keeps the host, the path and the backend Service; TLS with the same Secret, plain HTTP redirected', () => {
      expect(route.spec.hostnames).toEqual(ingress.spec.rules.map((r: any) => r.host));
      expect(route.spec.rules.map((r: any) => r.matches)).toEqual([[{ path: { type: 'PathPrefix', value: '/' } }]]);
      expect(ingress.spec.rules[0].http.paths.map((p: any) => [p.pathType, p.path])).toEqual([['Prefix', '/']]);
      const backend = ingress.spec.rules[0].http.paths[0].backend.service;
      expect(route.spec.rules[0].backendRefs).toEqual([{ name: backend.name, port: backend.port.number }]);
      // upstream-vhost becomes the URLRewrite of Host to the Service's in-mesh name
      expect(annotation('upstream-vhost')).toBe(SERVICE_HOST);
      expect(route.spec.rules[0].filters).toContainEqual({ type: 'URLRewrite', urlRewrite: { hostname: SERVICE_HOST } });
      const gw = one(ms, 'Gateway');
      expect(gw.spec.listeners.map((l: any) => [l.name, l.hostname, l.protocol])).toEqual([['https', HOST, 'HTTPS'], ['http', HOST, 'HTTP']]);
      expect(gw.spec.listeners[0].tls.certificateRefs.map((c: any) => c.name)).toEqual(ingress.spec.tls.map((t: any) => t.secretName));
      expect(redirectRoute(ms).spec.rules[0].filters).toEqual([{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 308 } }]);
    });

    test('keeps the limits: body size, read and send timeouts, rate limit and burst, source ranges, each as an NGF policy', () => {
      // proxy-body-size 16m -> ClientSettingsPolicy body.maxSize 16m
      expect(one(ms, 'ClientSettingsPolicy').spec).toEqual({ targetRef: routeRef, body: { maxSize: annotation('proxy-body-size') } });
      // proxy-read-timeout, proxy-send-timeout 90 (seconds) -> ProxySettingsPolicy timeout.read, timeout.send 90s
      expect(one(ms, 'ProxySettingsPolicy').spec).toEqual({
        targetRefs: [routeRef],
        timeout: { read: `${annotation('proxy-read-timeout')}s`, send: `${annotation('proxy-send-timeout')}s` },
      });
      // NGF ignores HTTPRoute timeouts: none is written
      expect(route.spec.rules[0].timeouts).toBeUndefined();
      // limit-rps 20, limit-burst-multiplier 3 -> 20r/s per client address, burst 60 served at once, then 429
      const rule = one(ms, 'RateLimitPolicy').spec.rateLimit.local.rules[0];
      expect(one(ms, 'RateLimitPolicy').spec.targetRefs).toEqual([routeRef]);
      expect(rule).toMatchObject({ key: '$binary_remote_addr', rate: `${annotation('limit-rps')}r/s`, noDelay: true });
      expect(rule.burst).toBe(Number(annotation('limit-rps')) * Number(annotation('limit-burst-multiplier')));
      // whitelist-source-range -> the Gateway's load balancer (NginxProxy loadBalancerSourceRanges)
      const proxy = one(ms, 'NginxProxy');
      expect(proxy.spec.kubernetes.service.loadBalancerSourceRanges).toEqual(annotation('whitelist-source-range').split(','));
      expect(one(ms, 'Gateway').spec.infrastructure.parametersRef).toEqual({ group: 'gateway.nginx.org', kind: 'NginxProxy', name: proxy.metadata.name });
    });

    test('is a valid app: invariants and schemas', () => {
      expect(checkInvariants(ms)).toEqual([]);
      noViolations(ms);
    });

    test('fails for limit-connections (rateLimit.connections), which NGF has no policy for', () => {
      const { error, files } = synthToDisk(declaration(Edge.nginxGatewayFabric({ ...shared, gateway: { name: 'fraud' }, rateLimit: { ...RATE, connections: 10 } })));
      expect(error?.message).toMatch(/edge\.rateLimit\.connections must be unset on the NGINX Gateway Fabric edge, got 10; NGF's RateLimitPolicy limits requests \(limit_req\), not connections/);
      expect(files).toEqual([]);
    });
  });

  describe('to Istio\'s Gateway API (the AKS add-on\'s GatewayClass istio)', () => {
    const ms = synth(onIstio());
    const route = hostRoute(ms);

    test('keeps the callers: the same ALLOW rules, the edge principal now the gateway pods\' <gateway>-istio', () => {
      expect(callers(ms, ISTIO)).toEqual(callers(old, INGRESS_NGINX));
      expect(JSON.stringify(allowPolicy(ms.filter((m) => m.metadata.namespace === 'fraud')))).not.toContain(INGRESS_NGINX);
      expect(backendPolicies(ms)).toEqual(backendPolicies(old));
    });

    test('keeps the host, the path and the backend Service; TLS with the same Secret (read across namespaces by a ReferenceGrant)', () => {
      expect(route.spec.hostnames).toEqual(ingress.spec.rules.map((r: any) => r.host));
      expect(route.spec.rules.map((r: any) => r.matches)).toEqual([[{ path: { type: 'PathPrefix', value: '/' } }]]);
      const backend = ingress.spec.rules[0].http.paths[0].backend.service;
      expect(route.spec.rules[0].backendRefs).toEqual([{ name: backend.name, port: backend.port.number }]);
      const gw = one(ms, 'Gateway');
      expect(gw.metadata.namespace).toBe('fraud-edge');
      expect(gw.spec.listeners[0].tls.certificateRefs).toEqual([{ group: '', kind: 'Secret', name: ingress.spec.tls[0].secretName, namespace: 'fraud' }]);
      expect(one(ms, 'ReferenceGrant').spec.to).toEqual([{ group: '', kind: 'Secret', name: ingress.spec.tls[0].secretName }]);
      expect(redirectRoute(ms).spec.rules[0].filters).toEqual([{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 308 } }]);
    });

    test('keeps the limits it can express: the read timeout as the route\'s request timeout, the source ranges at the gateway\'s load balancer', () => {
      // proxy-read-timeout 90 -> timeouts.request 90s (a whole-request deadline, not NGINX's time between two reads)
      expect(route.spec.rules[0].timeouts).toEqual({ request: `${annotation('proxy-read-timeout')}s` });
      // whitelist-source-range -> loadBalancerSourceRanges of the gateway Service, through the parametersRef ConfigMap
      const gw = one(ms, 'Gateway');
      const cm = one(ms, 'ConfigMap', (c) => c.metadata.name === gw.spec.infrastructure.parametersRef.name);
      expect(cm.metadata.namespace).toBe('fraud-edge');
      expect(parse((cm as any).data.service).spec.loadBalancerSourceRanges).toEqual(annotation('whitelist-source-range').split(','));
      // no body-size or rate-limit object of any kind
      for (const kind of ['ClientSettingsPolicy', 'ProxySettingsPolicy', 'RateLimitPolicy', 'EnvoyFilter']) expect(ofKind(ms, kind)).toEqual([]);
      expect(checkInvariants(ms)).toEqual([]);
      noViolations(ms);
    });

    test.each([
      ['the rate limit (limit-rps, limit-burst-multiplier)', { rateLimit: RATE },
        /edge\.rateLimit must be unset on Edge\.istioGatewayApi, got \{"requestsPerSecond":20,"burstMultiplier":3\}; Istio's Gateway API has no rate limit field/],
      ['the body size (proxy-body-size)', { maxBodySize: BODY },
        /edge\.maxBodySize must be unset on Edge\.istioGatewayApi, got "16384Ki"; neither the Gateway API nor Istio's implementation of it has a request body size limit to set/],
    ])('fails for %s, which it cannot express, with the reason and nothing written', (_name, o, message) => {
      const { error, files } = synthToDisk(declaration(Edge.istioGatewayApi({ ...shared, gateway: { name: 'fraud-edge', namespace: 'fraud-edge' }, ...o })));
      expect(error?.message).toMatch(message);
      expect(files).toEqual([]);
    });

    test('both errors at once for the ingress-nginx limits moved unchanged', () => {
      const { error } = synthToDisk(declaration(Edge.istioGatewayApi({ ...shared, gateway: { name: 'fraud-edge', namespace: 'fraud-edge' }, rateLimit: RATE, maxBodySize: BODY })));
      expect(error?.message).toMatch(/edge\.rateLimit must be unset/);
      expect(error?.message).toMatch(/edge\.maxBodySize must be unset/);
    });
  });
});
