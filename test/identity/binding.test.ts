import { ApiObjectMetadataDefinition, App, Chart, Cron, Testing } from 'cdk8s';
import { Construct } from 'constructs';
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
import { Handmade, deploymentSpec } from '../plus/handmade';
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

/**
 * Security review finding 4: applyTo takes any workload of the structural
 * shape, so what it adds must be on the rendered object: (b) the labels and
 * annotations added through podMetadata render, (c) the kind is one whose
 * pod template the library knows, and the workload renders one.
 */
describe('applyTo checks the rendered workload', () => {
  function synthError(build: (chart: Chart, b: MeshIdentityBinding) => void): string {
    const app = Testing.app();
    const chart = new Chart(app, 'batch', { namespace: 'batch' });
    build(chart, new MeshIdentityBinding(chart, 'Id', { identity: ManagedIdentity.existing(IDS), oidcIssuerUrl: ISSUER, serviceAccountName: 'scorer' }));
    try {
      app.synthYaml();
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('synth succeeded');
  }

  test('(b) a podMetadata the Deployment never renders is an error naming what is missing', () => {
    const message = synthError((chart, b) => b.applyTo(new Handmade(chart, 'Scorer', {
      kind: 'Deployment', spec: deploymentSpec({ matchLabels: { app: 'scorer' } }), detached: true, templateLabels: { app: 'scorer' },
    })));
    expect(message).toMatch(/\[batch\/Id\] applyTo\(batch\/Scorer\) must be a workload whose podMetadata is its pod template \(batch\/Scorer's rendered pod template lacks azure\.workload\.identity\/use: "true", proxy\.istio\.io\/config: "\{\\"holdApplicationUntilProxyStarts\\": true\}", added to run its pods as the identity\), got \{"app":"scorer"\}; without them the workload identity webhook does not give its pods a token/);
  });

  test('(b) a Job\'s native sidecar annotation must render too', () => {
    const message = synthError((chart, b) => {
      const job = new Handmade(chart, 'Job', {
        kind: 'Job', apiVersion: 'batch/v1', detached: true, templateLabels: { 'azure.workload.identity/use': 'true' },
        spec: (pod) => ({ template: { metadata: { ...pod.toJson(), annotations: { 'proxy.istio.io/config': '{"holdApplicationUntilProxyStarts": true}' } }, spec: { containers: [{ name: 'main', image: 'scorer:1' }], restartPolicy: 'Never' } } }),
      });
      b.applyTo(job);
    });
    expect(message).toMatch(/applyTo\(batch\/Job\) must be a workload whose podMetadata is its pod template \(batch\/Job's rendered pod template lacks sidecar\.istio\.io\/nativeSidecar: "true", added to run its pods as the identity\), got \{"proxy\.istio\.io\/config":/);
  });

  test('(c) an Argo Rollout is an error naming its kind, and nothing is patched into it', () => {
    const message = synthError((chart, b) => b.applyTo(new Handmade(chart, 'Canary', {
      kind: 'Rollout', apiVersion: 'argoproj.io/v1alpha1', spec: () => ({ workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'scorer' } }),
    })));
    expect(message).toMatch(/\[batch\/Id\] applyTo\(batch\/Canary\) must be a Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob or Pod \(batch\/Canary\), got "Rollout"; the library sets the ServiceAccount and the pod labels of these kinds only/);
    expect(message).not.toMatch(/Failed serializing/);
  });

  test('(c) a construct without an ApiObject is an error, not a crash at applyTo', () => {
    const message = synthError((chart, b) => {
      const metadata = {} as unknown as ApiObjectMetadataDefinition;
      const bare = Object.assign(new Construct(chart, 'Bare'), { metadata, podMetadata: metadata });
      b.applyTo(bare);
    });
    expect(message).toMatch(/applyTo\(batch\/Bare\) must be a Deployment, .* or Pod \(batch\/Bare\), got undefined; batch\/Bare has no cdk8s ApiObject/);
  });

  test('(c) a Deployment without a pod template is an error, not a crash', () => {
    const message = synthError((chart, b) => b.applyTo(new Handmade(chart, 'Scorer', {
      kind: 'Deployment', spec: () => ({ replicas: 1, selector: { matchLabels: { app: 'scorer' } } }),
    })));
    expect(message).toMatch(/\[batch\/Id\] applyTo\(batch\/Scorer\) must be a workload with a pod template \(batch\/Scorer fails to render once serviceAccountName is patched in at \/spec\/template\/spec: TypeError: Cannot read properties of undefined \(reading 'spec'\)\), got "Deployment"; a Deployment renders its pods at spec\.template/);
    expect(message).not.toMatch(/Failed serializing/);
  });

  test('a hand-made ReplicaSet that renders its podMetadata runs as the identity', () => {
    const { manifests } = synthApp((app) => {
      const chart = new Chart(app, 'batch', { namespace: 'batch' });
      const b = new MeshIdentityBinding(chart, 'Id', { identity: ManagedIdentity.existing(IDS), oidcIssuerUrl: ISSUER, serviceAccountName: 'scorer' });
      const rs = new Handmade(chart, 'Scorer', { kind: 'ReplicaSet', spec: deploymentSpec({ matchLabels: { app: 'scorer' } }) });
      rs.podMetadata.addLabel('app', 'scorer');
      b.applyTo(rs);
    });
    const template = one(manifests, 'ReplicaSet').spec.template;
    expect(template.metadata.labels).toEqual({ 'app': 'scorer', 'azure.workload.identity/use': 'true' });
    expect(template.spec.serviceAccountName).toBe('scorer');
  });
});
