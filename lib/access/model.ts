import { IConstruct } from 'constructs';
import { Artifacts } from '../diagnostics/artifacts';
import { Caller, CallerKind, ClaimCondition } from '../callers/caller';
import type { TokenIssuer } from '../entra/tenant';
import { canonicalJson, compareStrings, sortStrings } from '../util/names';
import { accessMapJson, accessMapMarkdown, accessMapMermaid } from './map';
import type { AccessMapRow } from './map-row';

/** The access map files `app.synth()` writes into the library's output folder (beside the manifests, never among them). */
export const ACCESS_MAP_FILES = { markdown: 'access-map.md', json: 'access-map.json', mermaid: 'access-map.mmd' } as const;

/**
 * How requests reach an endpoint:
 * - `mesh`: straight from a pod in the mesh, over mutual TLS;
 * - `edge`: through the edge in front of it (an NGINX controller, an Istio
 *   gateway, a Gateway API gateway), whose controller's mesh principal the
 *   endpoint admits for callers without a mesh identity of their own;
 * - `egress`: from a pod in the mesh out to an Azure ML managed online
 *   endpoint, which checks the token and the Azure role itself.
 */
export type AccessDoorKind = 'mesh' | 'edge' | 'egress';

/** A door of an endpoint. */
export interface AccessDoor {
  readonly kind: AccessDoorKind;
  /** The public host the edge serves (`edge`). */
  readonly host?: string;
  /** The mesh principals the endpoint sees on connections through this door (the edge controller's; `edge` only). */
  readonly principals?: readonly string[];
  /** What the edge is: its kind and, where it has one, the controller or gateway (`edge` only). */
  readonly edge?: string;
  /** The egress gateway, `<namespace>/<name>`, when requests leave through one (`egress` only). */
  readonly gateway?: string;
}

/**
 * What a caller must present, for the tokens of some issuers: a token of one
 * of `issuers` (for the endpoint's audiences), on a connection from one of
 * `principals` when set, with every claim of `claims`.
 */
export interface AccessRequirement {
  /** The exact `iss` values this requirement holds for (sorted); empty: no token required. */
  readonly issuers: readonly string[];
  /** The mesh principals the connection must come from (sorted); undefined: any peer in the mesh. */
  readonly principals?: readonly string[];
  /** The claims the token must carry (all of them); empty: any token of the issuers. */
  readonly claims: readonly ClaimCondition[];
}

/** One caller of one endpoint, resolved: who it is, the door it uses, and what each request must carry. */
export interface AccessGrant {
  /** The caller's key (`<kind>:<id>`), or `router:azureml-fe` for azureml-fe's coordination traffic. */
  readonly key: string;
  /** The caller's kind, or `router`. */
  readonly kind: CallerKind | 'router';
  /** The value that identifies the caller within its kind (a role value, an object id, a mesh principal). */
  readonly id: string;
  /** The door the caller comes through (`mesh`, `edge` or `egress`). */
  readonly door: AccessDoorKind;
  /** What its requests must carry; one entry per distinct condition (issuers that share one are merged). */
  readonly requirements: readonly AccessRequirement[];
  /** The ports the grant covers: only `ports`, or all but `notPorts`; undefined: every port. */
  readonly ports?: { readonly ports?: readonly string[]; readonly notPorts?: readonly string[] };
  /** Azure roles the caller's principal holds for the endpoint, as `<role name> on <scope>` (sorted); empty when Azure checks none. */
  readonly azureRoles: readonly string[];
}

/** The operations callers may request (empty lists: any). */
export interface AccessOperation {
  /** Paths (exact, `prefix*` or `*suffix`), sorted. */
  readonly paths: readonly string[];
  /** HTTP methods, sorted. */
  readonly methods: readonly string[];
}

/** What kind of endpoint it is. */
export type AccessEndpointKind = 'in-cluster' | 'azureml-kubernetes' | 'managed-online';

/** One endpoint of the access model. */
export interface AccessEndpoint {
  /** The construct path that declared it. */
  readonly path: string;
  readonly kind: AccessEndpointKind;
  /** The namespace of its pods (in-cluster); the callers' namespaces do not matter here. */
  readonly namespace?: string;
  /** The Service callers address (in-cluster). */
  readonly service?: string;
  /** The host callers address: `<service>.<namespace>.svc.cluster.local`, or the managed endpoint's scoring host. */
  readonly host: string;
  /** The pod labels its policies select (in-cluster). */
  readonly pods?: Readonly<Record<string, string>>;
  /** The Entra tenant whose tokens it accepts. */
  readonly tenantId: string;
  /** The exact issuers it accepts (sorted). */
  readonly issuers: readonly string[];
  /** The audiences a token must carry one of (sorted). */
  readonly audiences: readonly string[];
  /** Its doors, sorted by kind then host. */
  readonly doors: readonly AccessDoor[];
  /** The operations callers may request. */
  readonly operation: AccessOperation;
  /** Its callers, sorted by key. */
  readonly grants: readonly AccessGrant[];
}

/** The access model as a document (`AccessModel.toJson()`). */
export interface AccessModelDocument {
  readonly schemaVersion: 1;
  /** Every endpoint of the app, sorted by host, then construct path. */
  readonly endpoints: readonly AccessEndpoint[];
}

/**
 * The declaration resolved once: which endpoints there are, their doors,
 * who may call each of them with which token and mesh identity, on which
 * operations, with which Azure role. Every renderer reads it (the Istio
 * ALLOW rules, the access map) and nothing else of each other; a new caller
 * or edge kind changes it in one place. One per app; endpoints add
 * themselves, and are resolved when it is read (at synth), so callers added
 * after construction count.
 */
export class AccessModel {
  /** The model of the app that `scope` belongs to (created on first use). */
  public static of(scope: IConstruct): AccessModel {
    const root = scope.node.root;
    let model = AccessModel.byApp.get(root);
    if (!model) {
      model = new AccessModel();
      AccessModel.byApp.set(root, model);
      const created = model;
      // written by app.synth() on success, removed on failure: a stale map never outlives a failed synth
      const artifacts = Artifacts.of(root);
      const onSuccess = (render: (rows: AccessMapRow[]) => string) => (outcome: { error?: unknown }) => (outcome.error === undefined ? render(created.rows()) : undefined);
      artifacts?.add(ACCESS_MAP_FILES.markdown, onSuccess((rows) => accessMapMarkdown(rows)));
      artifacts?.add(ACCESS_MAP_FILES.json, onSuccess((rows) => accessMapJson(rows)));
      artifacts?.add(ACCESS_MAP_FILES.mermaid, onSuccess((rows) => accessMapMermaid(rows)));
    }
    return model;
  }

  private static readonly byApp = new WeakMap<IConstruct, AccessModel>();
  private readonly sources: Array<() => AccessEndpoint> = [];

  private constructor() {}

  /** Adds an endpoint, resolved each time the model is read. */
  public addEndpoint(resolve: () => AccessEndpoint): void {
    this.sources.push(resolve);
  }

  /** Every endpoint, resolved now, sorted by host then construct path. */
  public get endpoints(): AccessEndpoint[] {
    return this.sources.map((resolve) => resolve()).sort((a, b) => compareStrings(a.host, b.host) || compareStrings(a.path, b.path));
  }

  /** The model as a serializable document. */
  public toJson(): AccessModelDocument {
    return { schemaVersion: 1, endpoints: this.endpoints };
  }

  /** The access map: one row per caller, door and endpoint (sorted as the map sorts them). */
  public rows(): AccessMapRow[] {
    return this.endpoints.flatMap(accessRows);
  }
}

/** What the model needs of an endpoint to resolve one of its callers. */
export interface GrantContext {
  /** The issuers the endpoint accepts (in the tenant's order). */
  readonly issuers: readonly TokenIssuer[];
  /** The edge's door, when the endpoint has an edge: callers without a mesh principal of their own must come through it. */
  readonly edge?: AccessDoor;
  /** Azure roles held by the caller for the endpoint. */
  readonly azureRoles?: readonly string[];
}

/**
 * Resolves a caller for an endpoint: per issuer, who it is (its own mesh
 * principal, or the edge's when it has none) and the claims its token must
 * carry; issuers that share a condition are merged into one requirement.
 */
export function resolveGrant(caller: Caller, ctx: GrantContext): AccessGrant {
  const byCondition = new Map<string, { principals?: string[]; claims: ClaimCondition[]; issuers: string[] }>();
  let door: AccessDoorKind = 'mesh';
  for (const issuer of ctx.issuers) {
    const own = caller.identity(issuer);
    const edgePrincipals = ctx.edge?.principals ?? [];
    const principals = own.principals ?? (edgePrincipals.length ? edgePrincipals : undefined);
    if (!own.principals && edgePrincipals.length) door = 'edge';
    if (caller.kind !== CallerKind.ANY_AUTHENTICATED && !principals?.length && own.claims.length === 0) {
      // every kind but anyAuthenticated narrows who gets in; never resolve a token-only grant by accident
      throw new Error(`caller ${caller.key} resolved to a grant without principals or claims`);
    }
    const condition = { ...(principals ? { principals: [...principals] } : {}), claims: [...own.claims] };
    // with one issuer there is nothing to merge: no key needed
    const key = ctx.issuers.length === 1 ? '' : canonicalJson(condition);
    const entry = byCondition.get(key) ?? { ...condition, issuers: [] };
    entry.issuers.push(issuer.issuer);
    byCondition.set(key, entry);
  }
  return {
    key: caller.key,
    kind: caller.kind,
    id: caller.kind === CallerKind.WORKLOAD ? caller.id.split('|')[0] : caller.id,
    door,
    requirements: [...byCondition.values()].map((r) => ({
      issuers: [...r.issuers],
      ...(r.principals ? { principals: sortStrings(r.principals) } : {}),
      claims: r.claims,
    })),
    azureRoles: sortStrings(ctx.azureRoles ?? []),
  };
}

/** The access map's rows of one endpoint. */
export function accessRows(endpoint: AccessEndpoint): AccessMapRow[] {
  const name = endpoint.kind === 'managed-online' ? endpoint.host : `${endpoint.namespace}/${endpoint.service}`;
  return endpoint.grants.map((grant) => {
    const door = endpoint.doors.find((d) => d.kind === grant.door);
    const principals = sortStrings(new Set(grant.requirements.flatMap((r) => r.principals ?? ['*'])));
    return {
      endpoint: name,
      door: door?.kind === 'edge' ? `edge ${door.host}` : door?.kind === 'egress' ? `egress${door.gateway ? ` ${door.gateway}` : ''}` : 'mesh',
      caller: callerName(grant),
      principal: principals.join(', '),
      // Azure ML checks the token (for https://ml.azure.com) and the role, not the mesh
      token: endpoint.kind === 'managed-online' ? 'azure' : tokenCondition(grant),
      paths: grant.kind === 'router' ? [] : [...endpoint.operation.paths],
      methods: grant.kind === 'router' ? [] : [...endpoint.operation.methods],
      azureRole: grant.azureRoles.length ? grant.azureRoles.join(', ') : '-',
    };
  });
}

function callerName(grant: AccessGrant): string {
  if (grant.kind === 'router') return `azureml-fe router`;
  if (grant.kind === CallerKind.ANY_AUTHENTICATED) return 'anyAuthenticated';
  return `${grant.kind} ${grant.id}`;
}

/** The row contract's token column: `none`, `any`, or sorted `claim=value` alternatives joined by ` or ` (claims of one alternative by ` and `). */
function tokenCondition(grant: AccessGrant): string {
  if (grant.requirements.every((r) => r.issuers.length === 0)) return 'none';
  const alternatives = sortStrings(new Set(grant.requirements.map((r) => sortStrings(r.claims.map((c) => `${c.claim}=${c.value}`)).join(' and '))));
  return alternatives.includes('') ? 'any' : alternatives.join(' or ');
}
