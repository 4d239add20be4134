/**
 * An app whose own objects come from the cdk8s-plus line under test
 * (`cdk8s-plus-34`, or the line `npm run test:plus` maps it to), handed to
 * the library. Its snapshot is kept per line (`__snapshots__/cdk8s-plus-<line>/`
 * for 28 and 33), so what a line renders differently for the app's own
 * Deployment and CronJob shows in review; the library's objects are the same
 * for every line (test/plus/lines.test.ts).
 */
import { Chart, Cron } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import { Caller, EndpointBackend, EntraTenant, ManagedIdentity, MeshIdentityBinding, MeshNamespace, NATIVE_SIDECAR_ANNOTATION, SecureMlEndpoint } from '../../lib';
import { one, synthApp } from '../util';

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const ISSUER = `https://westeurope.oic.prod-aks.azure.com/${TID}/1b2c3d4e-5f60-4a1b-9c2d-3e4f5a6b7c8d/`;
const IDS = { clientId: '5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d', principalId: '9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b' };
const line = process.env.CDK8S_PLUS_LINE ?? '34';

describe('an app on the cdk8s-plus line under test', () => {
  test('the line under test is the one loaded', () => {
    const fqn = (kplus.Deployment as unknown as Record<symbol, { fqn: string }>)[Symbol.for('jsii.rtti')].fqn;
    expect(fqn).toBe(`cdk8s-plus-${line}.Deployment`);
  });

  test('a Deployment behind an endpoint and a CronJob calling it with workload identity', () => {
    const { manifests } = synthApp((app) => {
      const models = new Chart(app, 'models', { namespace: 'models' });
      new MeshNamespace(models, 'Namespace', { name: 'models' });
      const model = new kplus.Deployment(models, 'Model', { containers: [{ image: 'ghcr.io/contoso/model:1', portNumber: 8080 }] });
      const endpoint = new SecureMlEndpoint(models, 'Endpoint', {
        backend: EndpointBackend.fromDeployment(model, { port: 80, targetPort: 8080 }),
        tenant: new EntraTenant({ tenantId: TID }),
        audiences: ['0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5'],
        callers: [Caller.appRole('Score')],
      });
      const jobs = new Chart(app, 'jobs', { namespace: 'jobs' });
      new MeshNamespace(jobs, 'Namespace', { name: 'jobs' });
      const binding = new MeshIdentityBinding(jobs, 'Scorer', { identity: ManagedIdentity.existing(IDS), oidcIssuerUrl: ISSUER, serviceAccountName: 'scorer' });
      binding.applyTo(new kplus.CronJob(jobs, 'Nightly', { schedule: Cron.daily(), containers: [{ image: 'ghcr.io/contoso/scorer:1' }] }));
      endpoint.grantInvoke(binding);
    });
    expect(manifests).toMatchSnapshot();
    const nightly = one(manifests, 'CronJob').spec.jobTemplate.spec.template;
    expect(nightly.spec.serviceAccountName).toBe('scorer');
    expect(nightly.metadata.annotations[NATIVE_SIDECAR_ANNOTATION]).toBe('true');
    const selector = one(manifests, 'Deployment').spec.selector.matchLabels;
    expect(one(manifests, 'Service').spec.selector).toEqual(selector);
    expect(one(manifests, 'AuthorizationPolicy', (m) => m.spec.action === 'ALLOW').spec.selector.matchLabels).toEqual(selector);
  });
});
