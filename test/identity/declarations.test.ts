/**
 * One Azure identity, declared more than once: the declarations must agree
 * (ids, resource, createFederatedCredentials), and one Azure resource is one
 * plan identity. Otherwise whichever declaration came first would decide
 * the plan (a credential skipped, a declared id never checked), and swapping
 * the declarations would change it (invariant 10).
 */
import { App, Chart } from 'cdk8s';
import { AzurePlan, ManagedIdentity, MeshIdentityBinding } from '../../lib';
import { synthToDisk } from '../util';

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const SUB = '6c2f4e1a-9b8d-4c7e-a5f3-2d1b0e9c8a7f';
const ISSUER = `https://westeurope.oic.prod-aks.azure.com/${TID}/1b2c3d4e-5f60-4a1b-9c2d-3e4f5a6b7c8d/`;
const IDS = { clientId: '5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d', principalId: '9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b' };
const R = `/subscriptions/${SUB}/resourceGroups/ml-jobs/providers/Microsoft.ManagedIdentity/userAssignedIdentities/scorer-identity`;

type Pair = [name: string, a: () => ManagedIdentity, b: () => ManagedIdentity, message: RegExp];

/** Two bindings, A and B, of two declarations; `swap` declares B first. */
function twoBindings(a: ManagedIdentity, b: ManagedIdentity, swap = false) {
  return (app: App) => {
    const chart = new Chart(app, 'batch', { namespace: 'batch' });
    const declare = [
      () => new MeshIdentityBinding(chart, 'A', { identity: a, oidcIssuerUrl: ISSUER, serviceAccountName: 'a' }),
      () => new MeshIdentityBinding(chart, 'B', { identity: b, oidcIssuerUrl: ISSUER, serviceAccountName: 'b' }),
    ];
    (swap ? [...declare].reverse() : declare).forEach((d) => d());
  };
}

const CONFLICTS: Pair[] = [
  ['the same resource id, createFederatedCredentials false and default', () => ManagedIdentity.existing({ resourceId: R, createFederatedCredentials: false }),
    () => ManagedIdentity.existing({ resourceId: R }),
    /identity must be declared as batch\/[AB] declares identity \/subscriptions\/.*\/scorer-identity, got \{.*\}; batch\/[AB] declares \{.*\}: one identity has one set of ids, one resource and one createFederatedCredentials setting; declare one ManagedIdentity and pass it to every binding and grant/],
  ['the same principal id, two client ids', () => ManagedIdentity.existing({ ...IDS, resourceId: R }),
    () => ManagedIdentity.existing({ ...IDS, clientId: '11111111-2222-4333-8444-555555555555', resourceId: R }),
    /identity must be declared as batch\/[AB] declares identity principal:9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b, got .*"clientId":"(11111111-2222-4333-8444-555555555555|5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d)"/],
  ['the same principal id, two resources', () => ManagedIdentity.existing({ ...IDS, resourceId: R }),
    () => ManagedIdentity.existing({ ...IDS, name: 'other-identity', resourceGroup: 'ml-jobs' }),
    /identity must be declared as batch\/[AB] declares identity principal:9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b/],
  ['the same name and resource group, with and without a client id', () => ManagedIdentity.existing({ name: 'scorer-identity', resourceGroup: 'ml-jobs' }),
    () => ManagedIdentity.existing({ name: 'scorer-identity', resourceGroup: 'ML-Jobs', clientId: IDS.clientId }),
    /identity must be declared as batch\/[AB] declares identity identity:ml-jobs\/scorer-identity/],
  // finding 8: one Azure resource under two plan references
  ['one resource by resourceId and by name and resource group', () => ManagedIdentity.existing({ resourceId: R }),
    () => ManagedIdentity.existing({ name: 'scorer-identity', resourceGroup: 'ml-jobs' }),
    /identity must be the only declaration of user-assigned identity ml-jobs\/scorer-identity, got "(\/subscriptions\/.*|identity:ml-jobs\/scorer-identity)"; batch\/[AB] declares it as (\/subscriptions\/.*|identity:ml-jobs\/scorer-identity): its credentials and role assignments would be written twice \(concurrent writes to one identity fail\); declare one ManagedIdentity and pass it to every binding and grant/],
  ['one resource by resourceId with and without its ids', () => ManagedIdentity.existing({ resourceId: R }),
    () => ManagedIdentity.existing({ ...IDS, resourceId: R.replace('ml-jobs', 'ML-Jobs') }),
    /identity must be the only declaration of user-assigned identity ml-jobs\/scorer-identity/],
  ['one resource created and declared existing', () => ManagedIdentity.create({ name: 'scorer-identity', resourceGroup: 'ml-jobs', subscriptionId: SUB, location: 'westeurope' }),
    () => ManagedIdentity.existing({ name: 'scorer-identity', resourceGroup: 'ml-jobs', subscriptionId: SUB, clientId: IDS.clientId, principalId: IDS.principalId }),
    /identity must be the only declaration of user-assigned identity ml-jobs\/scorer-identity/],
];

describe('an identity declared more than once', () => {
  test.each(CONFLICTS)('fails for %s, in either declaration order, writing nothing', (_name, a, b, message) => {
    for (const swap of [false, true]) {
      const { error, files, mesh } = synthToDisk(twoBindings(a(), b(), swap));
      expect(error?.message).toMatch(message);
      // both bindings are told, whichever came first
      expect(error!.message).toMatch(/\[batch\/A\] identity must be/);
      expect(error!.message).toMatch(/\[batch\/B\] identity must be/);
      expect(files).toEqual([]);
      expect(mesh.files).toEqual(['diagnostics.json', 'diagnostics.sarif']);
    }
  });

  test('the same declaration twice (two equal values, or one shared) is one plan identity, in either order', () => {
    const plans = [false, true].map((swap) => {
      const app = new App({ outdir: 'dist' });
      twoBindings(ManagedIdentity.existing({ resourceId: R }), ManagedIdentity.existing({ resourceId: R }), swap)(app);
      app.synthYaml();
      return AzurePlan.of(app).toJson();
    });
    expect(plans[0]).toEqual(plans[1]);
    expect(plans[0].identities).toEqual([{ ref: R.toLowerCase(), create: false, resourceId: R }]);
    expect(plans[0].federatedCredentials.map((c) => c.subject)).toEqual(['system:serviceaccount:batch:a', 'system:serviceaccount:batch:b']);
  });

  test('two identities in different resource groups or with different names are two identities', () => {
    const { error } = synthToDisk(twoBindings(ManagedIdentity.existing({ resourceId: R }),
      ManagedIdentity.existing({ name: 'scorer-identity', resourceGroup: 'ml-other' })));
    expect(error).toBeUndefined();
  });
});
