/**
 * The library with each tested cdk8s-plus line's own objects, side by side in
 * one run: the tested lines are installed together (devDependencies), each
 * line's classes are used as a consumer on that line would use them, and
 * `tsc` type-checks every call below against that line's types (TS2345 on
 * plus-33/34 is what a consumer got while the library took plus-28 classes).
 *
 * The CronJob case crashed at synth on any line but 28 (`instanceof
 * kplus.CronJob` against the plus-28 class put serviceAccountName at
 * /spec/template/spec, which a CronJob does not have).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Chart, Cron, Yaml } from 'cdk8s';
import * as plus28 from 'cdk8s-plus-28';
import * as plus33 from 'cdk8s-plus-33';
import * as plus34 from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import {
  Caller, EndpointBackend, EntraTenant, IServiceAccountObject, IServiceObject, IWorkloadObject, MANAGED_BY_LABEL, ManagedIdentity,
  MeshIdentityBinding, NATIVE_SIDECAR_ANNOTATION, SecureMlEndpoint,
} from '../../lib';
import { Manifest, one, synthApp } from '../util';

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const AUDIENCE = '0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5';
const ISSUER = `https://westeurope.oic.prod-aks.azure.com/${TID}/1b2c3d4e-5f60-4a1b-9c2d-3e4f5a6b7c8d/`;
const IDS = { clientId: '5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d', principalId: '9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b' };

/** What a test makes with one line's classes. */
interface Line {
  readonly name: string;
  deployment(scope: Construct, id: string, serviceAccount?: IServiceAccountObject): IWorkloadObject;
  statefulSet(scope: Construct, id: string): IWorkloadObject;
  job(scope: Construct, id: string): IWorkloadObject;
  cronJob(scope: Construct, id: string): IWorkloadObject;
  service(scope: Construct, id: string): IServiceObject;
  serviceAccount(scope: Construct, id: string, name: string): IServiceAccountObject;
}

// one literal per line, so each line's classes are type-checked against the library's parameters
const LINES: Line[] = [
  {
    name: 'cdk8s-plus-28',
    deployment: (s, id, serviceAccount) => new plus28.Deployment(s, id, { serviceAccount, containers: [{ image: 'model:1', portNumber: 8080 }] }),
    statefulSet: (s, id) => new plus28.StatefulSet(s, id, { containers: [{ image: 'features:1', portNumber: 8080 }] }),
    job: (s, id) => new plus28.Job(s, id, { containers: [{ image: 'scorer:1' }] }),
    cronJob: (s, id) => new plus28.CronJob(s, id, { schedule: Cron.daily(), containers: [{ image: 'scorer:1' }] }),
    service: (s, id) => new plus28.Service(s, id, { ports: [{ port: 80, targetPort: 8080 }], selector: plus28.Pods.select(s, `${id}Pods`, { labels: { app: 'model' } }) }),
    serviceAccount: (s, id, name) => new plus28.ServiceAccount(s, id, { metadata: { name } }),
  },
  {
    name: 'cdk8s-plus-33',
    deployment: (s, id, serviceAccount) => new plus33.Deployment(s, id, { serviceAccount, containers: [{ image: 'model:1', portNumber: 8080 }] }),
    statefulSet: (s, id) => new plus33.StatefulSet(s, id, { containers: [{ image: 'features:1', portNumber: 8080 }] }),
    job: (s, id) => new plus33.Job(s, id, { containers: [{ image: 'scorer:1' }] }),
    cronJob: (s, id) => new plus33.CronJob(s, id, { schedule: Cron.daily(), containers: [{ image: 'scorer:1' }] }),
    service: (s, id) => new plus33.Service(s, id, { ports: [{ port: 80, targetPort: 8080 }], selector: plus33.Pods.select(s, `${id}Pods`, { labels: { app: 'model' } }) }),
    serviceAccount: (s, id, name) => new plus33.ServiceAccount(s, id, { metadata: { name } }),
  },
  {
    name: 'cdk8s-plus-34',
    deployment: (s, id, serviceAccount) => new plus34.Deployment(s, id, { serviceAccount, containers: [{ image: 'model:1', portNumber: 8080 }] }),
    statefulSet: (s, id) => new plus34.StatefulSet(s, id, { containers: [{ image: 'features:1', portNumber: 8080 }] }),
    job: (s, id) => new plus34.Job(s, id, { containers: [{ image: 'scorer:1' }] }),
    cronJob: (s, id) => new plus34.CronJob(s, id, { schedule: Cron.daily(), containers: [{ image: 'scorer:1' }] }),
    service: (s, id) => new plus34.Service(s, id, { ports: [{ port: 80, targetPort: 8080 }], selector: plus34.Pods.select(s, `${id}Pods`, { labels: { app: 'model' } }) }),
    serviceAccount: (s, id, name) => new plus34.ServiceAccount(s, id, { metadata: { name } }),
  },
];

function binding(scope: Construct, serviceAccountName = 'scorer'): MeshIdentityBinding {
  return new MeshIdentityBinding(scope, 'Id', { identity: ManagedIdentity.existing(IDS), oidcIssuerUrl: ISSUER, serviceAccountName });
}

function endpointProps() {
  return { tenant: new EntraTenant({ tenantId: TID }), audiences: [AUDIENCE], callers: [Caller.appRole('Score')] };
}

/** One app with every use of a line's objects; the same declaration for every line. */
function everyUse(line: Line) {
  return (app: App) => {
    const models = new Chart(app, 'models', { namespace: 'models' });
    new SecureMlEndpoint(models, 'FromDeployment', { ...endpointProps(), backend: EndpointBackend.fromDeployment(line.deployment(models, 'Model'), { port: 80, targetPort: 8080 }) });
    new SecureMlEndpoint(models, 'FromService', { ...endpointProps(), backend: EndpointBackend.fromService(line.service(models, 'Svc')) });
    const batch = new Chart(app, 'batch', { namespace: 'batch' });
    const b = binding(batch);
    b.applyTo(line.deployment(batch, 'Scorer', b.serviceAccount));
    b.applyTo(line.job(batch, 'Job'));
    b.applyTo(line.cronJob(batch, 'Nightly'));
    b.applyTo(line.statefulSet(batch, 'Features'));
    new MeshIdentityBinding(batch, 'Existing', {
      identity: ManagedIdentity.existing(IDS), oidcIssuerUrl: ISSUER, serviceAccount: line.serviceAccount(batch, 'SA', 'existing'),
    });
  };
}

/** The objects the library builds (labelled as its own, and the binding's ServiceAccount), not the app's cdk8s-plus objects. */
const libraryObjects = (ms: Manifest[]) => ms.filter((m) => Object.entries(MANAGED_BY_LABEL).every(([k, v]) => m.metadata.labels?.[k] === v)
  || (m.kind === 'ServiceAccount' && m.metadata.name === 'scorer'));

test('the library loads no cdk8s-plus line (no import or require of one in lib/)', () => {
  const lib = path.resolve(__dirname, '../../lib');
  const files = (fs.readdirSync(lib, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
  expect(files.length).toBeGreaterThan(20);
  const offenders = files.filter((f) => /(from\s+|require\(\s*|import\(\s*)['"]cdk8s-plus/.test(fs.readFileSync(path.join(lib, f), 'utf8')));
  expect(offenders).toEqual([]);
});

// under npm run test:plus, `cdk8s-plus-34` is mapped to another line: this file names every line itself
const describeLines = (process.env.CDK8S_PLUS_LINE ?? '34') === '34' ? describe : describe.skip;

describeLines('the library with each cdk8s-plus line', () => {
  describe.each(LINES.map((l) => [l.name, l] as const))('%s', (_name, line) => {
    test('a Job and a CronJob get the native sidecar, the use label and serviceAccountName at their pod template', () => {
      const { manifests } = synthApp((app) => {
        const chart = new Chart(app, 'batch', { namespace: 'batch' });
        const b = binding(chart, 'nightly');
        b.applyTo(line.job(chart, 'Job'));
        b.applyTo(line.cronJob(chart, 'Nightly'));
      });
      const job = one(manifests, 'Job').spec.template;
      const cron = one(manifests, 'CronJob').spec;
      for (const template of [job, cron.jobTemplate.spec.template]) {
        expect(template.metadata.annotations[NATIVE_SIDECAR_ANNOTATION]).toBe('true');
        expect(template.metadata.annotations['proxy.istio.io/config']).toBe('{"holdApplicationUntilProxyStarts": true}');
        expect(template.metadata.labels['azure.workload.identity/use']).toBe('true');
        expect(template.spec.serviceAccountName).toBe('nightly');
      }
      // not at the Deployment's path, which a CronJob does not have
      expect(cron.template).toBeUndefined();
    });

    test('a Deployment and a StatefulSet get the use label and serviceAccountName, not the native sidecar', () => {
      const { manifests } = synthApp((app) => {
        const chart = new Chart(app, 'batch', { namespace: 'batch' });
        const b = binding(chart);
        b.applyTo(line.deployment(chart, 'Scorer'));
        b.applyTo(line.statefulSet(chart, 'Features'));
      });
      for (const kind of ['Deployment', 'StatefulSet']) {
        const template = one(manifests, kind).spec.template;
        expect(template.metadata.labels['azure.workload.identity/use']).toBe('true');
        expect(template.metadata.annotations[NATIVE_SIDECAR_ANNOTATION]).toBeUndefined();
        expect(template.spec.serviceAccountName).toBe('scorer');
      }
    });

    test('binding.serviceAccount is the line\'s IServiceAccount: a Deployment runs as it', () => {
      const { manifests } = synthApp((app) => {
        const chart = new Chart(app, 'batch', { namespace: 'batch' });
        const b = binding(chart);
        b.applyTo(line.deployment(chart, 'Scorer', b.serviceAccount));
      });
      expect(one(manifests, 'Deployment').spec.template.spec.serviceAccountName).toBe('scorer');
      expect(one(manifests, 'ServiceAccount').metadata.name).toBe('scorer');
    });

    test('binds the line\'s ServiceAccount', () => {
      const { manifests } = synthApp((app) => {
        const chart = new Chart(app, 'batch', { namespace: 'batch' });
        new MeshIdentityBinding(chart, 'Id', { identity: ManagedIdentity.existing(IDS), oidcIssuerUrl: ISSUER, serviceAccount: line.serviceAccount(chart, 'SA', 'existing') });
      });
      expect(one(manifests, 'ServiceAccount').metadata).toMatchObject({ name: 'existing', annotations: { 'azure.workload.identity/client-id': IDS.clientId } });
    });

    test('fromDeployment: the Service selects what the Deployment selects, and so do the policies', () => {
      const { manifests } = synthApp((app) => {
        const chart = new Chart(app, 'models', { namespace: 'models' });
        new SecureMlEndpoint(chart, 'Endpoint', { ...endpointProps(), backend: EndpointBackend.fromDeployment(line.deployment(chart, 'Model'), { port: 80, targetPort: 8080 }) });
      });
      const selector = one(manifests, 'Deployment').spec.selector.matchLabels;
      expect(Object.keys(selector)).toEqual(['cdk8s.io/metadata.addr']);
      expect(one(manifests, 'Service').spec.selector).toEqual(selector);
      expect(one(manifests, 'PeerAuthentication').spec.selector.matchLabels).toEqual(selector);
      expect(one(manifests, 'Deployment').spec.template.metadata.labels).toMatchObject(selector);
    });

    test('fromService: selector and port read from the line\'s Service', () => {
      const { manifests } = synthApp((app) => {
        const chart = new Chart(app, 'models', { namespace: 'models' });
        new SecureMlEndpoint(chart, 'Endpoint', { ...endpointProps(), backend: EndpointBackend.fromService(line.service(chart, 'Svc')) });
      });
      expect(one(manifests, 'PeerAuthentication').spec.selector.matchLabels).toEqual({ app: 'model' });
      const host = one(manifests, 'VirtualService').spec.http[0].route[0].destination;
      expect(host.port.number).toBe(80);
    });
  });

  test('a Pod gets the use label and serviceAccountName on itself, and opting it out of the mesh is an error', () => {
    const { manifests } = synthApp((app) => {
      const chart = new Chart(app, 'batch', { namespace: 'batch' });
      binding(chart).applyTo(new plus34.Pod(chart, 'Once', { containers: [{ image: 'scorer:1' }] }));
    });
    const pod = one(manifests, 'Pod');
    expect(pod.metadata.labels?.['azure.workload.identity/use']).toBe('true');
    expect(pod.spec.serviceAccountName).toBe('scorer');
    expect(() => synthApp((app) => {
      const chart = new Chart(app, 'batch', { namespace: 'batch' });
      binding(chart).applyTo(new plus34.Pod(chart, 'Once', { metadata: { labels: { 'sidecar.istio.io/inject': 'false' } }, containers: [{ image: 'scorer:1' }] }));
    })).toThrow(/applyTo\(batch\/Once\) must be a workload whose pods are in the mesh/);
  });

  test('what the library builds is the same bytes whichever line the app\'s own objects come from', () => {
    const [first, ...others] = LINES.map((line) => Yaml.stringify(...libraryObjects(synthApp(everyUse(line)).manifests)));
    expect(first).toMatch(/kind: Service\n/);
    for (const other of others) expect(other).toBe(first);
  });
});
