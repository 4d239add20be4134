import { Problem, problem, warning } from '../errors';
import type { TokenIssuer } from '../entra/tenant';
import { isGuid } from '../util/names';

/** The kinds of caller; the string is used in keys and messages. */
export enum CallerKind {
  APP_ROLE = 'appRole',
  GROUP = 'group',
  APPLICATION = 'application',
  SERVICE_PRINCIPAL = 'servicePrincipal',
  USER = 'user',
  ANY_AUTHENTICATED = 'anyAuthenticated',
  WORKLOAD = 'workload',
}

/**
 * A token claim the caller's requests must carry, as the token names it:
 * `roles`, `groups` and `oid` hold the value (or, for a list claim, list
 * it); `azp` (v2 tokens) and `appid` (v1 tokens) are the client application.
 */
export interface ClaimCondition {
  /** The claim's name in the token. */
  readonly claim: 'roles' | 'groups' | 'oid' | 'azp' | 'appid';
  /** The value it must hold (lower-case for GUIDs). */
  readonly value: string;
}

/**
 * Who a caller is, for tokens of one issuer: the mesh principal its
 * connections come from, when it has one of its own, and the claims its
 * token must carry (all of them; none: any token of the issuer). What it
 * says is mesh-neutral: the access model reads it, and each renderer
 * (Istio's ALLOW rules, the access map) says how it is enforced.
 */
export interface CallerIdentity {
  /** The caller's own mesh principals (a workload's); undefined when it has none and must come through a door. */
  readonly principals?: readonly string[];
  /** The claims the token must carry (ANDed); empty: any token of the issuer. */
  readonly claims: readonly ClaimCondition[];
}

type IdentityFn = (issuer: TokenIssuer) => CallerIdentity;

/** A workload in the mesh with an Azure identity (implemented by MeshIdentityBinding). */
export interface IMeshWorkload {
  /** `<trustDomain>/ns/<namespace>/sa/<serviceaccount>`. */
  readonly meshPrincipal: string;
  /** The identity's principal (object) id, when known at synth. */
  readonly principalId?: string;
  /**
   * The workload's Azure identity (a binding's `identity`): when it is set
   * and `principalId` is not, the principal id exists but is not known at
   * synth, and the caller warns (its rule has no `oid` condition).
   *
   * @default - no Azure identity: the mesh principal alone, by intent
   */
  readonly identity?: { readonly ref: string };
}

/** Printable ASCII without spaces and without `*` (Istio reads `*` as a prefix/suffix/presence match). */
const APP_ROLE_VALUE = /^[\x21-\x29\x2b-\x7e]{1,249}$/;
/** `<trustDomain>/ns/<namespace>/sa/<serviceaccount>`, no wildcards. */
const MESH_PRINCIPAL = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/ns\/[a-z0-9]([-a-z0-9]*[a-z0-9])?\/sa\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** True for `<trustDomain>/ns/<namespace>/sa/<serviceaccount>` without wildcards. */
export function isMeshPrincipal(value: unknown): value is string {
  return typeof value === 'string' && MESH_PRINCIPAL.test(value);
}

/**
 * Who may invoke an endpoint. Each caller becomes one or more rules of the
 * endpoint's single ALLOW AuthorizationPolicy; every rule requires a token
 * from the tenant's issuer(s) (`requestPrincipals: ["<issuer>/*"]`) and the
 * RequestAuthentication checks its signature and audience.
 *
 * Prefer {@link Caller.appRole}: app roles are assigned in Entra, travel in
 * the `roles` claim of both user and app-only tokens, and never overflow.
 *
 * @see https://istio.io/latest/docs/reference/config/security/conditions/
 */
export class Caller {
  /**
   * Callers whose token carries the app role `value` in the `roles` claim
   * (the recommended primitive: assign the role to users, groups or apps in Entra).
   *
   * @param value the app role's **value** as defined in the API's app registration (not its display name)
   */
  public static appRole(value: string): Caller {
    const problems = APP_ROLE_VALUE.test(value ?? '')
      ? []
      : [problem('appRole', 'an app role value (1-249 printable characters, no spaces, no "*")', value, 'use the role\'s "Value" from App roles in the app registration')];
    return new Caller(CallerKind.APP_ROLE, value, problems, () => ({ claims: [{ claim: 'roles', value }] }));
  }

  /**
   * Callers whose token lists the security group `objectId` in the `groups` claim.
   *
   * A token carries at most 200 groups (JWT); a user in more groups gets an
   * overage indicator (`_claim_names`/`_claim_sources`) instead of the list and
   * is then **denied** here. Prefer {@link Caller.appRole} assigned to the group.
   *
   * @param objectId the group's Object ID (a GUID)
   * @see https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference#groups-overage-claim
   */
  public static group(objectId: string): Caller {
    const problems = isGuid(objectId)
      ? []
      : [problem('group', 'a group Object ID (GUID)', objectId, 'find it on the group\'s Overview page in the Entra admin center')];
    return new Caller(CallerKind.GROUP, lower(objectId), problems, () => ({ claims: [{ claim: 'groups', value: lower(objectId) }] }));
  }

  /**
   * A client application, by its Application (client) ID: the `azp` claim of
   * v2 tokens (`request.auth.presenter`) or the `appid` claim of v1 tokens.
   * Matches tokens the app obtained for itself and for signed-in users.
   *
   * @param clientId the Application (client) ID (a GUID)
   */
  public static application(clientId: string): Caller {
    const problems = isGuid(clientId)
      ? []
      : [problem('application', 'an Application (client) ID (GUID)', clientId, 'find it on the app registration\'s Overview page')];
    return new Caller(CallerKind.APPLICATION, lower(clientId), problems, (issuer) => ({
      claims: [{ claim: issuer.clientAppClaim, value: lower(clientId) }],
    }));
  }

  /**
   * A user, by the Object ID in the `oid` claim of tokens issued for them.
   *
   * @param objectId the user's Object ID (a GUID)
   */
  public static user(objectId: string): Caller {
    const problems = isGuid(objectId)
      ? []
      : [problem('user', 'a user Object ID (GUID)', objectId, 'find it on the user\'s Overview page in the Entra admin center')];
    return new Caller(CallerKind.USER, lower(objectId), problems, () => ({ claims: [{ claim: 'oid', value: lower(objectId) }] }));
  }

  /**
   * A service principal or managed identity, by its Object (principal) ID in
   * the `oid` claim.
   *
   * @param objectId the service principal's Object ID (a GUID; for a managed identity, its principal id)
   */
  public static servicePrincipal(objectId: string): Caller {
    const problems = isGuid(objectId)
      ? []
      : [problem('servicePrincipal', 'an Object (principal) ID (GUID)', objectId, 'use the Object ID of the enterprise application, not the client id')];
    return new Caller(CallerKind.SERVICE_PRINCIPAL, lower(objectId), problems, () => ({ claims: [{ claim: 'oid', value: lower(objectId) }] }));
  }

  /**
   * Any caller with a valid token of the tenant for the endpoint's audiences.
   * An explicit opt-in: every other caller kind narrows who gets in.
   */
  public static anyAuthenticated(): Caller {
    return new Caller(CallerKind.ANY_AUTHENTICATED, '*', [], () => ({ claims: [] }));
  }

  /**
   * A workload in the mesh: requests must come from its mesh principal
   * (`<trustDomain>/ns/<ns>/sa/<sa>`, proven by mTLS) AND carry a token of
   * the tenant — whose `oid` is the identity's principal id when it is known.
   * Works across namespaces: the policy lives in the endpoint's namespace.
   */
  public static workload(workload: IMeshWorkload): Caller {
    const principal = workload.meshPrincipal;
    const principalId = workload.principalId?.toLowerCase();
    const problems: Problem[] = [];
    if (typeof principal !== 'string' || !MESH_PRINCIPAL.test(principal)) {
      problems.push(problem('workload', 'a mesh principal "<trustDomain>/ns/<namespace>/sa/<serviceaccount>" without wildcards', principal));
    }
    if (principalId !== undefined && !isGuid(principalId)) {
      problems.push(problem('workload.principalId', 'a GUID', workload.principalId));
    }
    // an identity whose principal id is not known yet (plain cdk8s synth of a created identity, or of an existing one declared without it)
    const warnings = principalId === undefined && workload.identity !== undefined
      ? [warning('workload', `is ${principal}, whose identity ${workload.identity.ref} has no principal id at synth: its ALLOW rule admits the mesh principal with any token of the tenant, `
        + 'without the identity\'s oid condition; declare principalId in ManagedIdentity.existing, or deploy with the Pulumi component (AzureMlMesh), which resolves it')]
      : [];
    return new Caller(CallerKind.WORKLOAD, `${principal}${principalId ? `|${principalId}` : ''}`, problems, () => ({
      principals: [principal],
      claims: principalId ? [{ claim: 'oid', value: principalId }] : [],
    }), isMeshPrincipal(principal) ? principal.split('/')[2] : undefined, warnings);
  }

  private constructor(
    /** The kind of caller. */
    public readonly kind: CallerKind,
    /** The value that identifies the caller within its kind. */
    public readonly id: string,
    private readonly declarationProblems: Problem[],
    private readonly identityFn: IdentityFn,
    /** For a workload caller, the namespace of its mesh principal (where its connections come from). */
    public readonly meshNamespace?: string,
    private readonly declarationWarnings: Problem[] = [],
  ) {}

  /** A key unique per distinct caller: `<kind>:<id>`. */
  public get key(): string {
    return `${this.kind}:${this.id}`;
  }

  /** Problems with this declaration (empty when valid). */
  public problems(): Problem[] {
    return [...this.declarationProblems];
  }

  /**
   * What is legal but probably a mistake in this declaration (a workload
   * whose identity's principal id is unknown at synth): reported as warnings
   * by the endpoint that admits the caller, errors in strict mode.
   */
  public warnings(): Problem[] {
    return [...this.declarationWarnings];
  }

  /**
   * Who this caller is for tokens of `issuer`: its own mesh principal (a
   * workload's) and the claims its token must carry. The access model
   * resolves it per endpoint (adding the door's principal for callers
   * without one of their own); renderers say how it is enforced.
   */
  public identity(issuer: TokenIssuer): CallerIdentity {
    const own = this.identityFn(issuer);
    return { ...(own.principals ? { principals: [...own.principals] } : {}), claims: own.claims.map((c) => ({ ...c })) };
  }
}

function lower(value: string): string {
  return typeof value === 'string' ? value.toLowerCase() : value;
}
