import type { ClaimCondition } from '../callers/caller';
import type { AccessEndpoint, AccessGrant, AccessRequirement } from '../access/model';
import { AuthorizationPolicySpecRules, AuthorizationPolicySpecRulesWhen } from '../imports/security.istio.io';
import { canonicalJson, sortStrings } from '../util/names';

/**
 * The rules of an endpoint's single ALLOW AuthorizationPolicy, rendered from
 * the access model: one rule per grant and distinct requirement, then
 * merged where that admits the same requests ({@link mergeRules}). A rule
 * requires a token of the requirement's issuers (`requestPrincipals:
 * ["<issuer>/*"]`; the RequestAuthentication checks signature and
 * audience), the connection's principals when the requirement names them,
 * each claim as a `when` condition, and the endpoint's operation.
 *
 * @see https://istio.io/latest/docs/reference/config/security/authorization-policy/
 * @see https://istio.io/latest/docs/reference/config/security/conditions/
 */
export function istioAllowRules(endpoint: AccessEndpoint): AuthorizationPolicySpecRules[] {
  return mergeRules(grantRules(endpoint));
}

/** One rule per grant and requirement, as the model holds them. */
function grantRules(endpoint: AccessEndpoint): AuthorizationPolicySpecRules[] {
  const operation = {
    ...(endpoint.operation.paths.length ? { paths: [...endpoint.operation.paths] } : {}),
    ...(endpoint.operation.methods.length ? { methods: [...endpoint.operation.methods] } : {}),
  };
  const hasOperation = Object.keys(operation).length > 0;
  return endpoint.grants.flatMap((grant) => grant.requirements.map((requirement) => {
    if (requirement.issuers.length === 0) return tokenlessRule(grant, requirement);
    const rule: AuthorizationPolicySpecRules = {
      from: [{
        source: {
          ...(requirement.principals?.length ? { principals: sortStrings(requirement.principals) } : {}),
          requestPrincipals: sortStrings(requirement.issuers.map((issuer) => `${issuer}/*`)),
        },
      }],
      ...(requirement.claims.length ? { when: requirement.claims.map(claimCondition) } : {}),
    };
    const withOperation = hasOperation ? { ...rule, to: [{ operation }] } : rule;
    const notPorts = grant.ports?.notPorts;
    return notPorts?.length
      ? { ...withOperation, to: [{ operation: { ...(withOperation.to?.[0]?.operation ?? {}), notPorts: [...notPorts] } }] }
      : withOperation;
  }));
}

/**
 * The rules with fewer, wider rules where that admits exactly the same
 * requests: rules that differ only in the values of their one `when`
 * condition become one rule with every value (Istio ORs a condition's
 * values), and rules without conditions that differ only in their source
 * principals become one rule with every principal (ORed too). Istio turns
 * each rule into an Envoy RBAC policy repeated on every inbound filter
 * chain, so 20 app-role callers cost one policy instead of 20. Rules that
 * pair a principal with a claim (a workload and its identity's `oid`) are
 * kept apart: merging them would admit one workload with another's token.
 * The first rule of a group keeps its place.
 *
 * @see https://github.com/istio/istio/issues/38610
 */
export function mergeRules(rules: readonly AuthorizationPolicySpecRules[]): AuthorizationPolicySpecRules[] {
  const out: AuthorizationPolicySpecRules[] = [];
  // a group's key -> its rule's place in `out`
  const groups = new Map<string, number>();
  for (const rule of rules) {
    const source = rule.from?.length === 1 ? rule.from[0].source : undefined;
    let key: string | undefined;
    let merge: ((into: AuthorizationPolicySpecRules) => AuthorizationPolicySpecRules) | undefined;
    if (source && rule.when?.length === 1 && rule.when[0].values?.length && !rule.when[0].notValues) {
      const condition = rule.when[0];
      key = canonicalJson({ by: 'values', from: rule.from, to: rule.to ?? null, when: condition.key });
      merge = (into) => ({ ...into, when: [{ key: condition.key, values: sortStrings(new Set([...(into.when?.[0].values ?? []), ...condition.values!])) }] });
    } else if (source?.principals?.length && source.requestPrincipals?.length && !rule.when?.length
      && Object.keys(source).every((k) => k === 'principals' || k === 'requestPrincipals')) {
      key = canonicalJson({ by: 'principals', requestPrincipals: source.requestPrincipals, to: rule.to ?? null });
      merge = (into) => ({
        ...into,
        from: [{ source: { ...into.from![0].source, principals: sortStrings(new Set([...(into.from![0].source?.principals ?? []), ...source.principals!])) } }],
      });
    }
    if (key === undefined || merge === undefined) {
      out.push(rule);
      continue;
    }
    const at = groups.get(key);
    if (at === undefined) {
      groups.set(key, out.length);
      out.push(rule);
      continue;
    }
    out[at] = merge(out[at]);
  }
  return out;
}

/** A grant without a token (azureml-fe's coordination ports): the principal on the given ports only. */
function tokenlessRule(grant: AccessGrant, requirement: AccessRequirement): AuthorizationPolicySpecRules {
  return {
    from: [{ source: { principals: [...(requirement.principals ?? [])] } }],
    ...(grant.ports?.ports?.length ? { to: [{ operation: { ports: [...grant.ports.ports] } }] } : {}),
  };
}

/**
 * A claim as Istio's condition: `request.auth.presenter` for the v2 client
 * application (`azp`), `request.auth.claims[<claim>]` for every other claim.
 */
function claimCondition(condition: ClaimCondition): AuthorizationPolicySpecRulesWhen {
  const key = condition.claim === 'azp' ? 'request.auth.presenter' : `request.auth.claims[${condition.claim}]`;
  return { key, values: [condition.value] };
}
