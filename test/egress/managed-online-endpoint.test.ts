import { App, Chart, Testing } from 'cdk8s';
import {
  AzurePlan,
  AzureRole,
  AzureScope,
  Caller,
  EgressTlsMode,
  EndpointBackend,
  EntraCloud,
  EntraTenant,
  ISTIO_EGRESS_GATEWAY,
  ManagedIdentity,
  ManagedOnlineEndpoint,
  ManagedOnlineEndpointProps,
  MESH_PROFILE_CONTEXT,
  MeshIdentityBinding,
  AKS_ISTIO_ADDON_CONTROL_PLANE,
  SecureMlEndpoint,
  Diagnostics,
} from '../../lib';
import { formatViolations, sharedValidator } from '../conformance/validator';
import { checkInvariants } from '../invariants';
import { Manifest, ofKind, one, synthApp } from '../util';

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const SUB = '6c2f4e1a-9b8d-4c7e-a5f3-2d1b0e9c8a7f';
const OIDC = `https://westeurope.oic.prod-aks.azure.com/${TID}/1b2c3d4e-5f60-4a1b-9c2d-3e4f5a6b7c8d/`;
const WORKSPACE = AzureScope.mlWorkspace({ subscriptionId: SUB, resourceGroup: 'ml-prod', workspace: 'fraud-ws' });
const IDS = [
  { clientId: '5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d', principalId: '9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b' },
  { clientId: '1a1a1a1a-2b2b-4c3c-8d4d-5e5e5e5e5e5e', principalId: '2b2b2b2b-3c3c-4d4d-9e5e-6f6f6f6f6f6f' },
];

function binding(chart: Chart, i: number): MeshIdentityBinding {
  return new MeshIdentityBinding(chart, `Caller${i}`, { identity: ManagedIdentity.existing(IDS[i]), oidcIssuerUrl: OIDC, serviceAccountName: `caller-${i}` });
}

function endpoint(scope: Chart, id: string, props: Partial<ManagedOnlineEndpointProps>): ManagedOnlineEndpoint {
  return new ManagedOnlineEndpoint(scope, id, {
    endpointName: 'fraud-scoring', region: 'westeurope', workspace: WORKSPACE, tenant: new EntraTenant({ tenantId: TID }), ...props,
  });
}

const bySpecHost = (ms: Manifest[], kind: string, host: string) => ms.filter((m) => m.kind === kind && (m.spec.hosts ?? [m.spec.host]).includes(host));

describe('ManagedOnlineEndpoint', () => {
  test('passthrough: exact ServiceEntry in the caller namespace, egress control, invoker role', () => {
    const app = Testing.app();
    const batch = new Chart(app, 'batch', { namespace: 'batch' });
    const ep = endpoint(batch, 'Fraud', { callers: [binding(batch, 0)] });
    const ms = app.charts.flatMap((c) => Testing.synth(c)) as Manifest[];
    expect(ms).toMatchSnapshot();
    expect(ep.scoringHost).toBe('fraud-scoring.westeurope.inference.ml.azure.com');
    expect(ep.scoringUrl).toBe('https://fraud-scoring.westeurope.inference.ml.azure.com/score');
    const se = one(ms, 'ServiceEntry', (m) => m.spec.hosts[0] === ep.scoringHost);
    expect(se.metadata.namespace).toBe('batch');
    expect(se.spec).toEqual({
      hosts: ['fraud-scoring.westeurope.inference.ml.azure.com'],
      exportTo: ['.'],
      location: 'MESH_EXTERNAL',
      resolution: 'DNS',
      ports: [{ number: 443, name: 'tls', protocol: 'TLS' }],
    });
    const sidecar = one(ms, 'Sidecar');
    expect(sidecar.metadata.namespace).toBe('batch');
    expect(sidecar.spec).toEqual({
      outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
      egress: [{ hosts: ['./*', 'istio-system/*'] }],
    });
    // the login host only: Entra, not the pod, fetches the cluster OIDC issuer's keys
    expect(one(ms, 'ServiceEntry', (m) => m.spec.hosts.includes('login.microsoftonline.com')).spec).toMatchObject({
      hosts: ['login.microsoftonline.com'], exportTo: ['.'], location: 'MESH_EXTERNAL',
    });
    expect(JSON.stringify(ms)).not.toMatch(/oic\.prod-aks/);
    // passthrough: the app speaks HTTPS, no plain-HTTP fence needed
    expect(ofKind(ms, 'NetworkPolicy')).toEqual([]);
    // no wildcard host anywhere
    expect(JSON.stringify(ofKind(ms, 'ServiceEntry').map((m) => m.spec.hosts))).not.toMatch(/\*/);
    const plan = AzurePlan.of(batch).toJson();
    expect(plan.roleAssignments).toEqual([expect.objectContaining({
      scope: `${WORKSPACE.id}/onlineEndpoints/fraud-scoring`,
      roleDefinitionId: AzureRole.endpointInvoker().roleDefinitionId(SUB),
      principalType: 'ServicePrincipal',
      principalId: IDS[0].principalId,
    })]);
  });

  test('origination: HTTP port 80 to target 443, DestinationRule SIMPLE with SNI, never both ports', () => {
    const { manifests: ms } = synthApp((app) => {
      const batch = new Chart(app, 'batch', { namespace: 'batch' });
      endpoint(batch, 'Fraud', { callers: [binding(batch, 0)], tlsMode: EgressTlsMode.ORIGINATION, acknowledgePlainHttpInPod: true });
    });
    const host = 'fraud-scoring.westeurope.inference.ml.azure.com';
    expect(bySpecHost(ms, 'ServiceEntry', host)[0].spec.ports).toEqual([{ number: 80, name: 'http', protocol: 'HTTP', targetPort: 443 }]);
    expect(bySpecHost(ms, 'DestinationRule', host)[0].spec).toEqual({
      host, exportTo: ['.'], trafficPolicy: { portLevelSettings: [{ port: { number: 80 }, tls: { mode: 'SIMPLE', sni: host } }] },
    });
  });

  test('one Sidecar per namespace listing exactly the hosts in use, shared by endpoints and callers; one ServiceEntry per caller namespace', () => {
    const { manifests: ms } = synthApp((app) => {
      const batch = new Chart(app, 'batch', { namespace: 'batch' });
      const features = new Chart(app, 'features', { namespace: 'features' });
      const b0 = binding(batch, 0);
      const b1 = binding(features, 1);
      endpoint(batch, 'Fraud', { callers: [b0, b1] });
      endpoint(batch, 'Risk', { endpointName: 'risk-v2', callers: [b0] });
    });
    const sidecars = ofKind(ms, 'Sidecar');
    expect(sidecars.map((s) => s.metadata.namespace).sort()).toEqual(['batch', 'features']);
    const hostsOf = (ns: string) => sidecars.find((s) => s.metadata.namespace === ns)!.spec.egress[0].hosts;
    // the Sidecar imports its namespace ("./*"), whose ServiceEntries are exactly the hosts in use
    expect(hostsOf('batch')).toEqual(['./*', 'istio-system/*']);
    expect(hostsOf('features')).toEqual(['./*', 'istio-system/*']);
    const seHosts = (ns: string) => ofKind(ms, 'ServiceEntry').filter((m) => m.metadata.namespace === ns).flatMap((m) => m.spec.hosts).sort();
    expect(seHosts('batch')).toEqual(['fraud-scoring.westeurope.inference.ml.azure.com', 'login.microsoftonline.com', 'risk-v2.westeurope.inference.ml.azure.com']);
    expect(seHosts('features')).toEqual(['fraud-scoring.westeurope.inference.ml.azure.com', 'login.microsoftonline.com']);
    expect(bySpecHost(ms, 'ServiceEntry', 'fraud-scoring.westeurope.inference.ml.azure.com').map((m) => m.metadata.namespace).sort()).toEqual(['batch', 'features']);
  });

  test('sovereign clouds use their inference domain and login host', () => {
    const { manifests: ms } = synthApp((app) => {
      const batch = new Chart(app, 'batch', { namespace: 'batch' });
      endpoint(batch, 'Gov', { region: 'usgovvirginia', tenant: new EntraTenant({ tenantId: TID, cloud: EntraCloud.US_GOVERNMENT }), callers: [binding(batch, 0)] });
    });
    expect(ofKind(ms, 'ServiceEntry').flatMap((m) => m.spec.hosts)).toEqual(expect.arrayContaining([
      'fraud-scoring.usgovvirginia.inference.ml.azure.us', 'login.microsoftonline.us',
    ]));
  });

  test('deployment pinning: a canary tester always hits green through the azureml-model-deployment header', () => {
    const { manifests: ms } = synthApp((app) => {
      const batch = new Chart(app, 'batch', { namespace: 'batch' });
      endpoint(batch, 'Fraud', {
        callers: [binding(batch, 0)], tlsMode: EgressTlsMode.ORIGINATION, acknowledgePlainHttpInPod: true, deployments: ['blue', 'green'],
        pins: [{ deployment: 'green', namespace: 'batch', sourceLabels: { app: 'canary-tester' } }],
      });
    });
    const vs = one(ms, 'VirtualService');
    expect(vs.metadata.namespace).toBe('batch');
    expect(vs.spec.exportTo).toEqual(['.']);
    expect(vs.spec.http[0]).toEqual({
      name: 'pin-green',
      match: [{ sourceLabels: { app: 'canary-tester' } }],
      headers: { request: { set: { 'azureml-model-deployment': 'green' } } },
      route: [{ destination: { host: 'fraud-scoring.westeurope.inference.ml.azure.com', port: { number: 80 } } }],
    });
    expect(vs.spec.http[1].headers).toBeUndefined();
  });

  test('egress gateway: mTLS to the gateway, and the gateway admits only the declared callers', () => {
    const { manifests: ms } = synthApp((app) => {
      const batch = new Chart(app, 'batch', { namespace: 'batch' });
      endpoint(batch, 'Fraud', { callers: [binding(batch, 0), binding(batch, 1)], egressGateway: ISTIO_EGRESS_GATEWAY });
    });
    const host = 'fraud-scoring.westeurope.inference.ml.azure.com';
    const policy = one(ms, 'AuthorizationPolicy');
    expect(policy.metadata.namespace).toBe('istio-system');
    expect(policy.spec).toEqual({
      selector: { matchLabels: { istio: 'egressgateway' } },
      action: 'ALLOW',
      rules: [{
        from: [{ source: { principals: ['cluster.local/ns/batch/sa/caller-0', 'cluster.local/ns/batch/sa/caller-1'] } }],
        when: [{ key: 'connection.sni', values: [host] }],
      }],
    });
    const gw = one(ms, 'Gateway');
    expect(gw.spec.servers[0].tls).toEqual({ mode: 'ISTIO_MUTUAL' });
    const dr = one(ms, 'DestinationRule', (m) => m.spec.host === 'istio-egressgateway.istio-system.svc.cluster.local');
    expect(dr.spec.subsets[0].trafficPolicy.portLevelSettings[0].tls).toEqual({ mode: 'ISTIO_MUTUAL', sni: host });
    const vs = one(ms, 'VirtualService');
    expect(vs.spec.tls[0].route[0].destination.host).toBe('istio-egressgateway.istio-system.svc.cluster.local');
  });

  test('every object conforms to the official schemas (both TLS modes, pins, gateway)', () => {
    const { manifests: ms } = synthApp((app) => {
      const batch = new Chart(app, 'batch', { namespace: 'batch' });
      const b0 = binding(batch, 0);
      endpoint(batch, 'A', { callers: [b0], tlsMode: EgressTlsMode.ORIGINATION, acknowledgePlainHttpInPod: true, deployments: ['blue', 'green'], pins: [{ deployment: 'green', namespace: 'batch' }] });
      endpoint(batch, 'B', { endpointName: 'risk', callers: [b0], egressGateway: ISTIO_EGRESS_GATEWAY });
    });
    const violations = sharedValidator().validateAll(ms);
    expect(violations.length ? formatViolations(violations) : '').toBe('');
  });

  test('without egress control: no Sidecar and no identity ServiceEntry, only the exact scoring host', () => {
    const { manifests: ms } = synthApp((app) => {
      const batch = new Chart(app, 'batch', { namespace: 'batch' });
      endpoint(batch, 'Fraud', { callers: [binding(batch, 0)], egressControl: false });
    });
    expect(ofKind(ms, 'Sidecar')).toEqual([]);
    expect(ofKind(ms, 'ServiceEntry').map((m) => m.spec.hosts)).toEqual([['fraud-scoring.westeurope.inference.ml.azure.com']]);
    expect(checkInvariants(ms)).toEqual([]);
  });

  test('granting twice yields one assignment; declaration order changes no byte', () => {
    const build = (order: number[], twice = false) => (app: App) => {
      const batch = new Chart(app, 'batch', { namespace: 'batch' });
      const bs = [binding(batch, 0), binding(batch, 1)];
      const ep = endpoint(batch, 'Fraud', {});
      for (const i of order) {
        ep.grantInvoke(bs[i]);
        if (twice) ep.grantInvoke(bs[i]);
      }
    };
    const a = synthApp(build([0, 1]));
    expect(synthApp(build([1, 0])).yaml).toBe(a.yaml);
    expect(synthApp(build([0, 1], true)).yaml).toBe(a.yaml);
    const app = Testing.app();
    build([0, 1], true)(app);
    expect(AzurePlan.of(app).toJson().roleAssignments).toHaveLength(2);
  });
});

describe('TLS origination carries the token in plain HTTP inside the pod (issue 11, item 2)', () => {
  test('fails: origination without acknowledgePlainHttpInPod', () => {
    const app = Testing.app();
    const batch = new Chart(app, 'batch', { namespace: 'batch' });
    endpoint(batch, 'Fraud', { callers: [binding(batch, 0)], tlsMode: EgressTlsMode.ORIGINATION });
    expect(() => app.synthYaml()).toThrow(
      /\[batch\/Fraud\] tlsMode must be EgressTlsMode\.PASSTHROUGH unless acknowledgePlainHttpInPod is true, got "origination"; with origination the app sends its bearer token in plain HTTP/);
  });

  test('passthrough is the default: https scoring URL, port 443 TLS, no fence', () => {
    const app = Testing.app();
    const batch = new Chart(app, 'batch', { namespace: 'batch' });
    const ep = endpoint(batch, 'Fraud', { callers: [binding(batch, 0)] });
    const ms = app.charts.flatMap((c) => Testing.synth(c)) as Manifest[];
    expect(ep.scoringUrl).toBe('https://fraud-scoring.westeurope.inference.ml.azure.com/score');
    expect(bySpecHost(ms, 'ServiceEntry', ep.scoringHost)[0].spec.ports).toEqual([{ number: 443, name: 'tls', protocol: 'TLS' }]);
    expect(ofKind(ms, 'NetworkPolicy')).toEqual([]);
  });

  test('acknowledged origination: the workload-identity pods of each caller namespace get a NetworkPolicy refusing TCP 80 out of the cluster', () => {
    const { manifests: ms } = synthApp((app) => {
      const batch = new Chart(app, 'batch', { namespace: 'batch' });
      const features = new Chart(app, 'features', { namespace: 'features' });
      // egress control off: the fence does not depend on the Sidecar
      const b0 = binding(batch, 0);
      endpoint(batch, 'Fraud', { callers: [b0, binding(features, 1)], tlsMode: EgressTlsMode.ORIGINATION, acknowledgePlainHttpInPod: true, egressControl: false });
      // a second endpoint with the same caller namespace shares its fence
      endpoint(batch, 'Risk', { endpointName: 'risk', callers: [b0], tlsMode: EgressTlsMode.ORIGINATION, acknowledgePlainHttpInPod: true });
    });
    const fences = ofKind(ms, 'NetworkPolicy');
    expect(fences).toMatchSnapshot();
    expect(fences.map((f) => f.metadata.namespace).sort()).toEqual(['batch', 'features']);
    for (const fence of fences) {
      expect(fence.apiVersion).toBe('networking.k8s.io/v1');
      expect(fence.spec.podSelector).toEqual({ matchLabels: { 'azure.workload.identity/use': 'true' } });
      expect(fence.spec.policyTypes).toEqual(['Egress']);
      expect(fence.spec.ingress).toBeUndefined();
      // to any address: every TCP port but 80, and DNS
      const outside = fence.spec.egress.filter((r: any) => r.to.some((t: any) => t.ipBlock));
      expect(outside.flatMap((r: any) => r.to.map((t: any) => t.ipBlock.cidr)).sort()).toEqual(['0.0.0.0/0', '0.0.0.0/0', '::/0', '::/0']);
      for (const r of outside) {
        expect(r.to.every((t: any) => t.ipBlock.except === undefined)).toBe(true);
        for (const port of r.ports) expect(port.protocol === 'TCP' && port.port <= 80 && 80 <= (port.endPort ?? port.port)).toBe(false);
      }
      expect(outside.flatMap((r: any) => r.ports)).toEqual(expect.arrayContaining([
        { port: 443, protocol: 'TCP' }, { port: 1, endPort: 79, protocol: 'TCP' }, { port: 81, endPort: 65535, protocol: 'TCP' }, { port: 53, protocol: 'UDP' },
      ]));
      // port 80 (and every other port) only to pods of the cluster's namespaces
      expect(fence.spec.egress.filter((r: any) => r.ports.length === 0 || r.ports.some((p: any) => p.port <= 80 && 80 <= (p.endPort ?? p.port)))).toEqual([
        { ports: [], to: [{ namespaceSelector: {}, podSelector: {} }] }, // no ports: every port
      ]);
    }
    const violations = sharedValidator().validateAll(fences);
    expect(violations.length ? formatViolations(violations) : '').toBe('');
  });

  test('warns when acknowledgePlainHttpInPod is set with passthrough', () => {
    const app = Testing.app();
    const batch = new Chart(app, 'batch', { namespace: 'batch' });
    endpoint(batch, 'Fraud', { callers: [binding(batch, 0)], acknowledgePlainHttpInPod: true });
    app.synthYaml();
    expect(Diagnostics.of(app).warnings.map((w) => w.message)).toEqual([expect.stringMatching(/^acknowledgePlainHttpInPod is true with tlsMode PASSTHROUGH/)]);
  });
});

describe('the egress Sidecar (issue 11, item 11)', () => {
  const sidecarHosts = (ms: Manifest[], ns = 'batch') => one(ms, 'Sidecar', (m) => m.metadata.namespace === ns).spec.egress[0].hosts as string[];

  test('follows the mesh profile: the AKS Istio add-on runs istiod in aks-istio-system', () => {
    const aks = synthApp((app) => {
      const batch = new Chart(app, 'batch', { namespace: 'batch' });
      endpoint(batch, 'Fraud', { callers: [binding(batch, 0)], meshProfile: AKS_ISTIO_ADDON_CONTROL_PLANE });
    }).manifests;
    expect(sidecarHosts(aks)).toEqual(['./*', 'aks-istio-system/*']);
    // the same from the app context, for every endpoint of the app
    const ctx = synthApp((app) => {
      app.node.setContext(MESH_PROFILE_CONTEXT, 'aks-istio-addon');
      const batch = new Chart(app, 'batch', { namespace: 'batch' });
      endpoint(batch, 'Fraud', { callers: [binding(batch, 0)] });
    }).manifests;
    expect(sidecarHosts(ctx)).toContain('aks-istio-system/*');
    expect(sidecarHosts(ctx)).not.toContain('istio-system/*');
  });

  test('fails for a mesh profile and a controlPlaneNamespace that disagree, and for an unknown profile in the context', () => {
    const app = Testing.app();
    const batch = new Chart(app, 'batch', { namespace: 'batch' });
    endpoint(batch, 'Fraud', { callers: [binding(batch, 0)], meshProfile: AKS_ISTIO_ADDON_CONTROL_PLANE, controlPlaneNamespace: 'istio-system' });
    expect(() => app.synthYaml()).toThrow(/\[batch\/Fraud\] controlPlaneNamespace must be the namespace of meshProfile aks-istio-addon \("aks-istio-system"\) or left out, got "istio-system"/);
    const bad = Testing.app();
    bad.node.setContext(MESH_PROFILE_CONTEXT, 'aks');
    const jobs = new Chart(bad, 'batch', { namespace: 'batch' });
    endpoint(jobs, 'Fraud', { callers: [binding(jobs, 0)] });
    expect(() => bad.synthYaml()).toThrow(/context cdk8s-azureml-mesh\/meshProfile must be "upstream-istio" or "aks-istio-addon", got "aks"/);
  });

  test('warns for the AKS profile with an egress gateway in istio-system', () => {
    const app = Testing.app();
    const batch = new Chart(app, 'batch', { namespace: 'batch' });
    endpoint(batch, 'Fraud', { callers: [binding(batch, 0)], meshProfile: AKS_ISTIO_ADDON_CONTROL_PLANE, egressGateway: ISTIO_EGRESS_GATEWAY });
    app.synthYaml();
    expect(Diagnostics.of(app).warnings.map((w) => w.field)).toEqual(['egressGateway.namespace']);
  });

  const granted = (order: 'endpoint-first' | 'managed-first') => (app: App) => {
    const batch = new Chart(app, 'batch', { namespace: 'batch' });
    const fraudChart = new Chart(app, 'fraud', { namespace: 'fraud' });
    const riskChart = new Chart(app, 'risk', { namespace: 'risk' });
    const b0 = binding(batch, 0);
    const inMesh = () => {
      const fraud = new SecureMlEndpoint(fraudChart, 'Endpoint', {
        backend: EndpointBackend.service({ name: 'fraud', port: 80, selector: { app: 'fraud' } }),
        tenant: new EntraTenant({ tenantId: TID }), audiences: ['0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5'],
      });
      fraud.grantInvoke(b0);
      const risk = new SecureMlEndpoint(riskChart, 'Endpoint', {
        backend: EndpointBackend.service({ name: 'risk', port: 80, selector: { app: 'risk' } }),
        tenant: new EntraTenant({ tenantId: TID }), audiences: ['0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5'], callers: [Caller.appRole('Risk.Score')],
      });
      risk.addCaller(Caller.workload(b0));
      // an endpoint granted to nobody in batch stays out of batch's Sidecar
      new SecureMlEndpoint(riskChart, 'Other', {
        backend: EndpointBackend.service({ name: 'other', port: 80, selector: { app: 'other' } }),
        tenant: new EntraTenant({ tenantId: TID }), audiences: ['0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5'], callers: [Caller.appRole('Other.Score')],
      });
    };
    if (order === 'endpoint-first') inMesh();
    endpoint(batch, 'Managed', { callers: [b0] });
    if (order === 'managed-first') inMesh();
  };

  test('lists the in-mesh endpoints the namespace\'s workloads were granted (grantInvoke and addCaller with Caller.workload)', () => {
    const a = synthApp(granted('endpoint-first'));
    expect(sidecarHosts(a.manifests)).toEqual([
      './*', 'istio-system/*', 'fraud/fraud.fraud.svc.cluster.local', 'risk/risk.risk.svc.cluster.local',
    ]);
    expect(synthApp(granted('managed-first')).yaml).toBe(a.yaml);
    expect(checkInvariants(a.manifests, { except: ['12 second fence'] })).toEqual([]);
  });
});

describe('EndpointBackend.azureMlKubernetes', () => {
  test('fronts azureml-fe with the inbound set; the Entra token travels in its own header, never Authorization', () => {
    const { manifests: ms } = synthApp((app) => new SecureMlEndpoint(new Chart(app, 'aml'), 'Router', {
      backend: EndpointBackend.azureMlKubernetes(),
      tenant: new EntraTenant({ tenantId: TID }),
      audiences: ['0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5'],
      callers: [Caller.appRole('Score')],
      tokenHeader: 'x-mesh-authorization',
    }));
    const ra = one(ms, 'RequestAuthentication');
    expect(ra.metadata.namespace).toBe('azureml');
    expect(ra.spec.selector.matchLabels).toEqual({ azuremlappname: 'azureml-fe' });
    expect(ra.spec.jwtRules[0].fromHeaders).toEqual([{ name: 'x-mesh-authorization', prefix: 'Bearer ' }]);
    expect(ra.spec.jwtRules[0].forwardOriginalToken).toBeUndefined(); // the mesh token is removed before azureml-fe
    for (const rule of ra.spec.jwtRules) expect(rule.fromHeaders.map((h: any) => h.name.toLowerCase())).not.toContain('authorization');
    expect(one(ms, 'VirtualService').spec.hosts).toEqual(['azureml-fe.azureml.svc.cluster.local']);
    expect(checkInvariants(ms, { except: ['12 second fence'] })).toEqual([]);
    const violations = sharedValidator().validateAll(ms);
    expect(violations.length ? formatViolations(violations) : '').toBe('');
  });
});
