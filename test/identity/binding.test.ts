import { App, Chart, Cron, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import {
  AzurePlan,
  AzureRole,
  AzureScope,
  CLIENT_ID_ANNOTATION,
  Caller,
  EndpointBackend,
  EntraTenant,
  ManagedIdentity,
  MeshIdentityBinding,
  SecureMlEndpoint,
} from '../../lib';
// internal: not exported from the package root
import { defaultCredentialName } from '../../lib/identity/binding';
import { Manifest, allowPolicy, ofKind, one, synthApp } from '../util';

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const ISSUER = `https://westeurope.oic.prod-aks.azure.com/${TID}/1b2c3d4e-5f60-4a1b-9c2d-3e4f5a6b7c8d/`;
const IDS = { clientId: '5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d', principalId: '9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b' };

describe('MeshIdentityBinding', () => {
  test('minimal binding: ServiceAccount with the client-id annotation, credential in the plan', () => {
    const chart = Testing.chart();
    const b = new MeshIdentityBinding(chart, 'Scorer', {
      identity: ManagedIdentity.existing(IDS),
      oidcIssuerUrl: ISSUER,
      serviceAccountName: 'batch-scorer',
      namespace: 'batch',
      tenantId: TID,
    });
    const manifests = Testing.synth(chart) as Manifest[];
    expect(manifests).toMatchSnapshot();
    const sa = one(manifests, 'ServiceAccount');
    expect(sa.metadata).toMatchObject({
      name: 'batch-scorer',
      namespace: 'batch',
      annotations: { 'azure.workload.identity/client-id': IDS.clientId, 'azure.workload.identity/tenant-id': TID },
    });
    expect(b.meshPrincipal).toBe('cluster.local/ns/batch/sa/batch-scorer');
    expect(b.subject).toBe('system:serviceaccount:batch:batch-scorer');
  });

  test('applyTo sets the ServiceAccount, the use label and holdApplicationUntilProxyStarts on the pod template', () => {
    const { manifests } = synthApp((app) => {
      const chart = new Chart(app, 'batch', { namespace: 'batch' });
      const b = new MeshIdentityBinding(chart, 'Id', { identity: ManagedIdentity.existing(IDS), oidcIssuerUrl: ISSUER, serviceAccountName: 'scorer' });
      b.applyTo(new kplus.Deployment(chart, 'Scorer', { containers: [{ image: 'scorer:1' }] }));
    });
    const template = one(manifests, 'Deployment').spec.template;
    expect(template.metadata.labels['azure.workload.identity/use']).toBe('true');
    expect(template.metadata.annotations['proxy.istio.io/config']).toBe('{"holdApplicationUntilProxyStarts": true}');
    expect(template.spec.serviceAccountName).toBe('scorer');
  });

  test('applyTo a CronJob patches the job template', () => {
    const { manifests } = synthApp((app) => {
      const chart = new Chart(app, 'batch', { namespace: 'batch' });
      const b = new MeshIdentityBinding(chart, 'Id', { identity: ManagedIdentity.existing(IDS), oidcIssuerUrl: ISSUER, serviceAccountName: 'nightly' });
      b.applyTo(new kplus.CronJob(chart, 'Nightly', { schedule: Cron.daily(), containers: [{ image: 'scorer:1' }] }));
    });
    const template = one(manifests, 'CronJob').spec.jobTemplate.spec.template;
    expect(template.spec.serviceAccountName).toBe('nightly');
    expect(template.metadata.labels['azure.workload.identity/use']).toBe('true');
  });

  test('binds an existing cdk8s-plus ServiceAccount', () => {
    const { manifests } = synthApp((app) => {
      const chart = new Chart(app, 'batch', { namespace: 'batch' });
      const sa = new kplus.ServiceAccount(chart, 'SA', { metadata: { name: 'existing' } });
      new MeshIdentityBinding(chart, 'Id', { identity: ManagedIdentity.existing(IDS), oidcIssuerUrl: ISSUER, serviceAccount: sa });
    });
    expect(ofKind(manifests, 'ServiceAccount')).toHaveLength(1);
    expect(one(manifests, 'ServiceAccount').metadata.annotations?.[CLIENT_ID_ANNOTATION]).toBe(IDS.clientId);
  });

  test('a cross-namespace workload caller: the policy lives with the endpoint and names the caller namespace', () => {
    const { manifests } = synthApp((app) => {
      const ep = new SecureMlEndpoint(new Chart(app, 'fraud', { namespace: 'fraud' }), 'E', {
        backend: EndpointBackend.service({ name: 'fraud', port: 80, selector: { app: 'fraud' } }),
        tenant: new EntraTenant({ tenantId: TID }),
        audiences: ['0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5'],
        callers: [],
      });
      const b = new MeshIdentityBinding(new Chart(app, 'batch', { namespace: 'batch' }), 'Id', {
        identity: ManagedIdentity.existing(IDS), oidcIssuerUrl: ISSUER, serviceAccountName: 'scorer', trustDomain: 'prod.contoso.com',
      });
      ep.addCaller(Caller.workload(b));
    });
    const policy = allowPolicy(manifests);
    expect(policy.metadata.namespace).toBe('fraud');
    expect(policy.spec.rules).toEqual([{
      from: [{ source: { principals: ['prod.contoso.com/ns/batch/sa/scorer'], requestPrincipals: [`https://login.microsoftonline.com/${TID}/v2.0/*`] } }],
      when: [{ key: 'request.auth.claims[oid]', values: [IDS.principalId] }],
    }]);
  });

  test.each([
    ['batch', 'scorer', 'batch-scorer'],
    ['ns', 'sa.with.dots', 'ns-sa-with-dots'],
  ])('default credential name for %s/%s is %s', (ns, sa, name) => {
    expect(defaultCredentialName(ns, sa)).toBe(name);
  });

  test('long credential names are shortened with a stable hash to 120 characters', () => {
    const name = defaultCredentialName('n'.repeat(63), 's'.repeat(200));
    expect(name).toHaveLength(120);
    expect(name).toBe(defaultCredentialName('n'.repeat(63), 's'.repeat(200)));
    expect(name).toMatch(/^[a-zA-Z0-9][a-zA-Z0-9_-]+$/);
  });

  test('grantRole is idempotent and returns the assignment name', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c', { namespace: 'batch' });
    const b = new MeshIdentityBinding(chart, 'Id', { identity: ManagedIdentity.existing(IDS), oidcIssuerUrl: ISSUER });
    const scope = AzureScope.keyVault({ subscriptionId: '6c2f4e1a-9b8d-4c7e-a5f3-2d1b0e9c8a7f', resourceGroup: 'rg', vault: 'kv-one' });
    const first = b.grantRole(AzureRole.KEY_VAULT_SECRETS_USER, scope);
    expect(b.grantRole(AzureRole.KEY_VAULT_SECRETS_USER, scope)).toBe(first);
    expect(AzurePlan.of(chart).toJson().roleAssignments).toHaveLength(1);
  });

  test('cross-app grant is reported, not silently recorded', () => {
    const other = new App();
    const b = new MeshIdentityBinding(new Chart(other, 'b'), 'Id', { identity: ManagedIdentity.existing(IDS), oidcIssuerUrl: ISSUER });
    const chart = Testing.chart();
    const ep = new SecureMlEndpoint(chart, 'E', {
      backend: EndpointBackend.service({ name: 'fraud', port: 80, selector: { app: 'fraud' } }),
      tenant: new EntraTenant({ tenantId: TID }),
      audiences: ['0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5'],
      callers: [Caller.appRole('A')],
    });
    expect(ep.grantInvoke(b)).toBeUndefined();
    expect(() => Testing.synth(chart)).toThrow(/grantInvoke\(b\/Id\) must be a grantee in the same app as the endpoint/);
  });
});
