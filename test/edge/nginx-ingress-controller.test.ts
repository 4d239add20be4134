import { Chart, Duration, Size, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { Caller, Diagnostics, Edge, EndpointBackend, EntraTenant, MANAGED_BY_LABEL, SecureMlEndpoint, TokenVersion } from '../../lib';
import {
  NGINX_INGRESS_CONTROLLER_DEFAULT,
  NginxIngressControllerEdge,
  NginxIngressControllerEdgeOptions,
} from '../../lib/edge/nginx-ingress-controller';
import { BoundEdge, ITlsCertificate } from '../../lib/edge/types';
import { sharedValidator } from '../conformance/validator';
import { Manifest, ofKind, one, synthToDisk } from '../util';

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const SERVICE_HOST = 'fraud.models.svc.cluster.local';
const TLS: ITlsCertificate = { bind: () => ({ secretName: 'fraud-tls', problems: () => [] }) };

interface Bound {
  chart: Chart;
  edge: BoundEdge;
  manifests: Manifest[];
}

/** Binds the edge as SecureMlEndpoint would, in a test chart, and synthesizes it. */
function bindEdge(options: Partial<NginxIngressControllerEdgeOptions> = {}, tenant = new EntraTenant({ tenantId: TID }), tokenHeader?: string): Bound {
  const chart = Testing.chart();
  const scope = new Construct(chart, 'fraud');
  const edge = new NginxIngressControllerEdge({ host: 'fraud.contoso.com', tls: TLS, ...options }).bind({
    scope,
    namespace: 'models',
    serviceName: 'fraud',
    servicePort: 8080,
    serviceHost: SERVICE_HOST,
    tenant,
    audiences: ['api://fraud-scoring'],
    tokenHeader,
    timeout: Duration.seconds(60),
    labels: { ...MANAGED_BY_LABEL },
  });
  return { chart, edge, manifests: Testing.synth(chart) as Manifest[] };
}

const FULL: Partial<NginxIngressControllerEdgeOptions> = {
  nginxPlus: true,
  validateTokens: true,
  rateLimitClaim: 'oid',
  rateLimit: { requestsPerSecond: 20, burstMultiplier: 3 },
  sourceRanges: ['10.0.0.0/8', '2001:db8::/32'],
};

const virtualServer = (ms: Manifest[]) => one(ms, 'VirtualServer');
const policyOf = (ms: Manifest[], type: string) => ofKind(ms, 'Policy').filter((p) => p.spec[type] !== undefined);
const messages = (edge: BoundEdge) => edge.problems().map((p) => p.message);

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

/** Invariants 5 and 6 and the Policy references, for any synthesized edge. */
function expectEdgeInvariants(ms: Manifest[]): void {
  const vs = virtualServer(ms);
  // TLS terminated with the certificate's Secret, plain HTTP redirected with 308 (keeps POST a POST)
  expect(vs.spec.tls).toEqual({ secret: 'fraud-tls', redirect: { enable: true, code: 308 } });
  // through the Service: cluster IP on every upstream, in-mesh Host on every route
  expect(vs.spec.upstreams.length).toBeGreaterThan(0);
  for (const u of vs.spec.upstreams) expect(u['use-cluster-ip']).toBe(true);
  for (const r of vs.spec.routes) {
    expect(r.action.pass).toBeUndefined();
    expect(r.action.proxy.requestHeaders.set).toContainEqual({ name: 'Host', value: SERVICE_HOST });
    // HSTS on every response, error responses included
    expect(r.action.proxy.responseHeaders.add).toEqual([{ name: 'Strict-Transport-Security', value: 'max-age=31536000', always: true }]);
  }
  // every referenced Policy exists beside the VirtualServer, and every Policy is referenced
  const policies = ofKind(ms, 'Policy');
  expect((vs.spec.policies ?? []).map((p: { name: string }) => p.name).sort()).toEqual(policies.map((p) => p.metadata.name).sort());
  for (const p of policies) {
    expect(p.metadata.namespace).toBe(vs.metadata.namespace);
    expect(p.spec.ingressClassName).toBe(vs.spec.ingressClassName);
    // NIC accepts exactly one policy type per Policy
    expect(Object.keys(p.spec).filter((k) => k !== 'ingressClassName')).toHaveLength(1);
  }
  // all objects in the endpoint's namespace, labelled, named by cdk8s
  for (const m of ms) {
    expect(m.metadata.namespace).toBe('models');
    expect(m.metadata.labels).toEqual(MANAGED_BY_LABEL);
  }
  expect(new Set(ms.map((m) => m.metadata.name)).size).toBe(ms.length);
  // no snippet of any kind, anywhere (annotations, http-snippets, server-snippets, location-snippets, ...)
  expect(allKeys(ms).filter((k) => /snippet/i.test(k))).toEqual([]);
}

describe('NginxIngressControllerEdge', () => {
  test('minimal definition: VirtualServer only, through the Service, TLS with redirect', () => {
    const { edge, manifests } = bindEdge();
    expect(manifests).toMatchSnapshot();
    expectEdgeInvariants(manifests);
    expect(manifests.map((m) => `${m.apiVersion} ${m.kind}`)).toEqual(['k8s.nginx.org/v1 VirtualServer']);
    const vs = virtualServer(manifests);
    expect(vs.spec).toMatchObject({
      host: 'fraud.contoso.com',
      ingressClassName: 'nginx',
      upstreams: [{ name: 'model', service: 'fraud', port: 8080, 'use-cluster-ip': true, 'read-timeout': '60s', 'send-timeout': '60s', 'client-max-body-size': '32m' }],
      routes: [{ path: '/', action: { proxy: { upstream: 'model', requestHeaders: { set: [{ name: 'Host', value: SERVICE_HOST }] } } } }],
    });
    expect(vs.spec.policies).toEqual([]);
    expect(edge.host).toBe('fraud.contoso.com');
    expect(edge.uniquenessKey).toBe('nginx-ingress-controller/class:nginx');
    expect(edge.meshPrincipals).toEqual(['cluster.local/ns/nginx-ingress/sa/nginx-ingress']);
    expect(edge.apiObjects).toHaveLength(1);
    expect(edge.problems()).toEqual([]);
    expect(sharedValidator().validateAll(manifests)).toEqual([]);
  });

  test('rate limit and source ranges without NGINX Plus: keyed on the client address, no jwt policy', () => {
    const { edge, manifests } = bindEdge({ rateLimit: { requestsPerSecond: 10 }, sourceRanges: ['10.0.0.0/8', '192.168.1.0/24'] });
    expect(manifests).toMatchSnapshot();
    expectEdgeInvariants(manifests);
    expect(policyOf(manifests, 'rateLimit')).toHaveLength(1);
    expect(policyOf(manifests, 'rateLimit')[0].spec.rateLimit).toEqual({
      rate: '10r/s',
      key: '${binary_remote_addr}',
      zoneSize: '10M',
      burst: 50,
      rejectCode: 429,
    });
    expect(policyOf(manifests, 'accessControl')[0].spec.accessControl).toEqual({ allow: ['10.0.0.0/8', '192.168.1.0/24'] });
    expect(policyOf(manifests, 'jwt')).toEqual([]);
    expect(edge.apiObjects).toHaveLength(3);
    expect(edge.problems()).toEqual([]);
    expect(sharedValidator().validateAll(manifests)).toEqual([]);
  });

  test('full-featured NGINX Plus edge: jwt policy on the tenant JWKS, claim-keyed rate limit, access control', () => {
    const { edge, manifests } = bindEdge(FULL);
    expect(manifests).toMatchSnapshot();
    expectEdgeInvariants(manifests);
    const jwt = policyOf(manifests, 'jwt');
    expect(jwt).toHaveLength(1);
    expect(jwt[0].spec.jwt).toEqual({
      realm: 'fraud.contoso.com',
      jwksURI: `https://login.microsoftonline.com/${TID}/discovery/v2.0/keys`,
      keyCache: '1h',
      sslVerify: true,
      sniEnabled: true,
    });
    // the token comes from the Authorization header (the CRD's default when `token` is unset)
    expect(jwt[0].spec.jwt.token).toBeUndefined();
    expect(policyOf(manifests, 'rateLimit')[0].spec.rateLimit).toMatchObject({ rate: '20r/s', key: '${jwt_claim_oid}', burst: 60, zoneSize: '10M' });
    expect(policyOf(manifests, 'accessControl')[0].spec.accessControl).toEqual({ allow: ['10.0.0.0/8', '2001:db8::/32'] });
    expect(virtualServer(manifests).spec.policies).toHaveLength(3);
    expect(edge.problems()).toEqual([]);
    // official CRD schema of F5 NIC 5.5, CEL rules included
    expect(sharedValidator().validateAll(manifests)).toEqual([]);
  });

  test('the values NIC itself validates have the shapes it accepts', () => {
    const { manifests } = bindEdge(FULL);
    const rl = policyOf(manifests, 'rateLimit')[0].spec.rateLimit;
    expect(rl.rate).toMatch(/^[1-9]\d*r\/[sSmM]$/); // validateRate
    expect(rl.key).toMatch(/^\$\{(binary_remote_addr|jwt_claim_[A-Za-z0-9_]+)\}$/); // validateRateLimitKey
    expect(rl.zoneSize).toMatch(/^\d+[kKmM]?$/); // validateRateLimitZoneSize
    const jwt = policyOf(manifests, 'jwt')[0].spec.jwt;
    expect(jwt.realm).toMatch(/^([^"$\\]|\\[^$])*$/); // validateRealm
    expect(new URL(jwt.jwksURI).protocol).toBe('https:');
  });

  test('jwt policy only with NGINX Plus and validateTokens', () => {
    expect(policyOf(bindEdge({ nginxPlus: true }).manifests, 'jwt')).toEqual([]);
    expect(policyOf(bindEdge({ nginxPlus: true, validateTokens: true }).manifests, 'jwt')).toHaveLength(1);
    // declared without Plus: no jwt policy, and an error (see the failing cases)
    expect(policyOf(bindEdge({ validateTokens: true }).manifests, 'jwt')).toEqual([]);
  });

  test.each([
    [TokenVersion.V1, `https://login.microsoftonline.com/${TID}/discovery/keys`],
    [TokenVersion.V2, `https://login.microsoftonline.com/${TID}/discovery/v2.0/keys`],
    [TokenVersion.BOTH, `https://login.microsoftonline.com/${TID}/discovery/v2.0/keys`],
  ])('jwksURI for a tenant accepting %s tokens', (tokenVersion, jwksUri) => {
    const { manifests } = bindEdge({ nginxPlus: true, validateTokens: true }, new EntraTenant({ tenantId: TID, tokenVersion }));
    expect(policyOf(manifests, 'jwt')[0].spec.jwt.jwksURI).toBe(jwksUri);
  });

  test('ingress class and controller are configurable', () => {
    const { edge, manifests } = bindEdge({
      ingressClassName: 'nginx-plus',
      controller: { namespace: 'edge', serviceAccount: 'nic', trustDomain: 'contoso.mesh' },
      sourceRanges: ['10.0.0.0/8'],
    });
    expectEdgeInvariants(manifests);
    expect(manifests.map((m) => m.spec.ingressClassName)).toEqual(['nginx-plus', 'nginx-plus']);
    expect(edge.uniquenessKey).toBe('nginx-ingress-controller/class:nginx-plus');
    expect(edge.meshPrincipals).toEqual(['contoso.mesh/ns/edge/sa/nic']);
    expect(NGINX_INGRESS_CONTROLLER_DEFAULT).toEqual({ namespace: 'nginx-ingress', serviceAccount: 'nginx-ingress' });
  });

  test('fails for the jwt policy with an endpoint that reads its token from tokenHeader (the policy reads Authorization)', () => {
    const { edge } = bindEdge({ nginxPlus: true, validateTokens: true }, undefined, 'x-mesh-authorization');
    expect(edge.problems().map((p) => p.message)).toEqual([
      'edge.validateTokens must be false when the endpoint reads its token from tokenHeader ("x-mesh-authorization"), got true; the jwt policy checks the Authorization header, which then carries something else (for azureml-fe the Azure ML key), so NGINX would answer 401 to every request; the mesh validates the token in tokenHeader either way',
    ]);
    // without the jwt policy, tokenHeader is fine at the edge
    expect(bindEdge({ nginxPlus: true }, undefined, 'x-mesh-authorization').edge.problems()).toEqual([]);
    expect(() => bindEdge({ nginxPlus: true, validateTokens: true }, undefined, 'x-mesh-authorization').edge.problems()).not.toThrow();
  });

  test('fails for the jwt policy with tokenHeader through SecureMlEndpoint too (the bind context carries the endpoint\'s tokenHeader)', () => {
    const { error, files } = synthToDisk((app) => new SecureMlEndpoint(new Chart(app, 'fraud', { namespace: 'fraud' }), 'Endpoint', {
      backend: EndpointBackend.service({ name: 'fraud', port: 80, selector: { app: 'fraud' } }),
      tenant: new EntraTenant({ tenantId: TID }),
      audiences: ['0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5'],
      callers: [Caller.appRole('Fraud.Score')],
      tokenHeader: 'x-mesh-authorization',
      edge: Edge.nginxIngressController({ host: 'fraud.contoso.com', tls: TLS, controllerInMesh: true, nginxPlus: true, validateTokens: true }),
    }));
    expect(error?.message).toMatch(/\[fraud\/Endpoint\] edge\.validateTokens must be false when the endpoint reads its token from tokenHeader \("x-mesh-authorization"\), got true/);
    expect(files).toEqual([]);
  });

  test('fails for controllerInMesh: false; warns when it is not stated', () => {
    expect(bindEdge({ controllerInMesh: false }).edge.problems().map((p) => p.message)).toEqual([
      expect.stringMatching(/^edge\.controllerInMesh must be true: the backend admits the edge only through the controller's mesh principal, got false; with STRICT mTLS/),
    ]);
    const app = Testing.app();
    new SecureMlEndpoint(new Chart(app, 'fraud', { namespace: 'fraud' }), 'Endpoint', {
      backend: EndpointBackend.service({ name: 'fraud', port: 80, selector: { app: 'fraud' } }),
      tenant: new EntraTenant({ tenantId: TID }),
      audiences: ['0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5'],
      callers: [Caller.appRole('Fraud.Score')],
      edge: Edge.nginxIngressController({ host: 'fraud.contoso.com', tls: TLS }),
    });
    app.synth();
    expect(Diagnostics.of(app).warnings.filter((w) => !w.field.startsWith('namespace "')).map((w) => w.message)).toEqual([
      expect.stringMatching(/^edge\.controllerInMesh is not set: the stock F5 NGINX Ingress Controller install runs the controller in nginx-ingress without an Istio sidecar/),
    ]);
  });

  test('timeouts and body size suited to inference', () => {
    const u = (o: Partial<NginxIngressControllerEdgeOptions>) => virtualServer(bindEdge(o).manifests).spec.upstreams[0];
    expect(u({ readTimeout: Duration.minutes(5), maxBodySize: Size.gibibytes(1) })).toMatchObject({
      'read-timeout': '300s',
      'send-timeout': '300s',
      'client-max-body-size': '1024m',
    });
    expect(u({ readTimeout: Duration.millis(1500), maxBodySize: Size.kibibytes(1536) })).toMatchObject({
      'read-timeout': '2s',
      'client-max-body-size': '2m',
    });
  });

  test('output is deterministic', () => {
    expect(bindEdge(FULL).manifests).toEqual(bindEdge(FULL).manifests);
  });

  describe('failing cases', () => {
    test('fails for validateTokens without nginxPlus', () => {
      expect(messages(bindEdge({ validateTokens: true }).edge)).toEqual([
        'edge.validateTokens must be false unless nginxPlus is true, got true; the jwt policy needs NGINX Plus; without it tokens are still validated in the mesh',
      ]);
    });

    test('fails for rateLimitClaim without nginxPlus', () => {
      expect(messages(bindEdge({ rateLimit: { requestsPerSecond: 10 }, rateLimitClaim: 'oid' }).edge)).toEqual([
        'edge.rateLimitClaim must be left out unless nginxPlus is true, got "oid"; a rate limit keyed on a token claim needs NGINX Plus; '
          + 'without it the limit is keyed on the client address and tokens are still validated in the mesh',
      ]);
    });

    test('fails for rateLimitClaim without validateTokens', () => {
      expect(messages(bindEdge({ nginxPlus: true, rateLimit: { requestsPerSecond: 10 }, rateLimitClaim: 'oid' }).edge)).toEqual([
        'edge.rateLimitClaim must be used with validateTokens: true, got "oid"; '
          + 'without the jwt policy a caller can put any value in the claim, or send no token, which NGINX does not limit',
      ]);
    });

    test('fails for rateLimitClaim without rateLimit', () => {
      expect(messages(bindEdge({ nginxPlus: true, validateTokens: true, rateLimitClaim: 'oid' }).edge)).toEqual([
        'edge.rateLimitClaim must be used with edge.rateLimit, got "oid"; there is no rate limit to key',
      ]);
    });

    test.each(['x-oid', '${oid}', 'user.level', ''])('fails for rateLimitClaim %j, not a claim name', (claim) => {
      expect(messages(bindEdge({ ...FULL, rateLimitClaim: claim }).edge)).toEqual([
        `edge.rateLimitClaim must be a claim name of letters, digits and "_" such as "oid", got ${JSON.stringify(claim)}`,
      ]);
    });

    test.each(['groups', 'roles', 'scp', 'wids', 'amr'])('fails for the list claim %s as rateLimitClaim', (claim) => {
      expect(messages(bindEdge({ ...FULL, rateLimitClaim: claim }).edge)).toEqual([
        `edge.rateLimitClaim must be a scalar claim such as "oid", not one of the list claims amr, groups, roles, scp, wids, got "${claim}"; a list is no key for one caller`,
      ]);
    });

    test.each(['Nginx', 'nginx_plus', '-nginx', ''])('fails for ingressClassName %j', (ingressClassName) => {
      expect(messages(bindEdge({ ingressClassName }).edge)).toEqual([
        `edge.ingressClassName must be an IngressClass name (DNS subdomain), got ${JSON.stringify(ingressClassName)}`,
      ]);
    });

    test('fails for the shared edge options (wildcard host, no TLS, bad rate, bad CIDR)', () => {
      const { edge } = bindEdge({
        host: '*.contoso.com',
        tls: undefined as unknown as ITlsCertificate,
        rateLimit: { requestsPerSecond: 0 },
        sourceRanges: ['10.0.0.1'],
      });
      const m = messages(edge);
      expect(m).toHaveLength(4);
      expect(m[0]).toMatch(/^edge\.host must be an exact lower-case DNS name .*, got "\*\.contoso\.com"$/);
      expect(m[1]).toMatch(/^edge\.tls must be a TLS certificate .*; the edge always terminates TLS and redirects plain HTTP$/);
      expect(m[2]).toBe('edge.rateLimit.requestsPerSecond must be a positive integer up to 100000, got 0');
      expect(m[3]).toBe('edge.sourceRanges[0] must be a CIDR such as "10.0.0.0/8", got "10.0.0.1"; did you mean "10.0.0.1/32"?');
    });

    test('fails with the TLS source\'s own problems', () => {
      const tls: ITlsCertificate = {
        bind: () => ({ secretName: 'x', problems: () => [{ field: 'edge.tls.vaultName', message: 'edge.tls.vaultName must be a Key Vault name, got ""' }] }),
      };
      expect(messages(bindEdge({ tls }).edge)).toEqual(['edge.tls.vaultName must be a Key Vault name, got ""']);
    });

    test('every message starts lowercase and has no trailing period', () => {
      const { edge } = bindEdge({ validateTokens: true, rateLimitClaim: 'groups', ingressClassName: 'Bad' });
      expect(edge.problems().length).toBeGreaterThan(0);
      for (const m of messages(edge)) expect(m).toMatch(/^[a-z][^]*[^.]$/);
    });
  });
});
