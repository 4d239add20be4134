/** The app the Pulumi tests deploy, and the Azure the mocks pretend. */
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
  SecureMlEndpoint,
} from '../../lib';

export const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const SUB = '6c2f4e1a-9b8d-4c7e-a5f3-2d1b0e9c8a7f';
export const OIDC = `https://westeurope.oic.prod-aks.azure.com/${TID}/1b2c3d4e-5f60-4a1b-9c2d-3e4f5a6b7c8d/`;
/** Ids of the existing identity (the one Azure knows as ml-jobs/scorer-identity). */
export const EXISTING = { clientId: '5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d', principalId: '9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b' };
export const EXISTING_RESOURCE = { name: 'scorer-identity', resourceGroup: 'ml-jobs' };
/** Ids the mocks give identities created by name. */
export const CREATED_IDS: Record<string, { clientId: string; principalId: string }> = {
  'feature-svc': { clientId: 'c0c0c0c0-1111-4222-8333-444444444444', principalId: 'd0d0d0d0-1111-4222-8333-444444444444' },
};
/** What `getUserAssignedIdentity` finds, by `<resource group>/<name>`. */
export const existingIdentities: Record<string, { id: string; name: string; clientId: string; principalId: string; tenantId: string }> = {
  [`${EXISTING_RESOURCE.resourceGroup}/${EXISTING_RESOURCE.name}`]: {
    id: `/subscriptions/${SUB}/resourcegroups/${EXISTING_RESOURCE.resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${EXISTING_RESOURCE.name}`,
    name: EXISTING_RESOURCE.name,
    ...EXISTING,
    tenantId: TID,
  },
  // an identity whose id, as returned, does not parse (finding 5: the subscription check must not be skipped)
  'ml-jobs/odd-identity': {
    id: 'odd-identity',
    name: 'odd-identity',
    clientId: '6a6a6a6a-1111-4222-8333-444444444444',
    principalId: '6b6b6b6b-1111-4222-8333-444444444444',
    tenantId: TID,
  },
  // examples/pulumi's reporting job
  'ml-prod/fraud-reporting': {
    id: `/subscriptions/${SUB}/resourceGroups/ml-prod/providers/Microsoft.ManagedIdentity/userAssignedIdentities/fraud-reporting`,
    name: 'fraud-reporting',
    clientId: '7e7e7e7e-1111-4222-8333-444444444444',
    principalId: '8f8f8f8f-1111-4222-8333-444444444444',
    tenantId: TID,
  },
};
/** Identities looked up, as `<resource group>/<name>` (the mocks push, tests reset). */
export const lookups: string[] = [];

/** A resource registered with the mocks. */
export interface Registered { type: string; name: string; inputs: any }
/** Resources registered with the mocks, in registration order (tests reset). */
export const registered: Registered[] = [];

/**
 * Installs the mocks, before the component module is loaded. Created
 * identities get their ids from {@link CREATED_IDS}, except in a preview
 * (`preview: true`), where the mocks leave them out, so they are unknown as
 * in `pulumi preview` before the identity exists. `getUserAssignedIdentity`
 * finds {@link existingIdentities} and fails as Azure does for others.
 */
export function installMocks(preview: boolean): void {
  pulumi.runtime.setMocks({
    newResource(args) {
      registered.push({ type: args.type, name: args.name, inputs: args.inputs });
      const ids = args.type === 'azure-native:managedidentity:UserAssignedIdentity' && !preview ? CREATED_IDS[args.inputs.resourceName] : {};
      return { id: `${args.name}-id`, state: { ...args.inputs, ...ids } };
    },
    call(args) {
      if (args.token === 'azure-native:managedidentity:getUserAssignedIdentity') {
        const key = `${args.inputs.resourceGroupName}/${args.inputs.resourceName}`;
        lookups.push(key);
        // the engine hands a provider's error over as the gRPC details
        const details = `ResourceNotFound: The Resource 'Microsoft.ManagedIdentity/userAssignedIdentities/${args.inputs.resourceName}' under resource group '${args.inputs.resourceGroupName}' was not found`;
        if (!existingIdentities[key]) throw Object.assign(new Error(details), { details });
        return existingIdentities[key];
      }
      return args.inputs;
    },
  }, 'project', 'stack', preview);
}

/**
 * An in-cluster endpoint and a managed online endpoint; `credentials`
 * bindings of one identity created at deploy time, and a scorer bound to the
 * existing identity (by ids and name) with a Key Vault role.
 */
export function build(app: App, credentials = 2): void {
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
  const scorer = new MeshIdentityBinding(batch, 'Scorer', {
    identity: ManagedIdentity.existing({ ...EXISTING, ...EXISTING_RESOURCE }), oidcIssuerUrl: OIDC, serviceAccountName: 'scorer',
  });
  endpoint.grantInvoke(scorer);
  online.grantInvoke(scorer);
  scorer.grantRole(AzureRole.KEY_VAULT_SECRETS_USER, AzureScope.keyVault({ subscriptionId: SUB, resourceGroup: 'ml-prod', vault: 'kv-jobs' }));
}
