import type { ClaimCondition } from '../callers/caller';
import type { AccessEndpoint, AccessGrant, AccessRequirement } from '../access/model';
import { AuthorizationPolicySpecRules, AuthorizationPolicySpecRulesWhen } from '../imports/security.istio.io';
import { sortStrings } from '../util/names';

/**
 * The rules of an endpoint's single ALLOW AuthorizationPolicy, rendered from
 * the access model: one rule per grant and distinct requirement. A rule
 * requires a token of the requirement's issuers (`requestPrincipals:
 * ["<issuer>/*"]`; the RequestAuthentication checks signature and
 * audience), the connection's principals when the requirement names them,
 * each claim as a `when` condition, and the endpoint's operation.
 *
 * @see https://istio.io/latest/docs/reference/config/security/authorization-policy/
 * @see https://istio.io/latest/docs/reference/config/security/conditions/
 */
export function istioAllowRules(endpoint: AccessEndpoint): AuthorizationPolicySpecRules[] {
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
