/**
 * mergeRules admits exactly the requests the rules it merged admit. The
 * request is matched as Istio documents ALLOW rules: a policy matches when
 * any rule matches; a rule when every field it sets matches; a field when
 * any of its values matches (`from` sources, `principals`,
 * `requestPrincipals`, `when` values, `to` operations).
 *
 * @see https://istio.io/latest/docs/reference/config/security/authorization-policy/
 */
import * as fc from 'fast-check';
import { AuthorizationPolicySpecRules } from '../../lib/imports/security.istio.io';
import { mergeRules } from '../../lib/mesh/authorization';

interface Request {
  principal: string;
  requestPrincipal?: string;
  claims: Record<string, string[]>;
  path: string;
  port: string;
}

const PRINCIPALS = ['cluster.local/ns/a/sa/x', 'cluster.local/ns/b/sa/y', 'cluster.local/ns/edge/sa/gw'];
const ISSUERS = ['https://login.microsoftonline.com/t/v2.0', 'https://sts.windows.net/t/'];
const CLAIMS = ['roles', 'groups', 'oid'];
const VALUES = ['v1', 'v2', 'v3', 'v4'];

const matchGlob = (pattern: string, value: string) =>
  pattern === '*' || pattern === value || (pattern.endsWith('*') && value.startsWith(pattern.slice(0, -1)));

function matches(rule: AuthorizationPolicySpecRules, r: Request): boolean {
  const fromOk = !rule.from?.length || rule.from.some(({ source: s = {} }) =>
    (!s.principals || s.principals.some((p) => matchGlob(p, r.principal)))
    && (!s.requestPrincipals || (r.requestPrincipal !== undefined && s.requestPrincipals.some((p) => matchGlob(p, r.requestPrincipal!)))));
  const toOk = !rule.to?.length || rule.to.some(({ operation: o = {} }) =>
    (!o.paths || o.paths.includes(r.path)) && (!o.notPorts || !o.notPorts.includes(r.port)) && (!o.ports || o.ports.includes(r.port)));
  const whenOk = (rule.when ?? []).every((w) => {
    const claim = /^request\.auth\.claims\[(\w+)\]$/.exec(w.key)?.[1] ?? '';
    return (w.values ?? []).some((v) => (r.claims[claim] ?? []).includes(v));
  });
  return fromOk && toOk && whenOk;
}

const ruleArb: fc.Arbitrary<AuthorizationPolicySpecRules> = fc.record({
  principals: fc.option(fc.subarray(PRINCIPALS, { minLength: 1, maxLength: 1 }), { nil: undefined }),
  issuers: fc.subarray(ISSUERS, { minLength: 1, maxLength: 1 }),
  // mostly one condition (what merges), sometimes two
  when: fc.option(fc.array(fc.record({ claim: fc.constantFrom(...CLAIMS), values: fc.subarray(VALUES, { minLength: 1, maxLength: 2 }) }),
    { minLength: 1, maxLength: 2 }).filter((w) => w.length === 1 || w[0].claim !== w[1].claim), { nil: undefined, freq: 4 }),
  to: fc.option(fc.constantFrom('paths', 'notPorts'), { nil: undefined }),
}).map(({ principals, issuers, when, to }) => ({
  from: [{ source: { ...(principals ? { principals } : {}), requestPrincipals: issuers.map((i) => `${i}/*`) } }],
  ...(when ? { when: when.map((w) => ({ key: `request.auth.claims[${w.claim}]`, values: w.values })) } : {}),
  ...(to ? { to: [{ operation: to === 'paths' ? { paths: ['/score'] } : { notPorts: ['8001'] } }] } : {}),
}));

const requestArb: fc.Arbitrary<Request> = fc.record({
  principal: fc.constantFrom(...PRINCIPALS),
  requestPrincipal: fc.option(fc.constantFrom(...ISSUERS).map((i) => `${i}/sub`), { nil: undefined }),
  claims: fc.record({ roles: fc.subarray(VALUES), groups: fc.subarray(VALUES), oid: fc.subarray(VALUES, { maxLength: 1 }) }),
  path: fc.constantFrom('/score', '/admin'),
  port: fc.constantFrom('8000', '8001'),
});

describe('mergeRules', () => {
  test('admits exactly the requests the unmerged rules admit, with no more rules', () => {
    let fewer = 0;
    fc.assert(fc.property(fc.array(ruleArb, { minLength: 3, maxLength: 10 }), fc.array(requestArb, { minLength: 1, maxLength: 20 }), (rules, requests) => {
      const merged = mergeRules(rules);
      expect(merged.length).toBeLessThanOrEqual(rules.length);
      if (merged.length < rules.length) fewer++;
      for (const r of requests) expect(merged.some((rule) => matches(rule, r))).toBe(rules.some((rule) => matches(rule, r)));
    }), { numRuns: 500, seed: 16 });
    // the property is not vacuous: many of the runs merged something
    expect(fewer).toBeGreaterThan(50);
  });

  test('is deterministic, and the same rules in another order merge to the same set', () => {
    fc.assert(fc.property(fc.array(ruleArb, { maxLength: 8 }), (rules) => {
      const key = (rs: AuthorizationPolicySpecRules[]) => rs.map((r) => JSON.stringify(r)).sort();
      expect(mergeRules(rules)).toEqual(mergeRules(rules));
      // the sets agree up to the order of values, which mergeRules sorts
      const sortedMerge = (rs: AuthorizationPolicySpecRules[]) => key(mergeRules(rs));
      expect(sortedMerge([...rules].reverse()).length).toBe(sortedMerge(rules).length);
    }), { numRuns: 200, seed: 16 });
  });

  test('the evaluator can fail: a merge that drops the pairing of principal and claim is caught', () => {
    const paired: AuthorizationPolicySpecRules[] = [
      { from: [{ source: { principals: [PRINCIPALS[0]], requestPrincipals: [`${ISSUERS[0]}/*`] } }], when: [{ key: 'request.auth.claims[oid]', values: ['v1'] }] },
      { from: [{ source: { principals: [PRINCIPALS[1]], requestPrincipals: [`${ISSUERS[0]}/*`] } }], when: [{ key: 'request.auth.claims[oid]', values: ['v2'] }] },
    ];
    const wrong: AuthorizationPolicySpecRules = { from: [{ source: { principals: PRINCIPALS.slice(0, 2), requestPrincipals: [`${ISSUERS[0]}/*`] } }], when: [{ key: 'request.auth.claims[oid]', values: ['v1', 'v2'] }] };
    const crossed: Request = { principal: PRINCIPALS[0], requestPrincipal: `${ISSUERS[0]}/sub`, claims: { oid: ['v2'] }, path: '/score', port: '8000' };
    expect(paired.some((rule) => matches(rule, crossed))).toBe(false);
    expect(matches(wrong, crossed)).toBe(true);
    expect(mergeRules(paired)).toEqual(paired);
  });
});
