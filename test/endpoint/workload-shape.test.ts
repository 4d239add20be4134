/**
 * Security review finding 4: fromDeployment takes any workload of the
 * structural shape, so the rendered object is what counts, not its members.
 * (a) its selector must be matchLabels the pod template carries, (b) the
 * mesh enrolment labels added through podMetadata must render, (c) it must
 * be a kind with a pod template the library knows.
 */
import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import { Caller, EndpointBackend, EntraTenant, IWorkloadObject, MeshProfile, SecureMlEndpoint } from '../../lib';
import { Handmade, deploymentSpec } from '../plus/handmade';
import { one, synthApp } from '../util';

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const API = '0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5';

function endpoint(chart: Chart, workload: IWorkloadObject, mesh?: MeshProfile): SecureMlEndpoint {
  return new SecureMlEndpoint(chart, 'Endpoint', {
    backend: EndpointBackend.fromDeployment(workload, { port: 80, targetPort: 8080 }),
    tenant: new EntraTenant({ tenantId: TID }), audiences: [API], callers: [Caller.appRole('Score')], mesh,
  });
}

function synthError(build: (chart: Chart) => void): string {
  const app = Testing.app();
  build(new Chart(app, 'models', { namespace: 'models' }));
  try {
    app.synthYaml();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('synth succeeded');
}

describe('fromDeployment: (a) the selector is matchLabels the pod template carries', () => {
  test('a selector with matchExpressions is an error naming the workload and the fix', () => {
    const message = synthError((chart) => endpoint(chart, new Handmade(chart, 'Model', {
      kind: 'Deployment',
      spec: deploymentSpec({ matchLabels: { app: 'model' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['gold'] }] }),
    })));
    expect(message).toMatch(/\[models\/Endpoint\] backend\.selector must be a selector of matchLabels only \(models\/Model's spec\.selector has matchExpressions, which the Service and the policies cannot express: they would select pods the Deployment does not\), got \{"matchExpressions":\[\{"key":"tier","operator":"In","values":\["gold"\]\}\],"matchLabels":\{"app":"model"\}\}; select the pods by matchLabels only/);
  });

  test('cdk8s-plus with select: false and a LabelSelector of expressions is the same error', () => {
    const message = synthError((chart) => {
      const model = new kplus.Deployment(chart, 'Model', { select: false, podMetadata: { labels: { app: 'model' } }, containers: [{ image: 'model:1', portNumber: 8080 }] });
      model.select(kplus.LabelSelector.of({ expressions: [kplus.LabelExpression.in('app', ['model'])] }));
      endpoint(chart, model);
    });
    expect(message).toMatch(/\[models\/Endpoint\] backend\.selector must be a selector of matchLabels only \(models\/Model's spec\.selector has matchExpressions/);
  });

  test('matchLabels that the pod template does not carry are an error', () => {
    const message = synthError((chart) => endpoint(chart, new Handmade(chart, 'Model', {
      kind: 'Deployment',
      spec: deploymentSpec({ matchLabels: { app: 'model' } }),
      detached: true,
      templateLabels: { app: 'other', 'sidecar.istio.io/inject': 'true' },
    })));
    expect(message).toMatch(/\[models\/Endpoint\] backend\.selector must be labels that models\/Model's pod template carries \(spec\.template\.metadata\.labels: \{"app":"other","sidecar\.istio\.io\/inject":"true"\}\), got \{"app":"model"\}; the Service and the policies would select pods other than the Deployment's/);
  });

  test('an empty selector is an error, not a Service that selects every pod', () => {
    const message = synthError((chart) => endpoint(chart, new Handmade(chart, 'Model', { kind: 'Deployment', spec: deploymentSpec({}) })));
    expect(message).toMatch(/\[models\/Endpoint\] backend\.selector must be a non-empty label selector .*, got \{\}; models\/Model selects no pods by matchLabels/);
  });
});

describe('fromDeployment: (b) the enrolment labels added through podMetadata render', () => {
  test('a podMetadata the object never renders is an error naming the missing label', () => {
    const message = synthError((chart) => endpoint(chart, new Handmade(chart, 'Model', {
      kind: 'Deployment',
      spec: deploymentSpec({ matchLabels: { app: 'model' } }),
      detached: true,
      templateLabels: { app: 'model' },
    })));
    expect(message).toMatch(/\[models\/Endpoint\] backend must be a workload whose podMetadata is its pod template \(models\/Model's rendered pod template lacks sidecar\.istio\.io\/inject: "true", added to enrol its pods in the mesh\), got \{"app":"model"\}; its pods would run without a sidecar/);
  });

  test('the same for a revisioned mesh\'s istio.io/rev', () => {
    const message = synthError((chart) => endpoint(chart, new Handmade(chart, 'Model', {
      kind: 'Deployment', spec: deploymentSpec({ matchLabels: { app: 'model' } }), detached: true, templateLabels: { app: 'model' },
    }), MeshProfile.aksIstioAddon('asm-1-28')));
    expect(message).toMatch(/lacks istio\.io\/rev: "asm-1-28"/);
  });

  test('a hand-made object that renders its podMetadata synthesizes, with the enrolment label', () => {
    const { manifests } = synthApp((app) => {
      const chart = new Chart(app, 'models', { namespace: 'models' });
      const model = new Handmade(chart, 'Model', { kind: 'Deployment', spec: deploymentSpec({ matchLabels: { app: 'model' } }) });
      model.podMetadata.addLabel('app', 'model');
      endpoint(chart, model);
    });
    expect(one(manifests, 'Deployment').spec.template.metadata.labels).toEqual({ 'app': 'model', 'sidecar.istio.io/inject': 'true' });
    expect(one(manifests, 'Service').spec.selector).toEqual({ app: 'model' });
  });
});

describe('fromDeployment: (c) a kind with a pod template', () => {
  test('an Argo Rollout with workloadRef is an error naming its kind', () => {
    const message = synthError((chart) => endpoint(chart, new Handmade(chart, 'Model', {
      kind: 'Rollout', apiVersion: 'argoproj.io/v1alpha1',
      spec: () => ({ selector: { matchLabels: { app: 'model' } }, workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'model' } }),
    })));
    expect(message).toMatch(/\[models\/Endpoint\] backend must be a Deployment, StatefulSet, DaemonSet or ReplicaSet \(models\/Model\), got "Rollout"; the library checks and enrols the pods of these kinds only/);
  });

  test('a Job is an error too (fromDeployment serves long-running pods)', () => {
    const message = synthError((chart) => endpoint(chart, new kplus.Job(chart, 'Model', { containers: [{ image: 'model:1' }] })));
    expect(message).toMatch(/backend must be a Deployment, StatefulSet, DaemonSet or ReplicaSet \(models\/Model\), got "Job"/);
  });

  test('a Deployment without a pod template is an error, not a clean synth', () => {
    const message = synthError((chart) => endpoint(chart, new Handmade(chart, 'Model', {
      kind: 'Deployment', spec: () => ({ replicas: 1, selector: { matchLabels: { app: 'model' } } }),
    })));
    expect(message).toMatch(/\[models\/Endpoint\] backend must be a workload with a pod template \(models\/Model renders no spec\.template\), got "Deployment"/);
  });

  test('cdk8s-plus StatefulSet and DaemonSet are backends', () => {
    for (const make of [
      (c: Chart) => new kplus.StatefulSet(c, 'Model', { containers: [{ image: 'model:1', portNumber: 8080 }] }),
      (c: Chart) => new kplus.DaemonSet(c, 'Model', { containers: [{ image: 'model:1', portNumber: 8080 }] }),
    ]) {
      const { manifests } = synthApp((app) => {
        const chart = new Chart(app, 'models', { namespace: 'models' });
        endpoint(chart, make(chart));
      });
      const service = one(manifests, 'Service', (m) => m.metadata.labels?.['app.kubernetes.io/managed-by'] === 'cdk8s-azureml-mesh');
      expect(service.spec.selector).toEqual({ 'cdk8s.io/metadata.addr': expect.any(String) });
    }
  });
});
