import { Chart, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import { Caller, EndpointBackend, EntraTenant, SecureMlEndpoint, SecureMlEndpointProps, TokenVersion } from '../../lib';
import { TEST_APPS } from '../apps';
import { checkInvariants } from '../invariants';
import { Manifest, allowPolicy, denyPolicy, ofKind, one, synthApp } from '../util';

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const API_CLIENT_ID = '0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5';
const CLIENT = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const GROUP = '12345678-1234-4234-8234-123456789abc';
const V2P = `https://login.microsoftonline.com/${TID}/v2.0/*`;
const BEARER = [{ name: 'authorization', prefix: 'Bearer ' }];

function props(overrides: Partial<SecureMlEndpointProps> = {}): SecureMlEndpointProps {
  return {
    backend: EndpointBackend.service({ name: 'fraud', port: 8080, selector: { app: 'fraud' } }),
    tenant: new EntraTenant({ tenantId: TID }),
    audiences: [API_CLIENT_ID],
    callers: [Caller.appRole('Fraud.Score')],
    ...overrides,
  };
}

function synth(overrides: Partial<SecureMlEndpointProps> = {}, namespace = 'models'): Manifest[] {
  return synthApp((app) => {
    const chart = new Chart(app, 'fraud', { namespace });
    new SecureMlEndpoint(chart, 'Endpoint', props(overrides));
  }).manifests;
}

describe('SecureMlEndpoint', () => {
  test('minimal definition', () => {
    // GIVEN
    const chart = Testing.chart();
    // WHEN
    new SecureMlEndpoint(chart, 'fraud', props());
    // THEN
    const manifests = Testing.synth(chart) as Manifest[];
    expect(manifests).toMatchSnapshot();
    expect(manifests.map((m) => `${m.apiVersion} ${m.kind}`)).toEqual([
      'security.istio.io/v1 PeerAuthentication',
      'security.istio.io/v1 RequestAuthentication',
      'security.istio.io/v1 AuthorizationPolicy',
      'security.istio.io/v1 AuthorizationPolicy',
      'telemetry.istio.io/v1 Telemetry',
      'networking.istio.io/v1 DestinationRule',
      'networking.istio.io/v1 VirtualService',
      'networking.k8s.io/v1 NetworkPolicy',
    ]);
    // the fields that decide who gets in
    // a second fence: token-only callers and no edge, so only pods of mesh-enrolled namespaces may connect
    expect(one(manifests, 'NetworkPolicy').spec).toEqual({
      podSelector: { matchLabels: { app: 'fraud' } },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'istio-injection': 'enabled' } } }] }],
    });
    // the token is read from Authorization only, never from ?access_token=
    expect(one(manifests, 'RequestAuthentication').spec.jwtRules.map((r: any) => r.fromHeaders))
      .toEqual([[{ name: 'authorization', prefix: 'Bearer ' }]]);
    // application 500s never eject model pods
    expect(one(manifests, 'DestinationRule').spec.trafficPolicy.outlierDetection).toMatchObject({ consecutive5xxErrors: 0, consecutiveGatewayErrors: 5 });
    expect(one(manifests, 'PeerAuthentication').spec).toEqual({ selector: { matchLabels: { app: 'fraud' } }, mtls: { mode: 'STRICT' } });
    expect(denyPolicy(manifests).spec).toEqual({
      action: 'DENY',
      selector: { matchLabels: { app: 'fraud' } },
      rules: [{ from: [{ source: { notRequestPrincipals: ['*'] } }] }],
    });
    expect(allowPolicy(manifests).spec.rules).toEqual([
      { from: [{ source: { requestPrincipals: [V2P] } }], when: [{ key: 'request.auth.claims[roles]', values: ['Fraud.Score'] }] },
    ]);
    expect(one(manifests, 'RequestAuthentication').spec.jwtRules).toEqual([{
      issuer: `https://login.microsoftonline.com/${TID}/v2.0`,
      jwksUri: `https://login.microsoftonline.com/${TID}/discovery/v2.0/keys`,
      audiences: [API_CLIENT_ID],
      fromHeaders: [{ name: 'authorization', prefix: 'Bearer ' }],
    }]);
    expect(checkInvariants(manifests, { except: ['12 second fence'] })).toEqual([]);
  });

  test('invariant 1: the DENY policy selects exactly the workloads the RequestAuthentication selects', () => {
    const ms = synth({ backend: EndpointBackend.service({ name: 'm', port: 80, selector: { app: 'm', tier: 'gpu' } }) });
    const ra = one(ms, 'RequestAuthentication');
    expect(denyPolicy(ms).spec.selector).toEqual(ra.spec.selector);
    expect(denyPolicy(ms).metadata.namespace).toBe(ra.metadata.namespace);
    expect(allowPolicy(ms).spec.selector).toEqual(ra.spec.selector);
    expect(one(ms, 'PeerAuthentication').spec.selector).toEqual(ra.spec.selector);
  });

  test('invariant 2: v1 and v2 issuers are exact, JWKS https, audiences on every rule', () => {
    const ms = synth({ tenant: new EntraTenant({ tenantId: TID, tokenVersion: TokenVersion.BOTH }), audiences: ['api://fraud', CLIENT] });
    expect(one(ms, 'RequestAuthentication').spec.jwtRules).toEqual([
      { issuer: `https://sts.windows.net/${TID}/`, jwksUri: `https://login.microsoftonline.com/${TID}/discovery/keys`, audiences: [CLIENT, 'api://fraud'], fromHeaders: BEARER },
      { issuer: `https://login.microsoftonline.com/${TID}/v2.0`, jwksUri: `https://login.microsoftonline.com/${TID}/discovery/v2.0/keys`, audiences: [CLIENT, 'api://fraud'], fromHeaders: BEARER },
    ]);
  });

  test('invariant 4: only anyAuthenticated produces a rule without claim conditions, and it still needs a token', () => {
    const closed = synth({ callers: [Caller.appRole('A'), Caller.group(GROUP), Caller.application(CLIENT), Caller.servicePrincipal(CLIENT)] });
    expect(allowPolicy(closed).spec.rules.every((r: any) => r.when?.length === 1)).toBe(true);
    const open = synth({ callers: [Caller.anyAuthenticated()] });
    expect(allowPolicy(open).spec.rules).toEqual([{ from: [{ source: { requestPrincipals: [V2P] } }] }]);
    expect(checkInvariants(open, { except: ['12 second fence'] })).toEqual([]);
  });

  test('invariant 10: caller order does not change a byte', () => {
    const callers = [Caller.appRole('B'), Caller.group(GROUP), Caller.appRole('A'), Caller.application(CLIENT), Caller.servicePrincipal(GROUP)];
    const build = (cs: Caller[]) => synthApp((app) => new SecureMlEndpoint(new Chart(app, 'c', { namespace: 'm' }), 'E', props({ callers: cs }))).yaml;
    const forward = build(callers);
    expect(build([...callers].reverse())).toBe(forward);
    expect(build([callers[2], callers[0], callers[4], callers[1], callers[3]])).toBe(forward);
    expect(build(callers)).toBe(forward);
  });

  test('adding the same caller twice yields one rule', () => {
    const ms = synthApp((app) => {
      const e = new SecureMlEndpoint(new Chart(app, 'c', { namespace: 'm' }), 'E', props({ callers: [Caller.appRole('A')] }));
      e.addCaller(Caller.appRole('A'));
      e.addCaller(Caller.group(GROUP.toUpperCase()));
      e.addCaller(Caller.group(GROUP));
    }).manifests;
    expect(allowPolicy(ms).spec.rules).toHaveLength(2);
  });

  test('callers added after construction are rendered', () => {
    const ms = synthApp((app) => {
      const e = new SecureMlEndpoint(new Chart(app, 'c', { namespace: 'm' }), 'E', props({ callers: [] }));
      e.addCaller(Caller.servicePrincipal(CLIENT));
    }).manifests;
    expect(allowPolicy(ms).spec.rules[0].when).toEqual([{ key: 'request.auth.claims[oid]', values: [CLIENT] }]);
  });

  test('paths and methods restrict every ALLOW rule', () => {
    const ms = synth({ callers: [Caller.appRole('A'), Caller.appRole('B')], paths: ['/score', '/score'], methods: ['POST'] });
    for (const rule of allowPolicy(ms).spec.rules) expect(rule.to).toEqual([{ operation: { paths: ['/score'], methods: ['POST'] } }]);
  });

  test('claim headers are set by the RequestAuthentication and stripped from incoming requests', () => {
    const ms = synth({ claimToHeaders: [{ claim: 'oid', header: 'x-caller-oid' }, { claim: 'tid', header: 'x-caller-tid' }] });
    expect(one(ms, 'RequestAuthentication').spec.jwtRules[0].outputClaimToHeaders).toEqual([
      { header: 'x-caller-oid', claim: 'oid' },
      { header: 'x-caller-tid', claim: 'tid' },
    ]);
    expect(one(ms, 'VirtualService').spec.http[0].headers).toEqual({ request: { remove: ['x-caller-oid', 'x-caller-tid'] } });
  });

  test('forwardOriginalToken is off unless asked', () => {
    expect(one(synth(), 'RequestAuthentication').spec.jwtRules[0].forwardOriginalToken).toBeUndefined();
    expect(one(synth({ forwardOriginalToken: true }), 'RequestAuthentication').spec.jwtRules[0].forwardOriginalToken).toBe(true);
  });

  test('blue/green split: subsets in the DestinationRule, weights in the VirtualService', () => {
    const ms = synth({ deployments: [{ name: 'green', weight: 10 }, { name: 'blue', weight: 90 }], timeout: Duration.seconds(30) });
    const dr = one(ms, 'DestinationRule');
    expect(dr.spec.host).toBe('fraud.models.svc.cluster.local');
    expect(dr.spec.trafficPolicy.tls).toEqual({ mode: 'ISTIO_MUTUAL' });
    expect(dr.spec.subsets).toEqual([{ name: 'blue', labels: { version: 'blue' } }, { name: 'green', labels: { version: 'green' } }]);
    const http = one(ms, 'VirtualService').spec.http[0];
    expect(http.route.map((r: any) => [r.destination.subset, r.weight])).toEqual([['blue', 90], ['green', 10]]);
    expect(http.timeout).toBe('30s');
    expect(http.retries).toEqual({ attempts: 2, perTryTimeout: '30s', retryOn: 'connect-failure,refused-stream,unavailable' });
  });

  test('retries can be turned off and traffic policy overridden', () => {
    const ms = synth({ retries: { attempts: 0 }, outlierDetection: { consecutiveGatewayErrors: 2 }, connectionPool: { tcp: { maxConnections: 5 } } });
    expect(one(ms, 'VirtualService').spec.http[0].retries).toEqual({ attempts: 0 });
    expect(one(ms, 'DestinationRule').spec.trafficPolicy.outlierDetection).toEqual({ consecutiveGatewayErrors: 2 });
    expect(one(ms, 'DestinationRule').spec.trafficPolicy.connectionPool).toEqual({ tcp: { maxConnections: 5 } });
  });

  test('no Telemetry when access log providers are empty', () => {
    expect(ofKind(synth({ accessLogProviders: [] }), 'Telemetry')).toEqual([]);
  });

  test('namespace: explicit, else backend, else chart, else default', () => {
    const ns = (o: Partial<SecureMlEndpointProps>, chartNs?: string) =>
      synthApp((app) => new SecureMlEndpoint(new Chart(app, 'c', chartNs ? { namespace: chartNs } : {}), 'E', props(o)))
        .manifests.map((m) => m.metadata.namespace);
    expect(new Set(ns({ namespace: 'explicit' }, 'chart'))).toEqual(new Set(['explicit']));
    expect(new Set(ns({ backend: EndpointBackend.service({ name: 'f', namespace: 'svc', port: 80, selector: { a: 'b' } }) }, 'chart'))).toEqual(new Set(['svc']));
    expect(new Set(ns({}, 'chart'))).toEqual(new Set(['chart']));
    expect(new Set(ns({}))).toEqual(new Set(['default']));
  });

  test('cdk8s-plus Service backend: selector and port read at synth', () => {
    const ms = synthApp((app) => {
      const chart = new Chart(app, 'c', { namespace: 'ml' });
      const svc = new kplus.Service(chart, 'Svc', { metadata: { name: 'model' }, ports: [{ port: 80, targetPort: 8080 }] });
      new SecureMlEndpoint(chart, 'E', props({ backend: EndpointBackend.fromService(svc) }));
      svc.selectLabel('app', 'model'); // after the endpoint: still counts
    }).manifests;
    expect(denyPolicy(ms).spec.selector.matchLabels).toEqual({ app: 'model' });
    expect(one(ms, 'VirtualService').spec.http[0].route[0].destination).toEqual({ host: 'model.ml.svc.cluster.local', port: { number: 80 } });
  });

  test('cdk8s-plus Deployment backend: a Service is created and the pods are selected by its selector', () => {
    const ms = synthApp((app) => {
      const chart = new Chart(app, 'c', { namespace: 'ml' });
      const dep = new kplus.Deployment(chart, 'Dep', { containers: [{ image: 'model:1', ports: [{ number: 8080 }] }] });
      new SecureMlEndpoint(chart, 'E', props({ backend: EndpointBackend.fromDeployment(dep, { port: 80, targetPort: 8080, serviceName: 'model' }) }));
    }).manifests;
    const svc = one(ms, 'Service');
    const pod = one(ms, 'Deployment').spec.template.metadata.labels;
    expect(svc.metadata.name).toBe('model');
    expect(denyPolicy(ms).spec.selector.matchLabels).toEqual(svc.spec.selector);
    for (const [k, v] of Object.entries(svc.spec.selector)) expect(pod[k]).toBe(v);
  });

  test('exposes the generated objects for escape hatches', () => {
    const chart = Testing.chart();
    const e = new SecureMlEndpoint(chart, 'E', props());
    expect(e.apiObjects).toHaveLength(8);
    expect(e.networkPolicy).toBeDefined();
    expect(e.host).toBe('fraud.default.svc.cluster.local');
    expect(e.selector).toEqual({ app: 'fraud' });
  });

  test.each(TEST_APPS.map((a) => [a.name, a] as const))('test app "%s" satisfies the invariants', (_name, testApp) => {
    expect(checkInvariants(synthApp((app) => testApp.build(app)).manifests)).toEqual([]);
  });
});
