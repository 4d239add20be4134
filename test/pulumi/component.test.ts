/**
 * The Pulumi component under `pulumi.runtime.setMocks` (no CLI, no cloud),
 * as in `pulumi up` (ids known once resources are created). Mocks are
 * installed before the component module is loaded. preview.test.ts runs the
 * same app as a preview, where the created identities' ids are unknown;
 * lookup.test.ts deploys identities that cannot be found.
 */
import * as pulumi from '@pulumi/pulumi';
import { Chart } from 'cdk8s';
import { AzurePlan, AzureRole, AzureScope, Caller, EndpointBackend, EntraTenant, ManagedIdentity, MeshIdentityBinding, PrincipalType, SecureMlEndpoint } from '../../lib';
import { CREATED_IDS, EXISTING, EXISTING_RESOURCE, OIDC, SUB, TID, build, installMocks, lookups, registered } from './fixtures';

installMocks(false);
const created = registered;

/* eslint-disable @typescript-eslint/no-require-imports */
const { AzureMlMesh } = require('../../lib/pulumi') as typeof import('../../lib/pulumi');
const { Provider } = require('@pulumi/kubernetes/provider') as typeof import('@pulumi/kubernetes/provider');
const { IdentityPlaceholders } = require('../../lib/pulumi/placeholders') as typeof import('../../lib/pulumi/placeholders');
/* eslint-enable @typescript-eslint/no-require-imports */
type Mesh = InstanceType<typeof AzureMlMesh>;

/** The value of an output (rejects when the output does). */
const value = <T>(output: pulumi.Output<T>): Promise<T> => (output as unknown as { promise(): Promise<T> }).promise();
/** Waits until every resource of the component is registered with the mocks. */
async function settled(mesh: Mesh): Promise<void> {
  const resources: pulumi.Resource[] = [mesh, ...mesh.createdIdentities.values(), ...mesh.credentials.map((c) => c.credential),
    ...mesh.roleDefinitions, ...mesh.roleAssignments, ...mesh.kubernetesResources];
  await value(pulumi.all(resources.map((r) => r.urn)));
  await value(mesh.manifests);
}
const nameOf = (r: pulumi.Resource | undefined) => (r as unknown as { __name?: string } | undefined)?.__name;
const ofType = (type: string) => created.filter((c) => c.type === type);
const FIC = 'azure-native:managedidentity:FederatedIdentityCredential';

describe('AzureMlMesh (Pulumi component)', () => {
  beforeEach(() => {
    created.length = 0;
    lookups.length = 0;
  });

  test('creates the identities to create, the credentials of every identity, the invoker role and every assignment of the plan', async () => {
    const mesh = new AzureMlMesh('ml', { build: (app) => build(app) });
    await settled(mesh);
    const manifests = await value(mesh.manifests);
    expect(created.find((c) => c.type === 'cdk8s-azureml-mesh:index:AzureMlMesh')?.name).toBe('ml');
    expect(ofType('azure-native:managedidentity:UserAssignedIdentity').map((c) => c.inputs)).toEqual([
      { resourceName: 'feature-svc', resourceGroupName: 'ml-prod', location: 'westeurope' },
    ]);
    // the existing identity is looked up (to check its ids) and gets its credential too
    expect(lookups).toEqual([`${EXISTING_RESOURCE.resourceGroup}/${EXISTING_RESOURCE.name}`]);
    // (registered in any order: the created identity's credentials wait for it)
    const fics = ofType(FIC).map((c) => c.inputs);
    expect(fics.map((f) => [f.resourceGroupName, f.resourceName, f.subject]).sort()).toEqual([
      [EXISTING_RESOURCE.resourceGroup, EXISTING_RESOURCE.name, 'system:serviceaccount:batch:scorer'],
      ['ml-prod', 'feature-svc', 'system:serviceaccount:batch:features-0'],
      ['ml-prod', 'feature-svc', 'system:serviceaccount:batch:features-1'],
    ]);
    for (const f of fics) expect(f).toMatchObject({ issuer: OIDC, audiences: ['api://AzureADTokenExchange'] });
    const defs = ofType('azure-native:authorization:RoleDefinition');
    expect(defs).toHaveLength(1);
    expect(defs[0].inputs).toMatchObject({
      roleDefinitionId: AzureRole.endpointInvoker().guid(SUB),
      permissions: [{ actions: ['Microsoft.MachineLearningServices/workspaces/onlineEndpoints/score/action'] }],
      assignableScopes: [`/subscriptions/${SUB}`],
      scope: `/subscriptions/${SUB}`,
    });
    const assignments = ofType('azure-native:authorization:RoleAssignment').map((c) => c.inputs);
    const byName = new Map(assignments.map((a) => [a.roleAssignmentName, a]));
    expect([...byName.keys()].sort()).toEqual(mesh.plan.roleAssignments.map((r) => r.name).sort());
    for (const ra of mesh.plan.roleAssignments) {
      const a = byName.get(ra.name);
      expect(a).toMatchObject({ scope: ra.scope, roleDefinitionId: ra.roleDefinitionId, principalType: 'ServicePrincipal' });
      expect(a.roleDefinitionId).toMatch(/^\/subscriptions\/[0-9a-f-]{36}\/providers\/Microsoft\.Authorization\/roleDefinitions\/[0-9a-f-]{36}$/);
    }
    // the created identity's principal id reaches its assignments
    expect(assignments.filter((a) => a.principalId === CREATED_IDS['feature-svc'].principalId)).toHaveLength(
      mesh.plan.roleAssignments.filter((r) => r.principalRef !== undefined).length);
    // the manifests carry the resolved client id and oid
    expect(manifests).toMatch(`azure.workload.identity/client-id: ${CREATED_IDS['feature-svc'].clientId}`);
    expect(manifests).toMatch(CREATED_IDS['feature-svc'].principalId);
    expect(await value(mesh.identities[mesh.plan.identities.find((i) => i.create)!.ref].clientId)).toBe(CREATED_IDS['feature-svc'].clientId);
  });

  test('the app is built once, and neither the plan nor the manifests keep a placeholder', async () => {
    let builds = 0;
    const mesh = new AzureMlMesh('once', { build: (app) => { builds++; build(app); } });
    await settled(mesh);
    expect(builds).toBe(1);
    // the plan reads as cdk8s synth writes it: the created identity's ids are not known there
    const createdRef = mesh.plan.identities.find((i) => i.create)!;
    expect(createdRef.clientId).toBeUndefined();
    expect(createdRef.principalId).toBeUndefined();
    for (const ra of mesh.plan.roleAssignments.filter((r) => r.principalRef !== undefined)) expect(ra.principalId).toBeUndefined();
    const placeholders = new IdentityPlaceholders().resolve(createdRef.ref);
    expect(JSON.stringify(mesh.plan)).not.toContain(placeholders.principalId);
    expect(JSON.stringify(mesh.plan)).not.toContain(placeholders.clientId);
    // a mesh-only grant names the workload as cdk8s synth does before the oid is known
    expect(mesh.plan.meshOnlyGrants.map((g) => g.caller)).toContain('workload:cluster.local/ns/batch/sa/features-0');
    // every GUID of the manifests is a known one: the fixture's ids, the tenant and audiences
    const manifests = await value(mesh.manifests);
    const known = new Set([TID, SUB, EXISTING.clientId, EXISTING.principalId, CREATED_IDS['feature-svc'].clientId, CREATED_IDS['feature-svc'].principalId,
      '0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5', '1b2c3d4e-5f60-4a1b-9c2d-3e4f5a6b7c8d']);
    const guids = [...new Set(manifests.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g) ?? [])];
    expect(guids.filter((g) => !known.has(g))).toEqual([]);
  });

  test('federated credentials on one identity are chained: each depends on the previous one', async () => {
    const mesh = new AzureMlMesh('chain', { build: (app) => build(app, 3) });
    await settled(mesh);
    expect(ofType(FIC)).toHaveLength(4);
    expect(mesh.credentials.map((c) => [nameOf(c.credential), nameOf(c.after)])).toEqual([
      ['chain-credential-feature-svc-batch-features-0', 'chain-identity-feature-svc'],
      ['chain-credential-feature-svc-batch-features-1', 'chain-credential-feature-svc-batch-features-0'],
      ['chain-credential-feature-svc-batch-features-2', 'chain-credential-feature-svc-batch-features-1'],
      // an existing identity's first credential waits for nothing the component creates
      [`chain-credential-${EXISTING_RESOURCE.name}-batch-scorer`, undefined],
    ]);
  });

  test('an existing identity by name and resource group: its ids are looked up, for the annotation and the role assignment', async () => {
    const mesh = new AzureMlMesh('lookup', {
      build: (app) => {
        const batch = new Chart(app, 'batch', { namespace: 'batch' });
        const b = new MeshIdentityBinding(batch, 'Scorer', { identity: ManagedIdentity.existing(EXISTING_RESOURCE), oidcIssuerUrl: OIDC, serviceAccountName: 'scorer' });
        b.grantRole(AzureRole.READER, AzureScope.resourceGroup(SUB, 'ml-prod'));
      },
      kubernetesProvider: new Provider('aks-lookup', {}),
    });
    await settled(mesh);
    expect(lookups).toEqual([`${EXISTING_RESOURCE.resourceGroup}/${EXISTING_RESOURCE.name}`]);
    expect(ofType('azure-native:managedidentity:UserAssignedIdentity')).toEqual([]);
    expect(ofType(FIC).map((c) => c.inputs)).toEqual([expect.objectContaining({
      resourceGroupName: EXISTING_RESOURCE.resourceGroup, resourceName: EXISTING_RESOURCE.name, subject: 'system:serviceaccount:batch:scorer',
    })]);
    expect(ofType('azure-native:authorization:RoleAssignment').map((c) => c.inputs)).toEqual([expect.objectContaining({
      principalId: EXISTING.principalId, principalType: PrincipalType.SERVICE_PRINCIPAL, roleDefinitionId: AzureRole.READER.roleDefinitionId(SUB),
    })]);
    const sa = ofType('kubernetes:core/v1:ServiceAccount');
    expect(sa.map((c) => [c.name, c.inputs.metadata.annotations['azure.workload.identity/client-id']])).toEqual([['lookup/ServiceAccount/batch/scorer', EXISTING.clientId]]);
    // the plan names the identity as declared, without ids
    const ref = `identity:${EXISTING_RESOURCE.resourceGroup}/${EXISTING_RESOURCE.name}`;
    expect(mesh.plan.identities).toEqual([{ ref, create: false, name: EXISTING_RESOURCE.name, resourceGroup: EXISTING_RESOURCE.resourceGroup }]);
    expect(mesh.plan.roleAssignments.map((r) => [r.principalRef, r.principalId])).toEqual([[ref, undefined]]);
    expect(await value(mesh.identities[ref].principalId)).toBe(EXISTING.principalId);
  });

  test('an existing identity by resourceId: its credentials are created on it', async () => {
    const resourceId = `/subscriptions/${SUB}/resourceGroups/${EXISTING_RESOURCE.resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${EXISTING_RESOURCE.name}`;
    const mesh = new AzureMlMesh('byid', {
      build: (app) => {
        new MeshIdentityBinding(new Chart(app, 'batch', { namespace: 'batch' }), 'Scorer', {
          identity: ManagedIdentity.existing({ ...EXISTING, resourceId }), oidcIssuerUrl: OIDC, serviceAccountName: 'scorer',
        });
      },
    });
    await settled(mesh);
    expect(ofType(FIC).map((c) => [c.inputs.resourceGroupName, c.inputs.resourceName])).toEqual([[EXISTING_RESOURCE.resourceGroup, EXISTING_RESOURCE.name]]);
    expect(mesh.plan.identities).toEqual([{ ref: `principal:${EXISTING.principalId}`, create: false, resourceId, ...EXISTING }]);
  });

  test('fails: an existing identity known by its ids alone, with credentials to create, is a ResourceError naming it and what to pass', () => {
    expect(() => new AzureMlMesh('idsonly', {
      build: (app) => {
        new MeshIdentityBinding(new Chart(app, 'batch', { namespace: 'batch' }), 'Scorer', { identity: ManagedIdentity.existing(EXISTING), oidcIssuerUrl: OIDC, serviceAccountName: 'scorer' });
      },
    })).toThrow(new RegExp(`identity principal:${EXISTING.principalId} must be an identity the component can find to create its federated credentials on, `
      + `got \\{"clientId":"${EXISTING.clientId}","principalId":"${EXISTING.principalId}"\\}; system:serviceaccount:batch:scorer would fail to exchange tokens; `
      + 'pass ManagedIdentity.existing\\(\\{ \\.\\.\\., resourceId \\}\\) or \\(\\{ \\.\\.\\., name, resourceGroup \\}\\), or createFederatedCredentials: false'));
    expect(ofType(FIC)).toEqual([]);
  });

  test('createFederatedCredentials: false says the credentials are managed elsewhere: none created, the plan says so, no lookup', async () => {
    for (const identity of [{ ...EXISTING }, { ...EXISTING, ...EXISTING_RESOURCE }]) {
      created.length = 0;
      const mesh = new AzureMlMesh(`elsewhere-${Object.keys(identity).length}`, {
        build: (app) => {
          new MeshIdentityBinding(new Chart(app, 'batch', { namespace: 'batch' }), 'Scorer', {
            identity: ManagedIdentity.existing({ ...identity, createFederatedCredentials: false }), oidcIssuerUrl: OIDC, serviceAccountName: 'scorer',
          });
        },
      });
      await settled(mesh);
      expect(ofType(FIC)).toEqual([]);
      expect(mesh.plan.identities).toEqual([expect.objectContaining({ ref: `principal:${EXISTING.principalId}`, createFederatedCredentials: false })]);
      expect(mesh.plan.federatedCredentials.map((c) => c.subject)).toEqual(['system:serviceaccount:batch:scorer']);
    }
    // the ids are given and no credential goes to the identity: nothing to look up
    expect(lookups).toEqual([]);
  });

  test('with a Kubernetes provider, every object is one resource named from kind, namespace and name, with the resolved ids', async () => {
    const provider = new Provider('aks', {});
    const mesh = new AzureMlMesh('applied', { build: (app) => build(app), kubernetesProvider: provider });
    await settled(mesh);
    const k8s = created.filter((c) => c.type.startsWith('kubernetes:') && c.type !== 'pulumi:providers:kubernetes');
    expect(k8s.length).toBe(mesh.kubernetesResources.length);
    expect(k8s.length).toBeGreaterThan(10);
    for (const c of k8s) {
      const { apiVersion, kind, metadata } = c.inputs;
      expect(c.type).toBe(`kubernetes:${apiVersion.includes('/') ? apiVersion : `core/${apiVersion}`}:${kind}`);
      expect(c.name).toBe(`applied/${kind}/${metadata.namespace ? `${metadata.namespace}/` : ''}${metadata.name}`);
    }
    const sa = new Map(ofType('kubernetes:core/v1:ServiceAccount').map((c) => [c.name, c.inputs.metadata.annotations?.['azure.workload.identity/client-id']]));
    expect(sa.get('applied/ServiceAccount/batch/features-0')).toBe(CREATED_IDS['feature-svc'].clientId);
    expect(sa.get('applied/ServiceAccount/batch/scorer')).toBe(EXISTING.clientId);
    // the ALLOW rule of the endpoint admits the created identity by its oid
    const policies = ofType('kubernetes:security.istio.io/v1:AuthorizationPolicy').map((c) => JSON.stringify(c.inputs));
    expect(policies.some((p) => p.includes(CREATED_IDS['feature-svc'].principalId))).toBe(true);
    // the same objects as the manifests output, in the same order apart from Namespaces first
    const names = k8s.map((c) => `${c.inputs.kind}/${c.inputs.metadata.name}`);
    const fromYaml = [...(await value(mesh.manifests)).matchAll(/^kind: (\S+)\nmetadata:\n(?:  .*\n)*?  name: (\S+)$/gm)].map((m) => `${m[1]}/${m[2]}`);
    expect([...names].sort()).toEqual([...fromYaml].sort());
  });

  test('a principal id known only at deploy time, given as a plain principal, reaches Azure as the real id (never undefined)', async () => {
    const mesh = new AzureMlMesh('plain', {
      build: (app) => {
        const b = new MeshIdentityBinding(new Chart(app, 'batch', { namespace: 'batch' }), 'Features', {
          identity: ManagedIdentity.create({ name: 'feature-svc', resourceGroup: 'ml-prod', subscriptionId: SUB, location: 'westeurope' }),
          oidcIssuerUrl: OIDC, serviceAccountName: 'features',
        });
        // a custom grantee: the binding's principal id as a plain principal (a placeholder while the component synthesizes)
        AzurePlan.of(app).addRoleAssignment({
          scope: AzureScope.resourceGroup(SUB, 'ml-prod'), role: AzureRole.READER,
          principal: { principalId: b.principalId!, principalType: PrincipalType.SERVICE_PRINCIPAL },
        }, b);
      },
    });
    await settled(mesh);
    expect(ofType('azure-native:authorization:RoleAssignment').map((c) => c.inputs)).toEqual([expect.objectContaining({
      principalId: CREATED_IDS['feature-svc'].principalId, principalType: PrincipalType.SERVICE_PRINCIPAL, roleDefinitionId: AzureRole.READER.roleDefinitionId(SUB),
    })]);
  });

  test('a bad declaration is a ResourceError listing the problems', () => {
    expect(() => new AzureMlMesh('bad', {
      build: (app) => {
        new SecureMlEndpoint(new Chart(app, 'fraud'), 'Endpoint', {
          backend: EndpointBackend.service({ name: 'fraud', port: 80, selector: { app: 'fraud' } }),
          tenant: new EntraTenant({ tenantId: 'contoso.com' }),
          audiences: ['0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5'],
          callers: [Caller.appRole('A')],
        });
      },
    })).toThrow(/tenantId must be a GUID, got "contoso\.com"/);
  });
});

