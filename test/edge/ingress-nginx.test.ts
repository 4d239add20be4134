import { App, Chart, Duration, Size, Testing, Yaml } from 'cdk8s';
import * as k8s from '../../lib/imports/k8s';
import {
  AKS_APP_ROUTING_CLASS, AzurePlan, Caller, Diagnostics, Edge, EndpointBackend, EntraApplication, ITlsCertificate, EntraTenant, ManagedIdentity, MeshIdentityBinding,
  SecureMlEndpoint, SecureMlEndpointProps,
} from '../../lib';
import { sharedValidator, formatViolations } from '../conformance/validator';
import { checkInvariants } from '../invariants';
import { Manifest, allowPolicy, one, synthApp, synthToDisk } from '../util';

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const API = '0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5';
const V2P = `https://login.microsoftonline.com/${TID}/v2.0/*`;
const SECRET: ITlsCertificate = { bind: () => ({ secretName: 'fraud-tls', problems: () => [] }) };

function props(overrides: Partial<SecureMlEndpointProps> = {}): SecureMlEndpointProps {
  return {
    backend: EndpointBackend.service({ name: 'fraud', port: 80, selector: { app: 'fraud' } }),
    tenant: new EntraTenant({ tenantId: TID }),
    audiences: [API],
    callers: [Caller.appRole('Fraud.Score')],
    edge: Edge.ingressNginx({ host: 'fraud.contoso.com', tls: SECRET }),
    ...overrides,
  };
}

function synth(overrides: Partial<SecureMlEndpointProps> = {}): Manifest[] {
  return synthApp((app) => new SecureMlEndpoint(new Chart(app, 'fraud', { namespace: 'fraud' }), 'Endpoint', props(overrides))).manifests;
}

const annotationsOf = (ms: Manifest[]) => one(ms, 'Ingress').metadata.annotations!;

describe('Edge.ingressNginx', () => {
  test('minimal edge', () => {
    const chart = Testing.chart();
    new SecureMlEndpoint(chart, 'fraud', props());
    const manifests = Testing.synth(chart) as Manifest[];
    expect(manifests).toMatchSnapshot();
    const ingress = one(manifests, 'Ingress');
    // invariant 5: TLS, redirect, through the Service and the mesh
    expect(ingress.spec.tls).toEqual([{ hosts: ['fraud.contoso.com'], secretName: 'fraud-tls' }]);
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(ingress.metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/ssl-redirect': 'true',
      'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true',
      'nginx.ingress.kubernetes.io/service-upstream': 'true',
      'nginx.ingress.kubernetes.io/upstream-vhost': 'fraud.default.svc.cluster.local',
      'nginx.ingress.kubernetes.io/backend-protocol': 'HTTP',
    });
    expect(ingress.spec.rules[0].http.paths[0].backend).toEqual({ service: { name: 'fraud', port: { number: 80 } } });
    // invariant 5: only the controller's principal, with a token, for callers without a mesh identity
    expect(allowPolicy(manifests).spec.rules).toEqual([{
      from: [{ source: { principals: ['cluster.local/ns/ingress-nginx/sa/ingress-nginx'], requestPrincipals: [V2P] } }],
      when: [{ key: 'request.auth.claims[roles]', values: ['Fraud.Score'] }],
    }]);
    expect(checkInvariants(manifests, { except: ['12 second fence'] })).toEqual([]);
  });

  test('limits suited to inference, source ranges, and no snippet annotation', () => {
    const ms = synth({
      edge: Edge.ingressNginx({
        host: 'fraud.contoso.com',
        tls: SECRET,
        rateLimit: { requestsPerSecond: 20, burstMultiplier: 3, connections: 10 },
        sourceRanges: ['10.0.0.0/8', '192.168.1.0/24'],
        maxBodySize: Size.mebibytes(100),
        readTimeout: Duration.minutes(2),
      }),
    });
    const a = annotationsOf(ms);
    expect(a).toMatchObject({
      'nginx.ingress.kubernetes.io/limit-rps': '20',
      'nginx.ingress.kubernetes.io/limit-burst-multiplier': '3',
      'nginx.ingress.kubernetes.io/limit-connections': '10',
      'nginx.ingress.kubernetes.io/whitelist-source-range': '10.0.0.0/8,192.168.1.0/24',
      'nginx.ingress.kubernetes.io/proxy-body-size': '100m',
      'nginx.ingress.kubernetes.io/proxy-read-timeout': '120',
    });
    expect(Object.keys(a).filter((k) => k.includes('snippet'))).toEqual([]);
    expect(JSON.stringify(ms)).not.toMatch(/snippet/);
  });

  test('read timeout defaults to the endpoint timeout', () => {
    expect(annotationsOf(synth({ timeout: Duration.seconds(45) }))['nginx.ingress.kubernetes.io/proxy-read-timeout']).toBe('45');
  });

  test('AKS application routing add-on enrolled in the mesh: its class and its controller principal', () => {
    const ms = synth({ edge: Edge.ingressNginx({ host: 'fraud.contoso.com', tls: SECRET, ingressClassName: AKS_APP_ROUTING_CLASS, controllerInMesh: true }) });
    expect(one(ms, 'Ingress').spec.ingressClassName).toBe('webapprouting.kubernetes.azure.com');
    expect(allowPolicy(ms).spec.rules[0].from[0].source.principals).toEqual(['cluster.local/ns/app-routing-system/sa/nginx']);
  });

  describe('the controller must be in the mesh (controllerInMesh)', () => {
    const build = (o: Partial<{ ingressClassName: string; controllerInMesh: boolean; controller: { namespace: string; serviceAccount: string } }>) => (app: App) =>
      new SecureMlEndpoint(new Chart(app, 'fraud', { namespace: 'fraud' }), 'Endpoint', props({ edge: Edge.ingressNginx({ host: 'fraud.contoso.com', tls: SECRET, ...o }) }));

    test('fails for the AKS application routing add-on without controllerInMesh: its pods have no sidecar and STRICT mTLS refuses them', () => {
      const { error, files } = synthToDisk(build({ ingressClassName: AKS_APP_ROUTING_CLASS }));
      expect(error?.message).toMatch(/\[fraud\/Endpoint\] edge\.controllerInMesh must be true for the AKS application routing add-on controller in app-routing-system, whose pods run without an Istio sidecar, got undefined; with STRICT mTLS the backend refuses every request/);
      expect(error?.message).toMatch(/label namespace app-routing-system for sidecar injection \(istio\.io\/rev=<revision> on the AKS Istio add-on/);
      expect(error?.message).toMatch(/or use Edge\.istioGateway with AKS_ISTIO_EXTERNAL_GATEWAY/);
      expect(files).toEqual([]);
    });

    test('fails for a controller in app-routing-system under another class, too', () => {
      const { error } = synthToDisk(build({ ingressClassName: 'nginx-internal', controller: { namespace: 'app-routing-system', serviceAccount: 'nginx' } }));
      expect(error?.message).toMatch(/edge\.controllerInMesh must be true for the AKS application routing add-on controller/);
    });

    test('fails for controllerInMesh: false on any NGINX edge', () => {
      const { error } = synthToDisk(build({ controllerInMesh: false }));
      expect(error?.message).toMatch(/edge\.controllerInMesh must be true: the backend admits the edge only through the controller's mesh principal, got false/);
    });

    test('community ingress-nginx without controllerInMesh: a warning (legal, probably a mistake), an error in strict mode', () => {
      const app = Testing.app();
      build({})(app);
      app.synth();
      expect(Diagnostics.of(app).warnings.filter((w) => !w.field.startsWith('namespace "')).map((w) => `[${w.path}] ${w.message}`)).toEqual([
        expect.stringMatching(/^\[fraud\/Endpoint\/Edge\] edge\.controllerInMesh is not set: the stock ingress-nginx install runs the controller in ingress-nginx without an Istio sidecar/),
      ]);
      const strict = Testing.app();
      strict.node.setContext('cdk8s-azureml-mesh/strict', true);
      build({})(strict);
      expect(() => strict.synth()).toThrow(/edge\.controllerInMesh is not set: .* \(a warning, an error in strict mode\)/);
    });

    test('controllerInMesh: true: no warning, the same Ingress', () => {
      const app = Testing.app();
      build({ controllerInMesh: true })(app);
      app.synth();
      expect(Diagnostics.of(app).warnings.filter((w) => !w.field.startsWith('namespace "'))).toEqual([]);
    });
  });

  test('no HSTS or redirect-code setting is written (ConfigMap settings of the controller; never a snippet)', () => {
    const annotations = annotationsOf(synth());
    expect(Object.keys(annotations).filter((k) => /hsts|redirect-code|snippet/.test(k))).toEqual([]);
    expect(annotations['nginx.ingress.kubernetes.io/ssl-redirect']).toBe('true');
  });

  test('the backend admits the edge principal, never the edge namespace; mesh workloads keep their own principal', () => {
    const ms = synthApp((app) => {
      const ep = new SecureMlEndpoint(new Chart(app, 'fraud', { namespace: 'fraud' }), 'Endpoint', props({ callers: [Caller.anyAuthenticated()] }));
      const b = new MeshIdentityBinding(new Chart(app, 'batch', { namespace: 'batch' }), 'Id', {
        identity: ManagedIdentity.existing({ clientId: '5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d', principalId: '9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b' }),
        oidcIssuerUrl: `https://westeurope.oic.prod-aks.azure.com/${TID}/1b2c3d4e-5f60-4a1b-9c2d-3e4f5a6b7c8d/`,
        serviceAccountName: 'scorer',
      });
      ep.addCaller(Caller.workload(b));
    }).manifests;
    const sources = allowPolicy(ms).spec.rules.map((r: any) => r.from[0].source);
    expect(sources).toEqual([
      { principals: ['cluster.local/ns/batch/sa/scorer'], requestPrincipals: [V2P] },
      { principals: ['cluster.local/ns/ingress-nginx/sa/ingress-nginx'], requestPrincipals: [V2P] },
    ]);
    for (const s of sources) expect(s.namespaces).toBeUndefined();
    // invariant 1 still holds with an edge
    expect(checkInvariants(ms, { except: ['12 second fence'] })).toEqual([]);
  });

  test('claim headers are stripped on the route the controller sidecar applies', () => {
    const ms = synth({ claimToHeaders: [{ claim: 'oid', header: 'x-caller-oid' }] });
    expect(one(ms, 'VirtualService').spec.http[0].headers.request.remove).toEqual(['x-caller-oid']);
    expect(annotationsOf(ms)['nginx.ingress.kubernetes.io/upstream-vhost']).toBe(one(ms, 'VirtualService').spec.hosts[0]);
  });

  test('objects conform to the official schemas', () => {
    const ms = synth({ edge: Edge.ingressNginx({ host: 'fraud.contoso.com', tls: SECRET, rateLimit: { requestsPerSecond: 5 }, sourceRanges: ['10.0.0.0/8'] }) });
    const violations = sharedValidator().validateAll(ms);
    expect(violations.length ? formatViolations(violations) : '').toBe('');
  });

  test.each([
    ['wildcard host', { host: '*.contoso.com' }, /edge\.host must be an exact lower-case DNS name .*got "\*\.contoso\.com"/],
    ['host with a scheme', { host: 'https://fraud.contoso.com' }, /edge\.host must be an exact lower-case DNS name/],
    ['no TLS', { tls: undefined }, /edge\.tls must be a TLS certificate .*got undefined; the edge always terminates TLS and redirects plain HTTP/],
    ['zero rate', { rateLimit: { requestsPerSecond: 0 } }, /edge\.rateLimit\.requestsPerSecond must be a positive integer up to 100000, got 0/],
    ['burst below 1', { rateLimit: { requestsPerSecond: 5, burstMultiplier: 0 } }, /edge\.rateLimit\.burstMultiplier must be an integer of at least 1, got 0/],
    ['source range without a mask', { sourceRanges: ['10.1.2.3'] }, /edge\.sourceRanges\[0\] must be a CIDR such as "10\.0\.0\.0\/8", got "10\.1\.2\.3"; did you mean "10\.1\.2\.3\/32"\?/],
    ['source range that is a name', { sourceRanges: ['office'] }, /edge\.sourceRanges\[0\] must be a CIDR/],
    ['empty source ranges', { sourceRanges: [] }, /edge\.sourceRanges must be a non-empty list when given/],
    ['controller namespace invalid', { controller: { namespace: 'Ingress', serviceAccount: 'x' } }, /edge\.controller\.namespace must be a DNS label, got "Ingress"/],
    ['ingress class invalid', { ingressClassName: 'Nginx Class' }, /edge\.ingressClassName must be an IngressClass name/],
  ])('fails for %s', (_name, override, message) => {
    const { error, files } = synthToDisk((app) => new SecureMlEndpoint(new Chart(app, 'fraud'), 'Endpoint', props({
      edge: Edge.ingressNginx({ host: 'fraud.contoso.com', tls: SECRET, ...(override as object) }),
    })));
    expect(error?.message).toMatch(message);
    expect(error?.message).toMatch(/\[fraud\/Endpoint\] edge\./);
    expect(files).toEqual([]);
  });

  test('fails for two endpoints serving one host on one ingress class, naming both', () => {
    const { error } = synthToDisk((app) => {
      const chart = new Chart(app, 'fraud');
      new SecureMlEndpoint(chart, 'A', props());
      new SecureMlEndpoint(chart, 'B', props({ backend: EndpointBackend.service({ name: 'other', port: 80, selector: { app: 'other' } }) }));
    });
    expect(error?.message).toMatch(/\[fraud\/B\] edge\.host must be a host no other endpoint serves on the same controller \(fraud\/A serves it\), got "fraud\.contoso\.com"/);
  });

  describe('browser sign-in with oauth2-proxy', () => {
    const ISSUER = `https://westeurope.oic.prod-aks.azure.com/${TID}/1b2c3d4e-5f60-4a1b-9c2d-3e4f5a6b7c8d/`;
    const build = (overrides: Partial<{ audiences: string[]; clientId: string }> = {}) => (app: any) => {
      const chart = new Chart(app, 'fraud', { namespace: 'fraud' });
      new SecureMlEndpoint(chart, 'Endpoint', props({
        audiences: overrides.audiences ?? [API],
        edge: Edge.ingressNginx({
          host: 'fraud.contoso.com',
          tls: SECRET,
          controllerInMesh: true,
          browserSignIn: {
            application: EntraApplication.fromClientId(overrides.clientId ?? API),
            oidcIssuerUrl: ISSUER,
            serviceAccountName: 'sign-in',
            cookieSecret: { secretName: 'oauth2-proxy-cookie', key: 'secret' },
          },
        }),
      }));
    };

    test('oauth2-proxy with the entra-id provider and workload identity; bearer tokens skip it', () => {
      const ms = synthApp(build()).manifests;
      const proxy = ms.find((m) => m.kind === 'Deployment')!;
      const container = proxy.spec.template.spec.containers[0];
      expect(container.args).toEqual(expect.arrayContaining([
        '--provider=entra-id',
        `--oidc-issuer-url=https://login.microsoftonline.com/${TID}/v2.0`,
        `--client-id=${API}`,
        '--entra-id-federated-token-auth=true',
        '--skip-jwt-bearer-tokens=true',
        `--extra-jwt-issuers=https://login.microsoftonline.com/${TID}/v2.0=${API}`,
      ]));
      // the cookie secret is referenced, never written
      expect(container.env).toEqual([{ name: 'OAUTH2_PROXY_COOKIE_SECRET', valueFrom: { secretKeyRef: { name: 'oauth2-proxy-cookie', key: 'secret' } } }]);
      expect(JSON.stringify(ms)).not.toMatch(/client[-_]?secret/i);
      expect(proxy.spec.template.spec.serviceAccountName).toBe('sign-in');
      expect(proxy.spec.template.metadata.labels['azure.workload.identity/use']).toBe('true');
      // workload identity names the app registration (not a managed identity) in the endpoint's tenant
      const sa = ms.find((m) => m.kind === 'ServiceAccount' && m.metadata.name === 'sign-in')!;
      expect(sa.metadata.namespace).toBe('fraud');
      expect(sa.metadata.annotations).toEqual({ 'azure.workload.identity/client-id': API, 'azure.workload.identity/tenant-id': TID });
      const ingresses = ms.filter((m) => m.kind === 'Ingress');
      const main = ingresses.find((m) => m.spec.rules[0].http.paths[0].path === '/')!;
      const signIn = ingresses.find((m) => m.spec.rules[0].http.paths[0].path === '/oauth2')!;
      expect(main.metadata.annotations).toMatchObject({
        'nginx.ingress.kubernetes.io/auth-url': expect.stringMatching(/^http:\/\/fraud-endpoint-signin-service-[0-9a-f]+\.fraud\.svc\.cluster\.local:4180\/oauth2\/auth$/),
        'nginx.ingress.kubernetes.io/auth-signin': 'https://fraud.contoso.com/oauth2/start?rd=$escaped_request_uri',
        'nginx.ingress.kubernetes.io/auth-response-headers': 'Authorization,X-Auth-Request-User,X-Auth-Request-Email',
      });
      expect(signIn.spec.rules[0].http.paths[0].path).toBe('/oauth2');
      expect(signIn.spec.tls).toEqual(main.spec.tls);
      // the sign-in paths keep the edge's protections, without external auth on themselves
      expect(signIn.metadata.annotations).toMatchObject({
        'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true',
        'nginx.ingress.kubernetes.io/service-upstream': 'true',
        'nginx.ingress.kubernetes.io/upstream-vhost': `${signIn.spec.rules[0].http.paths[0].backend.service.name}.fraud.svc.cluster.local`,
      });
      expect(signIn.metadata.annotations!['nginx.ingress.kubernetes.io/upstream-vhost']).not.toBe(main.metadata.annotations!['nginx.ingress.kubernetes.io/upstream-vhost']);
      expect(Object.keys(signIn.metadata.annotations!).filter((k) => k.includes('auth-'))).toEqual([]);
      expect(JSON.stringify(ms)).not.toMatch(/snippet/);
      const violations = sharedValidator().validateAll(ms);
      expect(violations.length ? formatViolations(violations) : '').toBe('');
      expect(checkInvariants(ms, { except: ['12 second fence'] })).toEqual([]);
    });

    test('every Ingress renders byte for byte as the generated KubeIngress class would render it', () => {
      // the library builds Ingresses from the generated KubeIngressProps type without the class's runtime mapping
      const ingresses = synthApp(build()).manifests.filter((m) => m.kind === 'Ingress');
      expect(ingresses).toHaveLength(2);
      for (const m of ingresses) {
        const reference = Testing.chart();
        new k8s.KubeIngress(reference, 'Ingress', { metadata: m.metadata, spec: m.spec as k8s.IngressSpec });
        expect(Yaml.stringify(m)).toBe(Yaml.stringify(...Testing.synth(reference)));
      }
    });

    test('the session and CSRF cookies are SameSite=Lax, and the health checks live under /oauth2 (security review findings 2 and 9)', () => {
      const container = synthApp(build()).manifests.find((m) => m.kind === 'Deployment')!.spec.template.spec.containers[0];
      // without --cookie-samesite oauth2-proxy sets no SameSite: a cross-site form POST would carry the session cookie
      // (lax: the Entra ID callback is a top-level GET, which Lax cookies accompany; strict would lose the CSRF cookie there)
      expect(container.args).toEqual(expect.arrayContaining(['--cookie-secure=true', '--cookie-samesite=lax']));
      expect(container.args.filter((a: string) => a.startsWith('--cookie-samesite'))).toEqual(['--cookie-samesite=lax']);
      // /ping and /ready answer 200 to anyone at any host path; under /oauth2 they are the proxy's own paths
      expect(container.args).toEqual(expect.arrayContaining(['--ping-path=/oauth2/ping', '--ready-path=/oauth2/ready']));
      expect(container.readinessProbe.httpGet).toMatchObject({ path: '/oauth2/ready', port: 4180 });
      expect(container.livenessProbe.httpGet).toMatchObject({ path: '/oauth2/ping', port: 4180 });
    });

    test('the Azure plan lists the app registration\'s federated credential, apart from managed identities\'', () => {
      const app = Testing.app();
      build()(app);
      app.synth();
      const plan = AzurePlan.of(app).toJson();
      expect(plan.applicationFederatedCredentials).toEqual([{
        applicationClientId: API,
        name: 'fraud-sign-in',
        issuer: ISSUER,
        subject: 'system:serviceaccount:fraud:sign-in',
        audiences: ['api://AzureADTokenExchange'],
        requestedBy: ['fraud/Endpoint'],
      }]);
      // no managed identity, no managed-identity credential for the sign-in proxy
      expect(plan.identities).toEqual([]);
      expect(plan.federatedCredentials).toEqual([]);
    });

    test('--client-id is written on the plain cdk8s synth path too (no deployment tool resolves it)', () => {
      const { manifests } = synthApp(build());
      const args: string[] = manifests.find((m) => m.kind === 'Deployment')!.spec.template.spec.containers[0].args;
      expect(args.filter((a) => a.startsWith('--client-id='))).toEqual([`--client-id=${API}`]);
    });

    test.each([
      ['a sign-in client id that is not an audience', { audiences: ['1b2c3d4e-5f60-4a1b-9c2d-3e4f5a6b7c8d'] },
        /edge\.browserSignIn\.application must be an app registration whose client id is one of the endpoint's audiences/],
      ['a sign-in client id that is not a GUID', { clientId: 'oauth2-proxy' }, /edge\.browserSignIn\.application\.clientId must be a GUID, got "oauth2-proxy"/],
    ])('fails for %s', (_name, overrides, message) => {
      const { error, files } = synthToDisk(build(overrides));
      expect(error?.message).toMatch(message);
      expect(files).toEqual([]);
    });

    test('fails for sign-in without an app registration', () => {
      const { error } = synthToDisk((app) => new SecureMlEndpoint(new Chart(app, 'fraud'), 'Endpoint', props({
        edge: Edge.ingressNginx({
          host: 'fraud.contoso.com', tls: SECRET, controllerInMesh: true,
          browserSignIn: { application: undefined as any, oidcIssuerUrl: ISSUER, cookieSecret: { secretName: 'c', key: 'k' } },
        }),
      })));
      expect(error?.message).toMatch(/edge\.browserSignIn\.application must be an EntraApplication \(EntraApplication\.fromClientId\), the app registration users sign in to, got undefined; a managed identity cannot sign users in/);
    });

    test('fails for sign-in with a managed identity binding (the old option)', () => {
      const { error, files } = synthToDisk((app) => new SecureMlEndpoint(new Chart(app, 'fraud'), 'Endpoint', props({
        edge: Edge.ingressNginx({
          host: 'fraud.contoso.com', tls: SECRET, controllerInMesh: true,
          browserSignIn: { binding: {}, application: EntraApplication.fromClientId(API), oidcIssuerUrl: ISSUER, cookieSecret: { secretName: 'c', key: 'k' } } as any,
        }),
      })));
      expect(error?.message).toMatch(/edge\.browserSignIn\.binding must be left out: oauth2-proxy signs users in as an app registration, which a managed identity is not/);
      expect(files).toEqual([]);
    });
  });
});
