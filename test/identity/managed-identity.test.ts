/**
 * ManagedIdentity.existing: what identifies an existing identity (ids,
 * resource id, or name and resource group), its plan reference and plan
 * entry, and the validation of its fields at synth.
 */
import { App, Chart } from 'cdk8s';
import { AzurePlan, AzureRole, AzureScope, CLIENT_ID_ANNOTATION, ManagedIdentity, MeshIdentityBinding, RESOLVED_IDENTITIES_CONTEXT } from '../../lib';

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const SUB = '6c2f4e1a-9b8d-4c7e-a5f3-2d1b0e9c8a7f';
const ISSUER = `https://westeurope.oic.prod-aks.azure.com/${TID}/1b2c3d4e-5f60-4a1b-9c2d-3e4f5a6b7c8d/`;
const IDS = { clientId: '5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d', principalId: '9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b' };
const RESOURCE_ID = `/subscriptions/${SUB}/resourceGroups/ml-jobs/providers/Microsoft.ManagedIdentity/userAssignedIdentities/scorer-identity`;

/** Binds `identity` to batch/scorer with a Reader grant, synthesizes, returns the plan and the ServiceAccount's annotations. */
function synth(identity: ManagedIdentity, context?: unknown) {
  const app = new App({ outdir: 'dist' });
  if (context !== undefined) app.node.setContext(RESOLVED_IDENTITIES_CONTEXT, context);
  const b = new MeshIdentityBinding(new Chart(app, 'batch', { namespace: 'batch' }), 'Id', { identity, oidcIssuerUrl: ISSUER, serviceAccountName: 'scorer' });
  b.grantRole(AzureRole.READER, AzureScope.resourceGroup(SUB, 'ml-jobs'));
  const yaml = app.synthYaml();
  const annotation = new RegExp(`${CLIENT_ID_ANNOTATION}: (\\S+)`).exec(yaml)?.[1];
  return { plan: AzurePlan.of(app).toJson(), annotation };
}

describe('ManagedIdentity.existing', () => {
  test.each([
    ['ids', ManagedIdentity.existing(IDS), `principal:${IDS.principalId}`, false, undefined],
    ['ids and resource id', ManagedIdentity.existing({ ...IDS, resourceId: RESOURCE_ID }), `principal:${IDS.principalId}`, false, RESOURCE_ID],
    ['resource id', ManagedIdentity.existing({ resourceId: RESOURCE_ID }), RESOURCE_ID.toLowerCase(), true, RESOURCE_ID],
    ['name, resource group and subscription', ManagedIdentity.existing({ name: 'scorer-identity', resourceGroup: 'ml-jobs', subscriptionId: SUB }),
      RESOURCE_ID.toLowerCase(), true, RESOURCE_ID],
    ['name and resource group', ManagedIdentity.existing({ name: 'scorer-identity', resourceGroup: 'ml-jobs' }), 'identity:ml-jobs/scorer-identity', true, undefined],
  ])('by %s: plan reference, ids at deploy or not, resource id', (_name, identity, ref, atDeploy, resourceId) => {
    expect(identity.ref).toBe(ref);
    expect(identity.idsResolvedAtDeploy).toBe(atDeploy);
    expect(identity.resourceId).toBe(resourceId);
    expect(identity.problems()).toEqual([]);
  });

  test('resource: from the resource id, or from name and resource group', () => {
    expect(ManagedIdentity.existing({ resourceId: RESOURCE_ID }).resource).toEqual({ name: 'scorer-identity', resourceGroup: 'ml-jobs', subscriptionId: SUB });
    expect(ManagedIdentity.existing({ name: 'scorer-identity', resourceGroup: 'ml-jobs' }).resource).toEqual({ name: 'scorer-identity', resourceGroup: 'ml-jobs' });
    expect(ManagedIdentity.existing(IDS).resource).toBeUndefined();
  });

  test('by name and resource group: unresolved at synth, the plan names it and assigns by principalRef', () => {
    const { plan, annotation } = synth(ManagedIdentity.existing({ name: 'scorer-identity', resourceGroup: 'ml-jobs' }));
    expect(annotation).toBeUndefined();
    expect(plan.identities).toEqual([{ ref: 'identity:ml-jobs/scorer-identity', create: false, name: 'scorer-identity', resourceGroup: 'ml-jobs' }]);
    expect(plan.federatedCredentials.map((c) => c.identityRef)).toEqual(['identity:ml-jobs/scorer-identity']);
    expect(plan.roleAssignments.map((r) => [r.principalRef, r.principalId])).toEqual([['identity:ml-jobs/scorer-identity', undefined]]);
  });

  test('by resource id with the client id only: the plan keeps the declared id, and the ServiceAccount carries it', () => {
    const { plan, annotation } = synth(ManagedIdentity.existing({ resourceId: RESOURCE_ID, clientId: IDS.clientId.toUpperCase() }));
    // the declared id is used although the principal id is looked up at deploy time (review finding 3)
    expect(annotation).toBe(IDS.clientId);
    expect(plan.identities).toEqual([{ ref: RESOURCE_ID.toLowerCase(), create: false, resourceId: RESOURCE_ID, clientId: IDS.clientId }]);
  });

  test('resolved by a deployment tool (a map or a function under RESOLVED_IDENTITIES_CONTEXT); declared ids win', () => {
    const identity = ManagedIdentity.existing({ name: 'scorer-identity', resourceGroup: 'ml-jobs' });
    expect(synth(identity, { [identity.ref]: IDS }).annotation).toBe(IDS.clientId);
    expect(synth(identity, (ref: string) => (ref === identity.ref ? IDS : undefined)).annotation).toBe(IDS.clientId);
    const other = '0a0a0a0a-1111-4222-8333-444444444444';
    const partial = ManagedIdentity.existing({ name: 'scorer-identity', resourceGroup: 'ml-jobs', clientId: IDS.clientId });
    const { plan, annotation } = synth(partial, () => ({ clientId: other, principalId: IDS.principalId }));
    expect(annotation).toBe(IDS.clientId);
    expect(plan.identities[0]).toMatchObject({ clientId: IDS.clientId, principalId: IDS.principalId });
  });

  test('createFederatedCredentials: false is marked in the plan; the credential is still listed', () => {
    const { plan } = synth(ManagedIdentity.existing({ ...IDS, createFederatedCredentials: false }));
    expect(plan.identities).toEqual([{ ref: `principal:${IDS.principalId}`, create: false, ...IDS, createFederatedCredentials: false }]);
    expect(plan.federatedCredentials).toHaveLength(1);
    expect(synth(ManagedIdentity.existing(IDS)).plan.identities[0].createFederatedCredentials).toBeUndefined();
  });

  test.each([
    ['nothing that identifies it', {},
      /\[batch\/Id\] identity must be identified by clientId and principalId, by resourceId, or by name and resourceGroup, got \{\}; without the resource the ids cannot be looked up: pass resourceId/],
    ['a client id alone', { clientId: IDS.clientId },
      /identity must be identified by clientId and principalId, by resourceId, or by name and resourceGroup, got \{"clientId":"5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"\}/],
    ['a name without resource group', { ...IDS, name: 'scorer-identity' },
      /identity must be identified by name and resourceGroup together, got \{"name":"scorer-identity"\}; give both, or resourceId/],
    ['resource id and name', { resourceId: RESOURCE_ID, name: 'scorer-identity', resourceGroup: 'ml-jobs' },
      /identity must be identified by resourceId or by name and resourceGroup, not both, got \{"resourceId":.*\}; the ARM id already names the subscription, resource group and identity/],
    ['the resource id of a Key Vault', { resourceId: `/subscriptions/${SUB}/resourceGroups/ml-jobs/providers/Microsoft.KeyVault/vaults/kv-jobs` },
      /identity\.resourceId must be the ARM id of a user-assigned identity \(\.\.\.\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/<name>\), got "\/subscriptions\/.*\/vaults\/kv-jobs"/],
    ['a malformed name', { name: 'x', resourceGroup: 'ml-jobs' },
      /identity\.name must be 3-128 letters, digits, "-" or "_", starting with a letter or digit, got "x"/],
    ['a resource group ending in a dot', { name: 'scorer-identity', resourceGroup: 'ml.' },
      /identity\.resourceGroup must be 1-90 letters, digits, "_", "-", "\.", "\(", "\)", not ending in "\.", got "ml\."/],
    ['a subscription that is not a GUID', { name: 'scorer-identity', resourceGroup: 'ml-jobs', subscriptionId: 'prod' },
      /identity\.subscriptionId must be a GUID, got "prod"/],
  ])('fails: %s', (_name, props, message) => {
    expect(() => synth(ManagedIdentity.existing(props))).toThrow(message);
  });
});
