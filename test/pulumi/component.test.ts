/**
 * The Pulumi component under `pulumi.runtime.setMocks` (no CLI, no cloud).
 * Mocks are installed before the component module is loaded.
 */
import * as pulumi from '@pulumi/pulumi';
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import {
  AzureRole,
  AzureScope,
  Caller,
  EndpointBackend,
  EntraTenant,
  ManagedIdentity,
  ManagedOnlineEndpoint,
  MeshIdentityBinding,
  PrincipalType,
  SecureMlEndpoint,
} from '../../lib';

interface Created { type: string; name: string; inputs: any; opts?: { dependsOn?: string[] } }
const created: Created[] = [];
const CREATED_IDS: Record<string, { clientId: string; principalId: string }> = {
  'feature-svc': { clientId: 'c0c0c0c0-1111-4222-8333-444444444444', principalId: 'd0d0d0d0-1111-4222-8333-444444444444' },
};

pulumi.runtime.setMocks({
  newResource(args) {
    created.push({ type: args.type, name: args.name, inputs: args.inputs });
    const ids = args.type === 'azure-native:managedidentity:UserAssignedIdentity' ? CREATED_IDS[args.inputs.resourceName] : {};
    return { id: `${args.name}-id`, state: { ...args.inputs, ...ids } };
  },
  call(args) {
    return args.inputs;
  },
}, 'project', 'stack', false);

/* eslint-disable @typescript-eslint/no-require-imports */
const { AzureMlMesh } = require('../../lib/pulumi') as typeof import('../../lib/pulumi');
const { Provider } = require('@pulumi/kubernetes/provider') as typeof import('@pulumi/kubernetes/provider');
/* eslint-enable @typescript-eslint/no-require-imports */

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const SUB = '6c2f4e1a-9b8d-4c7e-a5f3-2d1b0e9c8a7f';
const OIDC = `https://westeurope.oic.prod-aks.azure.com/${TID}/1b2c3d4e-5f60-4a1b-9c2d-3e4f5a6b7c8d/`;
const EXISTING = { clientId: '5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d', principalId: '9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b' };

function build(app: App, credentials = 2): void {
  const fraud = new Chart(app, 'fraud', { namespace: 'fraud' });
  const endpoint = new SecureMlEndpoint(fraud, 'Endpoint', {
    backend: EndpointBackend.service({ name: 'fraud', port: 80, selector: { app: 'fraud' } }),
    tenant: new EntraTenant({ tenantId: TID }),
    audiences: ['0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5'],
    callers: [Caller.appRole('Fraud.Score')],
  });
  // the managed online endpoint fraud-scoring: Azure enforces its invoker role (the in-cluster grants are mesh-only)
  const online = new ManagedOnlineEndpoint(fraud, 'Managed', {
    endpointName: 'fraud-scoring', region: 'westeurope', tenant: new EntraTenant({ tenantId: TID }),
    workspace: AzureScope.mlWorkspace({ subscriptionId: SUB, resourceGroup: 'ml-prod', workspace: 'fraud-ws' }),
  });
  const batch = new Chart(app, 'batch', { namespace: 'batch' });
  const featureIdentity = ManagedIdentity.create({ name: 'feature-svc', resourceGroup: 'ml-prod', subscriptionId: SUB, location: 'westeurope' });
  for (let i = 0; i < credentials; i++) {
    const b = new MeshIdentityBinding(batch, `Features${i}`, { identity: featureIdentity, oidcIssuerUrl: OIDC, serviceAccountName: `features-${i}` });
    b.applyTo(new kplus.Deployment(batch, `FeaturesApp${i}`, { containers: [{ image: 'features:1' }] }));
    endpoint.grantInvoke(b);
    online.grantInvoke(b);
  }
  const scorer = new MeshIdentityBinding(batch, 'Scorer', { identity: ManagedIdentity.existing(EXISTING), oidcIssuerUrl: OIDC, serviceAccountName: 'scorer' });
  endpoint.grantInvoke(scorer);
  online.grantInvoke(scorer);
  scorer.grantRole(AzureRole.KEY_VAULT_SECRETS_USER, AzureScope.keyVault({ subscriptionId: SUB, resourceGroup: 'ml-prod', vault: 'kv-jobs' }));
}

const value = <T>(output: pulumi.Output<T>): Promise<T> => new Promise((resolve) => output.apply(resolve));
/** Waits until every resource of the component is registered with the mocks. */
async function settled(mesh: InstanceType<typeof AzureMlMesh>): Promise<void> {
  const resources: pulumi.Resource[] = [mesh, ...mesh.createdIdentities.values(), ...mesh.credentials.map((c) => c.credential), ...mesh.roleDefinitions, ...mesh.roleAssignments];
  await value(pulumi.all(resources.map((r) => r.urn)));
  await value(mesh.manifests);
}
const nameOf = (r: pulumi.Resource | undefined) => (r as unknown as { __name?: string } | undefined)?.__name;
const ofType = (type: string) => created.filter((c) => c.type === type);

describe('AzureMlMesh (Pulumi component)', () => {
  beforeEach(() => { created.length = 0; });

  test('creates the identities to create, their credentials, the invoker role and every assignment of the plan', async () => {
    const mesh = new AzureMlMesh('ml', { build: (app) => build(app) });
    await settled(mesh);
    const manifests = await value(mesh.manifests);
    expect(created.find((c) => c.type === 'cdk8s-azureml-mesh:index:AzureMlMesh')?.name).toBe('ml');
    expect(ofType('azure-native:managedidentity:UserAssignedIdentity').map((c) => c.inputs)).toEqual([
      { resourceName: 'feature-svc', resourceGroupName: 'ml-prod', location: 'westeurope' },
    ]);
    // credentials only for the identity created here (the existing one has no resourceId)
    const fics = ofType('azure-native:managedidentity:FederatedIdentityCredential');
    expect(fics.map((c) => c.inputs.subject)).toEqual(['system:serviceaccount:batch:features-0', 'system:serviceaccount:batch:features-1']);
    for (const f of fics) {
      expect(f.inputs).toMatchObject({ resourceGroupName: 'ml-prod', resourceName: 'feature-svc', issuer: OIDC, audiences: ['api://AzureADTokenExchange'] });
    }
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
    // the created identity's principal id reaches its assignment
    expect(assignments.map((a) => a.principalId)).toContain(CREATED_IDS['feature-svc'].principalId);
    // manifests rendered inside the component carry the resolved client id and oid; nothing unresolved
    expect(manifests).toMatch(`azure.workload.identity/client-id: ${CREATED_IDS['feature-svc'].clientId}`);
    expect(manifests).toMatch(CREATED_IDS['feature-svc'].principalId);
    expect(await value(mesh.identities[mesh.plan.identities.find((i) => i.create)!.ref].clientId)).toBe(CREATED_IDS['feature-svc'].clientId);
  });

  test('federated credentials on one identity are chained: each depends on the previous one', async () => {
    const mesh = new AzureMlMesh('chain', { build: (app) => build(app, 3) });
    await settled(mesh);
    expect(ofType('azure-native:managedidentity:FederatedIdentityCredential')).toHaveLength(3);
    expect(mesh.credentials.map((c) => [nameOf(c.credential), nameOf(c.after)])).toEqual([
      ['chain-credential-feature-svc-batch-features-0', 'chain-identity-feature-svc'],
      ['chain-credential-feature-svc-batch-features-1', 'chain-credential-feature-svc-batch-features-0'],
      ['chain-credential-feature-svc-batch-features-2', 'chain-credential-feature-svc-batch-features-1'],
    ]);
  });

  test('an identity declared existing creates nothing', async () => {
    const mesh = new AzureMlMesh('existing', {
      build: (app) => {
        const batch = new Chart(app, 'batch', { namespace: 'batch' });
        const b = new MeshIdentityBinding(batch, 'Scorer', { identity: ManagedIdentity.existing(EXISTING), oidcIssuerUrl: OIDC, serviceAccountName: 'scorer' });
        b.grantRole(AzureRole.READER, AzureScope.resourceGroup(SUB, 'ml-prod'));
      },
    });
    await settled(mesh);
    expect(ofType('azure-native:managedidentity:UserAssignedIdentity')).toEqual([]);
    expect(ofType('azure-native:managedidentity:FederatedIdentityCredential')).toEqual([]);
    expect(ofType('azure-native:authorization:RoleAssignment').map((c) => c.inputs)).toEqual([expect.objectContaining({
      principalId: EXISTING.principalId, principalType: PrincipalType.SERVICE_PRINCIPAL, roleDefinitionId: AzureRole.READER.roleDefinitionId(SUB),
    })]);
  });

  test('with a Kubernetes provider, the manifests are applied as a ConfigGroup rendered with the resolved ids', async () => {
    const provider = new Provider('aks', {});
    const mesh = new AzureMlMesh('applied', { build: (app) => build(app), kubernetesProvider: provider });
    await settled(mesh);
    await value(mesh.configGroup!.urn);
    const group = ofType('kubernetes:yaml/v2:ConfigGroup');
    expect(group).toHaveLength(1);
    expect(group[0].inputs.yaml).toMatch(`azure.workload.identity/client-id: ${CREATED_IDS['feature-svc'].clientId}`);
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
