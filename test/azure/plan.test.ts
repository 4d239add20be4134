import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApiObject, App, Chart, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import {
  AZURE_PLAN_FILE,
  AzurePlan,
  AzureRole,
  AzureScope,
  Caller,
  MESH_UUID_NAMESPACE,
  OUTDIR_CONTEXT,
  EndpointBackend,
  EntraPrincipal,
  Diagnostics,
  EntraTenant,
  ManagedIdentity,
  ManagedOnlineEndpoint,
  MeshIdentityBinding,
  PrincipalType,
  RESOLVED_IDENTITIES_CONTEXT,
  SecureMlEndpoint,
  roleAssignmentName,
} from '../../lib';
import { checkInvariants, checkLeastPrivilege } from '../invariants';
import { allowPolicy, synthApp } from '../util';

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const SUB = '6c2f4e1a-9b8d-4c7e-a5f3-2d1b0e9c8a7f';
const API = '0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5';
const ISSUER = `https://westeurope.oic.prod-aks.azure.com/${TID}/1b2c3d4e-5f60-4a1b-9c2d-3e4f5a6b7c8d/`;
const ENDPOINT = AzureScope.onlineEndpoint({ subscriptionId: SUB, resourceGroup: 'ml-prod', workspace: 'fraud-ws', endpoint: 'fraud-scoring' });
const VAULT = AzureScope.keyVault({ subscriptionId: SUB, resourceGroup: 'ml-prod', vault: 'fraud-kv' });
const IDS = [
  { clientId: '5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d', principalId: '9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b' },
  { clientId: '1a1a1a1a-2b2b-4c3c-8d4d-5e5e5e5e5e5e', principalId: '2b2b2b2b-3c3c-4d4d-9e5e-6f6f6f6f6f6f' },
  { clientId: '3c3c3c3c-4d4d-4e5e-af6f-7a7a7a7a7a7a', principalId: '4d4d4d4d-5e5e-4f6f-8a7a-8b8b8b8b8b8b' },
];

/** An in-cluster endpoint: its grants are mesh-only. */
function endpoint(chart: Chart, extra: { azureScope?: AzureScope } = {}): SecureMlEndpoint {
  return new SecureMlEndpoint(chart, 'Endpoint', {
    backend: EndpointBackend.service({ name: 'fraud', port: 80, selector: { app: 'fraud' } }),
    tenant: new EntraTenant({ tenantId: TID }),
    audiences: [API],
    callers: [Caller.appRole('Fraud.Score')],
    ...extra,
  });
}

/** The managed online endpoint `fraud-scoring` (scope ENDPOINT): Azure enforces its invoker role. */
function managed(chart: Chart): ManagedOnlineEndpoint {
  return new ManagedOnlineEndpoint(chart, 'Managed', {
    endpointName: 'fraud-scoring', region: 'westeurope', tenant: new EntraTenant({ tenantId: TID }),
    workspace: AzureScope.mlWorkspace({ subscriptionId: SUB, resourceGroup: 'ml-prod', workspace: 'fraud-ws' }),
  });
}

function binding(chart: Chart, i: number, identity = ManagedIdentity.existing(IDS[i])): MeshIdentityBinding {
  return new MeshIdentityBinding(chart, `Binding${i}`, { identity, oidcIssuerUrl: ISSUER, serviceAccountName: `scorer-${i}` });
}

/** Builds an app with three bindings granted in the given order. */
function app(order: number[], grantTwice = false, declare: number[] = [0, 1, 2]) {
  return (a: App) => {
    const fraud = new Chart(a, 'fraud', { namespace: 'fraud' });
    const batch = new Chart(a, 'batch', { namespace: 'batch' });
    const ep = endpoint(fraud);
    const online = managed(fraud);
    const bindings: MeshIdentityBinding[] = [];
    for (const i of declare) bindings[i] = binding(batch, i);
    for (const i of order) {
      for (let n = 0; n < (grantTwice ? 2 : 1); n++) {
        ep.grantInvoke(bindings[i]);
        online.grantInvoke(bindings[i]);
        bindings[i].grantRole(AzureRole.KEY_VAULT_SECRETS_USER, VAULT);
      }
    }
  };
}

function plan(build: (a: App) => void) {
  const a = Testing.app();
  const meshdir = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-mesh-plan-'));
  a.node.setContext(OUTDIR_CONTEXT, meshdir);
  build(a);
  a.synth();
  return { json: fs.readFileSync(path.join(meshdir, AZURE_PLAN_FILE), 'utf8'), yaml: a.synthYaml(), outdir: a.outdir, meshdir };
}

describe('AzurePlan', () => {
  test('synth writes azure-plan.json to the library\'s output folder, not among the manifests', () => {
    const { json, outdir, meshdir } = plan(app([0, 1, 2]));
    expect(fs.readdirSync(outdir).sort()).toEqual(['batch.k8s.yaml', 'fraud.k8s.yaml', 'mesh-egress-batch.k8s.yaml']);
    expect(fs.readdirSync(meshdir).sort()).toEqual(['access-map.json', 'access-map.md', 'access-map.mmd', 'azure-plan.json', 'diagnostics.json', 'diagnostics.sarif']);
    const doc = JSON.parse(json);
    expect(doc.schemaVersion).toBe(1);
    expect(doc.identities).toHaveLength(3);
    expect(doc.federatedCredentials).toHaveLength(3);
    // 3 invoker roles at the managed endpoint + 3 Key Vault roles; the in-cluster grants are mesh-only
    expect(doc.roleAssignments).toHaveLength(6);
    expect(doc.roleDefinitions).toHaveLength(1);
    expect(doc.meshOnlyGrants).toHaveLength(3);
  });

  test('invoke assignments: custom role, endpoint scope, ServicePrincipal, UUID v5 names', () => {
    const doc = JSON.parse(plan(app([0, 1, 2])).json);
    const invoker = AzureRole.endpointInvoker().roleDefinitionId(SUB);
    const invokes = doc.roleAssignments.filter((r: any) => r.roleDefinitionId === invoker);
    expect(invokes).toHaveLength(3);
    for (const r of invokes) {
      expect(r.scope).toBe(ENDPOINT.id);
      expect(r.principalType).toBe('ServicePrincipal');
      expect(r.name).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(r.name).toBe(roleAssignmentName(ENDPOINT, `principal:${r.principalId}`, invoker));
    }
    // never the broad built-in role
    expect(doc.roleAssignments.some((r: any) => r.roleDefinitionId.endsWith(AzureRole.AZUREML_DATA_SCIENTIST.guid(SUB)))).toBe(false);
    // the custom role: score only; assignable in the subscription (one definition per subscription,
    // identical across apps), while every assignment stays at the endpoint
    expect(doc.roleDefinitions[0]).toEqual({
      name: AzureRole.endpointInvoker().guid(SUB),
      id: invoker,
      roleName: `AzureML Online Endpoint Invoker (${SUB})`,
      description: expect.any(String),
      actions: ['Microsoft.MachineLearningServices/workspaces/onlineEndpoints/score/action'],
      assignableScopes: [`/subscriptions/${SUB}`],
    });
  });

  test('golden: role assignment names are pinned (stable across runs and releases)', () => {
    const invoker = AzureRole.endpointInvoker().roleDefinitionId(SUB);
    expect(roleAssignmentName(ENDPOINT, `principal:${IDS[0].principalId}`, invoker)).toBe('e0b53ead-f07c-5486-841d-4f1dfb742872');
    expect(roleAssignmentName(VAULT, `principal:${IDS[0].principalId}`, AzureRole.KEY_VAULT_SECRETS_USER.roleDefinitionId(SUB)))
      .toBe('bff229a6-148d-5af5-82aa-9a0e6b4c6e1b');
    // the same value from RFC 4122 section 4.3 computed independently (SHA-1 of namespace + name)
    const name = `${ENDPOINT.id.toLowerCase()}|principal:${IDS[0].principalId}|${invoker.toLowerCase()}`;
    const h = createHash('sha1').update(Buffer.from(MESH_UUID_NAMESPACE.replace(/-/g, ''), 'hex')).update(name).digest();
    h[6] = (h[6] & 0x0f) | 0x50;
    h[8] = (h[8] & 0x3f) | 0x80;
    const hex = h.subarray(0, 16).toString('hex');
    expect(`${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`).toBe('e0b53ead-f07c-5486-841d-4f1dfb742872');
    // case of the scope or principal does not matter
    expect(roleAssignmentName(AzureScope.parse(ENDPOINT.id.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/')), `principal:${IDS[0].principalId.toUpperCase()}`, invoker))
      .toBe(roleAssignmentName(ENDPOINT, `principal:${IDS[0].principalId}`, invoker));
  });

  test('permuting the declaration order of bindings and of grants changes no byte of manifests or plan', () => {
    const a = plan(app([0, 1, 2]));
    for (const order of [[2, 1, 0], [1, 2, 0], [0, 2, 1]]) {
      const b = plan(app(order, false, [...order].reverse()));
      expect(b.json).toBe(a.json);
      expect(b.yaml).toBe(a.yaml);
    }
  });

  test('bindings declared around other objects of their chart: their order still changes no byte', () => {
    // binding, endpoint, binding, binding in one chart; only the bindings swap places
    const build = (declare: number[]) => (a: App) => {
      const batch = new Chart(a, 'batch', { namespace: 'batch' });
      const bindings: MeshIdentityBinding[] = [];
      bindings[declare[0]] = binding(batch, declare[0]);
      const ep = endpoint(batch);
      for (const i of declare.slice(1)) bindings[i] = binding(batch, i);
      for (const i of [0, 1, 2]) ep.grantInvoke(bindings[i]);
    };
    const a = plan(build([0, 1, 2]));
    const kinds = synthApp(build([0, 1, 2])).manifests.map((m) => `${m.kind}/${m.metadata.name}`);
    // the ServiceAccounts are one block in name order, in the place of the first binding declared
    expect(kinds.filter((k) => k.startsWith('ServiceAccount/'))).toEqual(['ServiceAccount/scorer-0', 'ServiceAccount/scorer-1', 'ServiceAccount/scorer-2']);
    expect(kinds.slice(0, 3)).toEqual(['ServiceAccount/scorer-0', 'ServiceAccount/scorer-1', 'ServiceAccount/scorer-2']);
    for (const order of [[2, 1, 0], [1, 0, 2], [2, 0, 1]]) {
      const b = plan(build(order));
      expect(b.yaml).toBe(a.yaml);
      expect(b.json).toBe(a.json);
    }
  });

  test('a binding added after a first synthesis still lands in name order', () => {
    const fresh = Testing.app();
    const batch = new Chart(fresh, 'batch', { namespace: 'batch' });
    for (const i of [0, 1, 2]) binding(batch, i);
    const expected = fresh.synthYaml();

    const again = Testing.app();
    const chart = new Chart(again, 'batch', { namespace: 'batch' });
    binding(chart, 1);
    binding(chart, 2);
    again.synthYaml();
    binding(chart, 0);
    expect(again.synthYaml()).toBe(expected);
  });

  test('a binding inside a construct of the user: its ServiceAccounts come after that construct\'s objects', () => {
    const order = synthApp((a) => {
      const chart = new Chart(a, 'batch', { namespace: 'batch' });
      const group = new Construct(chart, 'Scorers');
      new MeshIdentityBinding(group, 'Binding1', { identity: ManagedIdentity.existing(IDS[1]), oidcIssuerUrl: ISSUER, serviceAccountName: 'scorer-1' });
      new ApiObject(group, 'Config', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'scorer-config' } });
      binding(chart, 0);
      new ApiObject(chart, 'Later', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'later' } });
    }).manifests.map((m) => `${m.kind}/${m.metadata.name}`);
    expect(order).toEqual(['ConfigMap/scorer-config', 'ServiceAccount/scorer-0', 'ServiceAccount/scorer-1', 'ConfigMap/later']);
  });

  test('granting twice yields one rule and one assignment', () => {
    const once = plan(app([0, 1, 2]));
    const twice = plan(app([0, 1, 2], true));
    expect(twice.json).toBe(once.json);
    expect(twice.yaml).toBe(once.yaml);
  });

  test('the ALLOW rule of a workload requires the mesh principal AND the oid', () => {
    const { manifests } = synthApp(app([1]));
    expect(allowPolicy(manifests).spec.rules).toContainEqual({
      from: [{ source: { principals: ['cluster.local/ns/batch/sa/scorer-1'], requestPrincipals: [`https://login.microsoftonline.com/${TID}/v2.0/*`] } }],
      when: [{ key: 'request.auth.claims[oid]', values: [IDS[1].principalId] }],
    });
    expect(checkInvariants(manifests, { except: ['12 second fence'] })).toEqual([]);
  });

  test('identities to be created: explicit references in the plan, no placeholder in manifests', () => {
    const created = ManagedIdentity.create({ name: 'feature-svc', resourceGroup: 'ml-prod', subscriptionId: SUB, location: 'westeurope' });
    const build = (a: App) => {
      const fraud = new Chart(a, 'fraud', { namespace: 'fraud' });
      const b = binding(new Chart(a, 'batch', { namespace: 'batch' }), 0, created);
      managed(fraud).grantInvoke(b);
      endpoint(fraud).grantInvoke(b);
    };
    const { json, yaml } = plan(build);
    const doc = JSON.parse(json);
    expect(doc.identities).toEqual([{
      ref: created.ref,
      create: true,
      name: 'feature-svc',
      resourceGroup: 'ml-prod',
      subscriptionId: SUB,
      location: 'westeurope',
      resourceId: `/subscriptions/${SUB}/resourceGroups/ml-prod/providers/Microsoft.ManagedIdentity/userAssignedIdentities/feature-svc`,
    }]);
    expect(doc.roleAssignments[0]).toMatchObject({ principalType: 'ServicePrincipal', principalRef: created.ref });
    expect(doc.roleAssignments[0].principalId).toBeUndefined();
    expect(doc.meshOnlyGrants).toEqual([{ endpoint: 'fraud/Endpoint', host: 'fraud.fraud.svc.cluster.local', caller: 'workload:cluster.local/ns/batch/sa/scorer-0',
      principalType: 'ServicePrincipal', principalRef: created.ref }]);
    expect(yaml).not.toMatch(/azure\.workload\.identity\/client-id/);
    expect(yaml).not.toMatch(/request\.auth\.claims\[oid\]/);
    expect(yaml).not.toMatch(/\$\{|<.*>|TODO|PLACEHOLDER/i);

    // resolved by a deployment tool through the app context: same assignment name, ids filled in
    const resolved = (a: App) => {
      a.node.setContext(RESOLVED_IDENTITIES_CONTEXT, { [created.ref]: IDS[2] });
      build(a);
    };
    const r = plan(resolved);
    const rdoc = JSON.parse(r.json);
    expect(rdoc.roleAssignments[0].name).toBe(doc.roleAssignments[0].name);
    expect(rdoc.roleAssignments[0].principalId).toBe(IDS[2].principalId);
    expect(rdoc.meshOnlyGrants[0]).toMatchObject({ principalRef: created.ref, principalId: IDS[2].principalId });
    expect(r.yaml).toMatch(`azure.workload.identity/client-id: ${IDS[2].clientId}`);
    expect(r.yaml).toMatch(IDS[2].principalId);
  });

  test('no secrets in the plan', () => {
    expect(plan(app([0, 1, 2])).json).not.toMatch(/secret"|password|key"\s*:|eyJ/i);
  });

  test('grantInvoke to Entra users, groups and service principals: caller rule and principalType, mesh-only', () => {
    const GROUP = '12345678-1234-4234-8234-123456789abc';
    const USER = 'abcdef01-2345-4678-9abc-def012345678';
    const build = (a: App) => {
      const ep = endpoint(new Chart(a, 'fraud', { namespace: 'fraud' }));
      ep.grantInvoke(EntraPrincipal.group(GROUP));
      ep.grantInvoke(EntraPrincipal.user(USER));
      ep.grantInvoke(EntraPrincipal.servicePrincipal(IDS[0].principalId));
    };
    const { json } = plan(build);
    const doc = JSON.parse(json);
    expect(doc.roleAssignments).toEqual([]);
    const byType = Object.fromEntries(doc.meshOnlyGrants.map((r: any) => [r.principalType, r.principalId]));
    expect(byType).toEqual({ Group: GROUP, User: USER, ServicePrincipal: IDS[0].principalId });
    const rules = allowPolicy(synthApp(build).manifests).spec.rules.map((r: any) => r.when[0]);
    expect(rules).toEqual(expect.arrayContaining([
      { key: 'request.auth.claims[groups]', values: [GROUP] },
      // the user and the service principal: one rule with both object ids (the same source, one claim's values)
      { key: 'request.auth.claims[oid]', values: [USER, IDS[0].principalId].sort() },
    ]));
  });

  test('an in-cluster endpoint\'s grant is mesh-only: the ALLOW rule, no role assignment, one meshOnlyGrants entry (issue 11, item 12)', () => {
    const build = (a: App) => {
      const ep = endpoint(new Chart(a, 'fraud', { namespace: 'fraud' }));
      const b = binding(new Chart(a, 'batch', { namespace: 'batch' }), 1);
      expect(ep.grantInvoke(b)).toBeUndefined();
      ep.grantInvoke(b);
    };
    const a = Testing.app();
    build(a);
    const { manifests } = synthApp(build);
    expect(allowPolicy(manifests).spec.rules).toContainEqual(expect.objectContaining({
      from: [{ source: { principals: ['cluster.local/ns/batch/sa/scorer-1'], requestPrincipals: [`https://login.microsoftonline.com/${TID}/v2.0/*`] } }],
    }));
    const doc = AzurePlan.of(a).toJson();
    expect(doc.roleAssignments).toEqual([]);
    expect(doc.roleDefinitions).toEqual([]);
    expect(doc.meshOnlyGrants).toEqual([{
      endpoint: 'fraud/Endpoint', host: 'fraud.fraud.svc.cluster.local', caller: `workload:cluster.local/ns/batch/sa/scorer-1|${IDS[1].principalId}`,
      principalType: 'ServicePrincipal', principalId: IDS[1].principalId,
    }]);
    expect(checkLeastPrivilege(doc, manifests)).toEqual([]);
    expect(Diagnostics.of(a).warnings).toEqual([]);
  });

  test('azureml-fe (a Kubernetes online endpoint) gets no role either: azureScope is recorded, not assigned, and warns', () => {
    const a = Testing.app();
    const ep = new SecureMlEndpoint(new Chart(a, 'aml'), 'Router', {
      backend: EndpointBackend.azureMlKubernetes(),
      tenant: new EntraTenant({ tenantId: TID }),
      audiences: [API],
      tokenHeader: 'x-mesh-authorization',
      azureScope: ENDPOINT,
    });
    ep.grantInvoke(binding(new Chart(a, 'batch', { namespace: 'batch' }), 0));
    a.synthYaml();
    const doc = AzurePlan.of(a).toJson();
    expect(doc.roleAssignments).toEqual([]);
    expect(doc.meshOnlyGrants).toEqual([expect.objectContaining({ endpoint: 'aml/Router', host: 'azureml-fe.azureml.svc.cluster.local', azureScope: ENDPOINT.id })]);
    expect(Diagnostics.of(a).warnings.filter((w) => w.field.startsWith('azureScope')).map((w) => w.message)).toEqual([
      expect.stringMatching(/^azureScope is set, but grantInvoke on an in-cluster endpoint assigns no Azure role: .*meshOnlyGrants\); remove azureScope$/),
    ]);
  });

  test('user and group principals keep their principalType', () => {
    const a = Testing.app();
    const chart = new Chart(a, 'c');
    AzurePlan.of(chart).addRoleAssignment({ scope: VAULT, role: AzureRole.READER, principal: { principalId: IDS[0].principalId, principalType: PrincipalType.GROUP } }, chart);
    expect(AzurePlan.of(chart).toJson().roleAssignments[0].principalType).toBe('Group');
  });
});
