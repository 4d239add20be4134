import * as fs from 'node:fs';
import * as path from 'node:path';
import { Construct } from 'constructs';
import { v5 as uuidv5 } from 'uuid';
import { Artifacts } from '../diagnostics/artifacts';
import { Problem, problem, show } from '../errors';
import { canonicalJson, compareStrings, sortStrings } from '../util/names';
import type { IAzureIdentity } from './identity';
import { AzureRole, MESH_UUID_NAMESPACE } from './role';
import { AzureScope } from './scope';

/**
 * File name of the plan, written by `app.synth()` into the library's output
 * folder (`azureml-mesh.out/` by default; see `OUTDIR_CONTEXT`), not into the
 * manifests folder (`dist/`), which holds Kubernetes objects only.
 */
export const AZURE_PLAN_FILE = 'azure-plan.json';
/** Azure's limit of federated identity credentials per user-assigned identity. */
export const MAX_FEDERATED_CREDENTIALS = 20;
/** The audience of federated credentials for workload identity. */
export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';

/** `principalType` of a role assignment. */
export enum PrincipalType {
  SERVICE_PRINCIPAL = 'ServicePrincipal',
  USER = 'User',
  GROUP = 'Group',
}

/** An identity in the plan. */
export interface PlanIdentity {
  /** Stable reference used by credentials and assignments. */
  readonly ref: string;
  /** True when the deployment tool must create it. */
  readonly create: boolean;
  /** For identities to create, and existing ones declared by name and resource group. */
  readonly name?: string;
  readonly resourceGroup?: string;
  readonly subscriptionId?: string;
  readonly location?: string;
  readonly resourceId?: string;
  /** Known for existing identities (or resolved ones). */
  readonly clientId?: string;
  readonly principalId?: string;
  /**
   * `false` when the identity's federated credentials are managed elsewhere
   * (`ManagedIdentity.existing({ createFederatedCredentials: false })`): still
   * listed under `federatedCredentials`, never created by the Pulumi component.
   */
  readonly createFederatedCredentials?: false;
}

/** A federated identity credential in the plan. */
export interface PlanFederatedCredential {
  /** The identity it is created on. */
  readonly identityRef: string;
  /** Credential name, unique per identity. */
  readonly name: string;
  /** The cluster's OIDC issuer URL, exactly. */
  readonly issuer: string;
  /** `system:serviceaccount:<namespace>:<name>`. */
  readonly subject: string;
  readonly audiences: string[];
}

/**
 * A federated credential on an Entra app registration (not on a managed
 * identity): created with Microsoft Graph (`az ad app federated-credential
 * create --id <clientId>`), which the Pulumi component does not do.
 */
export interface PlanApplicationFederatedCredential {
  /** The app registration's Application (client) ID. */
  readonly applicationClientId: string;
  /** Credential name, unique per application. */
  readonly name: string;
  /** The cluster's OIDC issuer URL, exactly. */
  readonly issuer: string;
  /** `system:serviceaccount:<namespace>:<name>`. */
  readonly subject: string;
  readonly audiences: string[];
  /** Construct paths that asked for it. */
  readonly requestedBy: string[];
}

/** A custom role definition in the plan. */
export interface PlanRoleDefinition {
  /** The definition's GUID (its ARM name). */
  readonly name: string;
  /** Full id. */
  readonly id: string;
  readonly roleName: string;
  readonly description: string;
  readonly actions: string[];
  readonly assignableScopes: string[];
}

/** A role assignment in the plan. */
export interface PlanRoleAssignment {
  /** UUID v5 of (lower-cased scope, principal, role definition id). */
  readonly name: string;
  readonly scope: string;
  readonly roleDefinitionId: string;
  readonly roleName: string;
  readonly principalType: PrincipalType;
  /** Known principal id; absent for identities created at deploy time (see `principalRef`). */
  readonly principalId?: string;
  /** The identity whose principal id the deployment tool fills in, when it is created at deploy time. */
  readonly principalRef?: string;
  /** Construct paths that asked for this assignment. */
  readonly requestedBy: string[];
}

/**
 * A grant that no Azure role backs: `SecureMlEndpoint.grantInvoke` on an
 * in-cluster endpoint (a Service, a workload, or azureml-fe). Azure checks no
 * role when such an endpoint scores, so none is assigned; the mesh's ALLOW
 * policy is the whole grant. Listed so reviewers see every grant in one file.
 */
export interface PlanMeshOnlyGrant {
  /** Construct path of the endpoint. */
  readonly endpoint: string;
  /** The endpoint's in-mesh host, e.g. `fraud.fraud.svc.cluster.local`. */
  readonly host: string;
  /** The caller the ALLOW policy admits (`<kind>:<id>`, e.g. `workload:cluster.local/ns/batch/sa/scorer|<oid>`). */
  readonly caller: string;
  readonly principalType: PrincipalType;
  /** Known principal id of the grantee. */
  readonly principalId?: string;
  /** The identity created at deploy time, when the principal id is not known yet. */
  readonly principalRef?: string;
  /** The endpoint's `azureScope`, when one was declared: recorded, not assigned. */
  readonly azureScope?: string;
}

/** The document written to `azure-plan.json`. */
export interface AzurePlanDocument {
  readonly schemaVersion: 1;
  readonly identities: PlanIdentity[];
  readonly federatedCredentials: PlanFederatedCredential[];
  /**
   * Federated credentials on app registrations (present when there is one):
   * created by you or your pipeline with Microsoft Graph; the Pulumi
   * component does not create them.
   */
  readonly applicationFederatedCredentials?: PlanApplicationFederatedCredential[];
  readonly roleDefinitions: PlanRoleDefinition[];
  readonly roleAssignments: PlanRoleAssignment[];
  /** Grants enforced by the mesh alone (no role assignment), sorted by endpoint, then caller. */
  readonly meshOnlyGrants: PlanMeshOnlyGrant[];
}

/** Who receives a role. */
export type PlanPrincipal =
  | { readonly identity: IAzureIdentity }
  | { readonly principalId: string; readonly principalType: PrincipalType };

interface AssignmentRecord {
  readonly scope: AzureScope;
  readonly role: AzureRole;
  readonly principal: PlanPrincipal;
  readonly requestedBy: Set<string>;
}

/**
 * The Azure side of an app: identities, federated credentials, custom roles
 * and role assignments, collected from bindings and grants and written to
 * `azure-plan.json` in the library's output folder (`azureml-mesh.out/` by
 * default, beside `dist/`; `OUTDIR_CONTEXT` or `CDK8S_AZUREML_MESH_OUTDIR`
 * moves it) when `app.synth()` succeeds. One per app; sorted
 * and deterministic; never holds a secret. The Pulumi component creates
 * exactly what it lists.
 */
export class AzurePlan extends Construct {
  /** The plan of the app that `scope` belongs to (created on first use). */
  public static of(scope: Construct): AzurePlan {
    const app = scope.node.root;
    const existing = app.node.tryFindChild(PLAN_ID);
    if (existing instanceof AzurePlan) return existing;
    return new AzurePlan(app, PLAN_ID);
  }

  /** Every declaration of each identity, by plan reference (one per identity value and source). */
  private readonly identities = new Map<string, Array<{ identity: IAzureIdentity; source: Construct }>>();
  /** Every credential as declared, in declaration order; identical ones collapse in the plan. */
  private readonly credentials: Array<PlanFederatedCredential & { source: string }> = [];
  private readonly assignments = new Map<string, AssignmentRecord>();
  /** Credentials on app registrations, by client id, issuer, subject and name. */
  private readonly applicationCredentials = new Map<string, Omit<PlanApplicationFederatedCredential, 'requestedBy'> & { requestedBy: Set<string> }>();
  private readonly meshOnly = new Map<string, { endpoint: string; host: string; caller: string; principal: PlanPrincipal; azureScope?: AzureScope }>();
  /** `<ns>/<sa>` → paths of the bindings that bind it. */
  private readonly serviceAccounts = new Map<string, string[]>();

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    // written by app.synth() on success; removed on failure, so no stale plan outlives a failed synth
    Artifacts.of(scope)?.add(AZURE_PLAN_FILE, (outcome) => (outcome.error === undefined ? this.render() : undefined));
  }

  /**
   * Records an identity (idempotent). Each declaration is kept: declarations
   * of one identity that differ are errors of the bindings that made them
   * (see {@link AzurePlan.bindingProblems}), never settled by declaration order.
   */
  public addIdentity(identity: IAzureIdentity, source: Construct): void {
    const declarations = this.identities.get(identity.ref) ?? [];
    if (declarations.some((d) => d.identity === identity && d.source === source)) return;
    declarations.push({ identity, source });
    this.identities.set(identity.ref, declarations);
    this.declarations = undefined;
  }

  /** Records a federated credential (idempotent per identity, issuer and subject). */
  public addFederatedCredential(identity: IAzureIdentity, credential: { name: string; issuer: string; subject: string }, source: Construct): void {
    this.addIdentity(identity, source);
    this.credentials.push({ identityRef: identity.ref, ...credential, audiences: [TOKEN_EXCHANGE_AUDIENCE], source: source.node.path });
  }

  /**
   * Records a federated credential on an app registration (idempotent per
   * application, issuer, subject and name). Kept apart from managed
   * identities' credentials: it is created through Microsoft Graph.
   */
  public addApplicationFederatedCredential(applicationClientId: string, credential: { name: string; issuer: string; subject: string }, source: Construct): void {
    const key = `${applicationClientId}|${credential.subject}|${credential.issuer}|${credential.name}`;
    const record = this.applicationCredentials.get(key)
      ?? { applicationClientId, ...credential, audiences: [TOKEN_EXCHANGE_AUDIENCE], requestedBy: new Set<string>() };
    record.requestedBy.add(source.node.path);
    this.applicationCredentials.set(key, record);
  }

  /** Records that a binding binds a ServiceAccount (each ServiceAccount is bound once). */
  public bindServiceAccount(namespace: string, name: string, source: Construct): void {
    const key = `${namespace}/${name}`;
    this.serviceAccounts.set(key, [...(this.serviceAccounts.get(key) ?? []), source.node.path]);
  }

  /**
   * Problems of the credentials and ServiceAccount that `source` declared,
   * seen against the whole app: reported by the binding, with its path.
   */
  public bindingProblems(source: Construct, serviceAccount: string): Problem[] {
    const path = source.node.path;
    const out: Problem[] = [];
    const binders = sortStrings(this.serviceAccounts.get(serviceAccount) ?? []);
    if (binders.length > 1 && binders[0] !== path) {
      out.push(problem('serviceAccount', 'bound by one MeshIdentityBinding', serviceAccount,
        `it is also bound by ${binders.filter((p) => p !== path).join(', ')}; a ServiceAccount carries one client-id annotation`));
    }
    const index = this.credentialIndex();
    for (const mine of index.bySource.get(path) ?? []) {
      const onIdentity = index.uniqueByIdentity.get(mine.identityRef) ?? [];
      const position = onIdentity.findIndex((c) => c.subject === mine.subject && c.issuer === mine.issuer);
      if (position >= MAX_FEDERATED_CREDENTIALS) {
        out.push(problem(`identity ${mine.identityRef}`, `an identity with at most ${MAX_FEDERATED_CREDENTIALS} federated credentials (Azure's limit)`,
          onIdentity.length, 'bind fewer ServiceAccounts to this identity, or use one identity per workload'));
      }
      const sameName = onIdentity.find((c) => c.name === mine.name && (c.subject !== mine.subject || c.issuer !== mine.issuer));
      if (sameName) {
        out.push(problem('credentialName', `unique on identity ${mine.identityRef}`, mine.name, `it is also used for ${sameName.subject}; set credentialName`));
      }
      const renamed = (index.bySubject.get(`${mine.identityRef}|${mine.subject}|${mine.issuer}`) ?? []).find((c) => c.name !== mine.name);
      if (renamed) {
        out.push(problem('credentialName', `the same for every binding of ${mine.subject}`, mine.name, `${renamed.source} names it "${renamed.name}"`));
      }
    }
    out.push(...this.declarationProblems(source));
    return out;
  }

  /**
   * The identities `source` declared, against every other declaration: one
   * plan reference declared two ways (ids, resource or
   * createFederatedCredentials differ), or one Azure resource under two
   * references. Reported to every binding involved, whatever the order.
   */
  private declarationProblems(source: Construct): Problem[] {
    const out: Problem[] = [];
    const hint = 'declare one ManagedIdentity and pass it to every binding and grant';
    const index = this.declarationIndex();
    for (const { ref, identity } of index.bySource.get(source.node.path) ?? []) {
      const key = declarationKey(identity);
      const other = sortBy(this.identities.get(ref)!.filter((d) => declarationKey(d.identity) !== key), (d) => d.source.node.path)[0];
      if (other) {
        out.push(problem('identity', `declared as ${other.source.node.path} declares identity ${ref}`, identity.declaration,
          `${other.source.node.path} declares ${show(other.identity.declaration)}: one identity has one set of ids, one resource and one createFederatedCredentials setting; ${hint}`));
      }
      const resource = resourceKey(identity);
      if (resource === undefined) continue;
      const others = (index.byResource.get(resource.key) ?? []).filter((o) => o.ref !== ref && sameSubscription(o.subscriptionId, resource.subscriptionId));
      const twice = sortBy(others, (o) => o.path)[0];
      if (twice) {
        out.push(problem('identity', `the only declaration of user-assigned identity ${resource.key}`, ref,
          `${twice.path} declares it as ${twice.ref}: its credentials and role assignments would be written twice (concurrent writes to one identity fail); ${hint}`));
      }
    }
    return out;
  }

  /** Declarations by source path and by Azure resource (`<resource group>/<name>`, lower-case), rebuilt when an identity was added. */
  private declarationIndex(): NonNullable<AzurePlan['declarations']> {
    if (!this.declarations) {
      const bySource = new Map<string, Array<{ ref: string; identity: IAzureIdentity }>>();
      const byResource = new Map<string, Array<{ ref: string; path: string; subscriptionId?: string }>>();
      for (const [ref, declarations] of this.identities) {
        for (const d of declarations) {
          const path = d.source.node.path;
          bySource.set(path, [...(bySource.get(path) ?? []), { ref, identity: d.identity }]);
          const resource = resourceKey(d.identity);
          if (resource) byResource.set(resource.key, [...(byResource.get(resource.key) ?? []), { ref, path, subscriptionId: resource.subscriptionId }]);
        }
      }
      this.declarations = { bySource, byResource };
    }
    return this.declarations;
  }

  private declarations?: {
    bySource: Map<string, Array<{ ref: string; identity: IAzureIdentity }>>;
    byResource: Map<string, Array<{ ref: string; path: string; subscriptionId?: string }>>;
  };

  /** Records a role assignment (idempotent per scope, principal and role); returns its name. */
  public addRoleAssignment(assignment: { scope: AzureScope; role: AzureRole; principal: PlanPrincipal }, source: Construct): string {
    if ('identity' in assignment.principal) this.addIdentity(assignment.principal.identity, source);
    const name = roleAssignmentName(assignment.scope, principalKey(assignment.principal), assignment.role.roleDefinitionId(assignment.scope.subscriptionId));
    const record = this.assignments.get(name) ?? { ...assignment, requestedBy: new Set<string>() };
    record.requestedBy.add(source.node.path);
    this.assignments.set(name, record);
    return name;
  }

  /**
   * Records a grant that the mesh alone enforces (idempotent per endpoint
   * and caller): no role assignment, no identity added.
   */
  public addMeshOnlyGrant(grant: { host: string; caller: string; principal: PlanPrincipal; azureScope?: AzureScope }, endpoint: Construct): void {
    const key = `${endpoint.node.path}|${grant.caller}`;
    if (!this.meshOnly.has(key)) this.meshOnly.set(key, { ...grant, endpoint: endpoint.node.path });
  }

  /** The plan document (sorted, deterministic). */
  public toJson(): AzurePlanDocument {
    const identities = sortStrings(this.identities.keys()).map((ref) => planIdentity(this.declarationOf(ref).identity, this.declarationOf(ref).source));
    const credentials = this.uniqueCredentials();
    const assignments = sortStrings(this.assignments.keys()).map((name) => this.planAssignment(name));
    const applicationCredentials = sortStrings(this.applicationCredentials.keys()).map((k) => {
      const r = this.applicationCredentials.get(k)!;
      return { ...r, requestedBy: sortStrings(r.requestedBy) };
    });
    return {
      schemaVersion: 1,
      identities,
      federatedCredentials: credentials,
      ...(applicationCredentials.length ? { applicationFederatedCredentials: applicationCredentials } : {}),
      roleDefinitions: this.roleDefinitions(),
      roleAssignments: assignments,
      meshOnlyGrants: sortStrings(this.meshOnly.keys()).map((key) => this.planMeshOnlyGrant(key)),
    };
  }

  /**
   * Writes `azure-plan.json` into `dir`. `app.synth()` does it already, into
   * the library's output folder (`meshOutdir(app)`); this is for a plan
   * wanted elsewhere too.
   */
  public write(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, AZURE_PLAN_FILE), this.render());
  }

  /** The file's content: the document, indented, with a final newline. */
  private render(): string {
    return `${JSON.stringify(this.toJson(), null, 2)}\n`;
  }

  /**
   * Credentials indexed for the per-binding checks, rebuilt only when a
   * credential was added (the list only grows): one pass for all bindings.
   */
  private credentialIndex() {
    if (this.index?.size !== this.credentials.length) {
      const bySource = new Map<string, Array<PlanFederatedCredential & { source: string }>>();
      const bySubject = new Map<string, Array<PlanFederatedCredential & { source: string }>>();
      for (const c of this.credentials) {
        bySource.set(c.source, [...(bySource.get(c.source) ?? []), c]);
        const key = `${c.identityRef}|${c.subject}|${c.issuer}`;
        bySubject.set(key, [...(bySubject.get(key) ?? []), c]);
      }
      const uniqueByIdentity = new Map<string, PlanFederatedCredential[]>();
      for (const c of this.uniqueCredentials()) uniqueByIdentity.set(c.identityRef, [...(uniqueByIdentity.get(c.identityRef) ?? []), c]);
      this.index = { size: this.credentials.length, bySource, bySubject, uniqueByIdentity };
    }
    return this.index;
  }

  private index?: {
    size: number;
    bySource: Map<string, Array<PlanFederatedCredential & { source: string }>>;
    bySubject: Map<string, Array<PlanFederatedCredential & { source: string }>>;
    uniqueByIdentity: Map<string, PlanFederatedCredential[]>;
  };

  /** Credentials without duplicates, sorted by identity, subject and issuer. */
  private uniqueCredentials(): PlanFederatedCredential[] {
    const unique = new Map<string, PlanFederatedCredential>();
    for (const { source: _source, ...c } of this.credentials) {
      const key = `${c.identityRef}|${c.subject}|${c.issuer}|${c.name}`;
      if (!unique.has(key)) unique.set(key, c);
    }
    return sortStrings(unique.keys()).map((k) => unique.get(k)!);
  }

  /**
   * The declaration an identity is rendered from: the one whose source path
   * sorts first (declarations that differ fail validation; this keeps even
   * equal ones, written in different letter case, independent of order).
   */
  private declarationOf(ref: string): { identity: IAzureIdentity; source: Construct } {
    return sortBy(this.identities.get(ref)!, (d) => d.source.node.path)[0];
  }

  private planAssignment(name: string): PlanRoleAssignment {
    const r = this.assignments.get(name)!;
    const sub = r.scope.subscriptionId;
    const base = {
      name,
      scope: r.scope.id,
      roleDefinitionId: r.role.roleDefinitionId(sub),
      roleName: r.role.customDefinition(sub)?.roleName ?? r.role.displayName,
      requestedBy: sortStrings(r.requestedBy),
    };
    if ('identity' in r.principal) {
      const ids = r.principal.identity.ids(this.declarationOf(r.principal.identity.ref).source);
      return {
        ...base,
        principalType: PrincipalType.SERVICE_PRINCIPAL,
        ...(ids ? { principalId: ids.principalId } : {}),
        ...(r.principal.identity.idsResolvedAtDeploy ? { principalRef: r.principal.identity.ref } : {}),
      };
    }
    return { ...base, principalType: r.principal.principalType, principalId: r.principal.principalId.toLowerCase() };
  }

  private planMeshOnlyGrant(key: string): PlanMeshOnlyGrant {
    const g = this.meshOnly.get(key)!;
    const base = { endpoint: g.endpoint, host: g.host, caller: g.caller };
    const scope = g.azureScope ? { azureScope: g.azureScope.id } : {};
    if ('identity' in g.principal) {
      const identity = g.principal.identity;
      const ids = identity.ids(this);
      return {
        ...base,
        principalType: PrincipalType.SERVICE_PRINCIPAL,
        ...(ids ? { principalId: ids.principalId } : {}),
        ...(identity.idsResolvedAtDeploy ? { principalRef: identity.ref } : {}),
        ...scope,
      };
    }
    return { ...base, principalType: g.principal.principalType, principalId: String(g.principal.principalId).toLowerCase(), ...scope };
  }

  private roleDefinitions(): PlanRoleDefinition[] {
    const bySub = new Map<string, { role: AzureRole; scopes: Set<string> }>();
    for (const r of this.assignments.values()) {
      if (!r.role.isCustom) continue;
      const sub = r.scope.subscriptionId;
      const key = `${sub}|${r.role.guid(sub)}`;
      const entry = bySub.get(key) ?? { role: r.role, scopes: new Set<string>() };
      entry.scopes.add(`/subscriptions/${sub}`);
      bySub.set(key, entry);
    }
    return sortStrings(bySub.keys()).map((key) => {
      const { role, scopes } = bySub.get(key)!;
      const sub = key.split('|')[0];
      const def = role.customDefinition(sub)!;
      return {
        name: role.guid(sub),
        id: role.roleDefinitionId(sub),
        roleName: def.roleName,
        description: def.description,
        actions: [...def.actions],
        assignableScopes: sortStrings(scopes),
      };
    });
  }
}

const PLAN_ID = 'AzurePlan';

/** UUID v5 of (lower-cased scope, principal, lower-cased role definition id). */
export function roleAssignmentName(scope: AzureScope, principal: string, roleDefinitionId: string): string {
  return uuidv5(`${scope.id.toLowerCase()}|${principal.toLowerCase()}|${roleDefinitionId.toLowerCase()}`, MESH_UUID_NAMESPACE);
}

function principalKey(principal: PlanPrincipal): string {
  return 'identity' in principal ? principal.identity.ref : `principal:${principal.principalId.toLowerCase()}`;
}

/** Sorted copy of `items` by a string key (stable for equal keys). */
function sortBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  return [...items].sort((a, b) => compareStrings(key(a), key(b)));
}

const declarationKeys = new WeakMap<IAzureIdentity, string>();

/** A declaration compared case-insensitively (ARM names, ids and regions are). */
function declarationKey(identity: IAzureIdentity): string {
  let key = declarationKeys.get(identity);
  if (key === undefined) declarationKeys.set(identity, key = canonicalJson(identity.declaration).toLowerCase());
  return key;
}

/** The Azure resource of an identity, when the declaration names it: `<resource group>/<name>` (lower-case) and the subscription. */
function resourceKey(identity: IAzureIdentity): { key: string; subscriptionId?: string } | undefined {
  const r = identity.resource;
  return r && { key: `${r.resourceGroup}/${r.name}`.toLowerCase(), subscriptionId: r.subscriptionId?.toLowerCase() };
}

/** Two subscriptions that may be one (an identity declared without one is in the deployment tool's). */
function sameSubscription(a: string | undefined, b: string | undefined): boolean {
  return a === undefined || b === undefined || a === b;
}

function planIdentity(identity: IAzureIdentity, source: Construct): PlanIdentity {
  const ids = identity.knownIds(source);
  const t = identity.toCreate;
  // an existing identity declared by name and resource group (not by resourceId) lists them
  const located = !t && identity.resourceId === undefined ? identity.resource : undefined;
  return {
    ref: identity.ref,
    create: identity.isNew,
    ...(t ? { name: t.name, resourceGroup: t.resourceGroup, subscriptionId: t.subscriptionId.toLowerCase(), location: t.location } : {}),
    ...(located ? { name: located.name, resourceGroup: located.resourceGroup } : {}),
    ...(identity.resourceId ? { resourceId: identity.resourceId } : {}),
    ...(ids.clientId !== undefined ? { clientId: ids.clientId } : {}),
    ...(ids.principalId !== undefined ? { principalId: ids.principalId } : {}),
    ...(identity.createsFederatedCredentials ? {} : { createFederatedCredentials: false as const }),
  };
}
