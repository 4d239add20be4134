import { v5 as uuidv5 } from 'uuid';
import { Problem, problem } from '../errors';
import { isGuid } from '../util/names';

/**
 * The UUID v5 namespace of this library: `uuidv5('https://github.com/cdk8s-azureml-mesh', uuidv5.URL)`.
 * Changing it would rename every role assignment: never change it.
 */
export const MESH_UUID_NAMESPACE = uuidv5('https://github.com/cdk8s-azureml-mesh', uuidv5.URL);

/** The only action the endpoint-invoker role grants. */
export const SCORE_ACTION = 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/score/action';

/** A custom role's definition, as the plan records it. */
export interface CustomRoleDefinition {
  /** Display name, unique in the tenant. */
  readonly roleName: string;
  /** What the role is for. */
  readonly description: string;
  /** Control-plane actions. */
  readonly actions: readonly string[];
}

/**
 * An Azure RBAC role: a built-in role by its definition GUID, or the
 * library's least-privilege custom role for scoring online endpoints.
 *
 * @see https://learn.microsoft.com/azure/role-based-access-control/built-in-roles
 */
export class AzureRole {
  /** AzureML Data Scientist: broad workspace access; never used to invoke endpoints by default. */
  public static readonly AZUREML_DATA_SCIENTIST = AzureRole.builtIn('AzureML Data Scientist', 'f6c7c914-8db3-469d-8ca1-694a8f32e121');
  /** AzureML Compute Operator. */
  public static readonly AZUREML_COMPUTE_OPERATOR = AzureRole.builtIn('AzureML Compute Operator', 'e503ece1-11d0-4e8e-8e2c-7a6c3bf38815');
  /** Reader. */
  public static readonly READER = AzureRole.builtIn('Reader', 'acdd72a7-3385-48ef-bd42-f606fba81ae7');
  /** Key Vault Secrets User: read secret contents (RBAC-mode vaults). */
  public static readonly KEY_VAULT_SECRETS_USER = AzureRole.builtIn('Key Vault Secrets User', '4633458b-17de-408a-b874-0445c86b69e6');
  /** Storage Blob Data Reader. */
  public static readonly STORAGE_BLOB_DATA_READER = AzureRole.builtIn('Storage Blob Data Reader', '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1');
  /** AcrPull: pull images from a container registry. */
  public static readonly ACR_PULL = AzureRole.builtIn('AcrPull', '7f951dda-4ed3-4680-a7ca-43fe172d538d');

  /**
   * The custom endpoint-invoker role: only
   * `Microsoft.MachineLearningServices/workspaces/onlineEndpoints/score/action`.
   * One definition per subscription; its GUID is derived from the
   * subscription, and its name carries the subscription id because custom
   * role names must be unique in the tenant.
   */
  public static endpointInvoker(): AzureRole {
    return AzureRole.ENDPOINT_INVOKER;
  }

  private static readonly ENDPOINT_INVOKER = new AzureRole('AzureML Online Endpoint Invoker', undefined, {
    roleName: 'AzureML Online Endpoint Invoker',
    description: 'Score Azure ML online endpoints, nothing else (cdk8s-azureml-mesh)',
    actions: [SCORE_ACTION],
  });

  /**
   * Any role by its definition GUID, or by its full id
   * (`/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}`).
   */
  public static fromRoleDefinitionId(roleDefinitionId: string, displayName?: string): AzureRole {
    const match = /\/providers\/Microsoft\.Authorization\/roleDefinitions\/([^/]+)$/i.exec(roleDefinitionId ?? '');
    const guid = match ? match[1] : roleDefinitionId;
    return new AzureRole(displayName ?? guid, guid, undefined);
  }

  private static builtIn(name: string, guid: string): AzureRole {
    return new AzureRole(name, guid, undefined);
  }

  private constructor(
    /** Display name, for messages and the plan. */
    public readonly displayName: string,
    private readonly fixedGuid: string | undefined,
    private readonly custom: CustomRoleDefinition | undefined,
  ) {}

  /** The custom role's GUID per subscription, computed once. */
  private readonly customGuids = new Map<string, string>();

  /** True for the library's custom role (its definition is part of the plan). */
  public get isCustom(): boolean {
    return this.custom !== undefined;
  }

  /** The definition of a custom role in one subscription (undefined for other roles). */
  public customDefinition(subscriptionId: string): CustomRoleDefinition | undefined {
    return this.custom && { ...this.custom, roleName: `${this.custom.roleName} (${subscriptionId.toLowerCase()})` };
  }

  /** The role definition GUID in a subscription. */
  public guid(subscriptionId: string): string {
    if (this.fixedGuid !== undefined) return this.fixedGuid.toLowerCase();
    const subscription = subscriptionId.toLowerCase();
    let guid = this.customGuids.get(subscription);
    if (guid === undefined) {
      guid = uuidv5(`role-definition/${this.custom!.roleName}/${subscription}`, MESH_UUID_NAMESPACE);
      this.customGuids.set(subscription, guid);
    }
    return guid;
  }

  /** The full role definition id, as role assignments need it. */
  public roleDefinitionId(subscriptionId: string): string {
    return `/subscriptions/${subscriptionId.toLowerCase()}/providers/Microsoft.Authorization/roleDefinitions/${this.guid(subscriptionId)}`;
  }

  /** Problems with the role (empty when valid). */
  public problems(field = 'role'): Problem[] {
    if (this.fixedGuid !== undefined && !isGuid(this.fixedGuid)) {
      return [problem(field, 'a role definition GUID or full role definition id', this.fixedGuid, 'find it with `az role definition list --name "<role>" --query [].name`')];
    }
    return [];
  }
}
