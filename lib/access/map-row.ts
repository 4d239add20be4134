/**
 * One line of the access map: one caller reaching one endpoint through one
 * door. The map is a sorted list of these (by endpoint, door, caller, then
 * the rest), so a pull request diff shows one access change as one line.
 *
 * The same row format is produced from the declaration (at synth, through
 * the access model) and from manifests alone (`cdk8s-azureml-mesh
 * access-map`): `endpoint`, `door`, `principal`, `token`, `paths` and
 * `methods` are what the manifests say too; `caller` and `azureRole` are
 * richer when the declaration is known.
 */
export interface AccessMapRow {
  /** The endpoint: `<namespace>/<service>`, or a managed online endpoint's scoring host. */
  readonly endpoint: string;
  /**
   * How requests reach it: `mesh` (straight from a pod in the mesh),
   * `edge <host>` (through the edge that serves the public host), or
   * `egress` / `egress <namespace>/<gateway service>` (out of the mesh to
   * an Azure ML managed online endpoint, through the egress gateway when
   * there is one).
   */
  readonly door: string;
  /**
   * Who the caller is. From the declaration: `appRole <value>`, `group
   * <object id>`, `application <client id>`, `user <object id>`,
   * `servicePrincipal <object id>`, `workload <mesh principal>`,
   * `anyAuthenticated`, or `azureml-fe router` (its internal ports). From
   * manifests alone: the token condition and principal it was read from.
   */
  readonly caller: string;
  /**
   * The mesh principal the endpoint's proxy must see on the connection (the
   * edge's, or the workload's own); `*` when any peer in the mesh may
   * connect (token-only callers without an edge).
   */
  readonly principal: string;
  /**
   * The token the request must carry, beyond a valid token of the
   * endpoint's issuers for its audiences: `any` (no claim condition), one
   * or more `claim=value` alternatives joined by ` or ` (sorted; claims
   * `roles`, `groups`, `oid`, `azp` (v2 tokens), `appid` (v1 tokens)), or
   * `none` when no token is required (the azureml-fe router's internal ports),
   * or `azure` for an Azure ML managed online endpoint (Azure checks the
   * Entra token for `https://ml.azure.com` and the caller's role).
   */
  readonly token: string;
  /** The paths the caller may request (sorted; empty: any path). */
  readonly paths: readonly string[];
  /** The methods the caller may use (sorted; empty: any method). */
  readonly methods: readonly string[];
  /**
   * The Azure role the caller's principal holds for the endpoint, as
   * `<role name> on <scope>`, or `-` when the grant is mesh-only (Azure does
   * not check RBAC for an in-cluster endpoint) or unknown (manifests alone).
   */
  readonly azureRole: string;
}
