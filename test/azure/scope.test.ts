import { AzureScope, ScopeKind } from '../../lib';

const SUB = '6c2f4e1a-9b8d-4c7e-a5f3-2d1b0e9c8a7f';
const RG = `/subscriptions/${SUB}/resourceGroups/ml-prod`;

describe('AzureScope', () => {
  test.each([
    [AzureScope.subscription(SUB), ScopeKind.SUBSCRIPTION, `/subscriptions/${SUB}`],
    [AzureScope.resourceGroup(SUB, 'ml-prod'), ScopeKind.RESOURCE_GROUP, RG],
    [AzureScope.mlWorkspace({ subscriptionId: SUB, resourceGroup: 'ml-prod', workspace: 'fraud-ws' }), ScopeKind.ML_WORKSPACE,
      `${RG}/providers/Microsoft.MachineLearningServices/workspaces/fraud-ws`],
    [AzureScope.onlineEndpoint({ subscriptionId: SUB, resourceGroup: 'ml-prod', workspace: 'fraud-ws', endpoint: 'fraud-scoring' }), ScopeKind.ONLINE_ENDPOINT,
      `${RG}/providers/Microsoft.MachineLearningServices/workspaces/fraud-ws/onlineEndpoints/fraud-scoring`],
    [AzureScope.keyVault({ subscriptionId: SUB, resourceGroup: 'ml-prod', vault: 'fraud-kv' }), ScopeKind.KEY_VAULT, `${RG}/providers/Microsoft.KeyVault/vaults/fraud-kv`],
    [AzureScope.keyVaultSecret({ subscriptionId: SUB, resourceGroup: 'ml-prod', vault: 'fraud-kv', secret: 'fraud-contoso-com' }), ScopeKind.KEY_VAULT_SECRET,
      `${RG}/providers/Microsoft.KeyVault/vaults/fraud-kv/secrets/fraud-contoso-com`],
    [AzureScope.containerRegistry({ subscriptionId: SUB, resourceGroup: 'ml-prod', registry: 'contosomlacr' }), ScopeKind.CONTAINER_REGISTRY,
      `${RG}/providers/Microsoft.ContainerRegistry/registries/contosomlacr`],
    [AzureScope.userAssignedIdentity({ subscriptionId: SUB, resourceGroup: 'ml-prod', name: 'batch-scorer' }), ScopeKind.USER_ASSIGNED_IDENTITY,
      `${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/batch-scorer`],
  ])('builds %#: %s and parses it back', (scope, kind, id) => {
    expect(scope.kind).toBe(kind);
    expect(scope.id).toBe(id);
    expect(scope.problems()).toEqual([]);
    const parsed = AzureScope.parse(id);
    expect(parsed.kind).toBe(kind);
    expect(parsed.id).toBe(id);
  });

  test('a vault\'s secret: the narrowest scope, inside the vault', () => {
    const vault = AzureScope.keyVault({ subscriptionId: SUB, resourceGroup: 'ml-prod', vault: 'fraud-kv' });
    const secret = vault.secret('fraud-contoso-com');
    expect(secret.kind).toBe(ScopeKind.KEY_VAULT_SECRET);
    expect(secret.id).toBe(`${RG}/providers/Microsoft.KeyVault/vaults/fraud-kv/secrets/fraud-contoso-com`);
    expect(secret.name).toBe('fraud-contoso-com');
    expect(vault.contains(secret)).toBe(true);
    expect(secret.contains(vault)).toBe(false);
  });

  test.each([
    ['a secret name with a dot', () => AzureScope.keyVaultSecret({ subscriptionId: SUB, resourceGroup: 'ml-prod', vault: 'fraud-kv', secret: 'fraud.contoso.com' }),
      /^scope secret segment must be 1-127 letters, digits or "-", got "fraud\.contoso\.com"/],
    ['a secret of a scope that is not a vault', () => AzureScope.resourceGroup(SUB, 'ml-prod').secret('x'), /^scope must be a Key Vault scope, got .*; only a vault has secrets/],
  ])('fails for %s', (_name, build, message) => {
    expect(build().problems().map((p) => p.message)).toEqual([expect.stringMatching(message)]);
  });

  test('parsing is case-insensitive on keywords and ignores a trailing slash', () => {
    const parsed = AzureScope.parse(`/SUBSCRIPTIONS/${SUB.toUpperCase()}/resourcegroups/ml-prod/providers/microsoft.keyvault/VAULTS/fraud-kv/`);
    expect(parsed.kind).toBe(ScopeKind.KEY_VAULT);
    expect(parsed.id).toBe(`${RG}/providers/Microsoft.KeyVault/vaults/fraud-kv`);
  });

  test('contains compares ARM ids case-insensitively, segment by segment', () => {
    const rg = AzureScope.resourceGroup(SUB, 'ml-prod');
    expect(rg.contains(AzureScope.keyVault({ subscriptionId: SUB, resourceGroup: 'ML-PROD', vault: 'kv1' }))).toBe(true);
    expect(rg.contains(AzureScope.resourceGroup(SUB, 'ml-prod2'))).toBe(false);
    expect(AzureScope.subscription(SUB).contains(rg)).toBe(true);
    expect(rg.contains(AzureScope.subscription(SUB))).toBe(false);
  });

  test.each([
    ['not an ARM id', 'fraud-kv', /^scope must be an ARM id, got "fraud-kv"; ARM ids start with "\/subscriptions\/"/],
    ['wrong first segment', '/tenants/x', /the first segment must be "subscriptions"/],
    ['subscription not a GUID', '/subscriptions/prod', /^scope subscription segment must be a GUID, got "prod"/],
    ['resource group keyword misspelt', `/subscriptions/${SUB}/resourceGroup/ml`, /segment 3 must be "resourceGroups", got "resourceGroup"/],
    ['resource group ending in a period', `/subscriptions/${SUB}/resourceGroups/ml.`, /^scope resource group segment must be 1-90 letters.*not ending in "\."/],
    ['unsupported resource type', `${RG}/providers/Microsoft.Storage/storageAccounts/sa1`, /resource type "Microsoft\.Storage\/storageAccounts" is not one of/],
    ['key vault name with "--"', `${RG}/providers/Microsoft.KeyVault/vaults/my--kv`, /^scope key vault segment must be 3-24 letters.*got "my--kv"/],
    ['registry name with a dash', `${RG}/providers/Microsoft.ContainerRegistry/registries/my-acr`, /^scope container registry segment must be 5-50 letters or digits, got "my-acr"/],
    ['endpoint name starting with a digit', `${RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1/onlineEndpoints/1fraud`,
      /^scope online endpoint segment must be 3-32 letters.*got "1fraud"/],
    ['unknown child resource', `${RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1/batchEndpoints/b1`, /unsupported child resource "batchEndpoints\/b1"/],
    ['truncated provider path', `${RG}/providers/Microsoft.KeyVault`, /after the resource group comes "providers\/<namespace>\/<type>\/<name>"/],
  ])('fails for %s, naming the segment', (_name, id, message) => {
    const problems = AzureScope.parse(id).problems();
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0].message).toMatch(message);
  });

  test('problems use the field name given', () => {
    expect(AzureScope.subscription('x').problems('grantRole.scope')[0].message).toMatch(/^grantRole\.scope subscription segment must be a GUID/);
  });
});
