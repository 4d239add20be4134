import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { EXAMPLES } from '../../examples';
import { TEST_APPS } from '../apps';
import { Caller, EndpointBackend, EntraTenant, SecureMlEndpoint, TokenVersion } from '../../lib';
import { AccessModel } from '../../lib/access/model';
import { accessMapFromManifests } from '../../lib/access/from-manifests';
import { ManifestSet } from '../../lib/access/manifests';
import { synthApp, allowPolicy } from '../util';

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const GUID = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const V1 = `https://sts.windows.net/${TID}/`;
const V2 = `https://login.microsoftonline.com/${TID}/v2.0`;

function model(build: (app: ReturnType<typeof Testing.app>) => void) {
  const app = Testing.app();
  build(app);
  return AccessModel.of(app);
}

describe('the access model', () => {
  test('fraud-scoring: one row per declared caller, through its door, on the declared operation', () => {
    const rows = model((app) => EXAMPLES.find((e) => e.name === 'fraud-scoring')!.build(app)).rows();
    expect(rows).toEqual([
      {
        endpoint: 'fraud/fraud-model', door: 'edge fraud.contoso.com', caller: 'appRole Fraud.Score',
        principal: 'cluster.local/ns/fraud-edge/sa/fraud-edge-istio', token: 'roles=Fraud.Score', paths: ['/score'], methods: ['POST'], azureRole: '-',
      },
      {
        endpoint: 'fraud/fraud-model', door: 'edge fraud.contoso.com', caller: 'application 3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
        principal: 'cluster.local/ns/fraud-edge/sa/fraud-edge-istio', token: 'azp=3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d', paths: ['/score'], methods: ['POST'], azureRole: '-',
      },
      {
        endpoint: 'fraud/fraud-model', door: 'mesh', caller: 'workload cluster.local/ns/batch/sa/batch-scorer',
        principal: 'cluster.local/ns/batch/sa/batch-scorer', token: 'oid=9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b', paths: ['/score'], methods: ['POST'], azureRole: '-',
      },
    ]);
  });

  test('the managed endpoint: the egress door and the invoker role on the endpoint, checked by Azure', () => {
    const [row] = model((app) => EXAMPLES.find((e) => e.name === 'managed-endpoint')!.build(app)).rows();
    expect(row.door).toBe('egress');
    expect(row.token).toBe('azure');
    expect(row.azureRole).toMatch(/^AzureML Online Endpoint Invoker .* on \/subscriptions\/.*\/onlineEndpoints\/churn-model$/);
  });

  test('both token versions: one requirement per distinct condition (application: appid for v1, azp for v2)', () => {
    let endpoint!: SecureMlEndpoint;
    model((app) => {
      endpoint = new SecureMlEndpoint(new Chart(app, 'c'), 'E', {
        backend: EndpointBackend.service({ name: 'm', namespace: 'ml', port: 8080, selector: { app: 'm' } }),
        tenant: new EntraTenant({ tenantId: TID, tokenVersion: TokenVersion.BOTH }),
        audiences: [GUID],
        callers: [Caller.application(GUID), Caller.appRole('Score')],
      });
    });
    const [role, application] = endpoint.access.grants;
    expect(application.requirements).toEqual([
      { issuers: [V1], claims: [{ claim: 'appid', value: GUID }] },
      { issuers: [V2], claims: [{ claim: 'azp', value: GUID }] },
    ]);
    expect(role.requirements).toEqual([{ issuers: [V1, V2], claims: [{ claim: 'roles', value: 'Score' }] }]);
    expect(endpoint.access.doors).toEqual([{ kind: 'mesh' }]);
    // the row: any peer of the mesh, with either token
    const rows = AccessModel.of(endpoint).rows();
    expect(rows.map((r) => [r.caller, r.principal, r.token])).toEqual([
      ['appRole Score', '*', 'roles=Score'],
      [`application ${GUID}`, '*', `appid=${GUID} or azp=${GUID}`],
    ]);
  });

  test('azureml-fe: callers reach every port but the router\'s, the router reaches only those, without a token', () => {
    const app = TEST_APPS.find((a) => /azureml/i.test(a.name));
    expect(app).toBeDefined();
    const rows = model((a) => app!.build(a)).rows();
    const router = rows.find((r) => r.caller === 'azureml-fe router');
    expect(router).toMatchObject({ token: 'none', door: 'mesh' });
    expect(rows.filter((r) => r.caller !== 'azureml-fe router').every((r) => r.token !== 'none')).toBe(true);
  });

  test('the ALLOW policy is the model rendered: every grant requirement is one rule (every example and test app)', () => {
    for (const a of [...EXAMPLES, ...TEST_APPS]) {
      const app = Testing.app();
      a.build(app);
      const endpoints = AccessModel.of(app).endpoints.filter((e) => e.kind !== 'managed-online');
      const { manifests } = synthApp((x) => a.build(x));
      for (const e of endpoints) {
        const policy = manifests.find((m) => m.kind === 'AuthorizationPolicy' && m.metadata.namespace === e.namespace
          && m.spec.action === 'ALLOW' && JSON.stringify(m.spec.selector?.matchLabels) === JSON.stringify(e.pods));
        expect(policy).toBeDefined();
        expect(policy!.spec.rules).toHaveLength(new Set(e.grants.flatMap((g) => g.requirements.map((r) => JSON.stringify([r, g.ports])))).size);
      }
    }
  });

  test('rows and the document do not depend on the order callers were declared in', () => {
    const build = (order: Caller[]) => (app: ReturnType<typeof Testing.app>) => new SecureMlEndpoint(new Chart(app, 'c'), 'E', {
      backend: EndpointBackend.service({ name: 'm', namespace: 'ml', port: 8080, selector: { app: 'm' } }),
      tenant: new EntraTenant({ tenantId: TID }),
      audiences: [GUID],
      callers: order,
    });
    const callers = [Caller.appRole('A'), Caller.group(GUID), Caller.workload({ meshPrincipal: 'cluster.local/ns/b/sa/s' })];
    const a = model(build(callers)).toJson();
    const b = model(build([...callers].reverse())).toJson();
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(allowPolicy(synthApp(build(callers)).manifests).spec.rules).toHaveLength(3);
  });

  test('callers say who, not how: caller.ts imports no generated Istio type, the Azure plan no identity construct', () => {
    const src = (f: string) => fs.readFileSync(path.join(__dirname, '../../lib', f), 'utf8');
    expect(src('callers/caller.ts')).not.toMatch(/from '\.\.\/imports\//);
    expect(src('azure/plan.ts')).not.toMatch(/from '\.\.\/identity\//);
    expect(src('access/model.ts')).not.toMatch(/from '\.\.\/(imports|mesh|edge)\//);
  });

  test('the map from the declaration agrees with the map read back from the manifests alone (every example and test app)', () => {
    // from manifests alone, doors of controllers installed elsewhere (F5, ingress-nginx, shared Gateways) read `mesh`,
    // and a Service the app does not write reads as its pods: compare who, with which token, on which operations
    const who = (r: { principal: string; token: string; paths: readonly string[]; methods: readonly string[] }) => JSON.stringify([r.principal, r.token, r.paths, r.methods]);
    for (const a of [...EXAMPLES, ...TEST_APPS]) {
      const declared = model((app) => a.build(app)).rows().filter((r) => r.token !== 'azure');
      const read = accessMapFromManifests(ManifestSet.fromObjects(synthApp((app) => a.build(app)).manifests));
      const readWho = new Set(read.map(who));
      for (const row of declared) expect([a.name, readWho.has(who(row))]).toEqual([a.name, true]);
    }
    // where the manifests hold every door, the two maps are the same rows but for the declared caller names
    const fraud = EXAMPLES.find((e) => e.name === 'fraud-scoring')!;
    const strip = (r: { endpoint: string; door: string }) => JSON.stringify([r.endpoint, r.door, who(r as never)]);
    expect(accessMapFromManifests(ManifestSet.fromObjects(synthApp((app) => fraud.build(app)).manifests)).map(strip).sort())
      .toEqual(model((app) => fraud.build(app)).rows().map(strip).sort());
  });

  test('app.synth() writes the access map beside the manifests (Markdown, JSON, Mermaid), byte-identical across runs', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'access-map-'));
    const run = () => {
      const app = Testing.app({ outdir: path.join(dir, 'dist') });
      app.node.setContext('cdk8s-azureml-mesh/outdir', path.join(dir, 'out'));
      EXAMPLES.find((e) => e.name === 'fraud-scoring')!.build(app);
      app.synth();
      return ['access-map.md', 'access-map.json', 'access-map.mmd'].map((f) => fs.readFileSync(path.join(dir, 'out', f), 'utf8'));
    };
    const [md, json, mmd] = run();
    expect(run()).toEqual([md, json, mmd]);
    expect(fs.readdirSync(path.join(dir, 'dist')).some((f) => f.startsWith('access-map'))).toBe(false);
    expect(md).toContain('| fraud/fraud-model | edge fraud.contoso.com | appRole Fraud.Score | cluster.local/ns/fraud-edge/sa/fraud-edge-istio | roles=Fraud.Score | /score | POST | - |');
    expect(JSON.parse(json).rows).toHaveLength(3);
    expect(mmd).toMatch(/^flowchart LR\n/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
