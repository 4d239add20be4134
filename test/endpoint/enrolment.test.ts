/**
 * Issue 11 item 1 and 5: pods without a sidecar bypass every policy. The
 * endpoint enrols its namespace (MeshNamespace), checks the app's Namespace
 * objects, refuses handed workloads that opt out, fences its pods with a
 * NetworkPolicy; Jobs get native sidecars so they can complete.
 */
import { Chart, Cron, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import {
  Caller, Diagnostics, Edge, EndpointBackend, EntraApplication, EntraTenant, ISTIO_EGRESS_GATEWAY, ManagedIdentity, MeshIdentityBinding, MeshNamespace, MeshProfile,
  SecureMlEndpoint, SecureMlEndpointProps, TlsCertificate, AKS_ISTIO_EXTERNAL_GATEWAY,
} from '../../lib';
import { checkInvariants } from '../invariants';
import { Manifest, ofKind, one, synthApp } from '../util';

void ISTIO_EGRESS_GATEWAY;
const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const API = '0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5';
const OIDC = `https://westeurope.oic.prod-aks.azure.com/${TID}/1b2c3d4e-5f60-4a1b-9c2d-3e4f5a6b7c8d/`;

function props(overrides: Partial<SecureMlEndpointProps> = {}): SecureMlEndpointProps {
  return {
    backend: EndpointBackend.service({ name: 'model', port: 8080, selector: { app: 'model' } }),
    tenant: new EntraTenant({ tenantId: TID }),
    audiences: [API],
    callers: [Caller.appRole('Score')],
    ...overrides,
  };
}

describe('mesh enrolment', () => {
  test('MeshNamespace writes the enrolment label and the endpoint does not warn', () => {
    const { manifests } = synthApp((app) => {
      const chart = new Chart(app, 'c', { namespace: 'ml' });
      new MeshNamespace(chart, 'Ns', { name: 'ml' });
      new SecureMlEndpoint(chart, 'E', props());
    });
    expect(one(manifests, 'Namespace').metadata).toMatchObject({ name: 'ml', labels: { 'istio-injection': 'enabled' } });
    // cluster-scoped: no namespace, even in a namespaced chart
    expect(one(manifests, 'Namespace').metadata.namespace).toBeUndefined();
    expect(checkInvariants(manifests)).toEqual([]);
  });

  test('the AKS Istio add-on profile enrols by revision only', () => {
    const { manifests } = synthApp((app) => {
      const chart = new Chart(app, 'c', { namespace: 'ml' });
      const mesh = MeshProfile.aksIstioAddon('asm-1-28');
      new MeshNamespace(chart, 'Ns', { name: 'ml', mesh });
      new SecureMlEndpoint(chart, 'E', props({ mesh }));
    });
    const labels = one(manifests, 'Namespace').metadata.labels!;
    expect(labels['istio.io/rev']).toBe('asm-1-28');
    expect(labels['istio-injection']).toBeUndefined();
    // token-only callers without an edge: only pods of namespaces enrolled in a revision may connect
    // (any revision: a canary upgrade relabels caller namespaces to the next one)
    expect(one(manifests, 'NetworkPolicy').spec.ingress).toEqual([{ from: [{ namespaceSelector: { matchExpressions: [{ key: 'istio.io/rev', operator: 'Exists' }] } }] }]);
  });

  test('an undeclared namespace is a warning that names the label to set', () => {
    const app = Testing.app();
    new SecureMlEndpoint(new Chart(app, 'c', { namespace: 'ml' }), 'E', props({ mesh: MeshProfile.aksIstioAddon('asm-1-28') }));
    app.synthYaml();
    expect(Diagnostics.of(app).warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/^namespace "ml" is not declared in the app.*labelled istio\.io\/rev=asm-1-28; declare new MeshNamespace/),
    ]);
  });

  test('MeshNamespace.existing states the label is there: no warning, nothing written', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c', { namespace: 'ml' });
    MeshNamespace.existing(chart, 'Ns', 'ml');
    new SecureMlEndpoint(chart, 'E', props());
    const yaml = app.synthYaml();
    expect(Diagnostics.of(app).warnings).toEqual([]);
    expect(yaml).not.toMatch(/kind: Namespace/);
  });

  test('fails when the app\'s own Namespace object is not enrolled', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c', { namespace: 'ml' });
    new kplus.Namespace(chart, 'Ns', { metadata: { name: 'ml', labels: { 'istio-injection': 'disabled' } } });
    new SecureMlEndpoint(chart, 'E', props());
    expect(() => app.synthYaml()).toThrow(/\[c\/E\] namespace "ml" must be enrolled in the mesh \(istio\); the Namespace c\/Ns\/Resource has istio-injection=disabled; istio injects sidecars where istio-injection=enabled, got \{"istio-injection":"disabled"\}; pods without a sidecar skip every policy/);
  });

  test('fails when a revisioned namespace also has istio-injection (it takes precedence)', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c', { namespace: 'ml' });
    new kplus.Namespace(chart, 'Ns', { metadata: { name: 'ml', labels: { 'istio-injection': 'enabled', 'istio.io/rev': 'asm-1-28' } } });
    new SecureMlEndpoint(chart, 'E', props({ mesh: MeshProfile.aksIstioAddon('asm-1-28') }));
    expect(() => app.synthYaml()).toThrow(/istio-injection=enabled, which takes precedence over istio\.io\/rev/);
  });

  test('fails when the endpoint and its MeshNamespace name different meshes, or the revision is not an AKS one', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c', { namespace: 'ml' });
    new MeshNamespace(chart, 'Ns', { name: 'ml' });
    new SecureMlEndpoint(chart, 'E', props({ mesh: MeshProfile.aksIstioAddon('1.28') }));
    expect(() => app.synthYaml()).toThrow(/mesh revision must be an AKS Istio add-on revision such as "asm-1-28", got "1\.28"/);
    const app2 = Testing.app();
    const chart2 = new Chart(app2, 'c', { namespace: 'ml' });
    new MeshNamespace(chart2, 'Ns', { name: 'ml' });
    new SecureMlEndpoint(chart2, 'E', props({ mesh: MeshProfile.aksIstioAddon('asm-1-28') }));
    expect(() => app2.synthYaml()).toThrow(/mesh must be the mesh of namespace "ml" as c\/Ns declares it \(istio\), got "AKS Istio add-on asm-1-28"/);
  });

  test('fails for a mesh that is not a MeshProfile, without crashing', () => {
    const app = Testing.app();
    new SecureMlEndpoint(new Chart(app, 'c', { namespace: 'ml' }), 'E', props({ mesh: 'asm-1-28' as any }));
    expect(() => app.synthYaml()).toThrow(/\[c\/E\] mesh must be a MeshProfile \(MeshProfile\.istio\(\), MeshProfile\.aksIstioAddon\(\.\.\.\)\), got "asm-1-28"/);
  });

  test('fails for a default deny in the control-plane namespace (it would apply mesh-wide) and beside browser sign-in', () => {
    const app = Testing.app();
    new MeshNamespace(new Chart(app, 'c'), 'Root', { name: 'aks-istio-system', mesh: MeshProfile.aksIstioAddon('asm-1-28'), defaultDeny: true });
    expect(() => app.synthYaml()).toThrow(/\[c\/Root\] defaultDeny must be false in the control-plane namespace "aks-istio-system", got true; a policy in Istio's root namespace applies mesh-wide/);
  });

  test('fails for browser sign-in in a default-deny namespace (oauth2-proxy would refuse every request)', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c', { namespace: 'ml' });
    new MeshNamespace(chart, 'Ns', { name: 'ml', defaultDeny: true });
    new SecureMlEndpoint(chart, 'E', props({
      audiences: [API],
      edge: Edge.ingressNginx({
        host: 'model.contoso.com', tls: TlsCertificate.fromSecret('model-tls'), controllerInMesh: true,
        browserSignIn: { application: EntraApplication.fromClientId(API), oidcIssuerUrl: OIDC, cookieSecret: { secretName: 'cookie', key: 'secret' } },
      }),
    }));
    expect(() => app.synthYaml()).toThrow(/\[c\/E\] edge must be an edge whose own workloads are not in a default-deny namespace \(c\/E\/SignIn.* serves requests in "ml"\), got "ml"/);
  });

  test('fails when two MeshNamespaces declare one namespace', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c');
    new MeshNamespace(chart, 'A', { name: 'ml' });
    new MeshNamespace(chart, 'B', { name: 'ml' });
    expect(() => app.synthYaml()).toThrow(/\[c\/B\] name must be a namespace no other MeshNamespace declares \(c\/A declares it\), got "ml"/);
  });

  test('default deny: a namespace-wide ALLOW with no rules', () => {
    const { manifests } = synthApp((app) => {
      const chart = new Chart(app, 'c', { namespace: 'ml' });
      new MeshNamespace(chart, 'Ns', { name: 'ml', defaultDeny: true });
      new SecureMlEndpoint(chart, 'E', props());
    });
    const policies = ofKind(manifests, 'AuthorizationPolicy');
    const deny = policies.find((p) => p.spec && Object.keys(p.spec).length === 0);
    expect(deny?.metadata.namespace).toBe('ml');
    expect(checkInvariants(manifests)).toEqual([]);
  });

  test('a Deployment backend gets the enrolment label on its pods, and opting out is an error', () => {
    const { manifests } = synthApp((app) => {
      const chart = new Chart(app, 'c', { namespace: 'ml' });
      const d = new kplus.Deployment(chart, 'Model', { containers: [{ image: 'model:1', portNumber: 8080 }] });
      new SecureMlEndpoint(chart, 'E', props({ backend: EndpointBackend.fromDeployment(d, { port: 80, targetPort: 8080 }) }));
    });
    expect(one(manifests, 'Deployment').spec.template.metadata.labels['sidecar.istio.io/inject']).toBe('true');

    const app = Testing.app();
    const chart = new Chart(app, 'c', { namespace: 'ml' });
    const d = new kplus.Deployment(chart, 'Model', { containers: [{ image: 'model:1', portNumber: 8080 }] });
    d.podMetadata.addAnnotation('sidecar.istio.io/inject', 'false');
    new SecureMlEndpoint(chart, 'E', props({ backend: EndpointBackend.fromDeployment(d, { port: 80, targetPort: 8080 }) }));
    expect(() => app.synthYaml()).toThrow(/\[c\/E\] backend must be a workload whose pods are in the mesh \(c\/Model sets sidecar\.istio\.io\/inject: "false" on its pod template\)/);
  });
});

describe('NetworkPolicy', () => {
  test('admits the edge controller\'s namespace and pods, the workload callers\' namespaces and allowNetworkFrom, nothing else', () => {
    const { manifests } = synthApp((app) => {
      const chart = new Chart(app, 'c', { namespace: 'ml' });
      new SecureMlEndpoint(chart, 'E', props({
        callers: [Caller.appRole('Score'), Caller.workload({ meshPrincipal: 'cluster.local/ns/batch/sa/scorer' })],
        edge: Edge.istioGateway({ host: 'model.contoso.com', tls: TlsCertificate.fromSecret('model-tls'), gateway: AKS_ISTIO_EXTERNAL_GATEWAY }),
        allowNetworkFrom: [{ namespace: 'monitoring', podLabels: { app: 'prometheus' } }],
      }));
    });
    expect(one(manifests, 'NetworkPolicy').spec).toEqual({
      podSelector: { matchLabels: { app: 'model' } },
      policyTypes: ['Ingress'],
      ingress: [{
        from: [
          { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'aks-istio-ingress' } }, podSelector: { matchLabels: { istio: 'aks-istio-ingressgateway-external' } } },
          { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'batch' } } },
          { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { app: 'prometheus' } } },
        ],
      }],
    });
  });

  test('networkPolicy: false writes none; bad allowNetworkFrom fails', () => {
    const { manifests } = synthApp((app) => new SecureMlEndpoint(new Chart(app, 'c', { namespace: 'ml' }), 'E', props({ networkPolicy: false })));
    expect(ofKind(manifests, 'NetworkPolicy')).toEqual([]);
    const app = Testing.app();
    new SecureMlEndpoint(new Chart(app, 'c', { namespace: 'ml' }), 'E', props({ allowNetworkFrom: [{ namespace: 'Bad_NS' }] }));
    expect(() => app.synthYaml()).toThrow(/allowNetworkFrom\[0\]\.namespace must be a namespace name \(DNS label\), got "Bad_NS"/);
  });
});

describe('Jobs and CronJobs', () => {
  test('a bound Job or CronJob gets a native sidecar so it can complete; opting out is an error', () => {
    const { manifests } = synthApp((app) => {
      const chart = new Chart(app, 'c', { namespace: 'batch' });
      const binding = new MeshIdentityBinding(chart, 'B', {
        identity: ManagedIdentity.existing({ clientId: '11111111-1111-4111-8111-111111111111', principalId: '22222222-2222-4222-8222-222222222222' }),
        oidcIssuerUrl: OIDC, serviceAccountName: 'scorer',
      });
      binding.applyTo(new kplus.Job(chart, 'Job', { containers: [{ image: 'scorer:1' }] }));
      binding.applyTo(new kplus.CronJob(chart, 'Cron', { schedule: Cron.daily(), containers: [{ image: 'scorer:1' }] }));
    });
    const job = one(manifests, 'Job') as Manifest;
    expect(job.spec.template.metadata.annotations['sidecar.istio.io/nativeSidecar']).toBe('true');
    const cron = one(manifests, 'CronJob') as Manifest;
    expect(cron.spec.jobTemplate.spec.template.metadata.annotations['sidecar.istio.io/nativeSidecar']).toBe('true');

    const app = Testing.app();
    const chart = new Chart(app, 'c', { namespace: 'batch' });
    const binding = new MeshIdentityBinding(chart, 'B', {
      identity: ManagedIdentity.existing({ clientId: '11111111-1111-4111-8111-111111111111', principalId: '22222222-2222-4222-8222-222222222222' }),
      oidcIssuerUrl: OIDC, serviceAccountName: 'scorer',
    });
    const job2 = new kplus.Job(chart, 'Job', { containers: [{ image: 'scorer:1' }] });
    job2.podMetadata.addLabel('sidecar.istio.io/inject', 'false');
    binding.applyTo(job2);
    expect(() => app.synthYaml()).toThrow(/\[c\/B\] applyTo\(c\/Job\) must be a workload whose pods are in the mesh \(c\/Job sets sidecar\.istio\.io\/inject: "false"/);
  });
});

describe('the Namespace index', () => {
  test('a Namespace object added between two syntheses of one app counts on the second', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c', { namespace: 'ml' });
    new SecureMlEndpoint(chart, 'E', props());
    app.synthYaml();
    expect(Diagnostics.of(app).warnings.map((w) => w.field)).toEqual(['namespace "ml"']);
    new kplus.Namespace(chart, 'Ns', { metadata: { name: 'ml', labels: { 'istio-injection': 'disabled' } } });
    // same tick, no await: the index is rebuilt by the next validation, not by time
    expect(() => app.synthYaml()).toThrow(/namespace "ml" must be enrolled in the mesh/);
  });
});
