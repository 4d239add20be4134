import * as authorization from '@pulumi/azure-native/authorization';
import * as managedidentity from '@pulumi/azure-native/managedidentity';
import type { Provider as KubernetesProvider } from '@pulumi/kubernetes/provider';
import * as pulumi from '@pulumi/pulumi';
import { App } from 'cdk8s';
import { AzurePlan, AzurePlanDocument, PlanFederatedCredential, PlanIdentity, PlanRoleAssignment } from '../azure/plan';
import { ManagedOnlineEndpoint } from '../egress/managed-online-endpoint';
import { MeshValidationError, problem } from '../errors';
import { RESOLVED_IDENTITIES_CONTEXT } from '../identity/managed-identity';
import { KubernetesObject, applyManifests, synthObjects } from './kubernetes';
import { IdentityPlaceholders } from './placeholders';

/** Arguments of {@link AzureMlMesh}. */
export interface AzureMlMeshArgs {
  /**
   * Builds the cdk8s app (charts, endpoints, bindings, grants). Called once,
   * at construction: ids known only at deploy time (identities created here,
   * existing ones declared without ids) are placeholders the component
   * replaces with the identities' Outputs, so nothing waits for them.
   */
  readonly build: (app: App) => void;

  /**
   * Applies the synthesized manifests with this provider, one Kubernetes
   * resource per object, after the identities, credentials and role
   * assignments they depend on.
   *
   * @default - manifests are only returned as `manifests`
   */
  readonly kubernetesProvider?: KubernetesProvider;
}

/** Ids of one identity, as outputs. */
export interface IdentityOutputs {
  readonly clientId: pulumi.Output<string>;
  readonly principalId: pulumi.Output<string>;
}

/** A federated credential the component creates, with the resource it waits for. */
export interface CredentialResource {
  readonly credential: managedidentity.FederatedIdentityCredential;
  /** The previous credential on the same identity, or the identity when it is created here. */
  readonly after?: pulumi.Resource;
}

/**
 * The Azure side and the manifests of a cdk8s-azureml-mesh app in one
 * `pulumi up`: user-assigned identities to create, existing identities
 * looked up, their federated credentials (one at a time per identity: Azure
 * rejects concurrent writes to one identity), the custom invoker role, every
 * role assignment of the plan under its UUID v5 name with an explicit
 * `principalType`, and optionally the manifests, one Kubernetes resource per
 * object with the identities' ids as Outputs (so `pulumi preview` lists them
 * while the identities are still to be created).
 *
 * Import it from `cdk8s-azureml-mesh/pulumi`; the main entry never loads Pulumi.
 */
export class AzureMlMesh extends pulumi.ComponentResource {
  /** The plan the component realized (ids known only at deploy time left out, as `cdk8s synth` writes it). */
  public readonly plan: AzurePlanDocument;
  /** Client and principal ids per identity reference of the plan. */
  public readonly identities: Record<string, IdentityOutputs>;
  /** Scoring URLs of the app's managed online endpoints. */
  public readonly scoringUrls: string[];
  /** The manifests with the resolved ids (multi-document YAML). */
  public readonly manifests: pulumi.Output<string>;
  /**
   * The applied manifests, one resource per object (Namespaces first, then the `security.istio.io`
   * objects and NetworkPolicies, which every workload waits for, then in synthesis order),
   * named `<name>/<kind>/<namespace>/<object name>` (`<name>/<kind>/<object name>`
   * for cluster-scoped kinds); empty without a Kubernetes provider.
   */
  public readonly kubernetesResources: pulumi.CustomResource[];
  /** The user-assigned identities created, by plan reference. */
  public readonly createdIdentities: ReadonlyMap<string, managedidentity.UserAssignedIdentity>;
  /** The federated credentials in creation order, each with the resource it waits for. */
  public readonly credentials: ReadonlyArray<CredentialResource>;
  /** The custom role definitions. */
  public readonly roleDefinitions: authorization.RoleDefinition[];
  /** The role assignments, in plan order. */
  public readonly roleAssignments: authorization.RoleAssignment[];

  constructor(name: string, args: AzureMlMeshArgs, opts?: pulumi.ComponentResourceOptions) {
    super('cdk8s-azureml-mesh:index:AzureMlMesh', name, {}, opts);

    const placeholders = new IdentityPlaceholders();
    const { app, yaml, objects } = this.synth(args, placeholders);
    // the plan as synthesized, placeholders included: what the component creates is read from it (placeholders
    // replaced by Outputs); the public plan strips them, as `cdk8s synth` writes it
    const planned = AzurePlan.of(app).toJson();
    this.plan = placeholders.strip(planned);
    this.scoringUrls = app.node.findAll()
      .filter((c): c is ManagedOnlineEndpoint => c instanceof ManagedOnlineEndpoint)
      .map((e) => e.scoringUrl)
      .sort();

    const problems = this.identityProblems();
    if (problems.length) throw new pulumi.ResourceError(new MeshValidationError(problems).message, this, true);

    const created = new Map<string, managedidentity.UserAssignedIdentity>();
    const found = new Map<string, pulumi.Output<managedidentity.GetUserAssignedIdentityResult>>();
    this.identities = {};
    for (const identity of this.plan.identities) {
      if (identity.create) {
        const uai = new managedidentity.UserAssignedIdentity(`${name}-identity-${identity.name}`, {
          resourceName: identity.name,
          resourceGroupName: identity.resourceGroup!,
          location: identity.location,
        }, { parent: this });
        created.set(identity.ref, uai);
        this.identities[identity.ref] = { clientId: uai.clientId, principalId: uai.principalId };
        continue;
      }
      // looked up for its ids, or to check the identity its credentials go to
      const target = identityTarget(identity);
      const needed = identity.clientId === undefined || identity.principalId === undefined || identity.createFederatedCredentials !== false;
      const lookup = target && needed ? this.lookUp(identity, target) : undefined;
      if (lookup) found.set(identity.ref, lookup);
      // with a lookup, even declared ids come from it: it fails on a declared id that is not the identity's,
      // so nothing that uses them (role assignments, manifests) is created before that check
      this.identities[identity.ref] = lookup
        ? { clientId: lookup.clientId, principalId: lookup.principalId }
        : { clientId: pulumi.output(identity.clientId!), principalId: pulumi.output(identity.principalId!) };
    }

    this.createdIdentities = created;
    this.credentials = this.createCredentials(name, created, found);
    const roles = this.createRoleDefinitions(name);
    this.roleDefinitions = [...roles.values()];

    // one synthesis; placeholders become the identities' Outputs
    const idOf = (t: { ref: string; field: 'clientId' | 'principalId' }) => {
      const ids = this.identities[t.ref];
      if (!ids) throw new pulumi.ResourceError(`manifests: identity ${t.ref} must be in the Azure plan (bound by a MeshIdentityBinding or granted a role), got its ${t.field} used outside of it`, this);
      return ids[t.field];
    };
    this.roleAssignments = planned.roleAssignments.map((ra) => this.createAssignment(name, ra, roles, (text) => placeholders.substituteText(text, idOf)));
    this.manifests = pulumi.output(placeholders.substituteText(yaml, idOf));
    this.kubernetesResources = args.kubernetesProvider
      ? applyManifests(name, objects.map((o) => placeholders.substitute(o, idOf) as KubernetesObject), {
        parent: this,
        provider: args.kubernetesProvider,
        dependsOn: [...this.credentials.map((c) => c.credential), ...this.roleAssignments],
      })
      : [];

    this.registerOutputs({
      identities: this.identities,
      scoringUrls: this.scoringUrls,
      manifests: this.manifests,
    });
  }

  /** Builds and validates the app once; errors become a ResourceError naming every problem. */
  private synth(args: AzureMlMeshArgs, placeholders: IdentityPlaceholders): { app: App; yaml: string; objects: KubernetesObject[] } {
    const app = new App({ outdir: 'dist' });
    app.node.setContext(RESOLVED_IDENTITIES_CONTEXT, placeholders.resolve);
    try {
      args.build(app);
      return { app, ...synthObjects(app) };
    } catch (e) {
      throw new pulumi.ResourceError((e as Error).message, this, e instanceof MeshValidationError);
    }
  }

  /**
   * Identities whose federated credentials cannot be created: existing ones
   * known by their ids alone (no resource to put the credentials on), unless
   * the declaration says the credentials are managed elsewhere.
   */
  private identityProblems(): string[] {
    const out: string[] = [];
    for (const identity of this.plan.identities) {
      if (identity.create || identity.createFederatedCredentials === false || identityTarget(identity)) continue;
      const subjects = this.plan.federatedCredentials.filter((c) => c.identityRef === identity.ref).map((c) => c.subject);
      if (!subjects.length) continue;
      out.push(problem(`identity ${identity.ref}`, 'an identity the component can find to create its federated credentials on',
        { clientId: identity.clientId, principalId: identity.principalId },
        `${subjects.join(', ')} would fail to exchange tokens; pass ManagedIdentity.existing({ ..., resourceId }) or ({ ..., name, resourceGroup }), `
        + 'or createFederatedCredentials: false if they are managed elsewhere').message);
    }
    return out;
  }

  /**
   * Looks an existing identity up by resource group and name (invokes run
   * during preview too): its ids when the declaration has none, and a check
   * that the ids and subscription it declares are the identity's.
   */
  private lookUp(identity: PlanIdentity, target: IdentityTarget): pulumi.Output<managedidentity.GetUserAssignedIdentityResult> {
    const where = `user-assigned identity "${target.name}" in resource group "${target.resourceGroup}"`;
    const fail = (expected: string, got: unknown, hint: string) =>
      new pulumi.ResourceError(problem(`identity ${identity.ref}`, expected, got, hint).message, this, true);
    const result = managedidentity.getUserAssignedIdentity({ resourceGroupName: target.resourceGroup, resourceName: target.name }, { parent: this })
      .then((r) => {
        if (!r || typeof r.clientId !== 'string' || typeof r.principalId !== 'string') {
          throw fail(`a ${where} with a client and principal id`, r, 'the lookup returned no ids');
        }
        for (const field of ['clientId', 'principalId'] as const) {
          if (identity[field] !== undefined && identity[field] !== r[field].toLowerCase()) {
            throw fail(`the ${field} of the ${where}`, identity[field],
              `Azure says ${r[field].toLowerCase()}; fix ${field} or the identity's name and resource group`);
          }
        }
        const subscription = /^\/subscriptions\/([^/]+)\//i.exec(r.id ?? '')?.[1]?.toLowerCase();
        if (target.subscriptionId !== undefined && subscription === undefined) {
          throw fail(`found in subscription ${target.subscriptionId}`, r.id,
            'Azure returned an id without a subscription, so the identity\'s subscription cannot be checked');
        }
        if (target.subscriptionId !== undefined && subscription !== target.subscriptionId) {
          throw fail(`found in subscription ${target.subscriptionId}`, r.id,
            'the azure-native provider works in another subscription; pass a provider for the identity\'s subscription through the component\'s opts (providers)');
        }
        return { ...r, clientId: r.clientId.toLowerCase(), principalId: r.principalId.toLowerCase() };
      }, (e: unknown) => {
        if (e instanceof pulumi.ResourceError) throw e;
        throw fail(`an existing ${where}`, identity.resourceId ?? `${target.resourceGroup}/${target.name}`,
          `the lookup failed (${(e as Error)?.message || 'no details'}); check resourceId or name and resourceGroup, and that the azure-native provider's subscription is the identity's`);
      });
    return pulumi.output(result);
  }

  /** Federated credentials, chained per identity so Azure sees one write at a time. */
  private createCredentials(
    name: string,
    created: Map<string, managedidentity.UserAssignedIdentity>,
    found: Map<string, pulumi.Output<managedidentity.GetUserAssignedIdentityResult>>,
  ): CredentialResource[] {
    const out: CredentialResource[] = [];
    const byIdentity = new Map<string, PlanFederatedCredential[]>();
    for (const c of this.plan.federatedCredentials) byIdentity.set(c.identityRef, [...(byIdentity.get(c.identityRef) ?? []), c]);
    // one chain per Azure resource, not per plan reference (validation rejects one resource under two references; this holds regardless)
    const chains = new Map<string, pulumi.Resource | undefined>();
    for (const [ref, credentials] of byIdentity) {
      const identity = this.plan.identities.find((i) => i.ref === ref)!;
      if (identity.createFederatedCredentials === false) continue;
      // identityProblems() has already failed on an identity without one
      const target = identityTarget(identity)!;
      const chain = `${target.resourceGroup}/${target.name}`.toLowerCase();
      // an existing identity's credentials wait for (and fail with) its lookup
      const lookup = found.get(ref);
      const resourceName = lookup ? lookup.apply(() => target.name) : target.name;
      let previous: pulumi.Resource | undefined = chains.get(chain) ?? created.get(ref);
      for (const c of credentials) {
        const fic: managedidentity.FederatedIdentityCredential = new managedidentity.FederatedIdentityCredential(`${name}-credential-${target.name}-${c.name}`, {
          resourceGroupName: target.resourceGroup,
          resourceName,
          federatedIdentityCredentialResourceName: c.name,
          issuer: c.issuer,
          subject: c.subject,
          audiences: c.audiences,
        }, { parent: this, dependsOn: previous ? [previous] : [] });
        out.push({ credential: fic, after: previous });
        previous = fic;
      }
      chains.set(chain, previous);
    }
    return out;
  }

  private createRoleDefinitions(name: string): Map<string, authorization.RoleDefinition> {
    const out = new Map<string, authorization.RoleDefinition>();
    for (const def of this.plan.roleDefinitions) {
      const subscription = def.id.split('/providers/')[0];
      out.set(def.id, new authorization.RoleDefinition(`${name}-role-${def.name}`, {
        roleDefinitionId: def.name,
        roleName: def.roleName,
        description: def.description,
        roleType: 'CustomRole',
        permissions: [{ actions: def.actions }],
        assignableScopes: def.assignableScopes,
        scope: subscription,
      }, { parent: this }));
    }
    return out;
  }

  /**
   * One role assignment of the plan as synthesized (`ra.principalId` may carry
   * a placeholder: `substitute` turns it into the real id).
   */
  private createAssignment(
    name: string,
    ra: PlanRoleAssignment,
    roles: Map<string, authorization.RoleDefinition>,
    substitute: (text: string) => string | pulumi.Output<string>,
  ): authorization.RoleAssignment {
    if (ra.principalRef === undefined && typeof ra.principalId !== 'string') {
      throw new pulumi.ResourceError(`role assignment ${ra.name} must have a principalId or a principalRef, got neither; requested by ${ra.requestedBy.join(', ')}`, this);
    }
    // an identity of the plan with this principal id (ref principal:<id>) gives it only once its lookup has checked it
    const principalId = ra.principalRef !== undefined
      ? this.identities[ra.principalRef].principalId
      : this.identities[`principal:${ra.principalId!.toLowerCase()}`]?.principalId ?? pulumi.output(substitute(ra.principalId!));
    const role = roles.get(ra.roleDefinitionId);
    return new authorization.RoleAssignment(`${name}-assignment-${ra.name}`, {
      roleAssignmentName: ra.name,
      scope: ra.scope,
      roleDefinitionId: ra.roleDefinitionId,
      principalId,
      // the SDK defaults to User; managed identities need ServicePrincipal
      principalType: ra.principalType,
    }, { parent: this, dependsOn: role ? [role] : [] });
  }
}

/** Where an identity's federated credentials go. */
interface IdentityTarget {
  readonly resourceGroup: string;
  readonly name: string;
  /** Declared subscription (lower-case), when there is one. */
  readonly subscriptionId?: string;
}

/** Resource group and name of an identity, from the plan: created, by resource id, or by name and resource group. */
function identityTarget(identity: PlanIdentity): IdentityTarget | undefined {
  if (identity.create) return { resourceGroup: identity.resourceGroup!, name: identity.name!, subscriptionId: identity.subscriptionId };
  const match = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/([^/]+)$/i.exec(identity.resourceId ?? '');
  if (match) return { subscriptionId: match[1].toLowerCase(), resourceGroup: match[2], name: match[3] };
  if (identity.name !== undefined && identity.resourceGroup !== undefined) return { resourceGroup: identity.resourceGroup, name: identity.name };
  return undefined;
}
