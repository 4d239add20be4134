import { Construct } from 'constructs';
import type { IAzureIdentity, IdentityIds, IdentityResource, NewIdentityProps } from '../azure/identity';
import { AzureScope, ScopeKind } from '../azure/scope';
import { Problem, problem } from '../errors';
import { isGuid } from '../util/names';

export type { IdentityIds, IdentityResource, NewIdentityProps } from '../azure/identity';

/**
 * Context key under which a deployment tool (the Pulumi component) passes the
 * ids of identities whose ids are known only at deploy time (created ones,
 * and existing ones declared without `clientId` and `principalId`), before
 * the app is built: either a map
 * `app.node.setContext(RESOLVED_IDENTITIES_CONTEXT, { [identity.ref]: { clientId, principalId } })`,
 * or a function `(ref) => ({ clientId, principalId }) | undefined`.
 */
export const RESOLVED_IDENTITIES_CONTEXT = 'cdk8s-azureml-mesh:resolved-identities';


/** What a deployment tool may put under {@link RESOLVED_IDENTITIES_CONTEXT}. */
export type ResolvedIdentities = Record<string, IdentityIds> | ((ref: string) => IdentityIds | undefined);

/**
 * An identity that exists. Give its ids (`clientId` and `principalId`), what
 * identifies the Azure resource (`resourceId`, or `name` and
 * `resourceGroup`), or both:
 *
 * - the ids go into the manifests (ServiceAccount annotation, `oid`
 *   conditions) and role assignments; when they are left out, the Pulumi
 *   component looks them up from the resource at deploy time;
 * - the resource is where the Pulumi component creates the identity's
 *   federated credentials; with the ids alone it cannot create them and
 *   fails, unless `createFederatedCredentials` is `false`.
 */
export interface ExistingIdentityProps {
  /**
   * The Application (client) ID, a GUID.
   *
   * @default - looked up at deploy time from `resourceId` or `name` and `resourceGroup`
   */
  readonly clientId?: string;

  /**
   * The Object (principal) ID, a GUID.
   *
   * @default - looked up at deploy time from `resourceId` or `name` and `resourceGroup`
   */
  readonly principalId?: string;

  /**
   * The identity's ARM id,
   * `/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>`
   * (`az identity show -n <name> -g <rg> --query id -o tsv`). Recorded in the
   * plan; the Pulumi component creates the federated credentials on it.
   *
   * @default - `name` and `resourceGroup`, when given
   */
  readonly resourceId?: string;

  /**
   * The identity's name (with `resourceGroup`; instead of `resourceId`).
   *
   * @default - `resourceId`, when given
   */
  readonly name?: string;

  /**
   * The identity's resource group (with `name`).
   *
   * @default - `resourceId`, when given
   */
  readonly resourceGroup?: string;

  /**
   * The identity's subscription (with `name` and `resourceGroup`).
   *
   * @default - the subscription of the azure-native provider the Pulumi component runs with
   */
  readonly subscriptionId?: string;

  /**
   * Whether the deployment tool (the Pulumi component) creates the
   * identity's federated credentials. `false` says they are managed
   * elsewhere (e.g. by the team that owns the identity): the plan still
   * lists them, marked `createFederatedCredentials: false`, and the
   * component creates none for this identity. Without `false`, an identity
   * the component cannot locate (ids only) is an error, never a skipped
   * credential.
   *
   * @default true
   */
  readonly createFederatedCredentials?: boolean;
}



/**
 * An Azure managed identity for workload identity: one that exists, or a
 * user-assigned identity to be created by the Pulumi component, whose ids
 * become known at deploy time.
 */
export class ManagedIdentity implements IAzureIdentity {
  /**
   * An identity that exists: by its client id and principal (object) id,
   * by its resource (`resourceId`, or `name` and `resourceGroup`), or both.
   */
  public static existing(props: ExistingIdentityProps): ManagedIdentity {
    return new ManagedIdentity(props, undefined);
  }

  /** A user-assigned managed identity to be created at deploy time. */
  public static create(props: NewIdentityProps): ManagedIdentity {
    return new ManagedIdentity(undefined, props);
  }

  private constructor(
    private readonly existingProps: ExistingIdentityProps | undefined,
    /** What to create, when the identity does not exist yet. */
    public readonly toCreate: NewIdentityProps | undefined,
  ) {}

  /** True when the identity is created at deploy time. */
  public get isNew(): boolean {
    return this.toCreate !== undefined;
  }

  /**
   * True when the identity's ids are known only at deploy time: it is
   * created then, or it exists and was declared without `clientId` and
   * `principalId` (the deployment tool looks them up).
   */
  public get idsResolvedAtDeploy(): boolean {
    const e = this.existingProps;
    return e === undefined || e.clientId === undefined || e.principalId === undefined;
  }

  /**
   * False when the declaration says the identity's federated credentials
   * are managed elsewhere (`createFederatedCredentials: false`).
   */
  public get createsFederatedCredentials(): boolean {
    return this.existingProps?.createFederatedCredentials !== false;
  }

  /**
   * The stable reference of the identity in the plan: the ARM id of an
   * identity to be created (lower-case); for an existing one,
   * `principal:<principalId>` when the principal id is given, else its ARM id
   * (lower-case), else `identity:<resourceGroup>/<name>` (lower-case) when no
   * subscription is declared. Role-assignment names derive from it, so it
   * does not change when ids are resolved.
   */
  public get ref(): string {
    if (this.toCreate) return this.resourceId!.toLowerCase();
    const e = this.existingProps!;
    if (e.principalId !== undefined || (e.resourceId === undefined && e.name === undefined)) {
      return `principal:${(e.principalId ?? '').toLowerCase()}`;
    }
    const id = this.resourceId;
    if (id !== undefined) return id.toLowerCase();
    return `identity:${e.resourceGroup ?? ''}/${e.name ?? ''}`.toLowerCase();
  }

  /**
   * The ARM id of the identity, when known: built for identities to create
   * and for existing ones declared by name, resource group and subscription;
   * as given otherwise.
   */
  public get resourceId(): string | undefined {
    const t = this.toCreate;
    if (t) return AzureScope.userAssignedIdentity({ subscriptionId: t.subscriptionId, resourceGroup: t.resourceGroup, name: t.name }).id;
    const e = this.existingProps!;
    if (e.resourceId !== undefined) return e.resourceId;
    if (e.name !== undefined && e.resourceGroup !== undefined && e.subscriptionId !== undefined) {
      return AzureScope.userAssignedIdentity({ subscriptionId: e.subscriptionId, resourceGroup: e.resourceGroup, name: e.name }).id;
    }
    return undefined;
  }

  /**
   * Where the identity is in Azure (where its federated credentials go),
   * when the declaration says: always for identities to create; for existing
   * ones, from `resourceId` or `name` and `resourceGroup`.
   */
  public get resource(): IdentityResource | undefined {
    const t = this.toCreate;
    if (t) return { name: t.name, resourceGroup: t.resourceGroup, subscriptionId: t.subscriptionId.toLowerCase() };
    const e = this.existingProps!;
    if (e.resourceId !== undefined) {
      const scope = AzureScope.parse(e.resourceId);
      if (scope.kind !== ScopeKind.USER_ASSIGNED_IDENTITY || scope.problems().length) return undefined;
      const match = /\/resourceGroups\/([^/]+)\//i.exec(e.resourceId);
      return { name: scope.name, resourceGroup: match![1], subscriptionId: scope.subscriptionId };
    }
    if (e.name !== undefined && e.resourceGroup !== undefined) {
      return { name: e.name, resourceGroup: e.resourceGroup, ...(e.subscriptionId !== undefined ? { subscriptionId: e.subscriptionId.toLowerCase() } : {}) };
    }
    return undefined;
  }

  /**
   * The ids declared for an existing identity (lower-cased), as far as they
   * were given; empty for identities to create.
   */
  public get declaredIds(): Partial<IdentityIds> {
    const e = this.existingProps;
    return {
      ...(e?.clientId !== undefined ? { clientId: String(e.clientId).toLowerCase() } : {}),
      ...(e?.principalId !== undefined ? { principalId: String(e.principalId).toLowerCase() } : {}),
    };
  }

  /**
   * The ids known when `scope` is built: given for existing identities;
   * else the ids a deployment tool put in the app's context
   * ({@link RESOLVED_IDENTITIES_CONTEXT}), else undefined.
   */
  public ids(scope: Construct): IdentityIds | undefined {
    if (!this.idsResolvedAtDeploy) {
      const e = this.existingProps!;
      return { clientId: e.clientId!.toLowerCase(), principalId: e.principalId!.toLowerCase() };
    }
    const resolved = scope.node.tryGetContext(RESOLVED_IDENTITIES_CONTEXT) as ResolvedIdentities | undefined;
    let ids: IdentityIds | undefined;
    if (typeof resolved === 'function') {
      ids = resolved(this.ref);
    } else {
      // ARM ids compare case-insensitively: accept the id as Azure returns it
      const key = Object.keys(resolved ?? {}).find((k) => k.toLowerCase() === this.ref);
      ids = key === undefined ? undefined : resolved![key];
    }
    // ids the declaration gives win over resolved ones (an existing identity declared with one of them)
    const declared = this.declaredIds;
    return ids && { clientId: declared.clientId ?? String(ids.clientId).toLowerCase(), principalId: declared.principalId ?? String(ids.principalId).toLowerCase() };
  }

  /**
   * What the declaration says, as written (`create` for an identity to
   * create; the given fields for an existing one, `createFederatedCredentials`
   * only when `false`): two declarations of one identity must say the same.
   */
  public get declaration(): Record<string, unknown> {
    if (this.toCreate) {
      const t = this.toCreate;
      return { create: { name: t.name, resourceGroup: t.resourceGroup, subscriptionId: t.subscriptionId, location: t.location } };
    }
    const e = this.existingProps!;
    const out: Record<string, unknown> = {};
    for (const key of ['clientId', 'principalId', 'resourceId', 'name', 'resourceGroup', 'subscriptionId'] as const) {
      if (e[key] !== undefined) out[key] = e[key];
    }
    if (e.createFederatedCredentials === false) out.createFederatedCredentials = false;
    return out;
  }

  /**
   * The ids known when `scope` is built, each as far as it is known: the
   * resolved ids ({@link ManagedIdentity.ids}), else the declared ones (an
   * existing identity declared with `clientId` or `principalId` alone still
   * has that id at synth).
   */
  public knownIds(scope: Construct): Partial<IdentityIds> {
    return this.ids(scope) ?? this.declaredIds;
  }

  /** Problems with the declaration (empty when valid). */
  public problems(field = 'identity'): Problem[] {
    return this.existingProps ? existingProblems(this.existingProps, field) : newProblems(this.toCreate!, field);
  }
}

function existingProblems(e: ExistingIdentityProps, field: string): Problem[] {
  const out: Problem[] = [];
  if (e.clientId !== undefined && !isGuid(e.clientId)) {
    out.push(problem(`${field}.clientId`, 'a GUID', e.clientId, 'use the Client ID on the managed identity\'s Overview page'));
  }
  if (e.principalId !== undefined && !isGuid(e.principalId)) {
    out.push(problem(`${field}.principalId`, 'a GUID', e.principalId, 'use the Object (principal) ID on the managed identity\'s Overview page'));
  }
  const byName = e.name !== undefined || e.resourceGroup !== undefined || e.subscriptionId !== undefined;
  if (e.resourceId !== undefined) {
    const scope = AzureScope.parse(e.resourceId);
    const problems = scope.problems(`${field}.resourceId`);
    out.push(...problems);
    if (!problems.length && scope.kind !== ScopeKind.USER_ASSIGNED_IDENTITY) {
      out.push(problem(`${field}.resourceId`, 'the ARM id of a user-assigned identity (.../providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>)', e.resourceId,
        'use `az identity show -n <name> -g <rg> --query id -o tsv`'));
    }
    if (byName) {
      out.push(problem(field, 'identified by resourceId or by name and resourceGroup, not both', { resourceId: e.resourceId, name: e.name, resourceGroup: e.resourceGroup, subscriptionId: e.subscriptionId },
        'the ARM id already names the subscription, resource group and identity'));
    }
  } else if (byName) {
    if (e.name === undefined || e.resourceGroup === undefined) {
      out.push(problem(field, 'identified by name and resourceGroup together', { name: e.name, resourceGroup: e.resourceGroup },
        'give both, or resourceId'));
    }
    // the segment rules of an ARM id; a placeholder subscription when none is declared
    const scope = AzureScope.userAssignedIdentity({
      subscriptionId: e.subscriptionId ?? '00000000-0000-0000-0000-000000000000',
      resourceGroup: e.resourceGroup ?? 'unset',
      name: e.name ?? 'unset',
    });
    // reported against the props the user wrote, not the ARM id segments
    const props: Record<string, [string, unknown]> = {
      [`${field} name segment`]: ['name', e.name],
      [`${field} resource group segment`]: ['resourceGroup', e.resourceGroup],
      [`${field} subscription segment`]: ['subscriptionId', e.subscriptionId],
    };
    for (const p of scope.problems(field)) {
      const [prop, value] = props[p.field] ?? [p.field.slice(field.length + 1), undefined];
      const rule = p.message.slice(`${p.field} must be `.length, p.message.lastIndexOf(', got '));
      out.push(problem(`${field}.${prop}`, rule, value));
    }
  }
  const located = e.resourceId !== undefined || (e.name !== undefined && e.resourceGroup !== undefined);
  if (!located && (e.clientId === undefined || e.principalId === undefined)) {
    out.push(problem(field, 'identified by clientId and principalId, by resourceId, or by name and resourceGroup',
      { clientId: e.clientId, principalId: e.principalId },
      'without the resource the ids cannot be looked up: pass resourceId (`az identity show -n <name> -g <rg> --query id -o tsv`) or name and resourceGroup'));
  }
  if (e.createFederatedCredentials !== undefined && typeof e.createFederatedCredentials !== 'boolean') {
    out.push(problem(`${field}.createFederatedCredentials`, 'a boolean', e.createFederatedCredentials));
  }
  return out;
}

function newProblems(t: NewIdentityProps, field: string): Problem[] {
  const out: Problem[] = [];
  out.push(...AzureScope.userAssignedIdentity({ subscriptionId: t.subscriptionId, resourceGroup: t.resourceGroup, name: t.name }).problems(field));
  if (typeof t.location !== 'string' || !/^[a-z0-9]+$/.test(t.location)) {
    out.push(problem(`${field}.location`, 'an Azure region name in lower case without spaces', t.location, 'e.g. "westeurope"'));
  }
  return out;
}
