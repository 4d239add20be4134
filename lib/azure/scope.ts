import { Problem, problem } from '../errors';
import { isGuid } from '../util/names';

/** What an ARM id points at. */
export enum ScopeKind {
  SUBSCRIPTION = 'subscription',
  RESOURCE_GROUP = 'resourceGroup',
  ML_WORKSPACE = 'mlWorkspace',
  ONLINE_ENDPOINT = 'onlineEndpoint',
  KEY_VAULT = 'keyVault',
  KEY_VAULT_SECRET = 'keyVaultSecret',
  CONTAINER_REGISTRY = 'containerRegistry',
  USER_ASSIGNED_IDENTITY = 'userAssignedIdentity',
}

interface Segment {
  readonly label: string;
  readonly check: (value: string) => boolean;
  readonly rule: string;
}

const RESOURCE_GROUP: Segment = {
  label: 'resource group',
  check: (v) => /^[-\w._()]{1,90}$/u.test(v) && !v.endsWith('.'),
  rule: '1-90 letters, digits, "_", "-", ".", "(", ")", not ending in "."',
};
const WORKSPACE: Segment = {
  label: 'workspace',
  check: (v) => /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$/.test(v),
  rule: '3-33 letters, digits, "-" or "_", starting with a letter or digit',
};
const ONLINE_ENDPOINT: Segment = {
  label: 'online endpoint',
  check: (v) => /^[a-zA-Z][a-zA-Z0-9-]{1,30}[a-zA-Z0-9]$/.test(v) && !v.includes('--'),
  rule: '3-32 letters, digits or single "-", starting with a letter and not ending with "-"',
};
const KEY_VAULT: Segment = {
  label: 'key vault',
  check: (v) => /^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/.test(v) && !v.includes('--'),
  rule: '3-24 letters, digits or "-", starting with a letter, ending with a letter or digit, no "--"',
};
const KEY_VAULT_SECRET: Segment = {
  label: 'secret',
  check: (v) => /^[a-zA-Z0-9-]{1,127}$/.test(v),
  rule: '1-127 letters, digits or "-"',
};
const REGISTRY: Segment = {
  label: 'container registry',
  check: (v) => /^[a-zA-Z0-9]{5,50}$/.test(v),
  rule: '5-50 letters or digits',
};
const IDENTITY: Segment = {
  label: 'name',
  check: (v) => /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$/.test(v),
  rule: '3-128 letters, digits, "-" or "_", starting with a letter or digit',
};
const SUBSCRIPTION: Segment = { label: 'subscription', check: isGuid, rule: 'a GUID' };

/** Resource types below a resource group, as they appear in ARM ids. */
const PROVIDERS: Record<string, { kind: ScopeKind; segment: Segment }> = {
  'microsoft.machinelearningservices/workspaces': { kind: ScopeKind.ML_WORKSPACE, segment: WORKSPACE },
  'microsoft.keyvault/vaults': { kind: ScopeKind.KEY_VAULT, segment: KEY_VAULT },
  'microsoft.containerregistry/registries': { kind: ScopeKind.CONTAINER_REGISTRY, segment: REGISTRY },
  'microsoft.managedidentity/userassignedidentities': { kind: ScopeKind.USER_ASSIGNED_IDENTITY, segment: IDENTITY },
};

const PROVIDER_PATH: Record<string, string> = {
  [ScopeKind.ML_WORKSPACE]: 'Microsoft.MachineLearningServices/workspaces',
  [ScopeKind.KEY_VAULT]: 'Microsoft.KeyVault/vaults',
  [ScopeKind.CONTAINER_REGISTRY]: 'Microsoft.ContainerRegistry/registries',
  [ScopeKind.USER_ASSIGNED_IDENTITY]: 'Microsoft.ManagedIdentity/userAssignedIdentities',
};

/**
 * An Azure Resource Manager scope: where a role is assigned. Build one with
 * the typed factories, or parse an ARM id; malformed ids are reported with the
 * segment that is wrong (by the construct that uses the scope).
 *
 * @example
 * AzureScope.onlineEndpoint({ subscriptionId, resourceGroup: 'ml-prod', workspace: 'fraud-ws', endpoint: 'fraud-scoring' })
 */
export class AzureScope {
  /** A subscription. */
  public static subscription(subscriptionId: string): AzureScope {
    return new AzureScope(ScopeKind.SUBSCRIPTION, [[SUBSCRIPTION, subscriptionId]]);
  }

  /** A resource group. */
  public static resourceGroup(subscriptionId: string, resourceGroup: string): AzureScope {
    return new AzureScope(ScopeKind.RESOURCE_GROUP, [[SUBSCRIPTION, subscriptionId], [RESOURCE_GROUP, resourceGroup]]);
  }

  /** An Azure ML workspace. */
  public static mlWorkspace(ref: { subscriptionId: string; resourceGroup: string; workspace: string }): AzureScope {
    return new AzureScope(ScopeKind.ML_WORKSPACE, [[SUBSCRIPTION, ref.subscriptionId], [RESOURCE_GROUP, ref.resourceGroup], [WORKSPACE, ref.workspace]]);
  }

  /** An Azure ML online endpoint (managed or Kubernetes). */
  public static onlineEndpoint(ref: { subscriptionId: string; resourceGroup: string; workspace: string; endpoint: string }): AzureScope {
    return new AzureScope(ScopeKind.ONLINE_ENDPOINT, [
      [SUBSCRIPTION, ref.subscriptionId], [RESOURCE_GROUP, ref.resourceGroup], [WORKSPACE, ref.workspace], [ONLINE_ENDPOINT, ref.endpoint],
    ]);
  }

  /** A Key Vault. */
  public static keyVault(ref: { subscriptionId: string; resourceGroup: string; vault: string }): AzureScope {
    return new AzureScope(ScopeKind.KEY_VAULT, [[SUBSCRIPTION, ref.subscriptionId], [RESOURCE_GROUP, ref.resourceGroup], [KEY_VAULT, ref.vault]]);
  }

  /**
   * One secret of a Key Vault (Azure RBAC vaults only): the narrowest scope
   * for Key Vault Secrets User. A certificate's private key and chain are
   * read through the secret of the same name.
   */
  public static keyVaultSecret(ref: { subscriptionId: string; resourceGroup: string; vault: string; secret: string }): AzureScope {
    return new AzureScope(ScopeKind.KEY_VAULT_SECRET, [
      [SUBSCRIPTION, ref.subscriptionId], [RESOURCE_GROUP, ref.resourceGroup], [KEY_VAULT, ref.vault], [KEY_VAULT_SECRET, ref.secret],
    ]);
  }

  /** An Azure Container Registry. */
  public static containerRegistry(ref: { subscriptionId: string; resourceGroup: string; registry: string }): AzureScope {
    return new AzureScope(ScopeKind.CONTAINER_REGISTRY, [[SUBSCRIPTION, ref.subscriptionId], [RESOURCE_GROUP, ref.resourceGroup], [REGISTRY, ref.registry]]);
  }

  /** A user-assigned managed identity. */
  public static userAssignedIdentity(ref: { subscriptionId: string; resourceGroup: string; name: string }): AzureScope {
    return new AzureScope(ScopeKind.USER_ASSIGNED_IDENTITY, [[SUBSCRIPTION, ref.subscriptionId], [RESOURCE_GROUP, ref.resourceGroup], [IDENTITY, ref.name]]);
  }

  /**
   * Parses an ARM id of one of the supported kinds. Problems (which segment is
   * wrong) are reported by the construct that uses the scope.
   */
  public static parse(armId: string): AzureScope {
    const fail = (message: string) => new AzureScope(ScopeKind.SUBSCRIPTION, [], armId, [problem('scope', 'an ARM id', armId, message)]);
    if (typeof armId !== 'string' || !armId.startsWith('/')) return fail('ARM ids start with "/subscriptions/"');
    const parts = armId.replace(/\/+$/, '').split('/').slice(1);
    if (parts[0]?.toLowerCase() !== 'subscriptions') return fail('the first segment must be "subscriptions"');
    if (parts.length < 2 || parts[1] === '') return fail('a subscription id follows "/subscriptions/"');
    if (parts.length === 2) return AzureScope.subscription(parts[1]);
    if (parts[2]?.toLowerCase() !== 'resourcegroups') return fail(`segment 3 must be "resourceGroups", got "${parts[2]}"`);
    if (parts.length < 4 || parts[3] === '') return fail('a resource group name follows "/resourceGroups/"');
    if (parts.length === 4) return AzureScope.resourceGroup(parts[1], parts[3]);
    if (parts[4]?.toLowerCase() !== 'providers' || parts.length < 8) {
      return fail('after the resource group comes "providers/<namespace>/<type>/<name>"');
    }
    const type = `${parts[5]}/${parts[6]}`.toLowerCase();
    const provider = PROVIDERS[type];
    if (!provider) return fail(`resource type "${parts[5]}/${parts[6]}" is not one of ${Object.values(PROVIDER_PATH).join(', ')}`);
    const [sub, rg, name] = [parts[1], parts[3], parts[7]];
    if (parts.length === 8) {
      return new AzureScope(provider.kind, [[SUBSCRIPTION, sub], [RESOURCE_GROUP, rg], [provider.segment, name]]);
    }
    if (provider.kind === ScopeKind.ML_WORKSPACE && parts.length === 10 && parts[8].toLowerCase() === 'onlineendpoints') {
      return AzureScope.onlineEndpoint({ subscriptionId: sub, resourceGroup: rg, workspace: name, endpoint: parts[9] });
    }
    if (provider.kind === ScopeKind.KEY_VAULT && parts.length === 10 && parts[8].toLowerCase() === 'secrets') {
      return AzureScope.keyVaultSecret({ subscriptionId: sub, resourceGroup: rg, vault: name, secret: parts[9] });
    }
    return fail(`unsupported child resource "${parts.slice(8).join('/')}"; supported: workspaces/<ws>/onlineEndpoints/<name>, vaults/<vault>/secrets/<name>`);
  }

  /** The ARM id. */
  public readonly id: string;
  /** The subscription id (lower-case). */
  public readonly subscriptionId: string;

  private constructor(
    /** What the scope points at. */
    public readonly kind: ScopeKind,
    private readonly segments: Array<[Segment, string]>,
    rawId?: string,
    private readonly parseProblems: Problem[] = [],
  ) {
    this.subscriptionId = (segments[0]?.[1] ?? '').toLowerCase();
    this.id = rawId !== undefined && parseProblems.length ? rawId : AzureScope.render(kind, segments.map(([, v]) => v));
  }

  /** Problems with the scope (empty when valid); each names the segment that is wrong. */
  public problems(field = 'scope'): Problem[] {
    if (this.parseProblems.length) return this.parseProblems.map((p) => ({ field, message: p.message.replace(/^scope/, field) }));
    return this.segments
      .filter(([segment, value]) => typeof value !== 'string' || !segment.check(value))
      .map(([segment, value]) => problem(`${field} ${segment.label} segment`, segment.rule, value, `in ${this.id}`));
  }

  /**
   * The secret `name` of this Key Vault scope (see {@link AzureScope.keyVaultSecret});
   * on a scope of another kind, a scope whose problems say so.
   */
  public secret(name: string): AzureScope {
    if (this.kind !== ScopeKind.KEY_VAULT) {
      return new AzureScope(ScopeKind.KEY_VAULT_SECRET, [], `${this.id}/secrets/${name}`, [problem('scope', 'a Key Vault scope', this.id, 'only a vault has secrets')]);
    }
    const [sub, rg, vault] = this.segments.map(([, v]) => v);
    return AzureScope.keyVaultSecret({ subscriptionId: sub, resourceGroup: rg, vault, secret: name });
  }

  /** The name in the last segment (e.g. the endpoint, vault or workspace name). */
  public get name(): string {
    return this.segments[this.segments.length - 1]?.[1] ?? '';
  }

  /** True when `other` is this scope or lies below it (ARM ids compare case-insensitively). */
  public contains(other: AzureScope): boolean {
    const a = this.id.toLowerCase();
    const b = other.id.toLowerCase();
    return a === b || b.startsWith(`${a}/`);
  }

  private static render(kind: ScopeKind, v: string[]): string {
    const sub = `/subscriptions/${(v[0] ?? '').toLowerCase()}`;
    if (kind === ScopeKind.SUBSCRIPTION) return sub;
    const rg = `${sub}/resourceGroups/${v[1]}`;
    if (kind === ScopeKind.RESOURCE_GROUP) return rg;
    if (kind === ScopeKind.ONLINE_ENDPOINT) return `${rg}/providers/${PROVIDER_PATH[ScopeKind.ML_WORKSPACE]}/${v[2]}/onlineEndpoints/${v[3]}`;
    if (kind === ScopeKind.KEY_VAULT_SECRET) return `${rg}/providers/${PROVIDER_PATH[ScopeKind.KEY_VAULT]}/${v[2]}/secrets/${v[3]}`;
    return `${rg}/providers/${PROVIDER_PATH[kind]}/${v[2]}`;
  }
}
