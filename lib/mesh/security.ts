import { Problem, problem } from '../errors';
import { EntraTenant, TokenVersion } from '../entra/tenant';
import {
  AuthorizationPolicySpec,
  AuthorizationPolicySpecAction,
  AuthorizationPolicySpecRules,
  PeerAuthenticationSpec,
  PeerAuthenticationSpecMtlsMode,
  RequestAuthenticationSpec,
} from '../imports/security.istio.io';
import { canonicalJson, compareStrings, isGuid, isHeaderName, sortStrings } from '../util/names';

/** A token claim copied into a request header for the backend. */
export interface ClaimToHeader {
  /** The claim, e.g. `oid`, `tid`, `preferred_username` (string, number or boolean claims only). */
  readonly claim: string;
  /** The header to set, e.g. `x-caller-oid` (letters, digits and `-`). */
  readonly header: string;
}

/**
 * Claims that are arrays (or space-separated lists) in Entra tokens; Istio
 * only copies scalar claims into headers, so these would silently vanish.
 */
export const LIST_CLAIMS: readonly string[] = ['amr', 'groups', 'roles', 'scp', 'wids'];
const CLAIM_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/;
/** Headers the mesh or the token path owns. */
const RESERVED_HEADERS = ['authorization', 'host', 'x-forwarded-client-cert', 'x-envoy-original-path'];

/** Checks claim-to-header propagation. */
export function claimHeaderProblems(rows: readonly ClaimToHeader[]): Problem[] {
  const out: Problem[] = [];
  const headers = new Set<string>();
  rows.forEach((row, i) => {
    const f = `claimToHeaders[${i}]`;
    if (typeof row.claim !== 'string' || !CLAIM_NAME.test(row.claim)) {
      out.push(problem(`${f}.claim`, 'a claim name (letters, digits, "_", ".", ":" or "-")', row.claim));
    } else if (LIST_CLAIMS.includes(row.claim)) {
      out.push(problem(`${f}.claim`, `a scalar claim, not one of the list claims ${LIST_CLAIMS.join(', ')}`, row.claim,
        'Istio copies only string, number and boolean claims; authorize on list claims with Caller.appRole or Caller.group instead'));
    }
    if (!isHeaderName(row.header)) {
      out.push(problem(`${f}.header`, 'an HTTP header name of letters, digits and "-"', row.header, 'e.g. "x-caller-oid"'));
    } else {
      const lower = row.header.toLowerCase();
      if (RESERVED_HEADERS.includes(lower)) {
        out.push(problem(`${f}.header`, `a header other than ${RESERVED_HEADERS.join(', ')}`, row.header));
      }
      if (headers.has(lower)) out.push(problem(`${f}.header`, 'unique among claimToHeaders', row.header));
      headers.add(lower);
    }
  });
  return out;
}

/**
 * Checks the token header: a header name, never `Authorization` when the
 * backend owns it (the two tokens would collide), required in that case,
 * and not one of the claim headers.
 */
export function tokenHeaderProblems(tokenHeader: string | undefined, backendOwnsAuthorization: boolean, claims: readonly ClaimToHeader[]): Problem[] {
  if (tokenHeader === undefined) {
    return backendOwnsAuthorization
      ? [problem('tokenHeader', 'set for a backend that reads Authorization itself (azureml-fe)', undefined,
        'send the Entra token in another header, e.g. tokenHeader: "x-mesh-authorization", and the Azure ML key or token in Authorization')]
      : [];
  }
  if (!isHeaderName(tokenHeader)) return [problem('tokenHeader', 'an HTTP header name of letters, digits and "-"', tokenHeader)];
  const lower = tokenHeader.toLowerCase();
  if (backendOwnsAuthorization && lower === 'authorization') {
    return [problem('tokenHeader', 'a header other than Authorization for this backend', tokenHeader, 'azureml-fe reads Authorization for its own key or aml_token')];
  }
  if (claims.some((c) => c.header.toLowerCase() === lower)) {
    return [problem('tokenHeader', 'a header that no claimToHeaders entry sets', tokenHeader)];
  }
  return [];
}

/**
 * Checks audiences. v2 access tokens always carry the API's client id (a
 * GUID) in `aud`, so a v2-only endpoint whose audiences hold no GUID would
 * reject every real token.
 */
export function audienceProblems(audiences: readonly string[] | undefined, tokenVersion?: TokenVersion): Problem[] {
  if (!Array.isArray(audiences) || audiences.length === 0) {
    return [problem('audiences', 'a non-empty list', audiences ?? [],
      'without audiences any token of the tenant is accepted; use the API\'s Application ID URI (v1 tokens) or client id (v2 tokens)')];
  }
  const out: Problem[] = [];
  audiences.forEach((a, i) => {
    if (typeof a !== 'string' || a.trim() === '' || /\s/.test(a) || a.includes('*')) {
      out.push(problem(`audiences[${i}]`, 'an exact audience without spaces or wildcards', a));
    }
  });
  if (out.length === 0 && tokenVersion === TokenVersion.V2 && !audiences.some(isGuid)) {
    out.push(problem('audiences', 'a list that includes the API\'s Application (client) ID when only v2 tokens are accepted', audiences,
      'v2 access tokens always carry the client id in "aud"; App ID URIs such as "api://..." appear only in v1 tokens (use tokenVersion BOTH or V1 for those)'));
  }
  return out;
}

/** PeerAuthentication: STRICT mutual TLS for the selected workload. */
export function peerAuthenticationSpec(selector: Record<string, string>): PeerAuthenticationSpec {
  return { selector: { matchLabels: selector }, mtls: { mode: PeerAuthenticationSpecMtlsMode.STRICT } };
}

export interface RequestAuthenticationInput {
  readonly selector: Record<string, string>;
  readonly tenant: EntraTenant;
  readonly audiences: readonly string[];
  readonly forwardOriginalToken: boolean;
  readonly claimToHeaders: readonly ClaimToHeader[];
  /** Header carrying the token instead of Authorization. */
  readonly tokenHeader?: string;
}

/**
 * RequestAuthentication: one jwtRule per accepted issuer, with exact
 * audiences, reading the token only from `Authorization: Bearer …` (or the
 * declared `tokenHeader`), never from a query parameter.
 *
 * @see https://istio.io/latest/docs/reference/config/security/jwt/
 */
export function requestAuthenticationSpec(input: RequestAuthenticationInput): RequestAuthenticationSpec {
  const audiences = sortStrings(new Set(input.audiences));
  const headers = [...input.claimToHeaders]
    .sort((a, b) => compareStrings(a.header, b.header))
    .map((row) => ({ header: row.header, claim: row.claim }));
  return {
    selector: { matchLabels: input.selector },
    jwtRules: input.tenant.issuers.map((issuer) => ({
      issuer: issuer.issuer,
      jwksUri: issuer.jwksUri,
      audiences,
      // always explicit: without fromHeaders Envoy also accepts `?access_token=` and leaves it in the URL (logs, the model)
      fromHeaders: [{ name: (input.tokenHeader ?? 'Authorization').toLowerCase(), prefix: 'Bearer ' }],
      ...(input.forwardOriginalToken ? { forwardOriginalToken: true } : {}),
      ...(headers.length ? { outputClaimToHeaders: headers } : {}),
    })),
  };
}

/**
 * DENY requests without a request principal. A RequestAuthentication alone
 * lets token-less requests through; this closes it and no ALLOW can bypass it.
 */
export function denyWithoutTokenSpec(selector: Record<string, string>, exceptPorts?: readonly string[], exceptPrincipal?: string): AuthorizationPolicySpec {
  return {
    selector: { matchLabels: selector },
    action: AuthorizationPolicySpecAction.DENY,
    rules: [
      {
        from: [{ source: { notRequestPrincipals: ['*'] } }],
        // azureml-fe's coordination ports carry no token: they are denied to everyone but the router itself (next rule)
        ...(exceptPorts?.length ? { to: [{ operation: { notPorts: [...exceptPorts] } }] } : {}),
      },
      // on those ports, anyone but the router is denied whatever other ALLOW policy selects the pods
      ...(exceptPorts?.length && exceptPrincipal
        ? [{ from: [{ source: { notPrincipals: [exceptPrincipal] } }], to: [{ operation: { ports: [...exceptPorts] } }] }]
        : []),
    ],
  };
}

/**
 * The single ALLOW policy: callers' rules, deduplicated and sorted so the
 * bytes do not depend on declaration order.
 */
export function allowSpec(selector: Record<string, string>, rules: readonly AuthorizationPolicySpecRules[]): AuthorizationPolicySpec {
  const unique = new Map<string, AuthorizationPolicySpecRules>();
  for (const rule of rules) unique.set(canonicalJson(rule), rule);
  const sorted = sortStrings(unique.keys()).map((k) => unique.get(k)!);
  return { selector: { matchLabels: selector }, action: AuthorizationPolicySpecAction.ALLOW, rules: sorted };
}
