/**
 * Issue 16: each proxy gets only the config it needs. The exportTo of an
 * endpoint's routes per door and caller kind, the opt-in CallerSidecar of a
 * callers' namespace, and the merged ALLOW rules.
 */
import { App, Chart } from 'cdk8s';
import {
  AKS_ISTIO_EXTERNAL_GATEWAY,
  AzureScope,
  Caller,
  CallerSidecar,
  Edge,
  EndpointBackend,
  EntraTenant,
  ManagedIdentity,
  ManagedOnlineEndpoint,
  ManagedOnlineEndpointProps,
  MeshIdentityBinding,
  MeshNamespace,
  SecureMlEndpoint,
  SecureMlEndpointProps,
  TlsCertificate,
} from '../../lib';
import { EXAMPLES } from '../../examples';
import { TEST_APPS } from '../apps';
import { BATCH_SCORER_IDENTITY, FRAUD_API_CLIENT_ID, FRAUD_TENANT_ID } from '../../examples/fraud-scoring';
import { explain } from '../../lib/access/explain';
import { ManifestSet } from '../../lib/access/manifests';
import { checkInvariants } from '../invariants';
import { Manifest, allowPolicy, ofKind, synthApp } from '../util';

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const AUD = '0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5';
const OIDC = `https://westeurope.oic.prod-aks.azure.com/${TID}/1b2c3d4e-5f60-4a1b-9c2d-3e4f5a6b7c8d/`;
const SUB = '6c2f4e1a-9b8d-4c7e-a5f3-2d1b0e9c8a7f';
const oid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function binding(chart: Chart, ns: string, sa: string, n = 1): MeshIdentityBinding {
  return new MeshIdentityBinding(chart, `${ns}-${sa}`, {
    identity: ManagedIdentity.existing({ clientId: oid(100 + n), principalId: oid(n) }),
    oidcIssuerUrl: OIDC,
    namespace: ns,
    serviceAccountName: sa,
  });
}

/** The managed online endpoint `churn` (westeurope, workspace ml/ml-ws) with the props given. */
function managedEndpoint(chart: Chart, props: Partial<ManagedOnlineEndpointProps> = {}): ManagedOnlineEndpoint {
  return new ManagedOnlineEndpoint(chart, 'M', {
    endpointName: 'churn',
    region: 'westeurope',
    workspace: AzureScope.mlWorkspace({ subscriptionId: SUB, resourceGroup: 'ml', workspace: 'ml-ws' }),
    tenant: new EntraTenant({ tenantId: TID }),
    ...props,
  });
}

/** One endpoint in `ml` with the props given; `extra` declares more (bindings, sidecars) in the same chart. */
function synth(props: Partial<SecureMlEndpointProps>, extra: (chart: Chart, endpoint: SecureMlEndpoint) => void = () => {}): Manifest[] {
  return synthApp((app: App) => {
    const chart = new Chart(app, 'c');
    const endpoint = new SecureMlEndpoint(chart, 'E', {
      backend: EndpointBackend.service({ name: 'm', namespace: 'ml', port: 80, targetPort: 80, selector: { app: 'm' } }),
      tenant: new EntraTenant({ tenantId: TID }),
      audiences: [AUD],
      ...props,
    });
    extra(chart, endpoint);
  }).manifests;
}

/** exportTo of the endpoint's mesh routes (the VirtualService and DestinationRule of its Service host, not bound to a gateway). */
function meshExportTo(ms: Manifest[], host = 'm.ml.svc.cluster.local'): string[][] {
  return ms.filter((m) => (m.kind === 'DestinationRule' && m.spec.host === host)
    || (m.kind === 'VirtualService' && m.spec.hosts?.includes(host) && !m.spec.gateways))
    .map((m) => m.spec.exportTo);
}

describe('exportTo of an endpoint\'s VirtualService and DestinationRule', () => {
  test('workload callers only: the own namespace and each caller\'s, sorted, whatever the order of declaration', () => {
    const declare = (order: string[]) => synth({}, (chart, e) => order.forEach((ns) => e.grantInvoke(binding(chart, ns, 'job', ns === 'alpha' ? 1 : 2))));
    const ms = declare(['zeta', 'alpha']);
    expect(meshExportTo(ms)).toEqual([['.', 'alpha', 'zeta'], ['.', 'alpha', 'zeta']]);
    expect(declare(['alpha', 'zeta'])).toEqual(ms);
  });

  test('a workload caller in the endpoint\'s own namespace adds nothing', () => {
    const ms = synth({}, (chart, e) => e.grantInvoke(binding(chart, 'ml', 'job')));
    expect(meshExportTo(ms)).toEqual([['.'], ['.']]);
  });

  test.each([
    ['appRole', Caller.appRole('Score')],
    ['group', Caller.group('12345678-1234-4234-8234-123456789abc')],
    ['application', Caller.application('aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee')],
    ['servicePrincipal', Caller.servicePrincipal('fedcba98-7654-4321-8fed-cba987654321')],
    ['anyAuthenticated', Caller.anyAuthenticated()],
  ])('a token-only caller (%s) without an edge may be in any namespace: "*"', (_kind, caller) => {
    expect(meshExportTo(synth({ callers: [caller] }))).toEqual([['*'], ['*']]);
  });

  test('exportTo narrows that fallback to the namespaces listed (and the declared ones), or keeps "*"', () => {
    const narrowed = synth({ callers: [Caller.appRole('Score')], exportTo: ['team-b', 'team-a'] }, (chart, e) => e.grantInvoke(binding(chart, 'jobs', 'job')));
    expect(meshExportTo(narrowed)).toEqual([['.', 'jobs', 'team-a', 'team-b'], ['.', 'jobs', 'team-a', 'team-b']]);
    expect(meshExportTo(synth({ callers: [Caller.appRole('Score')], exportTo: [] }))).toEqual([['.'], ['.']]);
    expect(meshExportTo(synth({ callers: [Caller.appRole('Score')], edge: Edge.ingressNginx({ host: 'm.contoso.com', tls: TlsCertificate.fromSecret('t') }), exportTo: ['*'] })))
      .toEqual([['*'], ['*']]);
  });

  test('exportTo must name namespaces, or "*" alone', () => {
    expect(() => synth({ callers: [Caller.appRole('S')], exportTo: ['Team_A'] })).toThrow(/exportTo\[0\] must be a namespace \(a DNS label\) or "\*", got "Team_A"/);
    expect(() => synth({ callers: [Caller.appRole('S')], exportTo: ['*', 'a'] })).toThrow(/exportTo\[0\] must be "\*" alone/);
  });

  test.each([
    ['ingress-nginx', Edge.ingressNginx({ host: 'm.contoso.com', tls: TlsCertificate.fromSecret('t') }), 'ingress-nginx'],
    ['F5 NGINX Ingress Controller', Edge.nginxIngressController({ host: 'm.contoso.com', tls: TlsCertificate.fromSecret('t'), controllerInMesh: true }), 'nginx-ingress'],
    ['Istio Gateway API', Edge.istioGatewayApi({ host: 'm.contoso.com', tls: TlsCertificate.fromSecret('t'), gateway: { name: 'm', namespace: 'edge' } }), 'edge'],
    ['NGINX Gateway Fabric', Edge.nginxGatewayFabric({ host: 'm.contoso.com', tls: TlsCertificate.fromSecret('t'), gateway: { name: 'm', namespace: 'ngf' }, controllerInMesh: true }), 'ngf'],
  ])('token-only callers behind an edge (%s): the own namespace and the edge\'s, not "*"', (_name, edge, edgeNamespace) => {
    const ms = synth({ callers: [Caller.appRole('Score')], edge });
    for (const exportTo of meshExportTo(ms)) expect(exportTo).toEqual(['.', edgeNamespace]);
  });

  test('an Istio Gateway edge: the mesh route and the gateway\'s route go to the gateway\'s namespace, the gateway route to nowhere else', () => {
    const ms = synth({ callers: [Caller.appRole('Score')], edge: Edge.istioGateway({ host: 'm.contoso.com', gateway: AKS_ISTIO_EXTERNAL_GATEWAY, tls: TlsCertificate.fromSecret('t') }) },
      (chart, e) => e.grantInvoke(binding(chart, 'jobs', 'job')));
    expect(meshExportTo(ms)).toEqual([['.', 'aks-istio-ingress', 'jobs'], ['.', 'aks-istio-ingress', 'jobs']]);
    const gatewayRoute = ofKind(ms, 'VirtualService').find((m) => m.spec.hosts.includes('m.contoso.com') && m.metadata.namespace === 'ml')!;
    expect(gatewayRoute.spec.gateways).toEqual([expect.stringMatching(/^aks-istio-ingress\//)]);
    expect(gatewayRoute.spec.exportTo).toEqual(['.', 'aks-istio-ingress']);
  });

  test('a Gateway API split: the per-deployment Services\' routes are exported like the endpoint\'s', () => {
    const ms = synth({
      callers: [Caller.appRole('Score')],
      deployments: [{ name: 'blue', weight: 9 }, { name: 'green', weight: 1 }],
      edge: Edge.istioGatewayApi({ host: 'm.contoso.com', tls: TlsCertificate.fromSecret('t'), gateway: { name: 'm', namespace: 'edge' } }),
    });
    for (const host of ['m-blue.ml.svc.cluster.local', 'm-green.ml.svc.cluster.local']) {
      expect(meshExportTo(ms, host)).toEqual([['.', 'edge'], ['.', 'edge']]);
    }
  });

  test('a managed endpoint behind an egress gateway: its gateway routes go to the callers\' namespaces and the gateway\'s only', () => {
    const ms = synthApp((app) => {
      const chart = new Chart(app, 'c');
      const endpoint = managedEndpoint(chart, { egressGateway: { namespace: 'istio-egress', service: 'istio-egressgateway', selector: { istio: 'egressgateway' } } });
      endpoint.grantInvoke(binding(chart, 'jobs-b', 'job', 1));
      endpoint.grantInvoke(binding(chart, 'jobs-a', 'job', 2));
    }).manifests;
    const routes = ms.filter((m) => (m.kind === 'VirtualService' || m.kind === 'DestinationRule') && m.metadata.namespace === 'istio-egress');
    expect(routes.map((m) => m.kind).sort()).toEqual(['DestinationRule', 'VirtualService']);
    for (const r of routes) expect(r.spec.exportTo).toEqual(['.', 'jobs-a', 'jobs-b']);
    // and what stays in the callers' namespaces is exported to them alone
    for (const se of ofKind(ms, 'ServiceEntry')) expect(se.spec.exportTo).toEqual(['.']);
  });
});

describe('CallerSidecar', () => {
  /** Two endpoints in `models`, one granted to `apps` and one to `reports`. */
  const twoEndpoints = (extra: (chart: Chart) => void) => synthApp((app) => {
    const chart = new Chart(app, 'c');
    const tenant = new EntraTenant({ tenantId: TID });
    const endpoint = (name: string) => new SecureMlEndpoint(chart, name, {
      backend: EndpointBackend.service({ name, namespace: 'models', port: 80, selector: { app: name } }),
      tenant,
      audiences: [AUD],
    });
    endpoint('ranker').grantInvoke(binding(chart, 'apps', 'scorer', 1));
    endpoint('embedder').grantInvoke(binding(chart, 'reports', 'reporter', 2));
    extra(chart);
  }).manifests;

  test('the namespace\'s Sidecar lists exactly its granted hosts, the own namespace, the control plane and the hosts added', () => {
    const ms = twoEndpoints((chart) => new CallerSidecar(chart, 'S', { namespace: 'apps', hosts: ['payments/ledger.payments.svc.cluster.local'] }));
    const sidecars = ofKind(ms, 'Sidecar');
    expect(sidecars).toHaveLength(1);
    expect(sidecars[0].metadata.namespace).toBe('apps');
    expect(sidecars[0].spec.workloadSelector).toBeUndefined();
    expect(sidecars[0].spec.egress).toEqual([{ hosts: ['./*', 'istio-system/*', 'models/ranker.models.svc.cluster.local', 'payments/ledger.payments.svc.cluster.local'] }]);
    // config scoping alone refuses nothing: the mesh's outboundTrafficPolicy stays
    expect(sidecars[0].spec.outboundTrafficPolicy).toBeUndefined();
  });

  test('grants made after the Sidecar count; hosts reads them at synth', () => {
    let sidecar!: CallerSidecar;
    const ms = synthApp((app) => {
      const chart = new Chart(app, 'c');
      sidecar = new CallerSidecar(chart, 'S', { namespace: 'apps', controlPlaneNamespace: 'aks-istio-system' });
      const e = new SecureMlEndpoint(chart, 'E', {
        backend: EndpointBackend.service({ name: 'm', namespace: 'ml', port: 80, selector: { app: 'm' } }),
        tenant: new EntraTenant({ tenantId: TID }),
        audiences: [AUD],
      });
      e.grantInvoke(binding(chart, 'apps', 'job'));
    }).manifests;
    expect(ofKind(ms, 'Sidecar')[0].spec.egress[0].hosts).toEqual(['./*', 'aks-istio-system/*', 'ml/m.ml.svc.cluster.local']);
    expect(sidecar.hosts).toEqual(['./*', 'aks-istio-system/*', 'ml/m.ml.svc.cluster.local']);
  });

  test('merged with a managed endpoint\'s egress control: one Sidecar for the namespace, REGISTRY_ONLY, both sets of hosts', () => {
    const ms = twoEndpoints((chart) => {
      new CallerSidecar(chart, 'S', { namespace: 'reports' });
      const managed = managedEndpoint(chart);
      managed.grantInvoke(chart.node.findChild('reports-reporter') as MeshIdentityBinding);
    });
    const sidecars = ofKind(ms, 'Sidecar').filter((m) => m.metadata.namespace === 'reports');
    expect(sidecars).toHaveLength(1);
    expect(sidecars[0].spec.outboundTrafficPolicy).toEqual({ mode: 'REGISTRY_ONLY' });
    // the scoring and login hosts are ServiceEntries of the namespace: "./*" imports them
    expect(sidecars[0].spec.egress).toEqual([{ hosts: ['./*', 'istio-system/*', 'models/embedder.models.svc.cluster.local'] }]);
    expect(ofKind(ms, 'ServiceEntry').filter((m) => m.metadata.namespace === 'reports').flatMap((m) => m.spec.hosts).sort())
      .toEqual(['churn.westeurope.inference.ml.azure.com', 'login.microsoftonline.com']);
  });

  test('an endpoint\'s own namespace may opt in, without a warning: its proxies get their namespace and the control plane', () => {
    const ms = synthApp((app) => {
      app.node.setContext('cdk8s-azureml-mesh/strict', true);
      const chart = new Chart(app, 'c');
      new MeshNamespace(chart, 'Ns', { name: 'ml' });
      new SecureMlEndpoint(chart, 'E', {
        backend: EndpointBackend.service({ name: 'm', namespace: 'ml', port: 80, selector: { app: 'm' } }),
        tenant: new EntraTenant({ tenantId: TID }),
        audiences: [AUD],
        callers: [Caller.appRole('S')],
        edge: Edge.ingressNginx({ host: 'm.contoso.com', tls: TlsCertificate.fromSecret('t'), controllerInMesh: true }),
      });
      new CallerSidecar(chart, 'S', { namespace: 'ml' });
    }).manifests;
    expect(ofKind(ms, 'Sidecar').map((m) => [m.metadata.namespace, m.spec.egress[0].hosts])).toEqual([['ml', ['./*', 'istio-system/*']]]);
  });

  test('it imports every endpoint whose routes name the namespace: exportTo, and the edge\'s namespace (its controller has a sidecar)', () => {
    const ms = synthApp((app) => {
      const chart = new Chart(app, 'c');
      const tenant = new EntraTenant({ tenantId: TID });
      new SecureMlEndpoint(chart, 'Ranker', {
        backend: EndpointBackend.service({ name: 'ranker', namespace: 'models', port: 80, selector: { app: 'ranker' } }),
        tenant, audiences: [AUD], callers: [Caller.appRole('R')], exportTo: ['portal'],
      });
      new SecureMlEndpoint(chart, 'Fraud', {
        backend: EndpointBackend.service({ name: 'fraud', namespace: 'fraud', port: 80, selector: { app: 'fraud' } }),
        tenant, audiences: [AUD], callers: [Caller.appRole('F')],
        edge: Edge.ingressNginx({ host: 'f.contoso.com', tls: TlsCertificate.fromSecret('t'), controllerInMesh: true }),
      });
      // token callers from any peer: granted to no namespace in particular
      new SecureMlEndpoint(chart, 'Open', {
        backend: EndpointBackend.service({ name: 'open', namespace: 'open', port: 80, selector: { app: 'open' } }),
        tenant, audiences: [AUD], callers: [Caller.appRole('O')],
      });
      new CallerSidecar(chart, 'Portal', { namespace: 'portal' });
      new CallerSidecar(chart, 'Edge', { namespace: 'ingress-nginx', hosts: ['monitoring/*'] });
    }).manifests;
    const hosts = Object.fromEntries(ofKind(ms, 'Sidecar').map((m) => [m.metadata.namespace, m.spec.egress[0].hosts]));
    expect(hosts).toEqual({
      'portal': ['./*', 'istio-system/*', 'models/ranker.models.svc.cluster.local'],
      'ingress-nginx': ['./*', 'istio-system/*', 'fraud/fraud.fraud.svc.cluster.local', 'monitoring/*'],
    });
  });

  test('an NGINX controller\'s namespace also imports the edge\'s own Services: the browser sign-in proxy its auth-url calls', () => {
    const signIn = TEST_APPS.find((t) => t.name.startsWith('browser sign-in on ingress-nginx'))!;
    const ms = synthApp((app) => {
      signIn.build(app);
      new CallerSidecar(new Chart(app, 'scope'), 'S', { namespace: 'ingress-nginx', controlPlaneNamespace: 'aks-istio-system' });
    }).manifests;
    const hosts: string[] = ofKind(ms, 'Sidecar').find((m) => m.metadata.namespace === 'ingress-nginx')!.spec.egress[0].hosts;
    const signInService = ofKind(ms, 'Service').find((m) => m.metadata.namespace === 'portal' && /signin/.test(m.metadata.name))!;
    expect(hosts).toEqual(['./*', 'aks-istio-system/*', 'portal/portal-model.portal.svc.cluster.local', `portal/${signInService.metadata.name}.portal.svc.cluster.local`]);
  });

  test('azureml-fe\'s namespace imports its model pods\' namespaces: the router\'s own proxies call them', () => {
    const router = TEST_APPS.find((t) => t.name.startsWith('azureml-fe with model pods'))!;
    const ms = synthApp((app) => {
      router.build(app);
      new CallerSidecar(new Chart(app, 'scope'), 'S', { namespace: 'azureml' });
    }).manifests;
    expect(ofKind(ms, 'Sidecar').find((m) => m.metadata.namespace === 'azureml')!.spec.egress[0].hosts)
      .toEqual(['./*', 'istio-system/*', 'ml-endpoints/*']);
  });

  test('a namespace that calls only a managed endpoint is not warned about; an endpoint open to every namespace and not imported is', () => {
    const strict = (build: (chart: Chart) => void) => () => synthApp((app) => {
      app.node.setContext('cdk8s-azureml-mesh/strict', true);
      build(new Chart(app, 'c'));
    });
    expect(strict((chart) => {
      managedEndpoint(chart).grantInvoke(binding(chart, 'apps', 'job'));
      new CallerSidecar(chart, 'S', { namespace: 'apps' });
    })).not.toThrow();
    const open = (exportTo?: string[]) => strict((chart) => {
      new MeshNamespace(chart, 'Ns', { name: 'ml' });
      new SecureMlEndpoint(chart, 'E', {
        backend: EndpointBackend.service({ name: 'm', namespace: 'ml', port: 80, selector: { app: 'm' } }),
        tenant: new EntraTenant({ tenantId: TID }),
        audiences: [AUD],
        callers: [Caller.appRole('S')],
        exportTo,
      });
      new CallerSidecar(chart, 'S', { namespace: 'portal', hosts: ['payments/ledger.payments.svc.cluster.local'] });
    });
    expect(open()).toThrow(/the routes of c\/E go to every namespace .* but the Sidecar of "portal" does not import them: a call from "portal" to them leaves its proxy as plain TCP/);
    // named in the endpoint's exportTo: imported, no warning
    expect(open(['portal'])).not.toThrow();
  });

  test('exportTo is read as declared: changing the array later changes nothing', () => {
    const exportTo = ['portal'];
    const ms = synth({ callers: [Caller.appRole('S')], exportTo }, () => exportTo.push('reports'));
    expect(meshExportTo(ms)).toEqual([['.', 'portal'], ['.', 'portal']]);
  });

  test('registryOnly refuses what it does not import; an egress gateway\'s namespace is imported also without egress control', () => {
    const ms = synthApp((app) => {
      const chart = new Chart(app, 'c');
      const managed = managedEndpoint(chart, { egressControl: false, egressGateway: { namespace: 'istio-egress', service: 'istio-egressgateway', selector: { istio: 'egressgateway' } } });
      managed.grantInvoke(binding(chart, 'apps', 'job'));
      new CallerSidecar(chart, 'S', { namespace: 'apps', registryOnly: true });
    }).manifests;
    const sidecar = ofKind(ms, 'Sidecar')[0];
    expect(sidecar.spec.outboundTrafficPolicy).toEqual({ mode: 'REGISTRY_ONLY' });
    // the gateway's VirtualService and DestinationRule are config of istio-egress: without it the scoring host bypasses the gateway
    expect(sidecar.spec.egress[0].hosts).toEqual(['./*', 'istio-system/*', 'istio-egress/*']);
  });

  test('a CallerSidecar beside a managed endpoint without egress control keeps the mesh default, and the invariants hold', () => {
    const ms = synthApp((app) => {
      const chart = new Chart(app, 'c');
      new MeshNamespace(chart, 'Apps', { name: 'apps' });
      const managed = managedEndpoint(chart, { egressControl: false });
      managed.grantInvoke(binding(chart, 'apps', 'job'));
      new CallerSidecar(chart, 'S', { namespace: 'apps' });
    }).manifests;
    expect(ofKind(ms, 'Sidecar')[0].spec.outboundTrafficPolicy).toBeUndefined();
    expect(checkInvariants(ms)).toEqual([]);
  });

  test('hosts that widen a namespace under egress control are a warning', () => {
    expect(() => synthApp((app) => {
      app.node.setContext('cdk8s-azureml-mesh/strict', true);
      const chart = new Chart(app, 'c');
      const managed = managedEndpoint(chart);
      managed.grantInvoke(binding(chart, 'apps', 'job'));
      new CallerSidecar(chart, 'S', { namespace: 'apps', hosts: ['partner/api.partner.example.com', 'payments/ledger.payments.svc.cluster.local'] });
    })).toThrow(/hosts \["partner\/api\.partner\.example\.com"\] widen the egress control of "apps"/);
  });

  test('no Sidecar for namespaces that did not opt in', () => {
    expect(ofKind(twoEndpoints(() => {}), 'Sidecar')).toEqual([]);
  });

  test('bad hosts and namespaces are errors that say what is accepted', () => {
    expect(() => twoEndpoints((chart) => new CallerSidecar(chart, 'S', { namespace: 'apps', hosts: ['*/*'] })))
      .toThrow(/hosts\[0\] must be "<namespace>\/<fqdn>" or "<namespace>\/\*" \(one namespace: never "\*\/" or "~\/"\), got "\*\/\*"/);
    expect(() => twoEndpoints((chart) => new CallerSidecar(chart, 'S', { namespace: 'Apps' }))).toThrow(/namespace must be a DNS label/);
  });

  test('a namespace with nothing granted and no hosts is a warning (its proxies would reach only themselves and the control plane)', () => {
    expect(() => synthApp((app) => {
      app.node.setContext('cdk8s-azureml-mesh/strict', true);
      new CallerSidecar(new Chart(app, 'c'), 'S', { namespace: 'idle' });
    })).toThrow(/"idle" calls no endpoint of the app, serves none and lists no hosts/);
  });
});

describe('the ALLOW policy: one rule where callers differ only in one claim\'s values', () => {
  test('20 app roles are one rule with 20 values; workload callers with their oid stay one rule each', () => {
    const roles = Array.from({ length: 20 }, (_, i) => Caller.appRole(`Role${String(i).padStart(2, '0')}`));
    const ms = synth({ callers: [...roles].reverse() }, (chart, e) => {
      e.grantInvoke(binding(chart, 'jobs', 'a', 1));
      e.grantInvoke(binding(chart, 'jobs', 'b', 2));
    });
    const rules = allowPolicy(ms).spec.rules;
    const roleRules = rules.filter((r: any) => r.when?.[0].key === 'request.auth.claims[roles]');
    expect(roleRules).toHaveLength(1);
    expect(roleRules[0].when).toEqual([{ key: 'request.auth.claims[roles]', values: roles.map((r) => r.id) }]);
    expect(roleRules[0].from).toEqual([{ source: { requestPrincipals: [`https://login.microsoftonline.com/${TID}/v2.0/*`] } }]);
    // a workload's principal and its identity's oid are a pair: merging would admit one workload with the other's token
    const oidRules = rules.filter((r: any) => r.when?.[0].key === 'request.auth.claims[oid]');
    expect(oidRules.map((r: any) => [r.from[0].source.principals, r.when[0].values])).toEqual([
      [['cluster.local/ns/jobs/sa/a'], [oid(1)]],
      [['cluster.local/ns/jobs/sa/b'], [oid(2)]],
    ]);
  });

  test('claims of different kinds, or behind different principals, are not merged', () => {
    const ms = synth({ callers: [Caller.appRole('A'), Caller.group('12345678-1234-4234-8234-123456789abc'), Caller.appRole('B')],
      edge: Edge.ingressNginx({ host: 'm.contoso.com', tls: TlsCertificate.fromSecret('t') }) });
    const rules = allowPolicy(ms).spec.rules;
    expect(rules.map((r: any) => r.when)).toEqual([
      [{ key: 'request.auth.claims[groups]', values: ['12345678-1234-4234-8234-123456789abc'] }],
      [{ key: 'request.auth.claims[roles]', values: ['A', 'B'] }],
    ]);
    // both behind the edge controller's principal
    for (const r of rules) expect(r.from[0].source.principals).toEqual([expect.stringMatching(/\/ns\/ingress-nginx\/sa\//)]);
  });
});

describe('explain: the caller\'s Sidecar must import the Service it calls', () => {
  const fraud = () => synthApp((app) => EXAMPLES.find((e) => e.name === 'fraud-scoring')!.build(app)).manifests;
  const request = {
    to: { namespace: 'fraud', service: 'fraud-model' },
    method: 'POST',
    path: '/score',
    principal: 'cluster.local/ns/batch/sa/batch-scorer',
    token: { claims: { iss: `https://login.microsoftonline.com/${FRAUD_TENANT_ID}/v2.0`, aud: FRAUD_API_CLIENT_ID, tid: FRAUD_TENANT_ID, sub: 's', oid: BATCH_SCORER_IDENTITY.principalId } },
  };

  test('the batch scorer\'s namespace Sidecar imports the fraud model: ALLOW, and the trace says so', () => {
    const ms = fraud();
    expect(ofKind(ms, 'Sidecar').find((m) => m.metadata.namespace === 'batch')!.spec.egress[0].hosts).toContain('fraud/fraud-model.fraud.svc.cluster.local');
    const result = explain(ManifestSet.fromObjects(ms), request);
    expect(result.verdict).toBe('ALLOW');
    expect(result.trace.join('\n')).toMatch(/caller's Sidecar: Sidecar batch\/\S+ imports fraud\/fraud-model\.fraud\.svc\.cluster\.local/);
  });

  test('a Sidecar without the host: DENY 503 at the caller\'s sidecar (plain TCP to a STRICT backend), 502 under REGISTRY_ONLY', () => {
    const ms = fraud();
    const sidecar = ofKind(ms, 'Sidecar').find((m) => m.metadata.namespace === 'batch')!;
    sidecar.spec.egress[0].hosts = sidecar.spec.egress[0].hosts.filter((h: string) => !h.startsWith('fraud/'));
    const denied = explain(ManifestSet.fromObjects(ms), request);
    expect([denied.verdict, denied.status, denied.decidedBy?.action]).toEqual(['DENY', 503, 'SIDECAR_EGRESS']);
    expect(denied.reasons[0]).toMatch(/does not import fraud\/fraud-model\.fraud\.svc\.cluster\.local .*PassthroughCluster/);
    expect(denied.hops.map((h) => h.role)).toEqual(['egress']);
    sidecar.spec.outboundTrafficPolicy = { mode: 'REGISTRY_ONLY' };
    expect(explain(ManifestSet.fromObjects(ms), request).status).toBe(502);
  });
});
