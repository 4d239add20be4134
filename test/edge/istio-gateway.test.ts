import { Chart, Size, Testing } from 'cdk8s';
import { AKS_ISTIO_EXTERNAL_GATEWAY, Caller, Edge, EndpointBackend, EntraTenant, ITlsCertificate, SecureMlEndpoint, SecureMlEndpointProps } from '../../lib';
import { formatViolations, sharedValidator } from '../conformance/validator';
import { checkInvariants } from '../invariants';
import { Manifest, allowPolicy, synthApp, synthToDisk } from '../util';

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const SECRET: ITlsCertificate = { bind: () => ({ secretName: 'fraud-tls', problems: () => [] }) };

function props(overrides: Partial<SecureMlEndpointProps> = {}): SecureMlEndpointProps {
  return {
    backend: EndpointBackend.service({ name: 'fraud', port: 80, selector: { app: 'fraud' } }),
    tenant: new EntraTenant({ tenantId: TID }),
    audiences: ['0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5'],
    callers: [Caller.appRole('Fraud.Score')],
    edge: Edge.istioGateway({ host: 'fraud.contoso.com', tls: SECRET }),
    ...overrides,
  };
}

const synth = (o: Partial<SecureMlEndpointProps> = {}) =>
  synthApp((app) => new SecureMlEndpoint(new Chart(app, 'fraud', { namespace: 'fraud' }), 'Endpoint', props(o))).manifests;

describe('Edge.istioGateway', () => {
  test('minimal edge: HTTPS Gateway, a VirtualService for the public host bound to it only (HSTS), plain HTTP on its own Gateway with a 308 redirect', () => {
    const chart = Testing.chart();
    new SecureMlEndpoint(chart, 'fraud', props());
    const manifests = Testing.synth(chart) as Manifest[];
    expect(manifests).toMatchSnapshot();
    const gw = manifests.find((m) => m.kind === 'Gateway' && m.spec.servers[0].name === 'https')!;
    const redirectGw = manifests.find((m) => m.kind === 'Gateway' && m.spec.servers[0].name === 'http')!;
    expect(gw.metadata.namespace).toBe('istio-system');
    expect(gw.spec.selector).toEqual({ istio: 'ingressgateway' });
    // the HTTPS Gateway has no plain-HTTP server: the model's route never serves port 80
    expect(gw.spec.servers).toEqual([
      { name: 'https', port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['fraud.contoso.com'], tls: { mode: 'SIMPLE', credentialName: 'fraud-tls' } },
    ]);
    expect(redirectGw.metadata.namespace).toBe('istio-system');
    expect(redirectGw.spec.selector).toEqual({ istio: 'ingressgateway' });
    expect(redirectGw.spec.servers).toEqual([{ name: 'http', port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['fraud.contoso.com'] }]);
    const services = manifests.filter((m) => m.kind === 'VirtualService');
    expect(services).toHaveLength(3);
    const mesh = services.find((m) => m.spec.gateways === undefined)!;
    const pub = services.find((m) => m.spec.gateways?.[0] === `istio-system/${gw.metadata.name}`)!;
    const redirect = services.find((m) => m.spec.gateways?.[0] === `istio-system/${redirectGw.metadata.name}`)!;
    // the mesh route is untouched; the public host has its own route, bound to the HTTPS gateway only, with HSTS
    expect(mesh.spec.hosts).toEqual(['fraud.default.svc.cluster.local']);
    expect(mesh.spec.gateways).toBeUndefined();
    expect(mesh.spec.http[0].headers).toBeUndefined();
    expect(pub.spec.hosts).toEqual(['fraud.contoso.com']);
    expect(pub.spec.gateways).toEqual([`istio-system/${gw.metadata.name}`]);
    expect(pub.spec.http[0].route).toEqual(mesh.spec.http[0].route);
    expect(pub.spec.http[0].headers).toEqual({ response: { set: { 'Strict-Transport-Security': 'max-age=31536000' } } });
    // plain HTTP: only a 308 redirect (keeps the method and body; httpsRedirect would answer 301), bound to the HTTP gateway only
    expect(redirect.metadata.namespace).toBe('istio-system');
    expect(redirect.spec).toEqual({
      hosts: ['fraud.contoso.com'],
      gateways: [`istio-system/${redirectGw.metadata.name}`],
      exportTo: ['.'],
      http: [{ name: 'https-redirect', redirect: { scheme: 'https', derivePort: 'FROM_PROTOCOL_DEFAULT', redirectCode: 308 } }],
    });
    expect(JSON.stringify(manifests)).not.toMatch(/httpsRedirect/);
    expect(allowPolicy(manifests).spec.rules[0].from[0].source.principals).toEqual(['cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account']);
    expect(checkInvariants(manifests, { except: ['12 second fence'] })).toEqual([]);
  });

  test('HSTS and the claim-header removal live side by side on the gateway route', () => {
    const ms = synth({ claimToHeaders: [{ claim: 'oid', header: 'x-caller-oid' }] });
    const pub = ms.filter((m) => m.kind === 'VirtualService').find((m) => m.spec.gateways?.length && m.spec.http[0].route)!;
    expect(pub.spec.http[0].headers).toEqual({ request: { remove: ['x-caller-oid'] }, response: { set: { 'Strict-Transport-Security': 'max-age=31536000' } } });
  });

  test('AKS Istio add-on external gateway', () => {
    const ms = synth({ edge: Edge.istioGateway({ host: 'fraud.contoso.com', tls: SECRET, gateway: AKS_ISTIO_EXTERNAL_GATEWAY }) });
    const gateways = ms.filter((m) => m.kind === 'Gateway');
    expect(gateways.map((g) => g.metadata.namespace)).toEqual(['aks-istio-ingress', 'aks-istio-ingress']);
    for (const g of gateways) expect(g.spec.selector).toEqual({ istio: 'aks-istio-ingressgateway-external' });
    expect(allowPolicy(ms).spec.rules[0].from[0].source.principals).toEqual(['cluster.local/ns/aks-istio-ingress/sa/aks-istio-ingressgateway-external']);
  });

  test('objects conform to the official schemas', () => {
    const violations = sharedValidator().validateAll(synth());
    expect(violations.length ? formatViolations(violations) : '').toBe('');
  });

  test.each([
    ['rate limit', { rateLimit: { requestsPerSecond: 5 } }, /edge\.rateLimit must be unset on an Istio gateway edge/],
    ['source ranges', { sourceRanges: ['10.0.0.0/8'] }, /edge\.sourceRanges must be unset on an Istio gateway edge/],
    ['a cluster-internal host', { host: 'payments.other.svc.cluster.local' }, /edge\.host must be an exact lower-case DNS name .*not cluster-internal\), got "payments\.other\.svc\.cluster\.local"/],
    ['an IP as host', { host: '10.0.0.1' }, /edge\.host must be an exact lower-case DNS name/],
    ['a body size limit it cannot apply', { maxBodySize: Size.mebibytes(10) }, /edge\.maxBodySize must be unset on an Istio gateway edge/],
    ['a controller override', { controller: { namespace: 'x', serviceAccount: 'y' } }, /edge\.controller must be unset on an Istio gateway edge/],
    ['empty gateway selector', { gateway: { selector: {}, namespace: 'istio-system', serviceAccount: 'gw' } }, /edge\.gateway\.selector must be non-empty valid labels/],
  ])('fails for %s', (_name, override, message) => {
    const { error, files } = synthToDisk((app) => new SecureMlEndpoint(new Chart(app, 'fraud'), 'Endpoint', props({
      edge: Edge.istioGateway({ host: 'fraud.contoso.com', tls: SECRET, ...(override as object) }),
    })));
    expect(error?.message).toMatch(message);
    expect(files).toEqual([]);
  });
});
