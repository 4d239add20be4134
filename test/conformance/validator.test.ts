/**
 * The conformance validator must reject deliberately broken objects (one
 * test per failure class) and accept correct objects of every family.
 */
import { ConformanceValidator, formatViolations, resolveSchemasDir, sharedValidator, type Violation } from './validator';

const v = () => sharedValidator();

// Parsing the schema files takes about a second; keep it out of the per-test timeout.
beforeAll(() => {
  sharedValidator();
}, 30_000);

function violations(obj: object): Violation[] {
  return v().validate(obj);
}

/** Asserts that some violation has the given rule and (optionally) path / message fragment. */
function expectViolation(obj: object, rule: Violation['rule'], path?: string, message?: RegExp | string): void {
  const found = violations(obj);
  const hit = found.find(
    (x) =>
      x.rule === rule &&
      (path === undefined || x.path === path) &&
      (message === undefined || (typeof message === 'string' ? x.message.includes(message) : message.test(x.message))),
  );
  if (!hit) throw new Error(`expected a [${rule}] violation at ${path ?? '<any>'} matching ${String(message ?? '<any>')}; got:\n${formatViolations(found)}`);
}

function expectValid(obj: object): void {
  const found = violations(obj);
  if (found.length) throw new Error(formatViolations(found));
}

const meta = (name: string, namespace = 'ml') => ({ name, namespace });
const ap = (spec: object, name = 'ap') => ({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: meta(name), spec });
const selector = { matchLabels: { app: 'model' } };
const PRINCIPAL = 'cluster.local/ns/edge/sa/ingress-nginx';

const deployment = (spec: Record<string, unknown> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: meta('model'),
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'model' } },
    template: {
      metadata: { labels: { app: 'model' } },
      spec: {
        serviceAccountName: 'model',
        containers: [
          {
            name: 'model',
            image: 'mcr.microsoft.com/azureml/model:1.0',
            ports: [{ containerPort: 8080, name: 'http' }],
            resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: 1, memory: '2Gi' } },
            readinessProbe: { httpGet: { path: '/health', port: 'http' } },
          },
        ],
      },
    },
    ...spec,
  },
});

describe('ConformanceValidator rejects broken objects', () => {
  test('unknown field in an Istio spec', () => {
    expectViolation(ap({ selector, action: 'ALLOW', rules: [{}], bogus: true }), 'schema', '/spec/bogus', 'unknown field "bogus"');
  });

  test('unknown field deep inside an Istio spec', () => {
    expectViolation(ap({ selector, rules: [{ from: [{ source: { principal: [PRINCIPAL] } }] }] }), 'schema', '/spec/rules/0/from/0/source/principal');
  });

  test('wrong enum value (action: ALLOWED)', () => {
    expectViolation(ap({ selector, action: 'ALLOWED', rules: [{}] }), 'schema', '/spec/action', /allowed values/);
  });

  test('wrong type (rules as an object)', () => {
    expectViolation(ap({ selector, rules: { from: [] } }), 'schema', '/spec/rules', /must be array/);
  });

  test('CEL: AuthorizationPolicy with both selector and targetRef', () => {
    expectViolation(ap({ selector, targetRef: { kind: 'Service', name: 'model' }, rules: [{}] }), 'cel', '/spec', 'only one of targetRefs or selector can be set');
  });

  test('CEL: ServiceEntry host "*"', () => {
    expectViolation(
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'ServiceEntry',
        metadata: meta('egress'),
        spec: { hosts: ['*'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }], resolution: 'DNS', exportTo: ['.'] },
      },
      'cel',
      '/spec/hosts/0',
    );
  });

  test('CEL: PeerAuthentication portLevelMtls without a selector', () => {
    const pa = {
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: meta('pa'),
      spec: { mtls: { mode: 'STRICT' }, portLevelMtls: { 8080: { mode: 'PERMISSIVE' } } },
    };
    expectViolation(pa, 'cel', '/spec', /portLevelMtls/);
    expectViolation(pa, 'istio-webhook', '/spec/portLevelMtls', 'mesh/namespace peer authentication cannot have port level mTLS');
  });

  test('CEL: Gateway API HTTPRoute path that is not absolute', () => {
    expectViolation(
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: meta('route'),
        spec: { parentRefs: [{ name: 'gw' }], rules: [{ matches: [{ path: { type: 'PathPrefix', value: 'score' } }], backendRefs: [{ name: 'model', port: 80 }] }] },
      },
      'cel',
      '/spec/rules/0/matches/0/path',
      'must be an absolute path',
    );
  });

  test('CEL: Gateway API rule that depends on schema defaults (Service backendRef without port)', () => {
    // group defaults to "" and kind to "Service"; the rule then requires a port.
    expectViolation(
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: meta('route'),
        spec: { parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [{ name: 'model' }] }] },
      },
      'cel',
      '/spec/rules/0/backendRefs/0',
      'Must have port for Service reference',
    );
  });

  test('CEL: NGINX Policy CORS wildcard origin with credentials', () => {
    expectViolation(
      {
        apiVersion: 'k8s.nginx.org/v1',
        kind: 'Policy',
        metadata: meta('cors'),
        spec: { cors: { allowOrigin: ['*'], allowCredentials: true } },
      },
      'cel',
      '/spec/cors',
      "cannot use wildcard '*' for allowOrigin",
    );
  });

  test('type errors: reported by the schema; CEL rules are then skipped like the apiserver does', () => {
    const bad = ap({ selector: { matchLabels: { app: 5 } }, rules: [{}] });
    expectViolation(bad, 'schema', '/spec/selector/matchLabels/app', /must be string/);
    expectViolation(bad, 'cel', '/', 'some validation rules were not checked');
  });

  test('list-type set: duplicate entries (Gateway API header remove list)', () => {
    expectViolation(
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: meta('route'),
        spec: {
          parentRefs: [{ name: 'gw' }],
          rules: [{ filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { remove: ['x-a', 'x-a'] } }], backendRefs: [{ name: 'model', port: 80 }] }],
        },
      },
      'list-type',
      '/spec/rules/0/filters/0/requestHeaderModifier/remove/1',
      /duplicate/,
    );
  });

  test('list-type set: duplicate metadata.finalizers', () => {
    expectViolation({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { ...meta('model'), finalizers: ['a/b', 'a/b'] } }, 'list-type', '/metadata/finalizers/1');
  });

  test('list-type map: duplicate container ports (containerPort, protocol)', () => {
    const d = deployment();
    (d.spec.template.spec.containers[0] as any).ports = [
      { containerPort: 8080, protocol: 'TCP', name: 'http' },
      { containerPort: 8080, protocol: 'TCP', name: 'http2' },
    ];
    expectViolation(d, 'list-type', '/spec/template/spec/containers/0/ports/1', /containerPort, protocol/);
  });

  test('Istio webhook: empty string in principals', () => {
    expectViolation(ap({ selector, rules: [{ from: [{ source: { principals: [PRINCIPAL, ''] } }] }] }), 'istio-webhook', '/spec/rules/0/from/0/source/principals/1', 'empty value not allowed, found in Principals');
  });

  test('Istio webhook: empty string in every other from/to/when list', () => {
    const lists = {
      from: ['notPrincipals', 'requestPrincipals', 'notRequestPrincipals', 'namespaces', 'notNamespaces', 'ipBlocks', 'notIpBlocks', 'remoteIpBlocks', 'notRemoteIpBlocks'],
      to: ['hosts', 'notHosts', 'ports', 'notPorts', 'methods', 'notMethods', 'paths', 'notPaths'],
    };
    for (const f of lists.from) expectViolation(ap({ selector, rules: [{ from: [{ source: { [f]: [''] } }] }] }), 'istio-webhook', `/spec/rules/0/from/0/source/${f}/0`);
    for (const t of lists.to) expectViolation(ap({ selector, rules: [{ to: [{ operation: { [t]: [''] } }] }] }), 'istio-webhook', `/spec/rules/0/to/0/operation/${t}/0`);
    expectViolation(ap({ selector, rules: [{ when: [{ key: 'request.auth.claims[roles]', values: ['a', ''] }] }] }), 'istio-webhook', '/spec/rules/0/when/0/values/1');
    expectViolation(ap({ selector, rules: [{ when: [{ key: 'request.auth.claims[roles]', notValues: [''] }] }] }), 'istio-webhook', '/spec/rules/0/when/0/notValues/0');
  });

  test('Istio webhook: unknown when key', () => {
    expectViolation(ap({ selector, rules: [{ when: [{ key: 'request.auth.claim[roles]', values: ['x'] }] }] }), 'istio-webhook', '/spec/rules/0/when/0/values', 'unknown attribute: request.auth.claim[roles]');
    expectViolation(ap({ selector, rules: [{ when: [{ key: 'request.auth.claims', values: ['x'] }] }] }), 'istio-webhook', undefined, 'should have format a[b]');
    expectViolation(ap({ selector, rules: [{ when: [{ key: 'destination.labels[app]', values: ['x'] }] }] }), 'istio-webhook', undefined, 'replaced by the workload selector');
  });

  test('Istio webhook: when without values or notValues', () => {
    expectViolation(ap({ selector, rules: [{ when: [{ key: 'request.auth.claims[roles]' }] }] }), 'istio-webhook', '/spec/rules/0/when/0', 'at least one of `values` or `notValues`');
  });

  test('Istio webhook: bad IPs and ports', () => {
    expectViolation(ap({ selector, rules: [{ from: [{ source: { ipBlocks: ['10.0.0.256'] } }] }] }), 'istio-webhook', '/spec/rules/0/from/0/source/ipBlocks/0', 'bad IP address');
    expectViolation(ap({ selector, rules: [{ from: [{ source: { ipBlocks: ['10.0.0.0/33'] } }] }] }), 'istio-webhook', '/spec/rules/0/from/0/source/ipBlocks/0', 'bad CIDR range');
    expectViolation(ap({ selector, rules: [{ to: [{ operation: { ports: ['http'] } }] }] }), 'istio-webhook', '/spec/rules/0/to/0/operation/ports/0', 'bad port');
  });

  test('Istio webhook: CUSTOM action needs a provider and no identity fields', () => {
    expectViolation(ap({ selector, action: 'CUSTOM', rules: [{}] }), 'istio-webhook', '/spec/provider', '`provider.name` must not be empty');
    const custom = ap({
      selector,
      action: 'CUSTOM',
      provider: { name: 'ext-authz' },
      rules: [{ from: [{ source: { requestPrincipals: ['*'] } }], when: [{ key: 'request.auth.claims[iss]', values: ['x'] }] }],
    });
    expectViolation(custom, 'istio-webhook', '/spec/rules/0/from/0/source/requestPrincipals', 'not supported with CUSTOM action');
    expectViolation(custom, 'istio-webhook', '/spec/rules/0/when/0/key', 'request.auth.claims[iss] is currently not supported with CUSTOM action');
  });

  test('Istio webhook: provider on a non-CUSTOM action, DENY without rules', () => {
    expectViolation(ap({ selector, action: 'DENY', provider: { name: 'x' }, rules: [{}] }), 'istio-webhook', '/spec/provider', 'must not be with non CUSTOM action');
    expectViolation(ap({ selector, action: 'DENY' }), 'istio-webhook', '/spec/rules', 'DENY action without `rules`');
  });

  test('Istio webhook: empty from.source and to.operation', () => {
    expectViolation(ap({ selector, rules: [{ from: [{ source: {} }] }] }), 'istio-webhook', '/spec/rules/0/from/0/source', '`from.source` must not be empty');
    expectViolation(ap({ selector, rules: [{ to: [{ operation: {} }] }] }), 'istio-webhook', '/spec/rules/0/to/0/operation', '`to.operation` must not be empty');
  });

  test('Istio webhook: RequestAuthentication jwtRules', () => {
    const ra = (rule: object) => ({ apiVersion: 'security.istio.io/v1', kind: 'RequestAuthentication', metadata: meta('ra'), spec: { selector, jwtRules: [rule] } });
    const issuer = 'https://login.microsoftonline.com/tid/v2.0';
    expectViolation(ra({ issuer, outputClaimToHeaders: [{ header: 'x caller', claim: 'oid' }] }), 'istio-webhook', '/spec/jwtRules/0/outputClaimToHeaders/0/header');
    expectViolation(ra({ issuer, outputClaimToHeaders: [{ header: 'x-caller', claim: '' }] }), 'istio-webhook', '/spec/jwtRules/0/outputClaimToHeaders/0');
    expectViolation(ra({ issuer, jwksUri: 'ftp://keys.example.com/keys' }), 'istio-webhook', '/spec/jwtRules/0/jwksUri', 'not supported');
    expectViolation(ra({ issuer, fromHeaders: [{ name: '' }] }), 'istio-webhook', '/spec/jwtRules/0/fromHeaders/0/name');
    expectViolation(ra({ issuer, audiences: [''] }), 'istio-webhook', '/spec/jwtRules/0/audiences/0');
  });

  test('Istio webhook: RequestAuthentication timeout must have millisecond precision', () => {
    const ra = (timeout: string) => ({
      apiVersion: 'security.istio.io/v1',
      kind: 'RequestAuthentication',
      metadata: meta('ra'),
      spec: { selector, jwtRules: [{ issuer: 'https://login.microsoftonline.com/tid/v2.0', timeout }] },
    });
    // CEL (duration(self) >= duration('1ms')) accepts 1500us; agent.ValidateDuration does not.
    expect(violations(ra('1500us')).filter((x) => x.rule === 'cel')).toEqual([]);
    expectViolation(ra('1500us'), 'istio-webhook', '/spec/jwtRules/0/timeout', 'only durations to ms precision are supported');
    expectValid(ra('1m30s'));
  });

  test('Azure Service Operator: RoleAssignment with an invalid principalType', () => {
    expectViolation(
      {
        apiVersion: 'authorization.azure.com/v1api20220401',
        kind: 'RoleAssignment',
        metadata: meta('6f9b1c2e-1111-5222-8333-444444444444'),
        spec: {
          owner: { armId: '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg' },
          principalId: 'fedcba98-7654-4321-8fed-cba987654321',
          principalType: 'Application',
          roleDefinitionReference: { armId: '/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/f6c7c914-8db3-469d-8ca1-694a8f32e121' },
        },
      },
      'schema',
      '/spec/principalType',
      /allowed values/,
    );
  });

  test('core: Deployment with an unknown field', () => {
    expectViolation(deployment({ replica: 3 }), 'schema', '/spec/replica', 'unknown field "replica"');
  });

  test('core: Service with a non-numeric port', () => {
    expectViolation(
      { apiVersion: 'v1', kind: 'Service', metadata: meta('model'), spec: { selector: { app: 'model' }, ports: [{ port: 'abc', targetPort: 8080 }] } },
      'schema',
      '/spec/ports/0/port',
      /must be integer/,
    );
  });

  test('core: invalid names, labels and port ranges', () => {
    expectViolation({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('Model_SA') }, 'schema', '/metadata/name', /RFC 1123 subdomain/);
    expectViolation({ apiVersion: 'v1', kind: 'Service', metadata: meta('1model'), spec: { ports: [{ port: 80 }] } }, 'schema', '/metadata/name', /DNS-1035/);
    expectViolation({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { ...meta('sa'), labels: { app: 'x'.repeat(64) } } }, 'schema', '/metadata/labels/app', /63 characters/);
    expectViolation({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa', namespace: 'ML' } }, 'schema', '/metadata/namespace');
    expectViolation({ apiVersion: 'v1', kind: 'Service', metadata: meta('model'), spec: { ports: [{ port: 70000 }] } }, 'schema', '/spec/ports/0/port');
  });

  test('unknown apiVersion/kind', () => {
    expectViolation({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: meta('w') }, 'unknown-kind', '/');
    expectViolation({ apiVersion: 'security.istio.io/v2', kind: 'AuthorizationPolicy', metadata: meta('w') }, 'unknown-kind', '/');
    expectViolation({ kind: 'Thing' }, 'unknown-kind', '/');
  });

  test('validateAll: VirtualService subset missing from the DestinationRules', () => {
    const vs = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: meta('vs'),
      spec: { hosts: ['model'], http: [{ route: [{ destination: { host: 'model', subset: 'v2' } }] }] },
    };
    const dr = { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: meta('dr'), spec: { host: 'model', subsets: [{ name: 'v1', labels: { version: 'v1' } }] } };
    const found = v().validateAll([vs, dr]);
    expect(found).toEqual([expect.objectContaining({ rule: 'istio-webhook', path: '/spec/http/0/route/0/destination/subset' })]);
  });

  test('missing schemas directory: the error names the expected path', () => {
    const saved = process.env.SCHEMAS_DIR;
    process.env.SCHEMAS_DIR = '/nonexistent/conformance-schemas';
    try {
      expect(() => ConformanceValidator.load()).toThrow(
        /expected the directory \/nonexistent\/conformance-schemas\. the repository vendors them at .*schemas .*or SCHEMAS_DIR must point at them/,
      );
    } finally {
      if (saved === undefined) delete process.env.SCHEMAS_DIR;
      else process.env.SCHEMAS_DIR = saved;
    }
    expect(() => ConformanceValidator.load('/nonexistent/explicit')).toThrow(/expected the directory \/nonexistent\/explicit\./);
    expect(resolveSchemasDir('/x/y')).toBe('/x/y');
  });
});

describe('ConformanceValidator accepts correct objects', () => {
  const ISSUER = 'https://login.microsoftonline.com/00000000-1111-4222-8333-444444444444/v2.0';
  const cases: Array<[string, object]> = [
    [
      'Istio AuthorizationPolicy',
      ap({
        selector,
        action: 'ALLOW',
        rules: [
          {
            from: [{ source: { principals: [PRINCIPAL], requestPrincipals: [`${ISSUER}/*`] } }],
            to: [{ operation: { methods: ['POST'], paths: ['/score', '/v2/models/{*}/infer'], ports: ['8080'] } }],
            when: [
              { key: 'request.auth.claims[roles]', values: ['Model.Invoke'] },
              { key: 'source.ip', notValues: ['10.0.0.0/8', '2001:db8::/32'] },
            ],
          },
        ],
      }),
    ],
    ['Istio AuthorizationPolicy DENY without request principal', ap({ selector, action: 'DENY', rules: [{ from: [{ source: { notRequestPrincipals: ['*'] } }] }] })],
    [
      'Istio RequestAuthentication with jwtRules',
      {
        apiVersion: 'security.istio.io/v1',
        kind: 'RequestAuthentication',
        metadata: meta('ra'),
        spec: {
          selector,
          jwtRules: [
            {
              issuer: ISSUER,
              jwksUri: 'https://login.microsoftonline.com/00000000-1111-4222-8333-444444444444/discovery/v2.0/keys',
              audiences: ['api://model'],
              forwardOriginalToken: true,
              fromHeaders: [{ name: 'Authorization', prefix: 'Bearer ' }],
              outputClaimToHeaders: [{ header: 'x-caller-oid', claim: 'oid' }],
              timeout: '1500ms',
            },
          ],
        },
      },
    ],
    ['Istio PeerAuthentication STRICT', { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: meta('pa'), spec: { selector, mtls: { mode: 'STRICT' } } }],
    [
      'Istio Telemetry with accessLogging',
      {
        apiVersion: 'telemetry.istio.io/v1',
        kind: 'Telemetry',
        metadata: meta('tel'),
        spec: { selector, accessLogging: [{ providers: [{ name: 'envoy' }], filter: { expression: 'response.code >= 400' } }] },
      },
    ],
    [
      'Istio DestinationRule with subsets',
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: meta('dr'),
        spec: {
          host: 'model.ml.svc.cluster.local',
          trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' }, connectionPool: { http: { http2MaxRequests: 100 } }, outlierDetection: { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s' } },
          subsets: [
            { name: 'v1', labels: { version: 'v1' } },
            { name: 'v2', labels: { version: 'v2' } },
          ],
          exportTo: ['.'],
        },
      },
    ],
    [
      'Istio VirtualService with weighted route',
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: meta('vs'),
        spec: {
          hosts: ['model.ml.svc.cluster.local'],
          http: [
            {
              match: [{ uri: { prefix: '/score' } }],
              route: [
                { destination: { host: 'model.ml.svc.cluster.local', subset: 'v1', port: { number: 8080 } }, weight: 90 },
                { destination: { host: 'model.ml.svc.cluster.local', subset: 'v2', port: { number: 8080 } }, weight: 10 },
              ],
              timeout: '30s',
              retries: { attempts: 2, perTryTimeout: '10s', retryOn: '5xx,reset' },
            },
          ],
          exportTo: ['.'],
        },
      },
    ],
    [
      'Istio ServiceEntry for an exact FQDN',
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'ServiceEntry',
        metadata: meta('entra'),
        spec: { hosts: ['login.microsoftonline.com'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }], resolution: 'DNS', location: 'MESH_EXTERNAL', exportTo: ['.'] },
      },
    ],
    [
      'Istio Sidecar REGISTRY_ONLY',
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'Sidecar',
        metadata: meta('default'),
        spec: { egress: [{ hosts: ['./*', 'istio-system/*'] }], outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } },
      },
    ],
    ['k8s Deployment', deployment()],
    [
      'k8s Service',
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { ...meta('model'), labels: { 'app.kubernetes.io/name': 'model' } },
        spec: { selector: { app: 'model' }, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP', appProtocol: 'http' }] },
      },
    ],
    [
      'k8s ServiceAccount',
      {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { ...meta('model'), annotations: { 'azure.workload.identity/client-id': 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee' }, labels: { 'azure.workload.identity/use': 'true' } },
        automountServiceAccountToken: false,
      },
    ],
    [
      'k8s NetworkPolicy',
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: meta('model'),
        spec: {
          podSelector: { matchLabels: { app: 'model' } },
          policyTypes: ['Ingress'],
          ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'edge' } } }], ports: [{ port: 8080, protocol: 'TCP' }] }],
        },
      },
    ],
    [
      'k8s Ingress',
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { ...meta('model'), annotations: { 'nginx.ingress.kubernetes.io/service-upstream': 'true', 'nginx.ingress.kubernetes.io/ssl-redirect': 'true' } },
        spec: {
          ingressClassName: 'nginx',
          tls: [{ hosts: ['model.example.com'], secretName: 'model-tls' }],
          rules: [{ host: 'model.example.com', http: { paths: [{ path: '/score', pathType: 'Prefix', backend: { service: { name: 'model', port: { number: 80 } } } }] } }],
        },
      },
    ],
    [
      'F5 NGINX VirtualServer',
      {
        apiVersion: 'k8s.nginx.org/v1',
        kind: 'VirtualServer',
        metadata: meta('model'),
        spec: {
          host: 'model.example.com',
          tls: { secret: 'model-tls', redirect: { enable: true, code: 301 } },
          policies: [{ name: 'allow-corp' }],
          upstreams: [{ name: 'model', service: 'model', port: 80, 'use-cluster-ip': true }],
          routes: [{ path: '/score', action: { pass: 'model' } }],
        },
      },
    ],
    [
      'F5 NGINX Policy',
      { apiVersion: 'k8s.nginx.org/v1', kind: 'Policy', metadata: meta('allow-corp'), spec: { accessControl: { allow: ['10.0.0.0/8'] } } },
    ],
    [
      'Gateway API HTTPRoute',
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: meta('model'),
        spec: {
          parentRefs: [{ name: 'edge', namespace: 'edge', sectionName: 'https' }],
          hostnames: ['model.example.com'],
          rules: [
            {
              matches: [{ path: { type: 'PathPrefix', value: '/score' }, method: 'POST' }],
              filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-route', value: 'model' }], remove: ['x-debug'] } }],
              backendRefs: [{ name: 'model', port: 80, weight: 1 }],
              timeouts: { request: '30s' },
            },
          ],
        },
      },
    ],
    [
      'ASO UserAssignedIdentity',
      {
        apiVersion: 'managedidentity.azure.com/v1api20230131',
        kind: 'UserAssignedIdentity',
        metadata: meta('model-identity'),
        spec: { location: 'westeurope', owner: { name: 'ml-rg' }, operatorSpec: { configMaps: { principalId: { name: 'model-identity', key: 'principalId' } } } },
      },
    ],
    [
      'ASO FederatedIdentityCredential',
      {
        apiVersion: 'managedidentity.azure.com/v1api20230131',
        kind: 'FederatedIdentityCredential',
        metadata: meta('model-fic'),
        spec: { owner: { name: 'model-identity' }, audiences: ['api://AzureADTokenExchange'], issuer: 'https://oidc.prod-aks.azure.com/tenant/cluster/', subject: 'system:serviceaccount:ml:model' },
      },
    ],
    [
      'ASO RoleAssignment',
      {
        apiVersion: 'authorization.azure.com/v1api20220401',
        kind: 'RoleAssignment',
        metadata: meta('6f9b1c2e-1111-5222-8333-444444444444'),
        spec: {
          owner: { armId: '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/onlineEndpoints/ep' },
          principalIdFromConfig: { name: 'model-identity', key: 'principalId' },
          principalType: 'ServicePrincipal',
          roleDefinitionReference: { armId: '/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/f6c7c914-8db3-469d-8ca1-694a8f32e121' },
        },
      },
    ],
    [
      'Secrets Store CSI SecretProviderClass',
      {
        apiVersion: 'secrets-store.csi.x-k8s.io/v1',
        kind: 'SecretProviderClass',
        metadata: meta('kv'),
        spec: { provider: 'azure', parameters: { keyvaultName: 'kv', tenantId: '00000000-1111-4222-8333-444444444444', clientID: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee' } },
      },
    ],
  ];

  test.each(cases)('%s', (_name, obj) => expectValid(obj));

  test('validateAll accepts a VirtualService whose subsets are defined', () => {
    const vs = cases.find(([n]) => n.startsWith('Istio VirtualService'))![1];
    const dr = cases.find(([n]) => n.startsWith('Istio DestinationRule'))![1];
    expect(v().validateAll([vs, dr])).toEqual([]);
  });
});
