import { Caller, EntraTenant, TokenVersion } from '../../lib';
import { AccessEndpoint, resolveGrant } from '../../lib/access/model';
import { istioAllowRules } from '../../lib/mesh/authorization';

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const GUID = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const v2 = { tenant: new EntraTenant({ tenantId: TID }) };
const both = { tenant: new EntraTenant({ tenantId: TID, tokenVersion: TokenVersion.BOTH }) };
const V1P = `https://sts.windows.net/${TID}//*`;
const V2P = `https://login.microsoftonline.com/${TID}/v2.0/*`;

/** The caller's ALLOW rules as the Istio renderer writes them from the access model. */
function rules(caller: Caller, ctx: { tenant: EntraTenant; edgePrincipals?: string[] }) {
  const edge = ctx.edgePrincipals ? { kind: 'edge' as const, host: 'x.example.com', principals: ctx.edgePrincipals } : undefined;
  const endpoint: AccessEndpoint = {
    path: 'test/Endpoint', kind: 'in-cluster', host: 'model.ml.svc.cluster.local', tenantId: TID, issuers: [], audiences: [],
    doors: [], operation: { paths: [], methods: [] }, grants: [resolveGrant(caller, { issuers: ctx.tenant.issuers, edge })],
  };
  return istioAllowRules(endpoint);
}

describe('Caller', () => {
  test.each([
    ['appRole', Caller.appRole('Fraud.Score'), { key: 'request.auth.claims[roles]', values: ['Fraud.Score'] }],
    ['group', Caller.group(GUID), { key: 'request.auth.claims[groups]', values: [GUID] }],
    ['application (v2: azp)', Caller.application(GUID), { key: 'request.auth.presenter', values: [GUID] }],
    ['servicePrincipal', Caller.servicePrincipal(GUID), { key: 'request.auth.claims[oid]', values: [GUID] }],
    ['user', Caller.user(GUID), { key: 'request.auth.claims[oid]', values: [GUID] }],
  ])('%s requires a v2 token of the tenant and one claim condition', (_name, caller, when) => {
    expect(caller.problems()).toEqual([]);
    expect(rules(caller, v2)).toEqual([{ from: [{ source: { requestPrincipals: [V2P] } }], when: [when] }]);
  });

  test('anyAuthenticated requires a token of the tenant and nothing else', () => {
    expect(rules(Caller.anyAuthenticated(), both)).toEqual([{ from: [{ source: { requestPrincipals: [V2P, V1P] } }] }]);
  });

  test('claims shared by both versions give one rule with both issuers', () => {
    expect(rules(Caller.appRole('Score'), both)).toEqual([
      { from: [{ source: { requestPrincipals: [V2P, V1P] } }], when: [{ key: 'request.auth.claims[roles]', values: ['Score'] }] },
    ]);
  });

  test('application gives one rule per token version (appid for v1, azp for v2)', () => {
    expect(rules(Caller.application(GUID), both)).toEqual([
      { from: [{ source: { requestPrincipals: [V1P] } }], when: [{ key: 'request.auth.claims[appid]', values: [GUID] }] },
      { from: [{ source: { requestPrincipals: [V2P] } }], when: [{ key: 'request.auth.presenter', values: [GUID] }] },
    ]);
  });

  test('GUIDs are lower-cased so keys and rules do not depend on spelling', () => {
    const upper = Caller.group(GUID.toUpperCase());
    expect(upper.key).toBe(`group:${GUID}`);
    expect(rules(upper, v2)[0].when).toEqual([{ key: 'request.auth.claims[groups]', values: [GUID] }]);
  });

  test('workload callers require the mesh principal and, when known, the oid', () => {
    expect(rules(Caller.workload({ meshPrincipal: 'cluster.local/ns/batch/sa/scorer', principalId: GUID.toUpperCase() }), v2)).toEqual([{
      from: [{ source: { principals: ['cluster.local/ns/batch/sa/scorer'], requestPrincipals: [V2P] } }],
      when: [{ key: 'request.auth.claims[oid]', values: [GUID] }],
    }]);
    expect(rules(Caller.workload({ meshPrincipal: 'cluster.local/ns/batch/sa/scorer' }), v2)).toEqual([{
      from: [{ source: { principals: ['cluster.local/ns/batch/sa/scorer'], requestPrincipals: [V2P] } }],
    }]);
  });

  test('workload keys include the principal id, so two identities on one ServiceAccount are two callers', () => {
    expect(Caller.workload({ meshPrincipal: 'cluster.local/ns/b/sa/s', principalId: GUID }).key)
      .not.toBe(Caller.workload({ meshPrincipal: 'cluster.local/ns/b/sa/s' }).key);
  });

  test.each([
    ['appRole with a space', () => Caller.appRole('Fraud Score'), /^appRole must be an app role value/],
    ['empty appRole', () => Caller.appRole(''), /^appRole must be an app role value/],
    ['wildcard appRole (Istio would match any role)', () => Caller.appRole('*'), /^appRole must be an app role value \(1-249 printable characters, no spaces, no "\*"\)/],
    ['prefix-wildcard appRole', () => Caller.appRole('Fraud.*'), /^appRole must be an app role value/],
    ['wildcard workload principal', () => Caller.workload({ meshPrincipal: '*' }), /^workload must be a mesh principal "<trustDomain>\/ns\/<namespace>\/sa\/<serviceaccount>" without wildcards, got "\*"/],
    ['empty workload principal', () => Caller.workload({ meshPrincipal: '' }), /^workload must be a mesh principal/],
    ['workload principal id not a GUID', () => Caller.workload({ meshPrincipal: 'cluster.local/ns/b/sa/s', principalId: '*' }), /^workload\.principalId must be a GUID, got "\*"/],
    ['group by name', () => Caller.group('Data Scientists'), /^group must be a group Object ID \(GUID\), got "Data Scientists"/],
    ['application by name', () => Caller.application('payments-api'), /^application must be an Application \(client\) ID/],
    ['servicePrincipal by name', () => Caller.servicePrincipal('batch-scorer'), /^servicePrincipal must be an Object \(principal\) ID/],
  ])('fails for %s', (_name, make, message) => {
    const problems = make().problems();
    expect(problems).toHaveLength(1);
    expect(problems[0].message).toMatch(message);
  });
  test('a workload caller knows the namespace of its mesh principal; token callers have none', () => {
    expect(Caller.workload({ meshPrincipal: 'cluster.local/ns/batch/sa/scorer' }).meshNamespace).toBe('batch');
    expect(Caller.appRole('Score').meshNamespace).toBeUndefined();
  });
});
