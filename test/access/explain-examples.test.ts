/**
 * `explain` over the synthesized output of each example: every declared
 * caller, through its door, on its declared paths and methods, is allowed;
 * adversarial requests are denied with the reason that is missing.
 */
import { EXAMPLES } from '../../examples';
import {
  BATCH_SCORER_IDENTITY, FRAUD_API_CLIENT_ID, FRAUD_HOST, FRAUD_TENANT_ID, PAYMENTS_API_CLIENT_ID,
} from '../../examples/fraud-scoring';
import { NIGHTLY_SCORER_IDENTITY } from '../../examples/managed-endpoint';
import { CLAIMS_API_CLIENT_ID, EMBEDDINGS_API_CLIENT_ID, LLM_API_CLIENT_ID, RISK_API_CLIENT_ID } from '../../examples/public-edges';
import { ExplainRequest, ExplainResult, ExplainToken, explain } from '../../lib/access/explain';
import { ManifestSet } from '../../lib/access/manifests';
import { synthApp } from '../util';

const V2 = `https://login.microsoftonline.com/${FRAUD_TENANT_ID}/v2.0`;
const V1 = `https://sts.windows.net/${FRAUD_TENANT_ID}/`;
const OTHER_TENANT = 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e';

function token(aud: string, claims: Record<string, unknown> = {}, extra: Partial<ExplainToken> = {}): ExplainToken {
  return { claims: { iss: V2, aud, sub: 'caller-sub', tid: FRAUD_TENANT_ID, ...claims }, ...extra };
}

function manifestsOf(name: string): ManifestSet {
  const example = EXAMPLES.find((e) => e.name === name)!;
  return ManifestSet.parse(synthApp((app) => example.build(app)).yaml);
}

interface Case {
  readonly name: string;
  readonly request: ExplainRequest;
  readonly status: number;
  /** A reason (or part of one) the DENY must give. */
  readonly reason?: RegExp;
}

function expectVerdict(result: ExplainResult, c: Case): void {
  const summary = `${result.verdict} ${result.status}: ${result.reasons.join(' | ')}`;
  if (c.status === 200) {
    expect(summary).toMatch(/^ALLOW 200/);
    return;
  }
  expect(summary).toMatch(new RegExp(`^DENY ${c.status}`));
  if (c.reason) expect(result.reasons.join('\n')).toMatch(c.reason);
}

describe('explain over fraud-scoring', () => {
  const set = manifestsOf('fraud-scoring');
  const to = { namespace: 'fraud', service: 'fraud-model' };
  const edge = { to, viaEdge: FRAUD_HOST, method: 'POST', path: '/score' };
  const batch = 'cluster.local/ns/batch/sa/batch-scorer';
  const batchToken = token(FRAUD_API_CLIENT_ID, { oid: BATCH_SCORER_IDENTITY.principalId });
  const scorer = token(FRAUD_API_CLIENT_ID, { roles: ['Fraud.Score'], oid: '11111111-2222-4333-8444-555555555555' });

  const allowed: Case[] = [
    { name: 'a token with the app role Fraud.Score, through the gateway', request: { ...edge, token: scorer }, status: 200 },
    { name: 'the payments API (azp), through the gateway', request: { ...edge, token: token(FRAUD_API_CLIENT_ID, { azp: PAYMENTS_API_CLIENT_ID }) }, status: 200 },
    { name: 'the batch scorer, in the mesh, with its identity\'s token', request: { to, method: 'POST', path: '/score', principal: batch, token: batchToken }, status: 200 },
    { name: 'the batch scorer with a spiffe:// principal and a query string', request: { to, method: 'POST', path: '/score?explain=1', principal: `spiffe://${batch}`, token: batchToken }, status: 200 },
  ];
  const denied: Case[] = [
    { name: 'no token, through the gateway', request: { ...edge }, status: 403, reason: /no valid token: the request has no request principal/ },
    { name: 'a token of another tenant', request: { ...edge, token: token(FRAUD_API_CLIENT_ID, { iss: `https://login.microsoftonline.com/${OTHER_TENANT}/v2.0`, roles: ['Fraud.Score'] }) }, status: 401, reason: /token issuer `https:\/\/login\.microsoftonline\.com\/b1c2.*` is not accepted/ },
    { name: 'a v1 token of the right tenant (the endpoint accepts v2 only)', request: { ...edge, token: token(FRAUD_API_CLIENT_ID, { iss: V1, roles: ['Fraud.Score'] }) }, status: 401, reason: /token issuer `https:\/\/sts\.windows\.net\/.*` is not accepted/ },
    { name: 'a token for another API (wrong audience)', request: { ...edge, token: token(RISK_API_CLIENT_ID, { roles: ['Fraud.Score'] }) }, status: 401, reason: /token audience `8d7c6b5a-.*` is not one of `0b7e6f4c-/ },
    { name: 'a token without the app role', request: { ...edge, token: token(FRAUD_API_CLIENT_ID, { roles: ['Fraud.Read'] }) }, status: 403, reason: /token has no role `Fraud\.Score`/ },
    { name: 'another application (azp)', request: { ...edge, token: token(FRAUD_API_CLIENT_ID, { azp: OTHER_TENANT }) }, status: 403, reason: /presenter \(azp\) is `b1c2d3e4-.*`, not `3f1b2c4d-/ },
    { name: 'a path outside /score', request: { ...edge, path: '/admin', token: scorer }, status: 403, reason: /path `\/admin` not in `\/score`/ },
    { name: 'a prefix of /score is not /score', request: { ...edge, path: '/score/batch', token: scorer }, status: 403, reason: /path `\/score\/batch` not in `\/score`/ },
    { name: 'GET instead of POST', request: { ...edge, method: 'GET', token: scorer }, status: 403, reason: /method `GET` not in `POST`/ },
    { name: 'plaintext straight to the model', request: { to, method: 'POST', path: '/score', token: scorer }, status: 503, reason: /no mTLS: STRICT \(PeerAuthentication fraud\// },
    { name: 'an undeclared mesh principal with the batch scorer\'s token', request: { to, method: 'POST', path: '/score', principal: 'cluster.local/ns/batch/sa/default', token: batchToken }, status: 403, reason: /principal `cluster\.local\/ns\/batch\/sa\/default` is not a declared caller/ },
    { name: 'bypassing the edge: a Fraud.Score token sent from a mesh pod straight to the model', request: { to, method: 'POST', path: '/score', principal: 'cluster.local/ns/default/sa/default', token: scorer }, status: 403, reason: /principal `cluster\.local\/ns\/default\/sa\/default` is not a declared caller \(principals: `cluster\.local\/ns\/fraud-edge\/sa\/fraud-edge-istio`\)/ },
    { name: 'a forged token', request: { ...edge, token: { ...scorer, forged: true } }, status: 401, reason: /token signature does not verify/ },
    { name: 'the batch scorer with another identity\'s token', request: { to, method: 'POST', path: '/score', principal: batch, token: token(FRAUD_API_CLIENT_ID, { oid: NIGHTLY_SCORER_IDENTITY.principalId }) }, status: 403, reason: /claim `oid` is `3b2a190f-.*`, not `9e8d7c6b-/ },
    { name: 'the batch scorer without a token', request: { to, method: 'POST', path: '/score', principal: batch }, status: 403, reason: /no valid token: the request has no request principal/ },
    { name: 'a token in a header no jwtRule reads', request: { ...edge, token: { ...scorer, header: 'x-token' } }, status: 403, reason: /no valid token/ },
  ];

  test.each([...allowed, ...denied].map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expectVerdict(explain(set, c.request), c);
  });

  test('an allowed request names the ALLOW policy and rule, and traces the gateway then both model versions', () => {
    const r = explain(set, { ...edge, token: scorer });
    expect(r.decidedBy).toEqual({ policy: expect.stringMatching(/^AuthorizationPolicy fraud\/.*allowcallers/), action: 'ALLOW', rule: 1 });
    expect(r.hops.map((h) => `${h.role} ${h.workload} ${h.verdict}`)).toEqual([
      'edge Deployment fraud-edge/fraud-edge-istio (the Gateway\'s automated deployment) ALLOW',
      expect.stringMatching(/^backend Deployment fraud\/fraud-scoring-model-blue-.* ALLOW$/),
      expect.stringMatching(/^backend Deployment fraud\/fraud-scoring-model-green-.* ALLOW$/),
    ]);
    // the gateway keeps the token (forwardOriginalToken: true), so the model validates it again
    expect(r.trace.join('\n')).toMatch(/forwarded \(forwardOriginalToken: true\)/);
  });

  test('a hand edit is seen: a foreign namespace-wide ALLOW widens who gets in (Istio ORs ALLOW policies)', () => {
    const { yaml } = synthApp((app) => EXAMPLES.find((e) => e.name === 'fraud-scoring')!.build(app));
    const edited = ManifestSet.parse(`${yaml}---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: ns-owner, namespace: fraud }
spec:
  rules: [{ from: [{ source: { namespaces: [kubeflow-user] } }] }]
`);
    const notebook = { to, method: 'POST', path: '/admin', principal: 'cluster.local/ns/kubeflow-user/sa/default-editor', token: scorer };
    expect(explain(set, notebook).verdict).toBe('DENY');
    const r = explain(edited, notebook);
    expect(r.verdict).toBe('ALLOW');
    expect(r.decidedBy).toEqual({ policy: 'AuthorizationPolicy fraud/ns-owner', action: 'ALLOW', rule: 0 });
    // the library's DENY without a token still holds: no ALLOW can bypass it
    expect(explain(edited, { ...notebook, token: undefined }).decidedBy?.action).toBe('DENY');
  });

  test('a denial at the gateway stops there (no backend hop)', () => {
    const r = explain(set, { ...edge });
    expect(r.hops.map((h) => h.role)).toEqual(['edge']);
    expect(r.decidedBy).toEqual({ policy: expect.stringMatching(/^AuthorizationPolicy fraud-edge\/.*gatewaydenywithouttoken/), action: 'DENY', rule: 0 });
  });
});

describe('explain over public-edges', () => {
  const set = manifestsOf('public-edges');
  const nic = 'cluster.local/ns/nginx-ingress/sa/nginx-ingress';
  const risk = { to: { namespace: 'risk', service: 'risk-model' }, viaEdge: 'risk.contoso.com', method: 'POST', path: '/score' };
  const claims = { to: { namespace: 'claims', service: 'claims-model' }, viaEdge: 'claims.contoso.com', edgePrincipal: nic, method: 'POST', path: '/triage' };
  const embeddings = { to: { namespace: 'embeddings', service: 'embeddings-model' }, viaEdge: 'embeddings.contoso.com', method: 'POST', path: '/v1/embeddings' };
  const llm = { to: { namespace: 'llm', service: 'qwen3' }, viaEdge: 'llm.contoso.com', method: 'POST', path: '/v1/chat/completions' };
  const riskToken = token(RISK_API_CLIENT_ID, { roles: ['Risk.Score'] });
  const claimsToken = token(CLAIMS_API_CLIENT_ID, { roles: ['Claims.Triage'] });
  const embToken = token(EMBEDDINGS_API_CLIENT_ID, { roles: ['Embeddings.Create'] });
  const llmToken = token(LLM_API_CLIENT_ID, { roles: ['Llm.Invoke'] });

  const allowed: Case[] = [
    { name: 'risk: Risk.Score through the AKS external ingress gateway', request: { ...risk, token: riskToken }, status: 200 },
    { name: 'claims: Claims.Triage through the F5 NGINX Ingress Controller, any path', request: { ...claims, token: claimsToken }, status: 200 },
    { name: 'claims: Claims.Triage with GET on another path (the endpoint declares no paths or methods)', request: { ...claims, method: 'GET', path: '/status', token: claimsToken }, status: 200 },
    { name: 'embeddings: Embeddings.Create through NGINX Gateway Fabric', request: { ...embeddings, token: embToken }, status: 200 },
    { name: 'llm: Llm.Invoke on /v1/chat/completions through the Istio gateway', request: { ...llm, token: llmToken }, status: 200 },
    { name: 'llm: Llm.Invoke on /v1/completions', request: { ...llm, path: '/v1/completions', token: llmToken }, status: 200 },
  ];
  const denied: Case[] = [
    { name: 'risk: no token (the classic gateway validates none; the model denies)', request: { ...risk }, status: 403, reason: /no valid token: the request has no request principal/ },
    { name: 'llm: no token (refused at the gateway)', request: { ...llm }, status: 403, reason: /no valid token/ },
    { name: 'risk: a token of another tenant', request: { ...risk, token: token(RISK_API_CLIENT_ID, { iss: `https://login.microsoftonline.com/${OTHER_TENANT}/v2.0`, roles: ['Risk.Score'] }) }, status: 401, reason: /is not accepted/ },
    { name: 'embeddings: a token for the risk API (wrong audience)', request: { ...embeddings, token: token(RISK_API_CLIENT_ID, { roles: ['Embeddings.Create'] }) }, status: 401, reason: /token audience `8d7c6b5a-.*` is not one of `4c5d6e7f-/ },
    { name: 'claims: a token with the risk role', request: { ...claims, token: token(CLAIMS_API_CLIENT_ID, { roles: ['Risk.Score'] }) }, status: 403, reason: /token has no role `Claims\.Triage`/ },
    { name: 'llm: a path outside the declared ones', request: { ...llm, path: '/v1/models', token: llmToken }, status: 403, reason: /path `\/v1\/models` not in `\/v1\/chat\/completions`, `\/v1\/completions`/ },
    { name: 'embeddings: GET instead of POST', request: { ...embeddings, method: 'GET', token: embToken }, status: 403, reason: /method `GET` not in `POST`/ },
    { name: 'risk: plaintext straight to the model', request: { to: risk.to, method: 'POST', path: '/score', token: riskToken }, status: 503, reason: /no mTLS: STRICT/ },
    { name: 'claims: an undeclared principal claiming to be the edge', request: { ...claims, edgePrincipal: 'cluster.local/ns/nginx-ingress/sa/default', token: claimsToken }, status: 403, reason: /principal `cluster\.local\/ns\/nginx-ingress\/sa\/default` is not a declared caller/ },
    { name: 'embeddings: bypassing the edge from a mesh pod', request: { to: embeddings.to, method: 'POST', path: '/v1/embeddings', principal: 'cluster.local/ns/embeddings/sa/default', token: embToken }, status: 403, reason: /is not a declared caller \(principals: `cluster\.local\/ns\/embeddings\/sa\/embeddings-nginx`\)/ },
    { name: 'risk: a forged token', request: { ...risk, token: { ...riskToken, forged: true } }, status: 401, reason: /token signature does not verify/ },
    { name: 'llm: a forged token (refused at the gateway)', request: { ...llm, token: { ...llmToken, forged: true } }, status: 401, reason: /token signature does not verify/ },
  ];

  test.each([...allowed, ...denied].map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expectVerdict(explain(set, c.request), c);
  });

  test('an NGINX Ingress Controller edge without edgePrincipal is an error that says what to pass', () => {
    const { edgePrincipal: _, ...withoutPrincipal } = claims;
    expect(() => explain(set, { ...withoutPrincipal, token: claimsToken })).toThrow(/the manifests do not say the mesh principal of the edge for "claims\.contoso\.com" .*pass edgePrincipal/);
  });

  test('the AKS external gateway\'s principal comes from the library\'s well-known gateways', () => {
    const r = explain(set, { ...risk, token: riskToken });
    expect(r.trace.join('\n')).toMatch(/over mTLS as `cluster\.local\/ns\/aks-istio-ingress\/sa\/aks-istio-ingressgateway-external`/);
  });
});

describe('explain over managed-endpoint (egress: the mesh decides whether the call leaves, Azure ML decides the token)', () => {
  const set = manifestsOf('managed-endpoint');
  const scorer = 'cluster.local/ns/scoring-jobs/sa/nightly-scorer';
  const host = 'churn-model.westeurope.inference.ml.azure.com';
  const azureToken = token('https://ml.azure.com', { oid: NIGHTLY_SCORER_IDENTITY.principalId });

  test.each([
    ['the nightly scorer to its scoring host', { to: { host }, method: 'POST', path: '/score', principal: scorer, token: azureToken }],
    ['the nightly scorer to the Entra login host', { to: { host: 'login.microsoftonline.com' }, method: 'POST', path: '/token', principal: scorer }],
  ] as const)('%s is allowed out of the mesh', (_name, request) => {
    const r = explain(set, request as ExplainRequest);
    expect(r.verdict).toBe('ALLOW');
    expect(r.decidedBy?.action).toBe('EGRESS');
  });

  test.each([
    ['another Azure ML endpoint', 'fraud-model.westeurope.inference.ml.azure.com', undefined, /host fraud-model\.westeurope\.inference\.ml\.azure\.com is not in the mesh registry for scoring-jobs/],
    ['an arbitrary internet host', 'exfiltrate.example.com', undefined, /is REGISTRY_ONLY: 502/],
    ['the scoring host on a port the ServiceEntry does not register', host, 8443, /registered on other ports: 80/],
    ['the Entra login host in plain HTTP', 'login.microsoftonline.com', 80, /registered on other ports: 443/],
  ] as const)('%s is refused by REGISTRY_ONLY', (_name, h, port, reason) => {
    const r = explain(set, { to: { host: h }, method: 'POST', path: '/score', principal: scorer, port });
    expect(`${r.verdict} ${r.status}`).toBe('DENY 502');
    expect(r.reasons.join('\n')).toMatch(reason);
  });

  // The token-side adversaries (no token, other tenant, wrong audience, missing role, forged) are decided by
  // Azure ML, not by any manifest: explain says so rather than pretending to decide them. Not a library bug:
  // the managed endpoint's authorization is its Azure role assignment (azure-plan.json).
  test.each([
    ['no token', undefined],
    ['another tenant\'s token', token('https://ml.azure.com', { iss: `https://login.microsoftonline.com/${OTHER_TENANT}/v2.0` })],
    ['a wrong audience', token(FRAUD_API_CLIENT_ID)],
    ['a forged token', { ...azureToken, forged: true }],
  ] as const)('%s: the mesh lets it out and says the token is Azure ML\'s to check', (_name, t) => {
    const r = explain(set, { to: { host }, method: 'POST', path: '/score', principal: scorer, token: t });
    expect(r.verdict).toBe('ALLOW');
    expect(r.reasons.join('\n')).toMatch(/the token is checked by churn-model\.westeurope\.inference\.ml\.azure\.com, not by the mesh/);
  });

  test('a request to an external host needs the calling workload\'s principal', () => {
    expect(() => explain(set, { to: { host }, method: 'POST', path: '/score' })).toThrow(/principal must be the calling workload's mesh principal/);
  });
});
