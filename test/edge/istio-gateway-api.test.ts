import { App, Chart, Duration, Size, Testing } from 'cdk8s';
import { parse, parseAllDocuments } from 'yaml';
import {
  AKS_APP_ROUTING_ISTIO_CLASS, AuditLogMeshConfig, Caller, Diagnostics, Edge, EndpointBackend, EndpointPickerFailureMode, EntraApplication, EntraTenant, ExtAuthzMeshConfig,
  ISTIO_GATEWAY_CLASS, ITlsCertificate, IstioGatewayApiEdgeOptions, ManagedIdentity, MeshIdentityBinding, MeshNamespace, MeshProfile, SecureMlEndpoint,
  SecureMlEndpointProps, TokenVersion, extAuthzExtensionProviders, oauth2ProxyExtAuthzProvider,
} from '../../lib';
import { SIGN_IN_PROVIDER_PREFIX, signInProviderName } from '../../lib/edge/istio-gateway-api';
import { TEST_APPS } from '../apps';
import { formatViolations, sharedValidator } from '../conformance/validator';
import { checkInvariants, tokenRequired } from '../invariants';
import { Manifest, allowPolicy, ofKind, one, synthApp, synthToDisk } from '../util';

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const AUD = '0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5';
const V2 = `https://login.microsoftonline.com/${TID}/v2.0`;
const V2P = `${V2}/*`;
const OIDC = `https://westeurope.oic.prod-aks.azure.com/${TID}/1b2c3d4e-5f60-4a1b-9c2d-3e4f5a6b7c8d/`;
const SECRET: ITlsCertificate = { bind: () => ({ secretName: 'fraud-tls', problems: () => [] }) };
const HOST = 'fraud.contoso.com';
const GATEWAY_POD = { 'gateway.networking.k8s.io/gateway-name': 'fraud-fraud' };
const SIGN_IN = { application: EntraApplication.fromClientId(AUD), oidcIssuerUrl: OIDC, cookieSecret: { secretName: 'oauth2-proxy-cookie', key: 'secret' } };

/** The sign-in provider of Service fraud in namespace fraud: readable, with the hash of "fraud/fraud" that makes it unambiguous. */
const PROVIDER = 'cdk8s-azureml-mesh-sign-in-fraud-fraud-3ce1884e';

const edge = (o: Partial<IstioGatewayApiEdgeOptions> = {}) => Edge.istioGatewayApi({ host: HOST, tls: SECRET, ...o } as IstioGatewayApiEdgeOptions);

function props(overrides: Partial<SecureMlEndpointProps> = {}): SecureMlEndpointProps {
  return {
    backend: EndpointBackend.service({ name: 'fraud', port: 80, targetPort: 8080, selector: { app: 'fraud' } }),
    tenant: new EntraTenant({ tenantId: TID }),
    audiences: [AUD],
    callers: [Caller.appRole('Fraud.Score')],
    edge: edge(),
    ...overrides,
  };
}

/** An app with the endpoint in namespace fraud (enrolled in the mesh). */
function build(overrides: Partial<SecureMlEndpointProps> = {}, extra?: (app: App) => void): (app: App) => void {
  return (app) => {
    const chart = new Chart(app, 'fraud', { namespace: 'fraud' });
    new MeshNamespace(chart, 'Namespace', { name: 'fraud', ...(overrides.mesh ? { mesh: overrides.mesh } : {}) });
    new SecureMlEndpoint(chart, 'Endpoint', props(overrides));
    extra?.(app);
  };
}
const synth = (o: Partial<SecureMlEndpointProps> = {}, extra?: (app: App) => void) => synthApp(build(o, extra)).manifests;
const gatewayApi = (ms: Manifest[], kind: string) => ms.filter((m) => m.kind === kind && m.apiVersion.startsWith('gateway.networking.k8s.io/'));
const routeTo = (ms: Manifest[], listener: string) => gatewayApi(ms, 'HTTPRoute').filter((r) => r.spec.parentRefs[0].sectionName === listener);
const policies = (ms: Manifest[], ns: string) => ms.filter((m) => m.apiVersion.startsWith('security.istio.io/') && m.metadata.namespace === ns);
const noViolations = (ms: Manifest[]) => {
  const violations = sharedValidator().validateAll(ms);
  expect(violations.length ? formatViolations(violations) : '').toBe('');
};
const fails = (o: Partial<SecureMlEndpointProps>, message: RegExp) => {
  const { error, files } = synthToDisk(build(o));
  expect(error?.message).toMatch(message);
  expect(files).toEqual([]);
};

describe('Edge.istioGatewayApi', () => {
  test('minimal edge: a Gateway of class istio (HTTPS with the certificate, plain HTTP), the host\'s route on HTTPS only, a 308 redirect; the backend admits the gateway pods only', () => {
    const chart = Testing.chart();
    new SecureMlEndpoint(chart, 'fraud', props());
    const snapshot = Testing.synth(chart) as Manifest[];
    expect(snapshot).toMatchSnapshot();

    const ms = synth();
    const gw = one(ms, 'Gateway');
    expect(gw.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(gw.metadata).toMatchObject({ name: 'fraud-fraud', namespace: 'fraud' });
    // upstream Istio without a revision: no istio.io/rev label
    expect(gw.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'cdk8s-azureml-mesh' });
    expect(gw.spec.gatewayClassName).toBe(ISTIO_GATEWAY_CLASS);
    expect(gw.spec.infrastructure).toBeUndefined();
    expect(gw.spec.listeners).toEqual([
      {
        name: 'https', hostname: HOST, port: 443, protocol: 'HTTPS',
        tls: { mode: 'Terminate', certificateRefs: [{ group: '', kind: 'Secret', name: 'fraud-tls' }] },
        allowedRoutes: { namespaces: { from: 'Same' }, kinds: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }] },
      },
      { name: 'http', hostname: HOST, port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'Same' }, kinds: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }] } },
    ]);
    // the model's route attaches to the HTTPS listener only (sectionName), with HSTS and the endpoint's timeout
    const [route] = routeTo(ms, 'https');
    expect(route.spec.parentRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'fraud-fraud', sectionName: 'https' }]);
    expect(route.spec.hostnames).toEqual([HOST]);
    expect(route.spec.rules).toEqual([{
      matches: [{ path: { type: 'PathPrefix', value: '/' } }],
      filters: [{ type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ name: 'Strict-Transport-Security', value: 'max-age=31536000' }] } }],
      backendRefs: [{ name: 'fraud', port: 80 }],
      timeouts: { request: '60s' },
    }]);
    // plain HTTP: only a 308 redirect (keeps the method and body)
    const [redirect] = routeTo(ms, 'http');
    expect(redirect.spec.rules).toEqual([{ filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 308 } }] }]);
    expect(redirect.spec.rules[0].backendRefs).toBeUndefined();
    expect(gatewayApi(ms, 'HTTPRoute')).toHaveLength(2);
    expect(gatewayApi(ms, 'ReferenceGrant')).toEqual([]);
    // who gets in: the gateway pods' principal <ns>/sa/<gateway>-istio, with a token of the tenant; nobody else without a mesh identity
    expect(allowPolicy(ms).spec.rules).toEqual([{
      from: [{ source: { principals: ['cluster.local/ns/fraud/sa/fraud-fraud-istio'], requestPrincipals: [V2P] } }],
      when: [{ key: 'request.auth.claims[roles]', values: ['Fraud.Score'] }],
    }]);
    // the second fence admits the gateway pods (by the label Istio puts on them), not their whole namespace
    const np = ofKind(ms, 'NetworkPolicy').find((n) => n.spec.podSelector.matchLabels.app === 'fraud')!;
    expect(np.spec.ingress).toEqual([{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'fraud' } }, podSelector: { matchLabels: GATEWAY_POD } }] }]);
    // no gateway-level policy unless asked
    expect(policies(ms, 'fraud').filter((p) => p.spec.targetRefs)).toEqual([]);
    expect(ofKind(ms, 'VirtualService').every((vs) => vs.spec.gateways === undefined)).toBe(true);
    expect(checkInvariants(ms)).toEqual([]);
    noViolations(ms);
  });

  test('the bound edge: principal, sources, InferencePool routing, uniqueness per Gateway, no VirtualService binding', () => {
    const app = Testing.app();
    const ep = new SecureMlEndpoint(new Chart(app, 'fraud', { namespace: 'fraud' }), 'Endpoint', props({ edge: edge({ gateway: { name: 'public', namespace: 'ingress' } }) }));
    expect(ep.edge).toMatchObject({
      host: HOST,
      uniquenessKey: 'gateway-api/ingress/public',
      meshPrincipals: ['cluster.local/ns/ingress/sa/public-istio'],
      sources: [{ namespace: 'ingress', podLabels: { 'gateway.networking.k8s.io/gateway-name': 'public' } }],
      routesToInferencePool: true,
    });
    expect(ep.edge!.gateway).toBeUndefined();
  });

  test('routes to an InferencePool when the backend is one (Istio\'s implementation of the Inference Extension)', () => {
    const chart = Testing.chart();
    const bound = edge().bind({
      scope: chart, namespace: 'llm', serviceName: 'llama', servicePort: 8000, serviceHost: 'llama.llm.svc.cluster.local',
      tenant: new EntraTenant({ tenantId: TID }), audiences: [AUD], timeout: Duration.seconds(120), labels: {}, inferencePool: { name: 'llama-pool' },
    });
    expect(bound.routesToInferencePool).toBe(true);
    const route = (Testing.synth(chart) as Manifest[]).find((m) => m.kind === 'HTTPRoute' && m.spec.parentRefs[0].sectionName === 'https')!;
    expect(route.spec.rules[0].backendRefs).toEqual([{ group: 'inference.networking.k8s.io', kind: 'InferencePool', name: 'llama-pool' }]);
    expect(route.spec.rules[0].timeouts).toEqual({ request: '120s' });
  });

  describe('an InferencePool backend (security review finding 6)', () => {
    const poolApp = (o: Partial<IstioGatewayApiEdgeOptions>) => {
      const app = Testing.app();
      const chart = new Chart(app, 'llm', { namespace: 'llm' });
      new MeshNamespace(chart, 'Namespace', { name: 'llm' });
      new SecureMlEndpoint(chart, 'Endpoint', props({
        backend: EndpointBackend.inferencePool({
          name: 'qwen3', selector: { app: 'vllm-qwen3' }, targetPort: 8000,
          endpointPicker: { serviceName: 'qwen3-epp', failureMode: EndpointPickerFailureMode.FAIL_CLOSE, podSelector: { inferencepool: 'qwen3-epp' } },
        }),
        edge: edge({ host: 'llm.contoso.com', ...o }),
      }));
      app.synthYaml();
      return Diagnostics.of(app).warnings.filter((w) => w.field === 'edge.validateTokens').map((w) => w.message);
    };

    test('without validateTokens a warning: the picker\'s ext_proc runs after ext_authz, JWT and RBAC, so it receives every request, unauthenticated ones included', () => {
      expect(poolApp({})).toEqual([
        expect.stringMatching(/^edge\.validateTokens is not true, and the backend is InferencePool "qwen3": Istio's gateway runs the endpoint picker's ext_proc filter after its external authorization, JWT and RBAC filters, so without token validation at the gateway the picker receives every request that reaches the host, requests without a token or with a forged one included, .*set validateTokens: true/),
      ]);
    });

    test('with validateTokens no warning (the gateway refuses requests without a valid token before the picker)', () => {
      expect(poolApp({ validateTokens: true })).toEqual([]);
    });

    test('a Service backend gets no such warning', () => {
      const app = Testing.app();
      build()(app);
      app.synthYaml();
      expect(Diagnostics.of(app).warnings.filter((w) => w.field === 'edge.validateTokens')).toEqual([]);
    });
  });

  test('the backend admits exactly the gateway principal (with a token) and the declared mesh callers', () => {
    const ms = synthApp((app) => {
      build({ callers: [Caller.anyAuthenticated()] })(app);
      const ep = app.node.findAll().find((c) => c instanceof SecureMlEndpoint) as SecureMlEndpoint;
      const b = new MeshIdentityBinding(new Chart(app, 'batch', { namespace: 'batch' }), 'Id', {
        identity: ManagedIdentity.existing({ clientId: '5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d', principalId: '9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b' }),
        oidcIssuerUrl: OIDC,
        serviceAccountName: 'scorer',
      });
      ep.addCaller(Caller.workload(b));
    }).manifests;
    const sources = allowPolicy(ms).spec.rules.map((r: any) => r.from[0].source);
    expect(sources).toEqual([
      { principals: ['cluster.local/ns/batch/sa/scorer'], requestPrincipals: [V2P] },
      { principals: ['cluster.local/ns/fraud/sa/fraud-fraud-istio'], requestPrincipals: [V2P] },
    ]);
    for (const s of sources) expect(s.namespaces).toBeUndefined();
    expect(checkInvariants(ms, { except: ['12 second fence'] })).toEqual([]);
  });

  test('a Gateway in another namespace: the certificate stays with the endpoint (ReferenceGrant), listeners admit the endpoint\'s namespace only', () => {
    const ms = synth({ edge: edge({ gateway: { name: 'public', namespace: 'ingress' }, trustDomain: 'contoso.mesh' }) });
    const gw = one(ms, 'Gateway');
    expect(gw.metadata).toMatchObject({ name: 'public', namespace: 'ingress' });
    expect(gw.spec.listeners[0].tls.certificateRefs).toEqual([{ group: '', kind: 'Secret', name: 'fraud-tls', namespace: 'fraud' }]);
    for (const l of gw.spec.listeners) {
      expect(l.allowedRoutes.namespaces).toEqual({ from: 'Selector', selector: { matchLabels: { 'kubernetes.io/metadata.name': 'fraud' } } });
    }
    const grant = one(ms, 'ReferenceGrant');
    expect(grant.metadata.namespace).toBe('fraud');
    expect(grant.spec).toEqual({ from: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'ingress' }], to: [{ group: '', kind: 'Secret', name: 'fraud-tls' }] });
    for (const r of gatewayApi(ms, 'HTTPRoute')) expect(r.spec.parentRefs[0]).toMatchObject({ name: 'public', namespace: 'ingress' });
    expect(allowPolicy(ms).spec.rules[0].from[0].source.principals).toEqual(['contoso.mesh/ns/ingress/sa/public-istio']);
    const np = ofKind(ms, 'NetworkPolicy').find((n) => n.spec.podSelector.matchLabels.app === 'fraud')!;
    expect(np.spec.ingress[0].from).toEqual([{
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress' } },
      podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'public' } },
    }]);
    noViolations(ms);
  });

  describe('an existing (shared) Gateway', () => {
    const existing = { name: 'shared', namespace: 'gateways', httpsListener: 'fraud-https' };

    test('no Gateway is written; the route attaches to the named HTTPS listener; without httpListener, a warning', () => {
      const app = Testing.app();
      build({ edge: Edge.istioGatewayApi({ host: HOST, existingGateway: existing }) })(app);
      app.synth();
      const ms = synthApp(build({ edge: Edge.istioGatewayApi({ host: HOST, existingGateway: existing }) })).manifests;
      expect(gatewayApi(ms, 'Gateway')).toEqual([]);
      expect(gatewayApi(ms, 'ReferenceGrant')).toEqual([]);
      const routes = gatewayApi(ms, 'HTTPRoute');
      expect(routes).toHaveLength(1);
      expect(routes[0].spec.parentRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'shared', namespace: 'gateways', sectionName: 'fraud-https' }]);
      expect(allowPolicy(ms).spec.rules[0].from[0].source.principals).toEqual(['cluster.local/ns/gateways/sa/shared-istio']);
      expect(Diagnostics.of(app).warnings.filter((w) => !w.field.startsWith('namespace "')).map((w) => w.message)).toEqual([
        expect.stringMatching(/^edge\.existingGateway\.httpListener is not set: the edge cannot see that Gateway gateways\/shared redirects plain HTTP for fraud\.contoso\.com/),
      ]);
      noViolations(ms);
    });

    test('with httpListener, a 308 redirect there; serviceAccount names the gateway pods\' principal', () => {
      const ms = synth({ edge: Edge.istioGatewayApi({ host: HOST, existingGateway: { ...existing, httpListener: 'http', serviceAccount: 'shared-gateway' } }) });
      const [redirect] = routeTo(ms, 'http');
      expect(redirect.spec.rules[0].filters[0].requestRedirect).toEqual({ scheme: 'https', statusCode: 308 });
      expect(allowPolicy(ms).spec.rules[0].from[0].source.principals).toEqual(['cluster.local/ns/gateways/sa/shared-gateway']);
    });

    test('two endpoints serving one host on one Gateway collide; another Gateway or host is fine', () => {
      const { error } = synthToDisk((app) => {
        const chart = new Chart(app, 'fraud', { namespace: 'fraud' });
        new SecureMlEndpoint(chart, 'A', props({ edge: Edge.istioGatewayApi({ host: HOST, existingGateway: { ...existing, httpListener: 'http' } }) }));
        new SecureMlEndpoint(chart, 'B', props({
          backend: EndpointBackend.service({ name: 'other', port: 80, selector: { app: 'other' } }),
          edge: Edge.istioGatewayApi({ host: HOST, existingGateway: { ...existing, httpsListener: 'other-https', httpListener: 'http' } }),
        }));
      });
      expect(error?.message).toMatch(/\[fraud\/B\] edge\.host must be a host no other endpoint serves on the same controller \(fraud\/A serves it\), got "fraud\.contoso\.com"/);
      expect(() => synthApp((app) => {
        const chart = new Chart(app, 'fraud', { namespace: 'fraud' });
        new SecureMlEndpoint(chart, 'A', props({ edge: Edge.istioGatewayApi({ host: HOST, existingGateway: { ...existing, httpListener: 'http' } }) }));
        new SecureMlEndpoint(chart, 'B', props({
          backend: EndpointBackend.service({ name: 'other', port: 80, selector: { app: 'other' } }),
          edge: Edge.istioGatewayApi({ host: HOST, existingGateway: { ...existing, name: 'other', httpListener: 'http' } }),
        }));
      })).not.toThrow();
    });

    test.each([
      ['no httpsListener', { existingGateway: { name: 'shared', namespace: 'gateways' } }, /edge\.existingGateway\.httpsListener must be the name of the Gateway's HTTPS listener for the host, got undefined/],
      ['a certificate (the listener owner\'s)', { existingGateway: existing, tls: SECRET }, /edge\.tls must be unset with existingGateway/],
      ['source ranges (the Gateway Service\'s)', { existingGateway: existing, sourceRanges: ['10.0.0.0/8'] }, /edge\.sourceRanges must be unset with existingGateway, got \["10\.0\.0\.0\/8"\]; the source ranges of gateways\/shared are its Service's \(loadBalancerSourceRanges\), which its owner sets/],
      ['token validation on a shared Gateway', { existingGateway: existing, validateTokens: true }, /edge\.validateTokens must be unset with existingGateway, got true; a RequestAuthentication attached to the shared Gateway gateways\/shared applies to every host it serves and rejects the tokens other hosts accept for other audiences/],
      ['browser sign-in on a shared Gateway', { existingGateway: existing, browserSignIn: SIGN_IN }, /edge\.browserSignIn must be unset with existingGateway, got "a BrowserSignInOptions"; its CUSTOM policy would attach to the shared Gateway gateways\/shared, whose gateway admits one external authorization provider/],
    ])('fails for %s', (_name, o, message) => {
      fails({ edge: Edge.istioGatewayApi({ host: HOST, ...(o as object) } as IstioGatewayApiEdgeOptions) }, message);
    });

    test('writes no gateway-level policy and no sign-in workload when those are refused', () => {
      const app = Testing.app();
      build({ edge: Edge.istioGatewayApi({ host: HOST, existingGateway: existing, validateTokens: true, browserSignIn: SIGN_IN }) })(app);
      const names = app.node.findAll().map((c) => c.node.id);
      expect(names).not.toContain('GatewayRequestAuthentication');
      expect(names).not.toContain('SignIn');
    });
  });

  test('deployments: weighted backendRefs to one Service per deployment (HTTPRoute weights split between Services)', () => {
    const ms = synth({ deployments: [{ name: 'green', weight: 10 }, { name: 'blue', weight: 90 }] });
    const [route] = routeTo(ms, 'https');
    expect(route.spec.rules[0].backendRefs).toEqual([
      { name: 'fraud-blue', port: 80, weight: 90 },
      { name: 'fraud-green', port: 80, weight: 10 },
    ]);
    const services = ofKind(ms, 'Service').filter((s) => s.metadata.name.startsWith('fraud-'));
    expect(services.map((s) => [s.metadata.name, s.spec.selector, s.spec.ports])).toEqual([
      ['fraud-blue', { app: 'fraud', version: 'blue' }, [{ name: 'http', port: 80, targetPort: 8080 }]],
      ['fraud-green', { app: 'fraud', version: 'green' }, [{ name: 'http', port: 80, targetPort: 8080 }]],
    ]);
    noViolations(ms);
  });

  test('readTimeout becomes the route\'s request timeout', () => {
    const [route] = routeTo(synth({ edge: edge({ readTimeout: Duration.minutes(5) }) }), 'https');
    expect(route.spec.rules[0].timeouts).toEqual({ request: '300s' });
  });

  test('sourceRanges: the gateway Service\'s loadBalancerSourceRanges, through a ConfigMap referenced by spec.infrastructure.parametersRef', () => {
    const ms = synth({ edge: edge({ gateway: { namespace: 'ingress', infrastructureAnnotations: { 'service.beta.kubernetes.io/azure-load-balancer-internal': 'true' } }, sourceRanges: ['10.0.0.0/8', '192.168.1.0/24'] }) });
    const gw = one(ms, 'Gateway');
    const cm = ofKind(ms, 'ConfigMap').find((c) => c.metadata.name === gw.spec.infrastructure.parametersRef.name)!;
    expect(gw.spec.infrastructure).toEqual({
      annotations: { 'service.beta.kubernetes.io/azure-load-balancer-internal': 'true' },
      parametersRef: { group: '', kind: 'ConfigMap', name: cm.metadata.name },
    });
    // the ConfigMap lives with the Gateway (Istio reads parametersRef in the Gateway's namespace); "service" is a strategic-merge overlay
    expect(cm.metadata.namespace).toBe('ingress');
    expect(Object.keys((cm as any).data)).toEqual(['service']);
    // externalTrafficPolicy Local: kube-proxy keeps the client's address, which the gateway's DENY below checks
    expect(parse((cm as any).data.service)).toEqual({ spec: { loadBalancerSourceRanges: ['10.0.0.0/8', '192.168.1.0/24'], externalTrafficPolicy: 'Local' } });
    noViolations(ms);
  });

  test('sourceRanges are enforced in the gateway too: a DENY attached to the Gateway for connections from other addresses (security review finding 4)', () => {
    const ranges = ['10.0.0.0/8', '192.168.1.0/24'];
    const ms = synth({ edge: edge({ gateway: { name: 'public', namespace: 'ingress' }, sourceRanges: ranges }) });
    const denies = policies(ms, 'ingress').filter((p) => p.kind === 'AuthorizationPolicy');
    expect(denies).toHaveLength(1);
    // every port (plain HTTP's redirect included, as at the load balancer); ipBlocks is the connection's source, not X-Forwarded-For
    expect(denies[0].spec).toEqual({
      targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public' }],
      action: 'DENY',
      rules: [{ from: [{ source: { notIpBlocks: ranges } }] }],
    });
    // in-cluster pods calling the ClusterIP come from pod addresses outside the ranges: denied at the gateway
    expect(JSON.stringify(denies[0].spec)).not.toMatch(/remoteIpBlocks/);
    expect(checkInvariants(ms)).toEqual([]);
    noViolations(ms);
  });

  test('with sourceRanges and validateTokens, the token DENY stays a policy of its own (invariant 1)', () => {
    const ms = synth({ edge: edge({ sourceRanges: ['10.0.0.0/8'], validateTokens: true }) });
    const gwDenies = ofKind(ms, 'AuthorizationPolicy').filter((p) => p.spec.targetRefs && p.spec.action === 'DENY');
    expect(gwDenies.map((p) => p.spec.rules[0].from[0].source).sort((a: any, b: any) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual([
      { notIpBlocks: ['10.0.0.0/8'] },
      { notRequestPrincipals: ['*'] },
    ]);
    expect(tokenRequired(ms)).toEqual([]);
    expect(checkInvariants(ms)).toEqual([]);
    noViolations(ms);
  });

  test('with sourceRanges and browserSignIn, only clients of the ranges reach oauth2-proxy (CUSTOM runs before DENY)', () => {
    const ms = synth({ edge: edge({ sourceRanges: ['10.0.0.0/8'], browserSignIn: SIGN_IN }) });
    const custom = one(ms, 'AuthorizationPolicy', (p) => p.spec.action === 'CUSTOM');
    expect(custom.spec.rules).toEqual([{
      from: [{ source: { ipBlocks: ['10.0.0.0/8'] } }],
      to: [{ operation: { notPorts: ['80'], notPaths: ['/oauth2/*'] } }],
      when: [{ key: 'request.headers[authorization]', notValues: ['Bearer *'] }],
    }]);
    expect(one(ms, 'AuthorizationPolicy', (p) => p.spec.action === 'DENY' && p.spec.targetRefs).spec.rules).toEqual([{ from: [{ source: { notIpBlocks: ['10.0.0.0/8'] } }] }]);
    expect(checkInvariants(ms)).toEqual([]);
    noViolations(ms);
  });

  test('without sourceRanges, no source DENY and no Service overlay', () => {
    const ms = synth();
    expect(ofKind(ms, 'AuthorizationPolicy').filter((p) => p.spec.targetRefs)).toEqual([]);
    expect(ofKind(ms, 'ConfigMap')).toEqual([]);
  });

  describe('validateTokens', () => {
    test('a RequestAuthentication (the backend\'s jwtRules, forwarding the token) and a DENY without token, attached to the Gateway in its namespace', () => {
      const ms = synth({ tenant: new EntraTenant({ tenantId: TID, tokenVersion: TokenVersion.BOTH }), edge: edge({ gateway: { name: 'public', namespace: 'ingress' }, validateTokens: true }) });
      const targetRefs = [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public' }];
      const gwPolicies = policies(ms, 'ingress');
      expect(gwPolicies.map((p) => p.kind)).toEqual(['RequestAuthentication', 'AuthorizationPolicy']);
      const ra = one(gwPolicies, 'RequestAuthentication');
      const backendRa = one(ms, 'RequestAuthentication', (m) => m.metadata.namespace === 'fraud');
      expect(ra.spec.targetRefs).toEqual(targetRefs);
      expect(ra.spec.selector).toBeUndefined();
      // the same issuers, JWKS, audiences and header as the backend, and the token goes on for the backend to validate again
      expect(ra.spec.jwtRules).toEqual(backendRa.spec.jwtRules.map((r: any) => ({ ...r, forwardOriginalToken: true })));
      expect(ra.spec.jwtRules.map((r: any) => r.issuer)).toEqual([`https://sts.windows.net/${TID}/`, V2]);
      const deny = one(gwPolicies, 'AuthorizationPolicy');
      expect(deny.spec).toEqual({
        targetRefs,
        action: 'DENY',
        // plain HTTP (port 80) keeps its 308 redirect: a DENY runs before routing
        rules: [{ from: [{ source: { notRequestPrincipals: ['*'] } }], to: [{ operation: { notPorts: ['80'] } }] }],
      });
      // the backend keeps its own checks
      expect(one(ms, 'AuthorizationPolicy', (m) => m.metadata.namespace === 'fraud' && m.spec.action === 'DENY').spec.selector).toEqual({ matchLabels: { app: 'fraud' } });
      expect(checkInvariants(ms)).toEqual([]);
      noViolations(ms);
    });

    test('invariant 1 flags a Gateway RequestAuthentication without its DENY', () => {
      const ms = synth({ edge: edge({ validateTokens: true }) });
      expect(tokenRequired(ms)).toEqual([]);
      const without = ms.filter((m) => !(m.kind === 'AuthorizationPolicy' && m.spec.targetRefs));
      expect(tokenRequired(without)).toEqual([expect.stringMatching(/^RequestAuthentication fraud\/.* selects workloads that no DENY-without-token policy selects$/)]);
    });

    test('a token header the endpoint names is read at the gateway too', () => {
      const ms = synth({ tokenHeader: 'x-mesh-authorization', edge: edge({ validateTokens: true }) });
      const ra = one(ms, 'RequestAuthentication', (m) => m.spec.targetRefs !== undefined);
      expect(ra.spec.jwtRules[0].fromHeaders).toEqual([{ name: 'x-mesh-authorization', prefix: 'Bearer ' }]);
    });

    test('fails for a value that is not a boolean', () => {
      fails({ edge: edge({ validateTokens: 'yes' as unknown as boolean }) }, /edge\.validateTokens must be true or false, got "yes"/);
    });
  });

  describe('browserSignIn', () => {
    const signInProps = (o: Partial<IstioGatewayApiEdgeOptions> = {}) => ({ edge: edge({ browserSignIn: SIGN_IN, ...o }) });

    test('oauth2-proxy as the gateway\'s external authorization: workload, /oauth2 route, CUSTOM policy skipping bearer tokens, provider for the mesh config', () => {
      let providers: unknown[] = [];
      const ms = synth(signInProps(), (app) => { providers = extAuthzExtensionProviders(app); });
      const deployment = one(ms, 'Deployment');
      const container = deployment.spec.template.spec.containers[0];
      // Envoy's ext_authz allows only on 200; the check runs at the original path, so oauth2-proxy redirects itself and names its callback
      expect(container.args).toEqual(expect.arrayContaining([
        '--upstream=static://200', '--set-authorization-header=true', '--skip-jwt-bearer-tokens=true', '--skip-provider-button=true',
        `--redirect-url=https://${HOST}/oauth2/callback`, `--client-id=${AUD}`, '--provider=entra-id',
        // no cross-site POST carries the session cookie the gateway turns into a bearer token (review finding 2)
        '--cookie-secure=true', '--cookie-samesite=lax',
        // the health endpoints answer 200 without a session: under /oauth2, which the CUSTOM policy leaves out and the sign-in route serves (finding 9)
        '--ping-path=/oauth2/ping', '--ready-path=/oauth2/ready',
      ]));
      expect(container.readinessProbe.httpGet.path).toBe('/oauth2/ready');
      expect(container.livenessProbe.httpGet.path).toBe('/oauth2/ping');
      expect(container.args).not.toContain('--upstream=static://202');
      const service = one(ms, 'Service', (s) => s.spec.ports[0].port === 4180);
      // only the gateway pods call oauth2-proxy
      const np = one(ms, 'NetworkPolicy', (n) => JSON.stringify(n.spec.podSelector.matchLabels) === JSON.stringify(deployment.spec.selector.matchLabels));
      expect(np.spec.ingress).toEqual([{
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'fraud' } }, podSelector: { matchLabels: GATEWAY_POD } }],
        ports: [{ port: 4180, protocol: 'TCP' }],
      }]);
      // /oauth2 on the host goes to oauth2-proxy, on HTTPS only
      const signInRoute = routeTo(ms, 'https').find((r) => r.spec.rules[0].matches[0].path.value === '/oauth2')!;
      expect(signInRoute.spec.hostnames).toEqual([HOST]);
      expect(signInRoute.spec.rules[0].backendRefs).toEqual([{ name: service.metadata.name, port: 4180 }]);
      expect(routeTo(ms, 'http').map((r) => r.spec.rules[0].filters[0].type)).toEqual(['RequestRedirect']);
      // the CUSTOM policy: attached to the Gateway, HTTPS only, not /oauth2/*, and only for requests without a bearer token
      const custom = one(ms, 'AuthorizationPolicy', (p) => p.spec.action === 'CUSTOM');
      const providerName = PROVIDER;
      expect(custom.metadata.namespace).toBe('fraud');
      expect(custom.spec).toEqual({
        targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'fraud-fraud' }],
        action: 'CUSTOM',
        provider: { name: providerName },
        rules: [{
          to: [{ operation: { notPorts: ['80'], notPaths: ['/oauth2/*'] } }],
          when: [{ key: 'request.headers[authorization]', notValues: ['Bearer *'] }],
        }],
      });
      // the provider the mesh config needs: oauth2-proxy's Service, the session cookie in, the ID token out to the backend
      expect(providers).toEqual([oauth2ProxyExtAuthzProvider({ name: providerName, service: `${service.metadata.name}.fraud.svc.cluster.local`, port: 4180 })]);
      expect((providers[0] as any).envoyExtAuthzHttp).toMatchObject({
        includeRequestHeadersInCheck: ['cookie', 'x-forwarded-proto'],
        headersToUpstreamOnAllow: ['authorization'],
      });
      // the backend still admits only the gateway, with a valid token (the ID token oauth2-proxy adds)
      expect(allowPolicy(ms).spec.rules[0].from).toEqual([{ source: { principals: ['cluster.local/ns/fraud/sa/fraud-fraud-istio'], requestPrincipals: [V2P] } }]);
      expect(checkInvariants(ms)).toEqual([]);
      noViolations(ms);
    });

    test('with validateTokens: the gateway DENY leaves the proxy\'s own paths out (the ID token is validated there: ext-authz runs before the JWT filter)', () => {
      const ms = synth(signInProps({ validateTokens: true }));
      const deny = one(ms, 'AuthorizationPolicy', (p) => p.spec.action === 'DENY' && p.spec.targetRefs !== undefined);
      expect(deny.spec.rules).toEqual([{ from: [{ source: { notRequestPrincipals: ['*'] } }], to: [{ operation: { notPorts: ['80'], notPaths: ['/oauth2/*'] } }] }]);
      expect(ofKind(ms, 'AuthorizationPolicy').filter((p) => p.spec.targetRefs).map((p) => p.spec.action).sort()).toEqual(['CUSTOM', 'DENY']);
      expect(checkInvariants(ms)).toEqual([]);
      noViolations(ms);
    });

    test('AKS add-on: ExtAuthzMeshConfig writes the provider to istio-shared-configmap-<revision>, in one ConfigMap with the audit log\'s', () => {
      const mesh = MeshProfile.aksIstioAddon('asm-1-28');
      const app = Testing.app();
      build({ mesh, ...signInProps() }, (a) => {
        new AuditLogMeshConfig(new Chart(a, 'mesh-config'), 'Audit', { mesh, meshConfig: { accessLogEncoding: 'JSON' } });
        new ExtAuthzMeshConfig(new Chart(a, 'mesh-config-sign-in'), 'SignIn', { mesh });
      })(app);
      const ms = parseAllDocuments(app.synthYaml()).map((d) => d.toJS() as Manifest).filter(Boolean);
      const maps = ofKind(ms, 'ConfigMap').filter((c) => c.metadata.namespace === 'aks-istio-system');
      expect(maps.map((c) => c.metadata.name)).toEqual(['istio-shared-configmap-asm-1-28']);
      const meshConfig = parse((maps[0] as any).data.mesh);
      expect(meshConfig.accessLogEncoding).toBe('JSON');
      expect(meshConfig.extensionProviders.map((p: any) => p.name)).toEqual(['cdk8s-azureml-mesh-audit', PROVIDER]);
      expect(meshConfig.extensionProviders[1].envoyExtAuthzHttp.service).toMatch(/^fraud-endpoint-signin-service-[0-9a-f]+\.fraud\.svc\.cluster\.local$/);
      expect(Diagnostics.of(app).warnings.filter((w) => !w.field.startsWith('namespace "'))).toEqual([]);
      noViolations(ms);
    });

    test('AKS add-on without the provider in the mesh config: a warning naming the fix', () => {
      const app = Testing.app();
      build({ mesh: MeshProfile.aksIstioAddon('asm-1-28'), ...signInProps() })(app);
      app.synthYaml();
      expect(Diagnostics.of(app).warnings.filter((w) => !w.field.startsWith('namespace "')).map((w) => w.message)).toEqual([
        expect.stringMatching(/^edge\.browserSignIn needs the external authorization provider "cdk8s-azureml-mesh-sign-in-fraud-fraud-3ce1884e" in the mesh config of asm-1-28, and no istio-shared-configmap-asm-1-28 of the app has it: declare new ExtAuthzMeshConfig/),
      ]);
    });

    test.each([
      ['fraud', 'fraud', PROVIDER],
      ['a-b', 'c', 'cdk8s-azureml-mesh-sign-in-a-b-c-4e84717d'],
      ['a', 'b-c', 'cdk8s-azureml-mesh-sign-in-a-b-c-b88f83c8'],
    ])('the provider of namespace %s, Service %s is %s (the hash of "<namespace>/<service>" tells apart what the dashes do not)', (ns, svc, name) => {
      expect(signInProviderName(ns, svc)).toBe(name);
    });

    test('provider names pass Istio 1.30\'s rule (lowercase letters, digits and "-", at most 63, no "-" at either end), for the longest names too', () => {
      // pilot/pkg/security/authz/builder/extauthz.go validateProviderName (1.30): a bad name turns the CUSTOM policy into a deny
      const istioAccepts = (n: string) => n.length <= 63 && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(n);
      const long = 'n'.repeat(63);
      const names = [signInProviderName('fraud', 'fraud'), signInProviderName(long, long), signInProviderName(`${'a'.repeat(20)}-`, 'b'), signInProviderName('a', `${'b'.repeat(40)}-c`)];
      for (const n of names) {
        expect(istioAccepts(n)).toBe(true);
        expect(n.startsWith(SIGN_IN_PROVIDER_PREFIX)).toBe(true);
      }
      // shortened names stay apart: the hash is of the whole pair
      expect(signInProviderName(long, `${long.slice(0, 62)}x`)).not.toBe(signInProviderName(long, long));
    });

    test('namespace a-b with Service c and namespace a with Service b-c get two providers, each CUSTOM policy naming its own oauth2-proxy (security review finding 3)', () => {
      let providers: any[] = [];
      const ms = synthApp((app) => {
        for (const [ns, svc] of [['a-b', 'c'], ['a', 'b-c']]) {
          const chart = new Chart(app, ns, { namespace: ns });
          new MeshNamespace(chart, 'Namespace', { name: ns });
          new SecureMlEndpoint(chart, 'Endpoint', props({
            backend: EndpointBackend.service({ name: svc, port: 80, targetPort: 8080, selector: { app: svc } }),
            edge: edge({ host: `${ns}.contoso.com`, browserSignIn: SIGN_IN }),
          }));
        }
        providers = extAuthzExtensionProviders(app);
      }).manifests;
      expect(providers.map((p) => p.name)).toEqual(['cdk8s-azureml-mesh-sign-in-a-b-c-4e84717d', 'cdk8s-azureml-mesh-sign-in-a-b-c-b88f83c8']);
      for (const ns of ['a-b', 'a']) {
        const custom = one(ms, 'AuthorizationPolicy', (p) => p.spec.action === 'CUSTOM' && p.metadata.namespace === ns);
        const provider = providers.find((p) => p.name === custom.spec.provider.name);
        // the session cookies of this endpoint's users go to this endpoint's oauth2-proxy only
        expect(provider.envoyExtAuthzHttp.service).toMatch(new RegExp(`\\.${ns}\\.svc\\.cluster\\.local$`));
      }
    });

    test('two endpoints registering one provider name with different settings fail, naming both (registration-time check)', () => {
      // the same Service in one namespace behind two edges: one provider name, two oauth2-proxy Services
      const { error, files } = synthToDisk((app) => {
        const chart = new Chart(app, 'fraud', { namespace: 'fraud' });
        new MeshNamespace(chart, 'Namespace', { name: 'fraud' });
        new SecureMlEndpoint(chart, 'A', props({ edge: edge({ browserSignIn: SIGN_IN }) }));
        new SecureMlEndpoint(chart, 'B', props({ edge: edge({ host: 'fraud2.contoso.com', gateway: { name: 'fraud-2' }, browserSignIn: SIGN_IN }) }));
      });
      expect(error?.message).toMatch(new RegExp('\\[fraud/B\\] edge\\.browserSignIn must be an external authorization provider that no other endpoint registers with other settings '
        + `\\(fraud/A registers "${PROVIDER}" for fraud-a-signin-service-[0-9a-f]+\\.fraud\\.svc\\.cluster\\.local:4180\\), `
        + `got "${PROVIDER} for fraud-b-signin-service-[0-9a-f]+\\.fraud\\.svc\\.cluster\\.local:4180"; the mesh config keeps one provider per name`));
      expect(error?.message).not.toMatch(/\[fraud\/A\] edge\.browserSignIn must be an external authorization provider/);
      expect(files).toEqual([]);
    });

    test('two constructs writing one mesh config with different values for one key fail', () => {
      const mesh = MeshProfile.aksIstioAddon('asm-1-28');
      const { error } = synthToDisk(build({ mesh, ...signInProps() }, (a) => {
        new AuditLogMeshConfig(new Chart(a, 'mesh-config'), 'Audit', { mesh, meshConfig: { accessLogEncoding: 'JSON' } });
        new ExtAuthzMeshConfig(new Chart(a, 'mesh-config-sign-in'), 'SignIn', { mesh, meshConfig: { accessLogEncoding: 'TEXT' } });
      }));
      expect(error?.message).toMatch(/\[mesh-config\/Audit\] meshConfig\.accessLogEncoding must be the value mesh-config\/Audit sets in istio-shared-configmap-asm-1-28 \(one ConfigMap holds the revision's whole shared mesh config\), got "TEXT"/);
    });

    test('ExtAuthzMeshConfig fails for self-managed Istio, whose mesh config belongs to its installation', () => {
      const app = Testing.app();
      new ExtAuthzMeshConfig(new Chart(app, 'mesh'), 'SignIn', { mesh: MeshProfile.istio() });
      expect(() => app.synthYaml()).toThrow(/\[mesh\/SignIn\] mesh must be MeshProfile\.aksIstioAddon\(\.\.\.\), got "istio"; with self-managed Istio put extAuthzExtensionProviders\(app\) in the installation's meshConfig\.extensionProviders/);
    });

    test.each([
      ['a token header other than Authorization', { tokenHeader: 'x-mesh-authorization' }, /tokenHeader must be unset \(Authorization\) with edge\.browserSignIn, got "x-mesh-authorization"; oauth2-proxy hands the signed-in user's ID token to the backend in Authorization/],
      ['an app registration that is not an audience', { audiences: ['5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d'] }, /edge\.browserSignIn\.application must be an app registration whose client id is one of the endpoint's audiences/],
      ['a v1-only tenant', { tenant: new EntraTenant({ tenantId: TID, tokenVersion: TokenVersion.V1 }), audiences: [AUD, 'api://fraud'] }, /edge\.browserSignIn must be used with a tenant that accepts v2 tokens/],
    ])('fails for %s', (_name, o, message) => {
      fails({ ...signInProps(), ...(o as Partial<SecureMlEndpointProps>) }, message);
    });
  });

  describe('revisions and the AKS Istio add-on', () => {
    test('the created Gateway carries istio.io/rev of a revisioned mesh (the control plane that owns it during a canary upgrade)', () => {
      const aks = synth({ mesh: MeshProfile.aksIstioAddon('asm-1-28') });
      expect(one(aks, 'Gateway').metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'cdk8s-azureml-mesh', 'istio.io/rev': 'asm-1-28' });
      expect(one(aks, 'Gateway').spec.gatewayClassName).toBe('istio');
      noViolations(aks);
      const canary = synth({ mesh: MeshProfile.istioRevision('1-30-3') });
      expect(one(canary, 'Gateway').metadata.labels?.['istio.io/rev']).toBe('1-30-3');
    });

    test.each(['asm-1-26', 'asm-1-30', 'asm-2-0'])('accepts %s', (revision) => {
      expect(() => synth({ mesh: MeshProfile.aksIstioAddon(revision) })).not.toThrow();
    });

    test.each(['asm-1-25', 'asm-1-9'])('fails for %s: Gateway API ingress needs asm-1-26 or later', (revision) => {
      fails({ mesh: MeshProfile.aksIstioAddon(revision) }, new RegExp(`\\[fraud/Endpoint\\] mesh must be an AKS Istio add-on revision of asm-1-26 or later for Edge\\.istioGatewayApi, got "${revision}"; `
        + 'the add-on supports Gateway API ingress from asm-1-26, with the managed Gateway API CRDs'));
    });

    test('fails for approuting-istio (the application routing add-on\'s Gateway API), naming why and the alternative', () => {
      expect(AKS_APP_ROUTING_ISTIO_CLASS).toBe('approuting-istio');
      fails({ edge: edge({ gatewayClassName: AKS_APP_ROUTING_ISTIO_CLASS }) },
        /edge\.gatewayClassName must be a GatewayClass whose gateways are in the mesh \("istio" on the AKS Istio add-on\), got "approuting-istio"; the AKS application routing add-on's Gateway API injects no sidecars and has no Istio CRDs: its gateways have no mesh identity, so a STRICT mTLS backend refuses their traffic .*cannot be enabled beside the Istio add-on; use gatewayClassName "istio" on the Istio add-on/);
    });

    test('another Istio GatewayClass names the gateway pods after it', () => {
      const ms = synth({ edge: edge({ gatewayClassName: 'istio-internal' }) });
      expect(one(ms, 'Gateway').spec.gatewayClassName).toBe('istio-internal');
      expect(allowPolicy(ms).spec.rules[0].from[0].source.principals).toEqual(['cluster.local/ns/fraud/sa/fraud-fraud-istio-internal']);
    });
  });

  test.each([
    ['a rate limit', { rateLimit: { requestsPerSecond: 5 } }, /edge\.rateLimit must be unset on Edge\.istioGatewayApi, got \{"requestsPerSecond":5\}; Istio's Gateway API has no rate limit field: it needs an EnvoyFilter \(local rate limit\) or an external rate limit service/],
    ['a body size limit', { maxBodySize: Size.mebibytes(10) }, /edge\.maxBodySize must be unset on Edge\.istioGatewayApi, got "10240Ki"; neither the Gateway API nor Istio's implementation of it has a request body size limit to set/],
    ['no certificate for the Gateway it creates', { tls: undefined }, /edge\.tls must be a TLS certificate .* for the Gateway the edge creates, got undefined/],
    ['a Gateway name too long for the generated names', { gateway: { name: 'g'.repeat(58) } }, /edge\.gateway\.name must be a DNS label of at most 57 characters \(Istio's Gateway API names the Gateway's Deployment and Service after it\)/],
    ['an invalid GatewayClass', { gatewayClassName: 'Istio Class' }, /edge\.gatewayClassName must be a GatewayClass name \(DNS subdomain\), got "Istio Class"/],
    ['a source range without a mask', { sourceRanges: ['10.1.2.3'] }, /edge\.sourceRanges\[0\] must be a CIDR such as "10\.0\.0\.0\/8", got "10\.1\.2\.3"; did you mean "10\.1\.2\.3\/32"\?/],
    ['a wildcard host', { host: '*.contoso.com' }, /edge\.host must be an exact lower-case DNS name/],
  ])('fails for %s, with the reason', (_name, o, message) => {
    fails({ edge: edge(o as Partial<IstioGatewayApiEdgeOptions>) }, message);
  });

  test('same declaration, same bytes', () => {
    const a = synthApp(build({ edge: edge({ validateTokens: true, browserSignIn: SIGN_IN, sourceRanges: ['10.0.0.0/8'] }) })).yaml;
    const b = synthApp(build({ edge: edge({ validateTokens: true, browserSignIn: SIGN_IN, sourceRanges: ['10.0.0.0/8'] }) })).yaml;
    expect(a).toBe(b);
  });
});

describe('the Istio Gateway API test apps', () => {
  const apps = TEST_APPS.filter((a) => /Istio Gateway API|Istio's Gateway API/.test(a.name));
  test('are both there', () => expect(apps).toHaveLength(2));
  test.each(apps.map((a) => [a.name, a] as const))('%s satisfies every invariant', (_name, entry) => {
    const ms = synthApp((app) => entry.build(app)).manifests;
    expect(ms.some((m) => m.kind === 'HTTPRoute')).toBe(true);
    expect(checkInvariants(ms)).toEqual([]);
  });
});

describe('Gateways the edges create', () => {
  test('a Gateway created in a default-deny namespace is an error (its Istio proxies would refuse every client)', () => {
    const { error, files } = synthToDisk((app) => {
      const chart = new Chart(app, 'fraud', { namespace: 'fraud' });
      new MeshNamespace(chart, 'Namespace', { name: 'fraud', defaultDeny: true });
      new SecureMlEndpoint(chart, 'Endpoint', props());
    });
    expect(error?.message).toMatch(/edge\.gateway\.namespace must be a namespace without defaultDeny for the Gateway the edge creates, got "fraud"; the gateway's pods are Istio proxies/);
    expect(files).toEqual([]);
  });

  test('the same Gateway in its own namespace beside a default-deny endpoint namespace is fine', () => {
    const ms = synthApp((app) => {
      const chart = new Chart(app, 'fraud', { namespace: 'fraud' });
      new MeshNamespace(chart, 'Namespace', { name: 'fraud', defaultDeny: true });
      new SecureMlEndpoint(chart, 'Endpoint', props({ edge: edge({ gateway: { namespace: 'fraud-edge' } }) }));
    }).manifests;
    expect(gatewayApi(ms, 'Gateway').map((g) => `${g.metadata.namespace}/${g.metadata.name}`)).toEqual(['fraud-edge/fraud-fraud']);
  });

  test('two endpoints creating one Gateway is an error naming the first', () => {
    const two = (second: Partial<IstioGatewayApiEdgeOptions>) => (app: App) => {
      const chart = new Chart(app, 'fraud', { namespace: 'fraud' });
      new MeshNamespace(chart, 'Namespace', { name: 'fraud' });
      new SecureMlEndpoint(chart, 'A', props({ edge: edge({ gateway: { name: 'shared', namespace: 'edge' } }) }));
      new SecureMlEndpoint(chart, 'B', props({
        backend: EndpointBackend.service({ name: 'other', port: 80, targetPort: 8080, selector: { app: 'other' } }),
        edge: Edge.istioGatewayApi({ host: 'other.contoso.com', ...second } as IstioGatewayApiEdgeOptions),
      }));
    };
    const { error } = synthToDisk(two({ tls: SECRET, gateway: { name: 'shared', namespace: 'edge' } }));
    expect(error?.message).toMatch(/\[fraud\/B\] edge\.gateway\.name must be a Gateway no other endpoint creates \(fraud\/A creates edge\/shared\), got "shared"/);
    expect(error?.message).not.toMatch(/\[fraud\/A\] edge\.gateway\.name/);
    expect(error?.message).toMatch(/write it yourself \(an HTTPS listener per host, or a wildcard one\) and attach each endpoint with existingGateway/);
  });
});
