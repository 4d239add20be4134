/**
 * The lint rules one by one, over objects in memory: how Istio attaches
 * policies (selector, namespace-wide, root namespace, targetRefs), PeerAuthentication
 * precedence, what counts as a deny-without-token policy, and the foreign
 * shapes (Kubeflow, KServe, F5 NGINX, NGINX Gateway Fabric) the rules must read.
 */
import { ManifestSet } from '../../lib/access/manifests';
import { LintFinding, LintOptions, formatFieldPath, isEntraIssuer, lint } from '../../lib/cli/lint';
import { main } from '../../lib/cli/main';

const TID = '00000000-1111-4222-8333-444444444444';
const ISSUER = `https://login.microsoftonline.com/${TID}/v2.0`;
const JWT = { issuer: ISSUER, jwksUri: `https://login.microsoftonline.com/${TID}/discovery/v2.0/keys`, audiences: ['api://model'] };
const APP: Record<string, string> = { app: 'model' };

const ns = (name: string, labels: Record<string, string> = { 'istio-injection': 'enabled' }) =>
  ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
const deployment = (namespace: string, labels: Record<string, string> = APP, annotations?: Record<string, string>, name = 'model') => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace },
  spec: { selector: { matchLabels: labels }, template: { metadata: { labels, ...(annotations ? { annotations } : {}) }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
});
const sec = (kind: string, namespace: string, name: string, spec: Record<string, unknown>) =>
  ({ apiVersion: 'security.istio.io/v1', kind, metadata: { name, namespace }, spec });
const selector = (labels: Record<string, string> = APP) => ({ selector: { matchLabels: labels } });
const ra = (namespace: string, attach: Record<string, unknown> = selector(), name = 'model') => sec('RequestAuthentication', namespace, name, { ...attach, jwtRules: [JWT] });
const denyNoToken = (namespace: string, attach: Record<string, unknown> = selector(), name = 'deny', extra: Record<string, unknown> = {}) =>
  sec('AuthorizationPolicy', namespace, name, { ...attach, action: 'DENY', rules: [{ from: [{ source: { notRequestPrincipals: ['*'] } }], ...extra }] });
const allow = (namespace: string, attach: Record<string, unknown> = selector(), name = 'allow') =>
  sec('AuthorizationPolicy', namespace, name, { ...attach, action: 'ALLOW', rules: [{ from: [{ source: { requestPrincipals: [`${ISSUER}/*`] } }] }] });
const pa = (namespace: string, mode: string | undefined, attach: Record<string, unknown> = selector(), name = 'model', extra: Record<string, unknown> = {}) =>
  sec('PeerAuthentication', namespace, name, { ...attach, ...(mode ? { mtls: { mode } } : {}), ...extra });

/** A complete, clean endpoint in `namespace`. */
const endpoint = (namespace = 'ml') => [ns(namespace), deployment(namespace), pa(namespace, 'STRICT'), ra(namespace), denyNoToken(namespace), allow(namespace)];

function findings(objects: unknown[], options?: LintOptions): LintFinding[] {
  return lint(ManifestSet.fromObjects(objects), options);
}
const ids = (objects: unknown[], options?: LintOptions) => findings(objects, options).map((f) => f.ruleId);

test('a complete endpoint is clean', () => {
  expect(findings(endpoint())).toEqual([]);
});

describe('request-authentication-without-deny', () => {
  // https://istio.io/latest/docs/reference/config/security/authorization-policy/
  // "If there are any DENY policies that match the request, deny the request."
  // https://istio.io/latest/docs/reference/config/security/request_authentication/
  // "A request that does not contain any authentication credentials will be accepted but will not have any authenticated identity."
  test('fails without a DENY policy, naming the workloads', () => {
    const [f] = findings(endpoint().filter((o) => o.metadata.name !== 'deny'));
    expect(f).toMatchObject({ ruleId: 'request-authentication-without-deny', object: 'RequestAuthentication ml/model', field: 'spec.selector.matchLabels' });
    expect(f.message).toContain('Deployment ml/model');
  });

  test('a namespace-wide DENY, or one in the root namespace, covers the workload', () => {
    const base = endpoint().filter((o) => o.metadata.name !== 'deny');
    expect(ids([...base, denyNoToken('ml', {})])).toEqual([]);
    expect(ids([...base, denyNoToken('istio-system', {})])).toEqual([]);
    // a root-namespace policy with a selector applies to matching pods of every namespace
    expect(ids([...base, denyNoToken('aks-istio-system', selector())])).toEqual([]);
  });

  test('a DENY in another namespace, or for other pods, does not', () => {
    const base = endpoint().filter((o) => o.metadata.name !== 'deny');
    expect(ids([...base, denyNoToken('other', {})])).toEqual(['request-authentication-without-deny']);
    expect(ids([...base, denyNoToken('ml', selector({ app: 'other' }))])).toEqual(['request-authentication-without-deny']);
  });

  test('a DENY restricted to some paths or conditions does not count; one with only not* exceptions does', () => {
    const base = endpoint().filter((o) => o.metadata.name !== 'deny');
    const partial = findings([...base, denyNoToken('ml', selector(), 'deny', { to: [{ operation: { paths: ['/score'] } }] })]);
    expect(partial.map((f) => f.ruleId)).toEqual(['request-authentication-without-deny']);
    expect(partial[0].message).toContain('AuthorizationPolicy ml/deny denies requests without a token only on some operations');
    expect(ids([...base, denyNoToken('ml', selector(), 'deny', { when: [{ key: 'request.headers[x]', values: ['y'] }] })])).toEqual(['request-authentication-without-deny']);
    expect(ids([...base, denyNoToken('ml', selector(), 'deny', { to: [{ operation: { notPorts: ['80'], notPaths: ['/oauth2/*'] } }] })])).toEqual([]);
  });

  test('with no workload in the set, the selectors are compared: a DENY whose selector is a subset covers', () => {
    const objs = [ns('ml'), pa('ml', 'STRICT', selector({ app: 'model', tier: 'a' })), ra('ml', selector({ app: 'model', tier: 'a' })), allow('ml', selector({ app: 'model', tier: 'a' }))];
    expect(ids([...objs, denyNoToken('ml', selector({ app: 'model' }))])).toEqual([]);
    expect(ids([...objs, denyNoToken('ml', selector({ app: 'model', tier: 'b' }))])).toEqual(['request-authentication-without-deny']);
  });

  test('targetRefs: a Gateway\'s RequestAuthentication needs a DENY attached to the same Gateway (or its pods)', () => {
    const gw = { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'edge' }] };
    expect(ids([ra('ingress', gw), denyNoToken('ingress', gw, 'deny', { to: [{ operation: { notPorts: ['80'] } }] })])).toEqual([]);
    expect(ids([ra('ingress', gw), denyNoToken('ingress', selector({ 'gateway.networking.k8s.io/gateway-name': 'edge' }))])).toEqual([]);
    const [f] = findings([ra('ingress', gw), denyNoToken('ingress', { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'other' }] })]);
    expect(f).toMatchObject({ ruleId: 'request-authentication-without-deny', field: 'spec.targetRefs' });
    expect(f.message).toContain('Gateway ingress/edge');
  });
});

describe('jwtRules', () => {
  test.each([
    [`https://login.microsoftonline.com/${TID}/v2.0`, true],
    [`https://sts.windows.net/${TID}/`, true],
    [`https://login.microsoftonline.us/${TID}/v2.0`, true],
    [`https://login.partner.microsoftonline.cn/${TID}/v2.0`, true],
    [`https://sts.chinacloudapi.cn/${TID}/`, true],
    [`https://login.microsoftonline.com/${TID}/v2.0/`, false],
    [`https://sts.windows.net/${TID}`, false],
    ['https://login.microsoftonline.com/common/v2.0', false],
    ['https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0', false],
    [`http://login.microsoftonline.com/${TID}/v2.0`, false],
    [`https://westeurope.oic.prod-aks.azure.com/${TID}/1b2c3d4e-5f60-4a1b-9c2d-3e4f5a6b7c8d/`, false],
    ['http://dex.auth.svc.cluster.local:5556/dex', false],
  ])('isEntraIssuer(%s) is %s', (issuer, expected) => {
    expect(isEntraIssuer(issuer)).toBe(expected);
  });

  test('empty audiences, a non-Entra issuer, an http JWKS URI and fromParams are each reported on their field', () => {
    const rule = { issuer: 'http://dex.auth.svc.cluster.local:5556/dex', jwksUri: 'http://dex.auth.svc.cluster.local:5556/dex/keys', audiences: [], fromParams: ['token'] };
    const objs = endpoint().map((o: any) => (o.kind === 'RequestAuthentication' ? { ...o, spec: { ...o.spec, jwtRules: [JWT, rule] } } : o));
    expect(findings(objs).map((f) => [f.ruleId, f.field])).toEqual([
      ['jwks-uri-not-https', 'spec.jwtRules[1].jwksUri'],
      ['jwt-issuer-not-entra', 'spec.jwtRules[1].issuer'],
      ['jwt-rule-without-audiences', 'spec.jwtRules[1].audiences'],
      ['token-from-query', 'spec.jwtRules[1].fromParams'],
    ]);
  });
});

describe('allow-matches-everyone', () => {
  test.each([
    ['rules: [{}]', [{}], 'spec.rules[0]'],
    ['a rule with only to', [{ to: [{ operation: { paths: ['/healthz'] } }] }], 'spec.rules[0]'],
    ['from: []', [{ from: [] }], 'spec.rules[0]'],
    ['from with an empty source', [{ from: [{ source: {} }] }], 'spec.rules[0].from[0].source'],
    ['from without a source', [{ from: [{}] }], 'spec.rules[0].from[0]'],
  ])('fails for %s', (_name, rules, field) => {
    const objs = [...endpoint(), sec('AuthorizationPolicy', 'ml', 'open', { ...selector(), rules })];
    expect(findings(objs).map((f) => [f.ruleId, f.object, f.field])).toEqual([['allow-matches-everyone', 'AuthorizationPolicy ml/open', field]]);
  });

  test('an ALLOW policy without rules (allow nothing), a rule with when, and DENY/CUSTOM rules are not reported', () => {
    // https://istio.io/latest/docs/reference/config/security/authorization-policy/
    // "The following example shows how to set up a policy to deny all requests to workloads in namespace foo" (an ALLOW policy with no rules)
    const objs = [
      ...endpoint(),
      sec('AuthorizationPolicy', 'ml', 'allow-nothing', {}),
      sec('AuthorizationPolicy', 'ml', 'claims', { ...selector(), rules: [{ when: [{ key: 'request.auth.claims[roles]', values: ['X'] }] }] }),
      sec('AuthorizationPolicy', 'ml', 'ext-authz', { ...selector(), action: 'CUSTOM', provider: { name: 'oauth2-proxy' }, rules: [{ to: [{ operation: { paths: ['/'] } }] }] }),
    ];
    expect(findings(objs)).toEqual([]);
  });
});

describe('allow-widens-endpoint', () => {
  // https://istio.io/latest/docs/reference/config/security/authorization-policy/
  // "If any of the ALLOW policies match the request, allow the request."
  const owner = (namespace: string) => sec('AuthorizationPolicy', namespace, 'ns-owner-access-istio', {
    rules: [{ when: [{ key: 'request.headers[kubeflow-userid]', values: ['alice@contoso.com'] }] }],
  });

  test('a namespace-wide ALLOW in the endpoint\'s namespace widens it; one in another namespace does not', () => {
    const [f] = findings([...endpoint(), owner('ml')]);
    expect(f).toMatchObject({ ruleId: 'allow-widens-endpoint', object: 'AuthorizationPolicy ml/ns-owner-access-istio', field: 'spec.rules' });
    expect(f.message).toContain('AuthorizationPolicy ml/allow');
    expect(ids([...endpoint(), owner('other')])).toEqual([]);
  });

  test('a mesh-wide ALLOW (root namespace, no selector) widens every endpoint; --root-namespace says which namespace is the root', () => {
    expect(ids([...endpoint(), owner('istio-system')])).toEqual(['allow-widens-endpoint']);
    expect(ids([...endpoint(), owner('mesh-root')])).toEqual([]);
    expect(ids([...endpoint(), owner('mesh-root')], { rootNamespaces: ['mesh-root'] })).toEqual(['allow-widens-endpoint']);
  });
});

describe('workload-not-in-mesh', () => {
  test('a pod template opting out by label or annotation', () => {
    const byLabel = endpoint().map((o) => (o.kind === 'Deployment' ? deployment('ml', { ...APP, 'sidecar.istio.io/inject': 'false' }) : o));
    expect(findings(byLabel).map((f) => [f.ruleId, f.field])).toEqual([['workload-not-in-mesh', 'spec.template.metadata.labels["sidecar.istio.io/inject"]']]);
    const byAnnotation = endpoint().map((o) => (o.kind === 'Deployment' ? deployment('ml', APP, { 'sidecar.istio.io/inject': 'false' }) : o));
    expect(findings(byAnnotation).map((f) => [f.ruleId, f.field])).toEqual([['workload-not-in-mesh', 'spec.template.metadata.annotations["sidecar.istio.io/inject"]']]);
  });

  test('a Namespace without an injection, revision or ambient label; pod-level enrolment counts', () => {
    const objs = (labels: Record<string, string>, podLabels = APP) => endpoint().map((o) => (o.kind === 'Namespace' ? ns('ml', labels) : o.kind === 'Deployment' ? deployment('ml', podLabels) : o));
    const [f] = findings(objs({}));
    expect(f).toMatchObject({ ruleId: 'workload-not-in-mesh', object: 'Namespace ml', field: 'metadata.labels' });
    expect(ids(objs({ 'istio-injection': 'disabled' }))).toEqual(['workload-not-in-mesh']);
    expect(ids(objs({ 'istio.io/rev': 'asm-1-28' }))).toEqual([]);
    expect(ids(objs({ 'istio.io/dataplane-mode': 'ambient' }))).toEqual([]);
    expect(ids(objs({}, { ...APP, 'sidecar.istio.io/inject': 'true' }))).toEqual([]);
  });

  test('a Kubeflow-style ingress gateway (sidecar.istio.io/inject: "false", gateway template) is not reported', () => {
    const gwLabels = { app: 'istio-ingressgateway', istio: 'ingressgateway' };
    const objs = [
      ns('istio-system', {}),
      deployment('istio-system', gwLabels, { 'sidecar.istio.io/inject': 'false', 'inject.istio.io/templates': 'gateway' }, 'istio-ingressgateway'),
      ra('istio-system', selector({ istio: 'ingressgateway' }), 'dex-jwt'),
      denyNoToken('istio-system', selector({ istio: 'ingressgateway' })),
    ];
    expect(findings(objs)).toEqual([]);
  });

  test('a pod opting out that no policy selects by selector is not reported', () => {
    expect(findings([...endpoint(), deployment('ml', { app: 'batch', 'sidecar.istio.io/inject': 'false' }, undefined, 'batch')])).toEqual([]);
  });
});

describe('mtls-not-strict', () => {
  // https://istio.io/latest/docs/reference/config/security/peer_authentication/
  // "Policies to allow both mTLS and plaintext traffic for all workloads under namespace foo, but require mTLS for workload finance."
  // "UNSET: Inherit from parent, if has one. Otherwise treated as PERMISSIVE."
  // "Note: PeerAuthentication policies with workload selectors are ignored when deployed in the root namespace."
  const without = endpoint().filter((o) => o.kind !== 'PeerAuthentication');

  test('workload > namespace > root: the most specific mode decides', () => {
    expect(ids([...without, pa('ml', 'PERMISSIVE', {}, 'default'), pa('ml', 'STRICT')])).toEqual([]);
    const [f] = findings([...without, pa('ml', 'STRICT', {}, 'default'), pa('ml', 'PERMISSIVE')]);
    expect(f).toMatchObject({ ruleId: 'mtls-not-strict', object: 'PeerAuthentication ml/model', field: 'spec.mtls.mode' });
    expect(ids([...without, pa('istio-system', 'STRICT', {}, 'default')])).toEqual([]);
    expect(ids([...without, pa('istio-system', 'STRICT', {}, 'default'), pa('ml', 'DISABLE', {}, 'default')])).toEqual(['mtls-not-strict']);
  });

  test('UNSET inherits from the namespace, then the root', () => {
    expect(ids([...without, pa('ml', 'UNSET'), pa('ml', 'STRICT', {}, 'default')])).toEqual([]);
    expect(ids([...without, pa('ml', undefined), pa('aks-istio-system', 'STRICT', {}, 'default')])).toEqual([]);
    expect(ids([...without, pa('ml', 'UNSET'), pa('ml', 'PERMISSIVE', {}, 'default')])).toEqual(['mtls-not-strict']);
  });

  test('a root-namespace PeerAuthentication with a selector is ignored', () => {
    const [f] = findings([...without, pa('istio-system', 'STRICT')]);
    expect(f).toMatchObject({ ruleId: 'mtls-not-strict', object: 'Deployment ml/model', field: 'spec.template.metadata.labels' });
    expect(f.message).toContain('no PeerAuthentication applies');
  });

  test('a port-level DISABLE on the workload\'s PeerAuthentication', () => {
    const [f] = findings([...without, pa('ml', 'STRICT', selector(), 'model', { portLevelMtls: { 8080: { mode: 'DISABLE' } } })]);
    expect(f).toMatchObject({ ruleId: 'mtls-not-strict', field: 'spec.portLevelMtls["8080"].mode' });
    expect(f.message).toContain('on port 8080');
  });
});

describe('nginx-snippet', () => {
  const obj = (apiVersion: string, kind: string, spec: unknown, annotations?: Record<string, string>) =>
    ({ apiVersion, kind, metadata: { name: 'x', namespace: 'ml', ...(annotations ? { annotations } : {}) }, spec });

  test.each([
    ['nginx.ingress.kubernetes.io/server-snippet'], ['nginx.ingress.kubernetes.io/auth-snippet'], ['nginx.ingress.kubernetes.io/stream-snippet'],
    ['nginx.org/server-snippets'], ['nginx.org/location-snippets'],
    // kinds of snippet by their name, not a closed list: one a controller adds later is caught too
    ['nginx.org/stream-snippets'], ['nginx.ingress.kubernetes.io/Custom-Snippet'],
  ])('the annotation %s', (key) => {
    const f = findings([obj('networking.k8s.io/v1', 'Ingress', {}, { [key]: 'return 200;' })]);
    expect(f.map((x) => [x.ruleId, x.field])).toEqual([['nginx-snippet', formatFieldPath(['metadata', 'annotations', key])]]);
  });

  test('an annotation of another tool that mentions snippets is not an NGINX snippet', () => {
    expect(findings([obj('networking.k8s.io/v1', 'Ingress', {}, { 'docs.example.com/snippet-url': 'https://example.com' })])).toEqual([]);
  });

  test('F5 VirtualServer, VirtualServerRoute and Policy snippet fields, and an NGINX Gateway Fabric SnippetsFilter', () => {
    const f = findings([
      obj('k8s.nginx.org/v1', 'VirtualServer', { 'server-snippets': 'a', 'http-snippets': 'b', 'routes': [{ 'path': '/', 'location-snippets': 'c' }] }),
      obj('k8s.nginx.org/v1', 'VirtualServerRoute', { subroutes: [{ 'path': '/', 'location-snippets': 'd' }] }),
      obj('k8s.nginx.org/v1', 'Policy', { externalAuth: { authURI: '/', authSnippets: 'e' } }),
      obj('gateway.nginx.org/v1alpha1', 'SnippetsFilter', { snippets: [{ context: 'http', value: 'f' }] }),
    ]);
    expect(f.map((x) => [x.object, x.field]).sort()).toEqual([
      ['Policy ml/x', 'spec.externalAuth.authSnippets'],
      ['SnippetsFilter ml/x', 'spec.snippets'],
      ['VirtualServer ml/x', 'spec.http-snippets'],
      ['VirtualServer ml/x', 'spec.routes[0].location-snippets'],
      ['VirtualServer ml/x', 'spec.server-snippets'],
      ['VirtualServerRoute ml/x', 'spec.subroutes[0].location-snippets'],
    ]);
  });

  test('F5 Policy jwt: a token from $arg_ and an http JWKS URI', () => {
    const f = findings([obj('k8s.nginx.org/v1', 'Policy', { jwt: { realm: 'r', token: '$arg_token', jwksURI: 'http://keys.example.com/keys' } })]);
    expect(f.map((x) => [x.ruleId, x.field])).toEqual([['jwks-uri-not-https', 'spec.jwt.jwksURI'], ['token-from-query', 'spec.jwt.token']]);
    expect(findings([obj('k8s.nginx.org/v1', 'Policy', { jwt: { realm: 'r', token: '$http_authorization', jwksURI: 'https://k/keys' } })])).toEqual([]);
  });
});

describe('ServiceEntry', () => {
  const se = (hosts: string[], exportTo?: string[]) => ({
    apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'egress', namespace: 'ml' },
    spec: { hosts, ...(exportTo ? { exportTo } : {}), location: 'MESH_EXTERNAL', resolution: 'DNS', ports: [{ name: 'https', number: 443, protocol: 'TLS' }] },
  });

  test('wildcards and short names are not exact hosts', () => {
    expect(findings([se(['*', 'login.microsoftonline.com', 'model', '*.blob.core.windows.net'], ['.'])]).map((f) => f.field))
      .toEqual(['spec.hosts[0]', 'spec.hosts[2]', 'spec.hosts[3]']);
  });

  test('exportTo wider than "." is a warning', () => {
    const [f] = findings([se(['login.microsoftonline.com'], ['*'])]);
    expect(f).toMatchObject({ ruleId: 'service-entry-export-wide', level: 'warning', field: 'spec.exportTo' });
    expect(findings([se(['login.microsoftonline.com'], ['.'])])).toEqual([]);
  });
});

describe('options', () => {
  test('disable skips a rule; an unknown rule id is an error', () => {
    const objs = endpoint().filter((o) => o.metadata.name !== 'deny');
    expect(ids(objs, { disable: ['request-authentication-without-deny'] })).toEqual([]);
    expect(() => ids(objs, { disable: ['no-such-rule'] })).toThrow(/unknown rule "no-such-rule" in disable; expected one of request-authentication-without-deny/);
  });

  test('findings are sorted and deterministic whatever the object order', () => {
    const objs = [...endpoint().filter((o) => o.kind !== 'PeerAuthentication' && o.metadata.name !== 'deny'), ...endpoint('ml2').filter((o) => o.kind !== 'PeerAuthentication')];
    const a = findings(objs);
    expect(a.length).toBe(3);
    expect(findings([...objs].reverse())).toEqual(a);
  });
});

describe('the lint command', () => {
  function run(args: string[]) {
    let out = '';
    let err = '';
    const code = main(args, { stdout: (t) => { out += t; }, stderr: (t) => { err += t; } });
    return { code, out, err };
  }

  test.each([
    [['lint'], /no manifest paths given/],
    [['lint', 'x', '--format', 'xml'], /--format must be one of text, json, sarif, got "xml"/],
    [['lint', 'x', '--disable', 'nope'], /--disable got unknown rule "nope"/],
    [['lint', 'x', '--frobnicate'], /Unknown option '--frobnicate'/],
    [['lint', 'does/not/exist.yaml'], /^cdk8s-azureml-mesh lint: does\/not\/exist\.yaml: no such file or folder\n$/],
    [['lint', 'x', '--root-namespace', 'Istio System'], /--root-namespace must be a namespace name \(a DNS label\), got "Istio System"/],
  ])('%j exits 2', (args, message) => {
    const res = run(args as string[]);
    expect(res.code).toBe(2);
    expect(res.out).toBe('');
    expect(res.err).toMatch(message as RegExp);
  });

  test('--help lists every rule', () => {
    const res = run(['lint', '--help']);
    expect(res.code).toBe(0);
    expect(res.out).toContain('usage: cdk8s-azureml-mesh lint PATH...');
    expect(res.out).toMatch(/allow-widens-endpoint\s+error\s+a namespace-wide/);
    expect(res.out).toMatch(/service-entry-export-wide\s+warning/);
  });
});

describe('field lines', () => {
  test('objects flattened out of a List (kubectl get -o yaml) and JSON files point at the field of their item', () => {
    const fs = require('node:fs') as typeof import('node:fs');
    const os = require('node:os') as typeof import('node:os');
    const path = require('node:path') as typeof import('node:path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lint-lines-'));
    const se = (name: string, host: string) => ({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name, namespace: 'ml' }, spec: { hosts: [host], exportTo: ['.'] } });
    const list = { apiVersion: 'v1', kind: 'List', items: [se('a', 'login.microsoftonline.com'), se('b', '*.example.com')] };
    fs.writeFileSync(path.join(dir, 'list.json'), JSON.stringify(list, null, 2));
    const [f] = lint(ManifestSet.load([dir]));
    const lines = fs.readFileSync(path.join(dir, 'list.json'), 'utf8').split('\n');
    fs.rmSync(dir, { recursive: true, force: true });
    expect(f).toMatchObject({ ruleId: 'service-entry-host-not-exact', object: 'ServiceEntry ml/b', field: 'spec.hosts[0]' });
    expect(lines[f.line - 1].trim()).toBe('"*.example.com"');
  });
});
