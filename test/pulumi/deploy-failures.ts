/**
 * Deploys (under mocks) identities the component cannot use, and prints as
 * JSON what fails: the component's ResourceErrors, the errors that would
 * fail `pulumi up` (Pulumi turns a resource whose inputs failed into an
 * unhandled rejection; the CLI prints it and exits non-zero) and the
 * credentials that reached the mocks. Run by lookup.test.ts in a child
 * process, where such rejections do not fail a jest test.
 */
import * as pulumi from '@pulumi/pulumi';
import { Chart } from 'cdk8s';
import { AzureRole, AzureScope, ManagedIdentity, MeshIdentityBinding } from '../../lib';
import { EXISTING, EXISTING_RESOURCE, OIDC, SUB, installMocks, registered } from './fixtures';

installMocks(false);
const failures: string[] = [];
process.on('unhandledRejection', (e) => { failures.push((e as Error)?.message ?? String(e)); });

/* eslint-disable @typescript-eslint/no-require-imports */
const { AzureMlMesh } = require('../../lib/pulumi') as typeof import('../../lib/pulumi');
/* eslint-enable @typescript-eslint/no-require-imports */

const SCENARIOS: Record<string, { ref: string; identity: ManagedIdentity }> = {
  missing: {
    ref: 'identity:ml-jobs/no-such-identity',
    identity: ManagedIdentity.existing({ name: 'no-such-identity', resourceGroup: 'ml-jobs' }),
  },
  mismatch: {
    ref: `identity:${EXISTING_RESOURCE.resourceGroup}/${EXISTING_RESOURCE.name}`,
    identity: ManagedIdentity.existing({ ...EXISTING_RESOURCE, clientId: '11111111-2222-4333-8444-555555555555' }),
  },
  // both ids declared, the principal id mistyped: the lookup that checks it must come before any role assignment
  'principal-mismatch': {
    ref: 'principal:11111111-2222-4333-8444-555555555555',
    identity: ManagedIdentity.existing({ ...EXISTING_RESOURCE, clientId: EXISTING.clientId, principalId: '11111111-2222-4333-8444-555555555555' }),
  },
  // a declared subscription, and an id from Azure that does not parse: the subscription cannot be checked
  'unparsable-id': {
    ref: `/subscriptions/${SUB}/resourcegroups/ml-jobs/providers/microsoft.managedidentity/userassignedidentities/odd-identity`,
    identity: ManagedIdentity.existing({ resourceId: `/subscriptions/${SUB}/resourceGroups/ml-jobs/providers/Microsoft.ManagedIdentity/userAssignedIdentities/odd-identity` }),
  },
};

async function main(): Promise<void> {
  const { ref, identity } = SCENARIOS[process.argv[2]];
  const mesh = new AzureMlMesh(process.argv[2], {
    build: (app) => {
      const binding = new MeshIdentityBinding(new Chart(app, 'batch', { namespace: 'batch' }), 'Scorer', { identity, oidcIssuerUrl: OIDC, serviceAccountName: 'scorer' });
      binding.grantRole(AzureRole.READER, AzureScope.resourceGroup(SUB, 'ml-jobs'));
    },
  });
  const error = await (mesh.identities[ref].principalId as unknown as { promise(): Promise<string> }).promise().then(() => undefined, (e: unknown) => e);
  // let every registration that waits for the lookup fail
  await new Promise((r) => setTimeout(r, 500));
  process.stdout.write(JSON.stringify({
    resourceError: pulumi.ResourceError.isInstance(error),
    message: (error as Error | undefined)?.message,
    failures,
    credentials: registered.filter((r) => r.type === 'azure-native:managedidentity:FederatedIdentityCredential').length,
    roleAssignments: registered.filter((r) => r.type === 'azure-native:authorization:RoleAssignment').length,
  }));
  process.exit(0);
}

void main();
