/** The invariant checks themselves: each flags a manifest that breaks it. */
import { App, Chart, Testing } from 'cdk8s';
import { EXAMPLES } from '../../examples';
import { TEST_APPS } from '../apps';
import { AzurePlan, AzurePlanDocument, AzureScope, Caller, CallerSidecar, Edge, EndpointBackend, EntraTenant, IEdge, ManagedIdentity, ManagedOnlineEndpoint, MeshIdentityBinding, MeshNamespace, PlanRoleAssignment, PrincipalType, SecureMlEndpoint, TlsCertificate } from '../../lib';
import { Manifest, synthApp } from '../util';
import { INVARIANTS, checkLeastPrivilege, narrowRoleAssignments } from './index';

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
/** A valid endpoint behind an edge (ingress-nginx unless another is given). */
const good = (edge: () => IEdge = () => Edge.ingressNginx({ host: 'm.contoso.com', tls: TlsCertificate.fromSecret('m-tls') })) => synthApp((app) => {
  const chart = new Chart(app, 'c', { namespace: 'ml' });
  new MeshNamespace(chart, 'Ns', { name: 'ml' });
  new SecureMlEndpoint(chart, 'E', {
    backend: EndpointBackend.service({ name: 'm', port: 80, selector: { app: 'm' } }),
    tenant: new EntraTenant({ tenantId: TID }),
    audiences: ['0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5'],
    callers: [Caller.appRole('A')],
    edge: edge(),
  });
}).manifests;

type Break = (ms: Manifest[]) => void;
const find = (ms: Manifest[], kind: string, action?: string) => ms.find((m) => m.kind === kind && (!action || m.spec.action === action))!;

const BREAKS: Array<[string, Break]> = [
  ['1 token required', (ms) => { find(ms, 'AuthorizationPolicy', 'DENY').spec.selector.matchLabels = { app: 'other' }; }],
  ['2 exact jwt rules', (ms) => { find(ms, 'RequestAuthentication').spec.jwtRules[0].audiences = []; }],
  ['3 strict mtls', (ms) => { find(ms, 'PeerAuthentication').spec.mtls.mode = 'PERMISSIVE'; }],
  ['4 no open allow', (ms) => { find(ms, 'AuthorizationPolicy', 'ALLOW').spec.rules = [{}]; }],
  ['5 edges through the mesh', (ms) => { delete find(ms, 'Ingress').metadata.annotations!['nginx.ingress.kubernetes.io/service-upstream']; }],
  ['6 no snippets', (ms) => { find(ms, 'Ingress').metadata.annotations!['nginx.org/server-snippets'] = 'x'; }],
  ['8 exact egress', (ms) => { ms.push({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'x' }, spec: { hosts: ['*.azure.com'], exportTo: ['*'] } }); }],
  ['8 exact egress', (ms) => {
    ms.push({ apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 's', namespace: 'ml' }, spec: {
      outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' }, egress: [{ hosts: ['./*', './westeurope.oic.prod-aks.azure.com'] }] } });
  }],
  ['8 exact egress', (ms) => {
    ms.push({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'se', namespace: 'ml' }, spec: { hosts: ['fraud.westeurope.inference.ml.azure.com'], exportTo: ['.'] } });
    ms.push({ apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 's', namespace: 'ml' }, spec: {
      outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' }, egress: [{ hosts: ['./*', './fraud.westeurope.inference.ml.azure.com'] }] } }); // no login host
  }],
  // a namespace with a ServiceEntry is under egress control: its Sidecar must refuse unknown hosts
  ['8 exact egress', (ms) => {
    ms.push({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'se', namespace: 'ml' }, spec: { hosts: ['login.microsoftonline.com'], exportTo: ['.'] } });
    ms.push({ apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 's', namespace: 'ml' }, spec: { egress: [{ hosts: ['./*'] }] } });
  }],
  ['8 exact egress', (ms) => {
    ms.push({ apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 's', namespace: 'ml' }, spec: {
      outboundTrafficPolicy: { mode: 'ALLOW_ANY' }, egress: [{ hosts: ['./*'] }] } });
  }],
  ['9 no secrets', (ms) => { ms.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } }); }],
  ['9 no secrets', (ms) => { delete find(ms, 'RequestAuthentication').spec.jwtRules[0].fromHeaders; }],
  ['9 no secrets', (ms) => { find(ms, 'RequestAuthentication').spec.jwtRules[0].fromParams = ['access_token']; }],
  ['9 no secrets', (ms) => { ms.push({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'x', namespace: 'ml' },
    spec: { hosts: ['m.westeurope.inference.ml.azure.com'], location: 'MESH_EXTERNAL', exportTo: ['.'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }] } }); }],
  ['12 second fence', (ms) => { find(ms, 'Namespace').metadata.labels = { 'istio-injection': 'disabled' }; }],
  ['12 second fence', (ms) => { ms.splice(ms.indexOf(find(ms, 'Namespace')), 1); }],
  ['12 second fence', (ms) => { find(ms, 'NetworkPolicy').spec.podSelector.matchLabels = { app: 'other' }; }],
  ['12 second fence', (ms) => { find(ms, 'NetworkPolicy').spec.ingress[0].from.push({ namespaceSelector: {} }); }],
  ['12 second fence', (ms) => { ms.push({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'ml' },
    spec: { template: { metadata: { annotations: { 'sidecar.istio.io/inject': 'false' } } } } }); }],
  ['13 scoped proxy config', (ms) => { ms.push({ apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 's', namespace: 'ml' },
    spec: { egress: [{ hosts: ['*/*'] }], outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } } }); }],
  // the endpoint admits the edge controller only: a route exported everywhere, or hidden from the edge
  ['13 scoped proxy config', (ms) => { find(ms, 'DestinationRule').spec.exportTo = ['*']; }],
  ['13 scoped proxy config', (ms) => { find(ms, 'VirtualService').spec.exportTo = ['.']; }],
  ['4 no open allow', (ms) => { find(ms, 'AuthorizationPolicy', 'ALLOW').spec.rules.push({ from: [{ source: { principals: ['cluster.local/ns/x/sa/y'] } }], to: [{ operation: { ports: ['8000'] } }] }); }],
  ['outlier detection ignores 5xx', (ms) => { delete find(ms, 'DestinationRule').spec.trafficPolicy.outlierDetection.consecutive5xxErrors; }],
  ['11 no empty policy strings', (ms) => { find(ms, 'AuthorizationPolicy', 'ALLOW').spec.rules[0].from[0].source.principals = ['']; }],
];

/** Gateway API edges: Istio's (a Gateway in its own namespace, token validation at the Gateway) and NGINX Gateway Fabric's. */
const goodGatewayApi = () => synthApp((app) => {
  const chart = new Chart(app, 'g', { namespace: 'ml' });
  new MeshNamespace(chart, 'Ns', { name: 'ml' });
  const common = {
    tenant: new EntraTenant({ tenantId: TID }),
    audiences: ['0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5'],
    callers: [Caller.appRole('A')],
  };
  new SecureMlEndpoint(chart, 'Istio', {
    ...common,
    backend: EndpointBackend.service({ name: 'm', port: 80, targetPort: 8080, selector: { app: 'm' } }),
    edge: Edge.istioGatewayApi({ host: 'm.contoso.com', tls: TlsCertificate.fromSecret('m-tls'), gateway: { namespace: 'edge' }, validateTokens: true }),
  });
  new SecureMlEndpoint(chart, 'Nginx', {
    ...common,
    backend: EndpointBackend.service({ name: 'n', port: 8080, targetPort: 8080, selector: { app: 'n' } }),
    edge: Edge.nginxGatewayFabric({ host: 'n.contoso.com', tls: TlsCertificate.fromSecret('n-tls'), gateway: { namespace: 'edge' } }),
  });
}).manifests;

const route = (ms: Manifest[], host: string, redirect = false) => ms.find((m) => m.kind === 'HTTPRoute' && m.spec.hostnames[0] === host &&
  (m.spec.rules[0].filters?.[0]?.type === 'RequestRedirect') === redirect)!;
const gatewayOf = (ms: Manifest[], className: string) => ms.find((m) => m.kind === 'Gateway' && m.spec.gatewayClassName === className)!;

const GATEWAY_API_BREAKS: Array<[string, Break]> = [
  ['1 token required', (ms) => { ms.splice(ms.findIndex((m) => m.kind === 'AuthorizationPolicy' && m.spec.action === 'DENY' && m.spec.targetRefs), 1); }],
  ['5 edges through the mesh', (ms) => { delete route(ms, 'm.contoso.com').spec.parentRefs[0].sectionName; }],
  ['5 edges through the mesh', (ms) => { route(ms, 'm.contoso.com').spec.parentRefs[0].sectionName = 'http'; }],
  ['5 edges through the mesh', (ms) => { route(ms, 'm.contoso.com', true).spec.rules[0].filters[0].requestRedirect.statusCode = 302; }],
  ['5 edges through the mesh', (ms) => { ms.splice(ms.indexOf(route(ms, 'n.contoso.com', true)), 1); }],
  ['5 edges through the mesh', (ms) => { gatewayOf(ms, 'istio').spec.listeners[0].tls.certificateRefs = []; }],
  ['5 edges through the mesh', (ms) => { const r = route(ms, 'n.contoso.com').spec.rules[0]; r.filters = r.filters.filter((f: any) => f.type !== 'URLRewrite'); }],
  ['5 edges through the mesh', (ms) => { route(ms, 'm.contoso.com').spec.rules[0].backendRefs[0].namespace = 'other'; }],
];

describe('invariant checks over Gateway API edges', () => {
  test('valid Gateway API edges pass every check', () => {
    for (const [name, check] of Object.entries(INVARIANTS)) expect([name, check(goodGatewayApi())]).toEqual([name, []]);
  });

  test.each(GATEWAY_API_BREAKS)('invariant %s flags a Gateway API manifest that breaks it', (name, breakIt) => {
    const ms = goodGatewayApi();
    breakIt(ms);
    expect(INVARIANTS[name](ms).length).toBeGreaterThan(0);
  });
});

describe('invariant checks', () => {
  test('a valid endpoint with an edge passes every check', () => {
    for (const [name, check] of Object.entries(INVARIANTS)) expect([name, check(good())]).toEqual([name, []]);
  });

  test('invariant 13 flags an Istio gateway\'s route hidden from the gateway, or exported everywhere', () => {
    const withGateway = () => good(() => Edge.istioGateway({ host: 'm.contoso.com', tls: TlsCertificate.fromSecret('m-tls') }));
    expect(INVARIANTS['13 scoped proxy config'](withGateway())).toEqual([]);
    for (const exportTo of [['.'], ['*']]) {
      const ms = withGateway();
      const route = ms.find((m) => m.kind === 'VirtualService' && m.metadata.namespace === 'ml' && m.spec.gateways?.length)!;
      route.spec.exportTo = exportTo;
      expect(INVARIANTS['13 scoped proxy config'](ms)).toEqual([expect.stringMatching(/is bound to \S+ but (not exported to|exported to every namespace)/)]);
    }
  });

  test('invariant 13 flags an egress gateway\'s route or DestinationRule exported to every namespace', () => {
    const withEgressGateway = () => synthApp((app) => {
      const chart = new Chart(app, 'c');
      const managed = new ManagedOnlineEndpoint(chart, 'M', {
        endpointName: 'churn',
        region: 'westeurope',
        workspace: AzureScope.mlWorkspace({ subscriptionId: '6c2f4e1a-9b8d-4c7e-a5f3-2d1b0e9c8a7f', resourceGroup: 'ml', workspace: 'ml-ws' }),
        tenant: new EntraTenant({ tenantId: TID }),
        egressGateway: { namespace: 'istio-egress', service: 'istio-egressgateway', selector: { istio: 'egressgateway' } },
      });
      managed.grantInvoke(new MeshIdentityBinding(chart, 'B', {
        identity: ManagedIdentity.existing({ clientId: '0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5', principalId: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a' }),
        oidcIssuerUrl: `https://westeurope.oic.prod-aks.azure.com/${TID}/1b2c3d4e-5f60-4a1b-9c2d-3e4f5a6b7c8d/`,
        namespace: 'jobs',
        serviceAccountName: 'job',
      }));
    }).manifests;
    expect(INVARIANTS['13 scoped proxy config'](withEgressGateway())).toEqual([]);
    for (const kind of ['VirtualService', 'DestinationRule']) {
      const ms = withEgressGateway();
      ms.find((m) => m.kind === kind && m.metadata.namespace === 'istio-egress')!.spec.exportTo = ['*'];
      expect(INVARIANTS['13 scoped proxy config'](ms)).toEqual(expect.arrayContaining([expect.stringMatching(/egress gateway.*exported to every namespace/)]));
    }
  });

  test('invariant 13 flags a Sidecar that does not import what its namespace is routed to or admitted by', () => {
    const app = (name: string, scope: (app: App) => void) => synthApp((a) => {
      TEST_APPS.find((t) => t.name.startsWith(name))!.build(a);
      scope(a);
    }).manifests;
    const scoped = () => app('scoped proxy config', () => {});
    const router = () => app('azureml-fe with model pods', (a) => new CallerSidecar(new Chart(a, 'scope'), 'S', { namespace: 'azureml' }));
    for (const ms of [scoped(), router()]) expect(INVARIANTS['13 scoped proxy config'](ms)).toEqual([]);
    // (a) the ranker's routes are exported to apps, whose Sidecar no longer imports it
    const a = scoped();
    const apps = a.find((m) => m.kind === 'Sidecar' && m.metadata.namespace === 'apps')!;
    apps.spec.egress[0].hosts = apps.spec.egress[0].hosts.filter((h: string) => !h.startsWith('models/ranker'));
    expect(INVARIANTS['13 scoped proxy config'](a)).toEqual(expect.arrayContaining([expect.stringMatching(/does not import models\/ranker\.models\.svc\.cluster\.local, whose DestinationRule is exported to apps/)]));
    // (b) the model pods admit azureml-fe, whose namespace's Sidecar no longer imports their namespace
    const b = router();
    const azureml = b.find((m) => m.kind === 'Sidecar' && m.metadata.namespace === 'azureml')!;
    azureml.spec.egress[0].hosts = azureml.spec.egress[0].hosts.filter((h: string) => h !== 'ml-endpoints/*');
    expect(INVARIANTS['13 scoped proxy config'](b)).toEqual([expect.stringMatching(/imports nothing of ml-endpoints, whose AuthorizationPolicy \S+ admits workloads of azureml/)]);
  });

  test.each(BREAKS)('invariant %s flags a manifest that breaks it', (name, breakIt) => {
    const ms = good();
    breakIt(ms);
    expect(INVARIANTS[name](ms).length).toBeGreaterThan(0);
  });
});

describe('invariant 7 check (the Azure plan)', () => {
  const plan = (ra: Partial<PlanRoleAssignment>): AzurePlanDocument => ({
    schemaVersion: 1, identities: [], federatedCredentials: [], roleDefinitions: [], meshOnlyGrants: [],
    roleAssignments: [{
      name: 'e0b53ead-f07c-5486-841d-4f1dfb742872',
      scope: '/subscriptions/6c2f4e1a-9b8d-4c7e-a5f3-2d1b0e9c8a7f/resourceGroups/ml/providers/Microsoft.KeyVault/vaults/kv',
      roleDefinitionId: '/subscriptions/6c2f4e1a-9b8d-4c7e-a5f3-2d1b0e9c8a7f/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6',
      roleName: 'Key Vault Secrets User',
      principalType: PrincipalType.SERVICE_PRINCIPAL,
      principalId: '9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b',
      requestedBy: ['x'],
      ...ra,
    }],
  });
  test('passes a narrow, fully named assignment', () => {
    expect(narrowRoleAssignments(plan({}))).toEqual([]);
  });
  test.each([
    ['a random (v4) name', { name: 'e0b53ead-f07c-4486-841d-4f1dfb742872' }],
    ['a bare role GUID', { roleDefinitionId: '4633458b-17de-408a-b874-0445c86b69e6' }],
    ['a subscription scope', { scope: '/subscriptions/6c2f4e1a-9b8d-4c7e-a5f3-2d1b0e9c8a7f' }],
    ['no principalType', { principalType: '' as PrincipalType }],
  ])('flags %s', (_name, ra) => {
    expect(narrowRoleAssignments(plan(ra)).length).toBeGreaterThan(0);
  });
});

describe('invariant 13 check (least privilege in the Azure plan)', () => {
  const SUB = '6c2f4e1a-9b8d-4c7e-a5f3-2d1b0e9c8a7f';
  const RG = `/subscriptions/${SUB}/resourceGroups/ml`;
  const INVOKER = `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/efcc2a95-06b9-5db2-b402-97133c3100bf`;
  const KV_USER = `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6`;
  const ENDPOINT = `${RG}/providers/Microsoft.MachineLearningServices/workspaces/ws/onlineEndpoints/fraud-scoring`;
  const VAULT = `${RG}/providers/Microsoft.KeyVault/vaults/kv`;
  const P = '9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b';
  const assignment = (ra: Partial<PlanRoleAssignment>): PlanRoleAssignment => ({
    name: 'e0b53ead-f07c-5486-841d-4f1dfb742872', scope: ENDPOINT, roleDefinitionId: INVOKER, roleName: 'Invoker',
    principalType: PrincipalType.SERVICE_PRINCIPAL, principalId: P, requestedBy: ['jobs/Fraud'], ...ra,
  });
  const plan = (...roleAssignments: PlanRoleAssignment[]): AzurePlanDocument => ({
    schemaVersion: 1, identities: [], federatedCredentials: [], meshOnlyGrants: [], roleAssignments,
    roleDefinitions: [{ name: 'efcc2a95-06b9-5db2-b402-97133c3100bf', id: INVOKER, roleName: 'Invoker', description: '', actions: ['Microsoft.MachineLearningServices/workspaces/onlineEndpoints/score/action'], assignableScopes: [`/subscriptions/${SUB}`] }],
  });
  // the manifests of a managed online endpoint reached from the mesh
  const managed: Manifest[] = [{ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'se', namespace: 'jobs' },
    spec: { hosts: ['fraud-scoring.westeurope.inference.ml.azure.com'], exportTo: ['.'] } }];

  test('passes the invoker role at a managed endpoint and Key Vault Secrets User at a vault or a secret', () => {
    expect(checkLeastPrivilege(plan(assignment({}), assignment({ name: 'b', scope: VAULT, roleDefinitionId: KV_USER })), managed)).toEqual([]);
    expect(checkLeastPrivilege(plan(assignment({ name: 'b', scope: `${VAULT}/secrets/tls`, roleDefinitionId: KV_USER })), [], { keyVaultSecretScopeOnly: true })).toEqual([]);
  });

  test.each<[string, AzurePlanDocument, Manifest[], RegExp, object]>([
    ['a role at an in-cluster endpoint (no managed endpoint reached)', plan(assignment({})), [], /no managed online endpoint "fraud-scoring" is reached/, {}],
    ['a broad role at a managed endpoint', plan(assignment({ roleDefinitionId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/f6c7c914-8db3-469d-8ca1-694a8f32e121` })), managed, /must allow only .*score\/action/, {}],
    ['a role at a resource group', plan(assignment({ scope: RG, roleDefinitionId: KV_USER.replace('4633458b-17de-408a-b874-0445c86b69e6', 'acdd72a7-3385-48ef-bd42-f606fba81ae7') })), [], /a subscription, resource group or workspace scope/, {}],
    ['Key Vault Secrets User outside a vault', plan(assignment({ scope: RG, roleDefinitionId: KV_USER })), [], /Key Vault Secrets User outside a Key Vault/, {}],
    ['Key Vault Secrets User at the whole vault (keyVaultSecretScopeOnly)', plan(assignment({ scope: VAULT, roleDefinitionId: KV_USER })), [], /scoped to the secret/, { keyVaultSecretScopeOnly: true }],
    ['an undeclared scope when scopes are declared', plan(assignment({ scope: `${RG}/providers/Microsoft.ContainerRegistry/registries/acr1`, roleDefinitionId: KV_USER.replace('4633458b-17de-408a-b874-0445c86b69e6', '7f951dda-4ed3-4680-a7ca-43fe172d538d') })), [], /a scope the declaration did not name/, { declaredScopes: [VAULT] }],
    ['a mesh-only grant that also got a role', { ...plan(assignment({ scope: VAULT, roleDefinitionId: KV_USER, requestedBy: ['fraud/Endpoint'] })),
      meshOnlyGrants: [{ endpoint: 'fraud/Endpoint', host: 'fraud.fraud.svc.cluster.local', caller: `workload:x|${P}`, principalType: PrincipalType.SERVICE_PRINCIPAL, principalId: P }] }, [], /mesh-only grant .* also has role assignment/, {}],
  ])('fails on %s', (_name, doc, ms, message, options) => {
    expect(checkLeastPrivilege(doc, ms, options).join('\n')).toMatch(message);
  });
});

describe('invariant 13 over every example and test app', () => {
  test.each([...EXAMPLES, ...TEST_APPS].map((e) => [e.name, e] as const))('%s assigns Azure roles only where Azure enforces them', (_name, entry) => {
    const { manifests } = synthApp((app) => entry.build(app));
    const app = Testing.app();
    entry.build(app);
    expect(checkLeastPrivilege(AzurePlan.of(app).toJson(), manifests)).toEqual([]);
  });
});
