/**
 * Istio's evaluation rules as `explain` implements them, one rule per test,
 * each over small hand-written manifests, citing the reference text it pins.
 */
import { ExplainRequest, ExplainError, explain, formatExplainResult } from '../../lib/access/explain';
import { matchRequestPrincipal, matchValue } from '../../lib/access/explain-istio';
import { ManifestSet } from '../../lib/access/manifests';

const AP_DOC = 'https://istio.io/latest/docs/reference/config/security/authorization-policy/';
const RA_DOC = 'https://istio.io/latest/docs/reference/config/security/request_authentication/';
const PA_DOC = 'https://istio.io/latest/docs/reference/config/security/peer_authentication/';
const COND_DOC = 'https://istio.io/latest/docs/reference/config/security/conditions/';
void [AP_DOC, RA_DOC, PA_DOC, COND_DOC];

const ISS = 'https://issuer.example.com';
const BASE = `
apiVersion: v1
kind: Namespace
metadata: { name: foo, labels: { istio-injection: enabled } }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: httpbin, namespace: foo }
spec:
  selector: { matchLabels: { app: httpbin } }
  template:
    metadata: { labels: { app: httpbin, version: v1 } }
    spec:
      serviceAccountName: httpbin
      containers: [{ name: httpbin, image: httpbin, ports: [{ name: http, containerPort: 8080 }] }]
---
apiVersion: v1
kind: Service
metadata: { name: httpbin, namespace: foo }
spec:
  selector: { app: httpbin }
  ports: [{ name: http, port: 8000, targetPort: http }]
`;

const RA = `
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: { name: jwt, namespace: foo }
spec:
  selector: { matchLabels: { app: httpbin } }
  jwtRules:
  - issuer: ${ISS}
    audiences: [api]
`;

function set(...docs: string[]): ManifestSet {
  return ManifestSet.parse([BASE, ...docs].join('\n---\n'));
}

function ap(name: string, spec: string, namespace = 'foo', annotations = ''): string {
  return `apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: { name: ${name}, namespace: ${namespace}${annotations} }\nspec:\n${spec.replace(/^/gm, '  ')}`;
}

const PEER = 'cluster.local/ns/sleep/sa/sleep';
const base: ExplainRequest = { to: { namespace: 'foo', service: 'httpbin' }, method: 'GET', path: '/headers', principal: PEER };
const tok = (claims: Record<string, unknown> = {}) => ({ claims: { iss: ISS, sub: 'alice', aud: 'api', ...claims } });

describe('AuthorizationPolicy evaluation order', () => {
  // AP_DOC: "If there are no ALLOW policies for the workload, allow the request."
  test('no ALLOW policy: allowed', () => {
    const r = explain(set(), base);
    expect(r.verdict).toBe('ALLOW');
    expect(r.decidedBy).toBeUndefined();
  });

  // AP_DOC: "If there are any DENY policies that match the request, deny the request."
  test('a matching DENY wins over a matching ALLOW', () => {
    const r = explain(set(ap('allow-all', 'rules: [{}]'), ap('deny-get', 'action: DENY\nrules: [{ to: [{ operation: { methods: [GET] } }] }]')), base);
    expect(r.verdict).toBe('DENY');
    expect(r.status).toBe(403);
    expect(r.decidedBy).toEqual({ policy: 'AuthorizationPolicy foo/deny-get', action: 'DENY', rule: 0 });
    expect(r.reasons[0]).toMatch(/method `GET` is in `GET`/);
  });

  // AP_DOC: "If any of the ALLOW policies match the request, allow the request." / "Deny the request."
  test('ALLOW policies OR: one match allows, none denies', () => {
    const two = set(ap('a', 'rules: [{ to: [{ operation: { paths: ["/a"] } }] }]'), ap('b', 'rules: [{ to: [{ operation: { paths: ["/headers"] } }] }]'));
    expect(explain(two, base).decidedBy).toEqual({ policy: 'AuthorizationPolicy foo/b', action: 'ALLOW', rule: 0 });
    const r = explain(two, { ...base, path: '/ip' });
    expect(r.verdict).toBe('DENY');
    expect(r.reasons).toContain('path `/ip` not in `/a`');
  });

  // AP_DOC: "It allows nothing and effectively denies all requests to workloads in namespace `foo`." (spec: {})
  test('spec: {} allows nothing', () => {
    const r = explain(set(ap('allow-nothing', '{}')), base);
    expect(r.verdict).toBe('DENY');
    expect(r.reasons.join()).toMatch(/allow nothing/);
  });

  // AP_DOC: "The following authorization policy allows all requests to workloads in namespace `foo`." (rules: [{}])
  test('rules: [{}] allows everything, even plaintext without a token', () => {
    expect(explain(set(ap('allow-all', 'rules: [{}]')), { ...base, principal: undefined }).verdict).toBe('ALLOW');
  });

  // AP_DOC (rules): "If not set, the match will never occur." — a DENY without rules denies nothing
  test('DENY without rules matches nothing', () => {
    expect(explain(set(ap('deny-nothing', 'action: DENY')), base).verdict).toBe('ALLOW');
  });

  // AP_DOC: "AUDIT policies do not affect whether requests are allowed or denied to the workload."
  test('AUDIT is ignored', () => {
    expect(explain(set(ap('audit', 'action: AUDIT\nrules: [{}]')), base).verdict).toBe('ALLOW');
  });

  // AP_DOC: "If there are any CUSTOM policies that match the request, evaluate and deny the request if the evaluation result is deny."
  test('CUSTOM is evaluated first; its external decision is assumed to allow unless told otherwise', () => {
    const s = set(ap('ext', 'action: CUSTOM\nprovider: { name: my-authz }\nrules: [{ to: [{ operation: { paths: ["/headers"] } }] }]'));
    const allowed = explain(s, base);
    expect(allowed.verdict).toBe('ALLOW');
    expect(allowed.trace.join('\n')).toMatch(/CUSTOM rule 0 matches: provider `my-authz` decides; assumed to allow/);
    const denied = explain(s, base, { custom: 'deny' });
    expect(denied.decidedBy).toEqual({ policy: 'AuthorizationPolicy foo/ext', action: 'CUSTOM', rule: 0 });
  });

  // https://istio.io/latest/docs/tasks/security/authorization/authz-dry-run/: the dry-run annotation "allows you to better
  // understand the effect of an authorization policy before applying it to the production traffic"
  test('a dry-run policy is not enforced', () => {
    expect(explain(set(ap('deny-all', 'action: DENY\nrules: [{}]', 'foo', ', annotations: { "istio.io/dry-run": "true" }')), base).verdict).toBe('ALLOW');
  });
});

describe('which policies apply', () => {
  // AP_DOC: "If the authorization policy is in the root namespace, the selector will additionally match with workloads in all namespaces."
  test('root-namespace policies apply mesh-wide, with or without a selector; other namespaces do not', () => {
    expect(explain(set(ap('deny', 'action: DENY\nrules: [{}]', 'istio-system')), base).verdict).toBe('DENY');
    expect(explain(set(ap('deny', 'action: DENY\nselector: { matchLabels: { version: v1 } }\nrules: [{}]', 'aks-istio-system')), base).verdict).toBe('DENY');
    expect(explain(set(ap('deny', 'action: DENY\nrules: [{}]', 'bar')), base).verdict).toBe('ALLOW');
    // a custom root namespace
    expect(explain(set(ap('deny', 'action: DENY\nrules: [{}]', 'mesh-root')), base, { rootNamespaces: ['mesh-root'] }).verdict).toBe('DENY');
  });

  // AP_DOC: "The selector will match with workloads in the same namespace as the authorization policy."
  test('a selector must be a subset of the pod labels', () => {
    expect(explain(set(ap('deny', 'action: DENY\nselector: { matchLabels: { app: httpbin, version: v2 } }\nrules: [{}]')), base).verdict).toBe('ALLOW');
    expect(explain(set(ap('deny', 'action: DENY\nselector: { matchLabels: { version: v1 } }\nrules: [{}]')), base).verdict).toBe('DENY');
  });

  // AP_DOC (targetRefs): "`kind: Gateway` with `group: gateway.networking.k8s.io` in the same namespace." — not a sidecar's
  test('a targetRefs policy does not apply to sidecars', () => {
    const s = set(ap('deny', 'action: DENY\ntargetRefs: [{ group: gateway.networking.k8s.io, kind: Gateway, name: web }]\nrules: [{}]'));
    expect(explain(s, base).verdict).toBe('ALLOW');
  });

  // AP_DOC (targetRefs): "`kind: Service` with `group: ""` or `group: "core"` in the same namespace. This type is only supported for waypoints."
  test('a targetRefs Service policy applies in an ambient namespace (its waypoint), not to sidecars', () => {
    const policy = ap('deny', 'action: DENY\ntargetRefs: [{ group: "", kind: Service, name: httpbin }]\nrules: [{}]');
    expect(explain(set(policy), base).verdict).toBe('ALLOW');
    const ambient = ManifestSet.parse(BASE.replace('labels: { istio-injection: enabled }', 'labels: { istio.io/dataplane-mode: ambient }') + '\n---\n' + policy);
    expect(explain(ambient, base).decidedBy).toEqual({ policy: 'AuthorizationPolicy foo/deny', action: 'DENY', rule: 0 });
  });

  test('pods outside the mesh enforce nothing', () => {
    const s = ManifestSet.parse(BASE.replace('labels: { istio-injection: enabled }', 'labels: {}') + '\n---\n' + ap('deny', 'action: DENY\nrules: [{}]'));
    const r = explain(s, base);
    expect(r.verdict).toBe('ALLOW');
    expect(r.reasons.join()).toMatch(/not enrolled in the mesh/);
  });
});

describe('rule matching', () => {
  // AP_DOC: "A match occurs when at least one source, one operation and all conditions matches the request."
  test('one source and one operation suffice; every condition is needed', () => {
    const s = set(RA, ap('allow', `rules:
- from: [{ source: { principals: [other] } }, { source: { principals: ["${PEER}"] } }]
  to: [{ operation: { methods: [POST] } }, { operation: { methods: [GET] } }]
  when:
  - { key: "request.auth.claims[roles]", values: [reader] }
  - { key: "request.auth.claims[tid]", values: [t1] }`));
    expect(explain(s, { ...base, token: tok({ roles: ['reader'], tid: 't1' }) }).verdict).toBe('ALLOW');
    const r = explain(s, { ...base, token: tok({ roles: ['reader'], tid: 't2' }) });
    expect(r.reasons).toContain('claim `tid` is `t2`, not `t1`');
  });

  // AP_DOC: "Source specifies the source identities of a request. Fields in the source are ANDed together."
  test('fields of a source are ANDed, values ORed', () => {
    const s = set(RA, ap('allow', `rules: [{ from: [{ source: { principals: ["${PEER}", x], requestPrincipals: ["${ISS}/bob"] } }] }]`));
    const r = explain(s, { ...base, token: tok() });
    expect(r.reasons).toEqual([`request principal \`${ISS}/alice\` is not in requestPrincipals \`${ISS}/bob\``, expect.stringMatching(/no ALLOW rule matches/)]);
  });

  // AP_DOC: "Exact match: `abc` will match on value `abc`." "Prefix match: `abc*` will match on value `abc` and `abcd`."
  // "Suffix match: `*abc` will match on value `abc` and `xabc`." "Presence match: `*` will match when value is not empty."
  test.each([
    ['abc', 'abc', true], ['abc', 'abcd', false], ['abc*', 'abc', true], ['abc*', 'abcd', true], ['abc*', 'xabc', false],
    ['*abc', 'abc', true], ['*abc', 'xabc', true], ['*abc', 'abcd', false], ['*', 'x', true], ['*', '', false],
  ])('pattern %s on %s: %s', (pattern, value, expected) => {
    expect(matchValue(pattern, value)).toBe(expected);
  });

  test('prefix and suffix paths, and not* fields', () => {
    const s = set(ap('allow', 'rules: [{ to: [{ operation: { paths: ["/api/*", "*.json"], notPaths: ["/api/admin*"] } }] }]'));
    expect(explain(s, { ...base, path: '/api/v1' }).verdict).toBe('ALLOW');
    expect(explain(s, { ...base, path: '/x/data.json' }).verdict).toBe('ALLOW');
    expect(explain(s, { ...base, path: '/api/admin/users' }).reasons).toContain('path `/api/admin/users` is excluded by notPaths `/api/admin*`');
  });

  // AP_DOC: paths are matched "as specified in the HTTP request" after normalization; the query is not part of the path
  test('paths are matched without the query string', () => {
    const s = set(ap('allow', 'rules: [{ to: [{ operation: { paths: ["/score"] } }] }]'));
    expect(explain(s, { ...base, path: '/score?debug=1' }).verdict).toBe('ALLOW');
  });

  // AP_DOC (hosts): "A list of hosts as specified in the HTTP request. The match is case-insensitive."
  test('hosts are case-insensitive; the default host is the Service\'s cluster host', () => {
    const s = set(ap('allow', 'rules: [{ to: [{ operation: { hosts: ["HTTPBIN.foo.svc.cluster.local", "*.Example.com"] } }] }]'));
    expect(explain(s, base).verdict).toBe('ALLOW');
    expect(explain(s, { ...base, host: 'api.example.COM' }).verdict).toBe('ALLOW');
    expect(explain(s, { ...base, host: 'evil.test' }).reasons[0]).toMatch(/host `evil\.test` not in/);
  });

  // AP_DOC (ports): "A list of ports as specified in the connection." — the workload's port, the Service's (named) target port
  test('ports are the workload\'s port, resolved from a named target port', () => {
    const s = set(ap('allow', 'rules: [{ to: [{ operation: { ports: ["8080"] } }] }]'));
    expect(explain(s, base).verdict).toBe('ALLOW');
    expect(explain(set(ap('allow', 'rules: [{ to: [{ operation: { ports: ["8000"] } }] }]')), base).reasons[0]).toBe('port `8080` not in `8000`');
  });

  // AP_DOC (namespaces): "A list of namespaces derived from the peer certificate. This field requires mTLS enabled"
  test('source namespaces come from the peer principal; plaintext has none', () => {
    const s = set(ap('allow', 'rules: [{ from: [{ source: { namespaces: ["sl*"] } }] }]'));
    expect(explain(s, base).verdict).toBe('ALLOW');
    expect(explain(s, { ...base, principal: undefined }).reasons[0]).toMatch(/^no mTLS: plaintext has no source namespace/);
    expect(explain(s, { ...base, principal: 'cluster.local/ns/other/sa/sleep' }).verdict).toBe('DENY');
  });

  test('serviceAccounts and ipBlocks', () => {
    const s = set(ap('allow', 'rules: [{ from: [{ source: { serviceAccounts: ["sleep/sleep"], ipBlocks: ["10.0.0.0/8"] } }] }]'));
    expect(explain(s, { ...base, sourceIp: '10.1.2.3' }).verdict).toBe('ALLOW');
    expect(explain(s, { ...base, sourceIp: '192.168.1.1' }).reasons[0]).toBe('source ip `192.168.1.1` is not in ipBlocks `10.0.0.0/8`');
    expect(explain(s, { ...base, principal: 'cluster.local/ns/sleep/sa/sleeper', sourceIp: '10.1.2.3' }).verdict).toBe('DENY');
  });

  // https://istio.io/latest/docs/tasks/security/authorization/authz-jwt/: "An Istio authorization policy supports both
  // string typed and list-of-string typed JWT claims." Nested claims: istio/istio pilot/pkg/security/authz/model/generator.go
  // (extractNameInNestedBrackets, `request.auth.claims[a][b]`)
  test('list claims match on any element; nested claims by brackets', () => {
    const s = set(RA, ap('allow', 'rules: [{ when: [{ key: "request.auth.claims[groups]", values: [g2] }, { key: "request.auth.claims[ext][tier]", values: [gold] }] }]'));
    expect(explain(s, { ...base, token: tok({ groups: ['g1', 'g2'], ext: { tier: 'gold' } }) }).verdict).toBe('ALLOW');
    const r = explain(s, { ...base, token: tok({ groups: ['g1'], ext: { tier: 'silver' } }) });
    expect(r.reasons).toEqual(expect.arrayContaining(['token has no group `g2`', 'claim `ext.tier` is `silver`, not `gold`']));
  });

  // COND_DOC: request.auth.presenter is "The authorized presenter of the credential" (the azp claim)
  test('when keys: presenter, audiences, principal, source.namespace, headers, notValues', () => {
    const s = set(RA, ap('allow', `rules: [{ when: [
  { key: request.auth.presenter, values: [app-1] },
  { key: request.auth.audiences, values: [api] },
  { key: request.auth.principal, values: ["${ISS}/*"] },
  { key: source.namespace, values: [sleep] },
  { key: "request.headers[x-env]", notValues: [prod] } ] }]`));
    expect(explain(s, { ...base, token: tok({ azp: 'app-1' }), headers: { 'X-Env': 'dev' } }).verdict).toBe('ALLOW');
    const r = explain(s, { ...base, token: tok({ azp: 'app-2' }), headers: { 'x-env': 'prod' } });
    expect(r.reasons).toEqual(expect.arrayContaining(['presenter (azp) is `app-2`, not `app-1`', '`request.headers[x-env]` `prod` is excluded by notValues `prod`']));
  });

  test('an unknown condition key is absent, and the trace says so', () => {
    const r = explain(set(ap('allow', 'rules: [{ when: [{ key: connection.sni, values: [x] }] }]')), base);
    expect(r.verdict).toBe('DENY');
    expect(r.trace.join('\n')).toMatch(/condition key `connection\.sni` is not modeled/);
  });
});

describe('requestPrincipals', () => {
  // AP_DOC: "The request identity is in the format of `"<ISS>/<SUB>"`"; istiod splits the value at its last "/"
  // ("Use the last index of "/" since issuer may be an URL", pilot/pkg/security/authz/model/generator.go)
  test.each([
    ['https://login.microsoftonline.com/t/v2.0/*', 'https://login.microsoftonline.com/t/v2.0/sub-1', true],
    ['https://login.microsoftonline.com/t/v2.0/*', 'https://login.microsoftonline.com/t/v2.0/', false],
    ['https://sts.windows.net/t//*', 'https://sts.windows.net/t//sub-1', true],
    ['https://sts.windows.net/t//*', 'https://sts.windows.net/t/sub-1', false],
    ['*/sub-1', 'https://any.example/sub-1', true],
    ['*', 'https://any.example/sub-1', true],
    ['*', undefined, false],
    ['https://a.example/sub-*', 'https://a.example/sub-2', true],
    ['https://a.example/sub-*', 'https://b.example/sub-2', false],
    ['https://a.example/x', 'https://a.example/x', true],
  ] as const)('%s on %s: %s', (pattern, principal, expected) => {
    expect(matchRequestPrincipal(pattern, principal)).toBe(expected);
  });
});

describe('RequestAuthentication', () => {
  const deny = ap('require-jwt', 'action: DENY\nrules: [{ from: [{ source: { notRequestPrincipals: ["*"] } }] }]');

  // RA_DOC: "A request that does not contain any authentication credentials will be accepted but will not have any
  // authenticated identity. To restrict access to authenticated requests only, this should be accompanied by an authorization rule."
  test('no token: not rejected by RequestAuthentication alone; denied by notRequestPrincipals', () => {
    expect(explain(set(RA), base).verdict).toBe('ALLOW');
    const r = explain(set(RA, deny), base);
    expect(r.status).toBe(403);
    expect(r.reasons[0]).toMatch(/^no valid token: the request has no request principal/);
  });

  // RA_DOC: "It will reject a request if the request contains invalid authentication information"
  test('a forged token is rejected with 401', () => {
    const r = explain(set(RA), { ...base, token: { ...tok(), forged: true } });
    expect([r.verdict, r.status, r.decidedBy?.action]).toEqual(['DENY', 401, 'REJECT_TOKEN']);
  });

  // RA_DOC (issuer): "A JWT with different `iss` claim will be rejected." Envoy keeps a token of an issuer no provider
  // is configured for as JwtUnknownIssuer even under allow_missing (envoyproxy/envoy#15194: "allow_missing should only
  // allow requests without any JWT"), which istiod pairs with each provider (pilot/pkg/security/authn/policy_applier.go)
  test('a token of an unknown issuer is rejected with 401, not ignored', () => {
    const r = explain(set(RA), { ...base, token: tok({ iss: 'https://other.example.com' }) });
    expect(r.status).toBe(401);
    expect(r.reasons[0]).toMatch(/token issuer `https:\/\/other\.example\.com` is not accepted .*Jwt issuer is not configured/);
  });

  // RA_DOC (audiences): "A JWT containing any of these audiences will be accepted."
  test('audiences: any one of them; a list aud claim', () => {
    expect(explain(set(RA), { ...base, token: tok({ aud: ['x', 'api'] }) }).verdict).toBe('ALLOW');
    expect(explain(set(RA), { ...base, token: tok({ aud: 'x' }) }).reasons[0]).toMatch(/token audience `x` is not one of `api`/);
  });

  // RA_DOC: "Each rule will be activated only when a token is presented at the location recognized by the rule."
  // and the default locations: "The Authorization header using the Bearer schema" then "The `access_token` query parameter"
  test('token locations: default header and access_token; fromHeaders and fromParams', () => {
    const allowJwt = ap('allow', 'rules: [{ from: [{ source: { requestPrincipals: ["*"] } }] }]');
    expect(explain(set(RA, allowJwt), { ...base, token: { ...tok(), queryParam: 'access_token' } }).verdict).toBe('ALLOW');
    expect(explain(set(RA, allowJwt), { ...base, token: { ...tok(), header: 'x-jwt' } }).verdict).toBe('DENY');
    const custom = RA.replace('audiences: [api]', 'audiences: [api]\n    fromHeaders: [{ name: x-jwt, prefix: "Bearer " }]\n    fromParams: [tok]');
    expect(explain(set(custom, allowJwt), { ...base, token: { ...tok(), header: 'X-JWT' } }).verdict).toBe('ALLOW');
    expect(explain(set(custom, allowJwt), { ...base, token: { ...tok(), queryParam: 'tok' } }).verdict).toBe('ALLOW');
    // the Authorization header is not read by a rule with explicit locations: the token is ignored, not rejected
    const r = explain(set(custom, allowJwt), { ...base, token: { ...tok(), forged: true } });
    expect(r.status).toBe(403);
  });

  test('the request principal is iss/sub', () => {
    const s = set(RA, ap('allow', `rules: [{ from: [{ source: { requestPrincipals: ["${ISS}/alice"] } }] }]`));
    expect(explain(s, { ...base, token: tok() }).verdict).toBe('ALLOW');
    expect(explain(s, { ...base, token: tok({ sub: 'bob' }) }).verdict).toBe('DENY');
  });

  test('a RequestAuthentication that selects other pods does not validate the token', () => {
    const s = set(RA.replace('app: httpbin', 'app: other'), ap('allow', 'rules: [{ from: [{ source: { requestPrincipals: ["*"] } }] }]'));
    const r = explain(s, { ...base, token: tok() });
    expect(r.reasons[0]).toMatch(/no valid token, so no request principal/);
  });
});

describe('PeerAuthentication', () => {
  const pa = (name: string, mode: string, selector = '', ns = 'foo', extra = '') =>
    `apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: { name: ${name}, namespace: ${ns} }\nspec:\n  mtls: { mode: ${mode} }${selector ? `\n  selector: { matchLabels: { ${selector} } }` : ''}${extra}`;
  const plaintext = { ...base, principal: undefined };

  // PA_DOC (mode UNSET): "Inherit from parent, if has one. Otherwise treated as `PERMISSIVE`."
  test('no PeerAuthentication: PERMISSIVE, plaintext accepted', () => {
    expect(explain(set(), plaintext).verdict).toBe('ALLOW');
  });

  // PA_DOC: "Policies to allow both mTLS and plaintext traffic for all workloads under namespace `foo`, but require mTLS for workload `finance`."
  test('workload over namespace over mesh; UNSET inherits', () => {
    expect(explain(set(pa('mesh', 'STRICT', '', 'istio-system')), plaintext).status).toBe(503);
    expect(explain(set(pa('mesh', 'STRICT', '', 'istio-system'), pa('ns', 'PERMISSIVE')), plaintext).verdict).toBe('ALLOW');
    expect(explain(set(pa('ns', 'PERMISSIVE'), pa('wl', 'STRICT', 'app: httpbin')), plaintext).status).toBe(503);
    expect(explain(set(pa('ns', 'STRICT'), pa('wl', 'UNSET', 'app: httpbin')), plaintext).status).toBe(503);
  });

  // PA_DOC: "Note: PeerAuthentication policies with workload selectors are ignored when deployed in the root namespace."
  test('a selector PeerAuthentication in the root namespace is ignored', () => {
    expect(explain(set(pa('root-wl', 'STRICT', 'app: httpbin', 'istio-system')), plaintext).verdict).toBe('ALLOW');
  });

  // PA_DOC (portLevelMtls): "These only apply when a workload selector is specified. The port refers to the port of the
  // workload, not the port of the Kubernetes service."
  test('portLevelMtls keyed by the workload port', () => {
    const s = set(pa('wl', 'STRICT', 'app: httpbin', 'foo', '\n  portLevelMtls: { 8080: { mode: PERMISSIVE } }'));
    expect(explain(s, plaintext).verdict).toBe('ALLOW');
    const svcPort = set(pa('wl', 'STRICT', 'app: httpbin', 'foo', '\n  portLevelMtls: { 8000: { mode: PERMISSIVE } }'));
    expect(explain(svcPort, plaintext).status).toBe(503);
  });

  // PA_DOC (STRICT): "Connection is an mTLS tunnel (TLS with client cert must be presented)." — before any AuthorizationPolicy
  test('plaintext against STRICT is refused before authorization, and names the PeerAuthentication', () => {
    const r = explain(set(pa('ns', 'STRICT'), ap('allow-all', 'rules: [{}]')), plaintext);
    expect(r.decidedBy).toEqual({ policy: 'PeerAuthentication foo/ns', action: 'STRICT' });
    expect(r.reasons[0]).toBe('no mTLS: STRICT (PeerAuthentication foo/ns) rejects the plaintext connection before any AuthorizationPolicy');
  });
});

describe('edges', () => {
  const gateway = `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: web, namespace: edge }
spec:
  gatewayClassName: istio
  listeners: [{ name: https, port: 443, protocol: HTTPS, hostname: api.example.com }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: api, namespace: foo }
spec:
  hostnames: [api.example.com]
  parentRefs: [{ name: web, namespace: edge }]
  rules:
  - matches: [{ path: { type: PathPrefix, value: /v1 } }]
    backendRefs: [{ name: httpbin, port: 8000 }]
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: { name: edge-jwt, namespace: edge }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: Gateway, name: web }]
  jwtRules: [{ issuer: "${ISS}", audiences: [api] }]
`;
  const edgeReq: ExplainRequest = { to: { namespace: 'foo', service: 'httpbin' }, viaEdge: 'api.example.com', method: 'GET', path: '/v1/x', token: tok() };
  const onlyEdge = ap('allow-edge', 'rules: [{ from: [{ source: { principals: ["cluster.local/ns/edge/sa/web-istio"], requestPrincipals: ["*"] } }] }]');

  test('a Gateway API gateway of class istio: its pods are <name>-<class>, its RA attaches by targetRefs', () => {
    const r = explain(set(gateway, RA, onlyEdge), edgeReq);
    expect(r.hops.map((h) => h.role)).toEqual(['edge', 'backend']);
    expect(r.trace.join('\n')).toMatch(/over mTLS as `cluster\.local\/ns\/edge\/sa\/web-istio`/);
    // forwardOriginalToken unset: the gateway strips the token, so the backend sees none
    expect(r.verdict).toBe('DENY');
    expect(r.reasons[0]).toMatch(/no valid token/);
    const keep = explain(set(gateway.replace('audiences: [api] }', 'audiences: [api], forwardOriginalToken: true }'), RA, onlyEdge), edgeReq);
    expect(keep.verdict).toBe('ALLOW');
  });

  test('a path the route does not match is a 404 at the edge; an unknown host is an error', () => {
    const r = explain(set(gateway, RA), { ...edgeReq, path: '/v2' });
    expect([r.verdict, r.status, r.decidedBy?.action]).toEqual(['DENY', 404, 'ROUTE']);
    expect(() => explain(set(gateway), { ...edgeReq, viaEdge: 'other.example.com' })).toThrow(ExplainError);
  });

  test('an Ingress needs edgePrincipal; the backend sees that principal', () => {
    const ingress = `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: { name: web, namespace: foo }\nspec:\n  ingressClassName: nginx\n  rules: [{ host: web.example.com, http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: httpbin, port: { number: 8000 } } } }] } }]`;
    const req: ExplainRequest = { to: { namespace: 'foo', service: 'httpbin' }, viaEdge: 'web.example.com', method: 'GET', path: '/', token: tok() };
    expect(() => explain(set(ingress), req)).toThrow(/pass edgePrincipal/);
    const s = set(ingress, ap('allow', 'rules: [{ from: [{ source: { principals: ["cluster.local/ns/ingress-nginx/sa/ingress-nginx"] } }] }]'));
    expect(explain(s, { ...req, edgePrincipal: 'spiffe://cluster.local/ns/ingress-nginx/sa/ingress-nginx' }).verdict).toBe('ALLOW');
  });

  // RA_DOC (outputClaimToHeaders): "This field specifies a list of operations to copy the claim to HTTP headers on a
  // successfully verified token." — the backend sees the header the gateway wrote
  test('claims the gateway copies to headers reach the backend', () => {
    const copying = gateway.replace('audiences: [api] }', 'audiences: [api], forwardOriginalToken: true, outputClaimToHeaders: [{ header: x-tier, claim: tier }] }');
    const s = set(copying, ap('allow', 'rules: [{ when: [{ key: "request.headers[x-tier]", values: [gold] }] }]'));
    expect(explain(s, { ...edgeReq, token: tok({ tier: 'gold' }) }).verdict).toBe('ALLOW');
    expect(explain(s, { ...edgeReq, token: tok({ tier: 'silver' }) }).reasons[0]).toBe('`request.headers[x-tier]` is `silver`, not `gold`');
  });

  test('an F5 VirtualServer with a jwt Policy refuses a request without a token at the edge (401)', () => {
    const vs = `apiVersion: k8s.nginx.org/v1
kind: VirtualServer
metadata: { name: web, namespace: foo }
spec:
  host: web.example.com
  policies: [{ name: jwt }]
  upstreams: [{ name: model, service: httpbin, port: 8000 }]
  routes: [{ path: /, action: { pass: model } }, { path: "=/health", action: { return: { code: 200, body: ok } } }]
---
apiVersion: k8s.nginx.org/v1
kind: Policy
metadata: { name: jwt, namespace: foo }
spec: { jwt: { realm: web, jwksURI: "https://issuer.example.com/keys" } }`;
    const req: ExplainRequest = { to: { namespace: 'foo', service: 'httpbin' }, viaEdge: 'web.example.com', edgePrincipal: 'cluster.local/ns/nginx-ingress/sa/nginx-ingress', method: 'GET', path: '/x' };
    const r = explain(set(vs), req);
    expect([r.verdict, r.status, r.decidedBy]).toEqual(['DENY', 401, { policy: 'Policy foo/jwt', action: 'REJECT_TOKEN' }]);
    expect(r.hops.map((h) => h.role)).toEqual(['edge']);
    expect(explain(set(vs), { ...req, token: tok() }).verdict).toBe('ALLOW');
    // answered by the edge itself: the request does not reach the endpoint
    const health = explain(set(vs), { ...req, token: tok(), path: '/health' });
    expect([health.verdict, health.status, health.reasons[0]]).toEqual(['DENY', 200, expect.stringMatching(/route 1 does not proxy \(redirect or return\)/)]);
  });

  test('the CLI-style formatting starts with the verdict', () => {
    expect(formatExplainResult(explain(set(), base))).toMatch(/^ALLOW 200\n/);
  });

  test('a Service that is not in the manifests is an error naming those that are', () => {
    expect(() => explain(set(), { ...base, to: { namespace: 'foo', service: 'nope' } })).toThrow('to must name a Service in the manifests, got "foo/nope"; the manifests have foo/httpbin');
  });
});
