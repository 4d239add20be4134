/** The invariant checks themselves: each flags a manifest that breaks it. */
import { Chart } from 'cdk8s';
import { AzurePlanDocument, Caller, Edge, EndpointBackend, EntraTenant, MeshNamespace, PlanRoleAssignment, PrincipalType, SecureMlEndpoint, TlsCertificate } from '../../lib';
import { Manifest, synthApp } from '../util';
import { INVARIANTS, narrowRoleAssignments } from './index';

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const good = () => synthApp((app) => {
  const chart = new Chart(app, 'c', { namespace: 'ml' });
  new MeshNamespace(chart, 'Ns', { name: 'ml' });
  new SecureMlEndpoint(chart, 'E', {
    backend: EndpointBackend.service({ name: 'm', port: 80, selector: { app: 'm' } }),
    tenant: new EntraTenant({ tenantId: TID }),
    audiences: ['0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5'],
    callers: [Caller.appRole('A')],
    edge: Edge.ingressNginx({ host: 'm.contoso.com', tls: TlsCertificate.fromSecret('m-tls') }),
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
  ['4 no open allow', (ms) => { find(ms, 'AuthorizationPolicy', 'ALLOW').spec.rules.push({ from: [{ source: { principals: ['cluster.local/ns/x/sa/y'] } }], to: [{ operation: { ports: ['8000'] } }] }); }],
  ['outlier detection ignores 5xx', (ms) => { delete find(ms, 'DestinationRule').spec.trafficPolicy.outlierDetection.consecutive5xxErrors; }],
  ['11 no empty policy strings', (ms) => { find(ms, 'AuthorizationPolicy', 'ALLOW').spec.rules[0].from[0].source.principals = ['']; }],
];

describe('invariant checks', () => {
  test('a valid endpoint with an edge passes every check', () => {
    for (const [name, check] of Object.entries(INVARIANTS)) expect([name, check(good())]).toEqual([name, []]);
  });

  test.each(BREAKS)('invariant %s flags a manifest that breaks it', (name, breakIt) => {
    const ms = good();
    breakIt(ms);
    expect(INVARIANTS[name](ms).length).toBeGreaterThan(0);
  });
});

describe('invariant 7 check (the Azure plan)', () => {
  const plan = (ra: Partial<PlanRoleAssignment>): AzurePlanDocument => ({
    schemaVersion: 1, identities: [], federatedCredentials: [], roleDefinitions: [],
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
