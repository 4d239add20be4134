/**
 * examples/pulumi/index.ts, run as `pulumi preview` under mocks: the
 * feature service's identity is still to be created (its ids unknown), the
 * reporting job's existing identity is looked up, both get their credential,
 * and every Kubernetes object of the app is listed.
 */
import { registered, installMocks, lookups } from './fixtures';

installMocks(true);
jest.mock('cdk8s-azureml-mesh', () => jest.requireActual('../../lib'), { virtual: true });
jest.mock('cdk8s-azureml-mesh/pulumi', () => jest.requireActual('../../lib/pulumi'), { virtual: true });

const ofType = (type: string) => registered.filter((c) => c.type === type);

test('the Pulumi example previews the identities, credentials, assignments and every Kubernetes object', async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('../../examples/pulumi');
  // resources register asynchronously: wait until the last kinds show up
  for (let i = 0; i < 200 && ofType('kubernetes:core/v1:ServiceAccount').length < 2; i++) await new Promise((r) => setTimeout(r, 25));
  await new Promise((r) => setTimeout(r, 200));

  expect(ofType('azure-native:managedidentity:UserAssignedIdentity').map((c) => c.inputs.resourceName)).toEqual(['feature-service']);
  expect(lookups).toEqual(['ml-prod/fraud-reporting']);
  expect(ofType('azure-native:managedidentity:FederatedIdentityCredential').map((c) => c.inputs.subject).sort()).toEqual([
    'system:serviceaccount:features:feature-service', 'system:serviceaccount:features:fraud-reporting',
  ]);
  const sa = new Map(ofType('kubernetes:core/v1:ServiceAccount').map((c) => [c.name, c.inputs.metadata.annotations?.['azure.workload.identity/client-id']]));
  expect([...sa.keys()].sort()).toEqual(['fraud/ServiceAccount/features/feature-service', 'fraud/ServiceAccount/features/fraud-reporting']);
  expect(sa.get('fraud/ServiceAccount/features/fraud-reporting')).toBe('7e7e7e7e-1111-4222-8333-444444444444');
  const kinds = new Set(registered.filter((c) => c.type.startsWith('kubernetes:') && c.type !== 'pulumi:providers:kubernetes').map((c) => c.inputs.kind));
  expect([...kinds]).toEqual(expect.arrayContaining(['Namespace', 'Deployment', 'Service', 'ServiceAccount', 'AuthorizationPolicy', 'RequestAuthentication', 'PeerAuthentication']));
}, 30_000);
