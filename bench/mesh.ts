/**
 * Runtime-cost benchmark (issue 16; not a test): the Envoy configuration that
 * Istio's own control-plane code builds for the proxies of an app rendered by
 * this library.
 *
 *   npm run bench:mesh                       (sizes 10,100,1000; writes bench/MESH.md)
 *   BENCH_MESH_SIZES=10,100 npm run bench:mesh   (a quicker run; MESH.md is written only for the full set)
 *
 * For apps of 10, 100 and 1,000 endpoints (bench/mesh-app.ts) and three
 * variants of each, in the same run:
 *   sidecar — ours, with a CallerSidecar for every caller namespace `client-<i>`;
 *   ours    — ours, without CallerSidecar;
 *   star    — the `ours` output with every VirtualService/DestinationRule
 *             `spec.exportTo` set to ["*"] (what the library emitted before).
 * it synthesizes the app, adds the cluster around it (the Services the
 * backends name, the gateway's Service) and runs bench/mesh (Go, Istio's
 * config generator at the harness's version) for three proxies:
 *   caller   — a pod in `client-0` with the binding's ServiceAccount (calls endpoint 0);
 *   endpoint — a pod of endpoint 0 (`model-0`, its selector's labels + version blue);
 *   gateway  — the AKS external ingress gateway (router).
 * Then one endpoint with 2 and with 20 callers of one kind (appRole, group,
 * workload) for the endpoint proxy's RBAC bytes.
 *
 * Needs Node and Go (modules from the Go module proxy on a first run, pinned
 * by bench/mesh/go.sum). Intermediate files go to bench/mesh/.out/ (ignored).
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { App } from 'cdk8s';
import { Node } from 'constructs';
import { parseAllDocuments } from 'yaml';
import { CALLER_SERVICE_ACCOUNT, CallerKind, MODEL_PORT, MODEL_SELECTOR, buildCallersApp, buildMeshApp } from './mesh-app';
import { AKS_ISTIO_EXTERNAL_GATEWAY } from '../lib';

process.env.CDK8S_AZUREML_MESH_PRINT_WARNINGS = 'false';

const ROOT = path.join(__dirname, 'mesh');
const OUT = path.join(ROOT, '.out');
const BIN = path.join(ROOT, '.bin', process.platform === 'win32' ? 'meshgen.exe' : 'meshgen');
const FULL_SIZES = [10, 100, 1000];
const SIZES = (process.env.BENCH_MESH_SIZES ?? FULL_SIZES.join(',')).split(',').map(Number);
const FEW = 2;
const MANY = 20;

type Variant = 'sidecar' | 'ours' | 'star';
const VARIANTS: Variant[] = ['sidecar', 'ours', 'star'];
const VARIANT_LABEL: Record<Variant, string> = {
  sidecar: 'ours + CallerSidecar',
  ours: 'ours (no Sidecar)',
  star: 'exportTo ["*"] (no Sidecar)',
};
type ProxyName = 'caller' | 'endpoint' | 'gateway';

interface ProxySpec { name: ProxyName; namespace: string; labels: Record<string, string>; serviceAccount: string; type: 'sidecar' | 'router'; ip: string }
interface Part { count: number; bytes: number }
interface ProxyResult {
  name: ProxyName;
  clusters: Part;
  listeners: Part;
  routes: { configs: number; virtualHosts: number; routes: number; bytes: number };
  filterChains: number;
  totalBytes: number;
  rbacBytes: number;
  rbacFilters: number;
  serviceTargets: number;
  gatewayServers: number;
}
interface GenResult { istio: string; sizeUnit: string; istioConfigs: Record<string, number>; kubeObjects: Record<string, number>; generated: Record<string, number>; ignored: Record<string, number>; proxies: ProxyResult[] }
interface Case { id: string; dir: string; proxies: ProxySpec[]; result?: GenResult; seconds?: number }

const CALLER: ProxySpec = { name: 'caller', namespace: 'client-0', labels: { app: 'scorer' }, serviceAccount: CALLER_SERVICE_ACCOUNT, type: 'sidecar', ip: '10.250.0.1' };
const ENDPOINT: ProxySpec = { name: 'endpoint', namespace: 'model-0', labels: { ...MODEL_SELECTOR, version: 'blue' }, serviceAccount: 'model', type: 'sidecar', ip: '10.250.0.2' };
const GATEWAY: ProxySpec = {
  name: 'gateway', namespace: AKS_ISTIO_EXTERNAL_GATEWAY.namespace, labels: { ...AKS_ISTIO_EXTERNAL_GATEWAY.selector },
  serviceAccount: AKS_ISTIO_EXTERNAL_GATEWAY.serviceAccount, type: 'router', ip: '10.250.0.3',
};

type Doc = Record<string, any>;

/**
 * Synthesizes an app to its objects. cdk8s validates the whole app once in
 * `app.synthYaml()` and again in every `chart.toJson()`, and CallerSidecar
 * puts each namespace's Sidecar in a chart of its own (`mesh-egress-<ns>`)
 * whose warning check walks the whole tree: plain synthesis of the
 * 1,000-endpoint app with CallerSidecar is O(N^3) and does not finish in
 * minutes. So by default each construct's `node.validate()` runs once per
 * synthesis here (memoized; the tree does not change between the per-chart
 * validations, so the objects are the same — checked for the 10-endpoint apps
 * on every run). `plain: true` synthesizes as users do (timed in MESH.md).
 */
function synth(build: (app: App) => void, opts: { plain?: boolean } = {}): Doc[] {
  const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'bench-mesh-')) });
  build(app);
  const original = Node.prototype.validate;
  const memo = new WeakMap<Node, string[]>();
  if (!opts.plain) {
    Node.prototype.validate = function memoized(this: Node): string[] {
      let errors = memo.get(this);
      if (!errors) memo.set(this, errors = original.call(this));
      return errors;
    };
  }
  let yamlText: string;
  try {
    yamlText = app.synthYaml();
  } finally {
    Node.prototype.validate = original;
  }
  const docs = parseAllDocuments(yamlText).map((d) => d.toJS() as Doc).filter((d) => d && d.kind);
  fs.rmSync(app.outdir, { recursive: true, force: true });
  return docs;
}

/** Seconds of a plain synthesis (as users run it) of the app of `n` endpoints. */
function plainSynthSeconds(n: number, callerSidecar: boolean): number {
  const start = performance.now();
  synth((app) => buildMeshApp(app, { endpoints: n, callerSidecar }), { plain: true });
  return (performance.now() - start) / 1000;
}

/** The `star` variant: every VirtualService/DestinationRule exported to all namespaces. */
function exportToStar(docs: Doc[]): Doc[] {
  return docs.map((d) => (d.apiVersion?.startsWith('networking.istio.io/') && (d.kind === 'VirtualService' || d.kind === 'DestinationRule'))
    ? { ...d, spec: { ...d.spec, exportTo: ['*'] } }
    : d);
}

/** What the cluster has around the app: the Services the backends name, and the gateway's Service. */
function clusterObjects(endpoints: number): Doc[] {
  const services: Doc[] = Array.from({ length: endpoints }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'model', namespace: `model-${i}` },
    spec: { selector: { ...MODEL_SELECTOR }, ports: [{ name: 'http', port: MODEL_PORT, targetPort: 8080, protocol: 'TCP' }] },
  }));
  services.push({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: AKS_ISTIO_EXTERNAL_GATEWAY.serviceAccount, namespace: AKS_ISTIO_EXTERNAL_GATEWAY.namespace },
    spec: {
      type: 'LoadBalancer',
      selector: { ...AKS_ISTIO_EXTERNAL_GATEWAY.selector },
      ports: [
        { name: 'status-port', port: 15021, targetPort: 15021, protocol: 'TCP' },
        { name: 'http2', port: 80, targetPort: 80, protocol: 'TCP' },
        { name: 'https', port: 443, targetPort: 443, protocol: 'TCP' },
      ],
    },
  });
  return services;
}

function writeCase(id: string, app: Doc[], cluster: Doc[], proxies: ProxySpec[]): Case {
  const dir = path.join(OUT, id);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'manifests'), { recursive: true });
  const dump = (docs: Doc[]) => docs.map((d) => JSON.stringify(d)).join('\n---\n') + '\n';
  fs.writeFileSync(path.join(dir, 'manifests', 'app.yaml'), dump(app));
  fs.writeFileSync(path.join(dir, 'manifests', 'cluster.yaml'), dump(cluster));
  fs.writeFileSync(path.join(dir, 'proxies.json'), JSON.stringify(proxies, null, 2) + '\n');
  return { id, dir, proxies };
}

function buildGenerator(): void {
  fs.mkdirSync(path.dirname(BIN), { recursive: true });
  console.error('building bench/mesh (Go; the first run downloads Istio and its dependencies from the module proxy)...');
  execFileSync('go', ['build', '-mod=readonly', '-buildvcs=false', '-o', BIN, '.'], { cwd: ROOT, stdio: 'inherit' });
}

function runCase(c: Case): Promise<void> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, ['-manifests', path.join(c.dir, 'manifests'), '-proxies', path.join(c.dir, 'proxies.json'), '-out', path.join(c.dir, 'result.json')], { stdio: ['ignore', 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`meshgen ${c.id} exited ${code}:\n${stderr}`));
      c.result = JSON.parse(fs.readFileSync(path.join(c.dir, 'result.json'), 'utf8')) as GenResult;
      c.seconds = (performance.now() - start) / 1000;
      console.error(`  ${c.id}: ${c.seconds.toFixed(1)} s`);
      resolve();
    });
  });
}

async function runAll(cases: Case[], parallel: number): Promise<void> {
  const queue = [...cases];
  const worker = async () => { for (let c = queue.shift(); c; c = queue.shift()) await runCase(c); };
  await Promise.all(Array.from({ length: Math.max(1, parallel) }, worker));
}

const proxyOf = (c: Case, name: ProxyName): ProxyResult => {
  const p = c.result!.proxies.find((x) => x.name === name);
  if (!p) throw new Error(`${c.id}: no proxy ${name}`);
  return p;
};
const fmt = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

async function main(): Promise<void> {
  const started = performance.now();
  buildGenerator();

  const cases = new Map<string, Case>();
  const mesh = (v: Variant, n: number) => cases.get(`${v}-${n}`)!;
  for (const n of SIZES) {
    const ours = synth((app) => buildMeshApp(app, { endpoints: n, callerSidecar: false }));
    const withSidecar = synth((app) => buildMeshApp(app, { endpoints: n, callerSidecar: true }));
    const cluster = clusterObjects(n);
    const apps: Record<Variant, Doc[]> = { sidecar: withSidecar, ours, star: exportToStar(ours) };
    for (const v of VARIANTS) cases.set(`${v}-${n}`, writeCase(`${v}-${n}`, apps[v], cluster, [CALLER, ENDPOINT, GATEWAY]));
  }
  // the memoized validation renders the same objects as a plain synthesis
  const small = Math.min(...SIZES);
  for (const callerSidecar of [false, true]) {
    const plain = JSON.stringify(synth((app) => buildMeshApp(app, { endpoints: small, callerSidecar }), { plain: true }));
    if (plain !== JSON.stringify(synth((app) => buildMeshApp(app, { endpoints: small, callerSidecar })))) {
      throw new Error(`memoized validation changed the objects of the ${small}-endpoint app (callerSidecar: ${callerSidecar})`);
    }
  }
  const SYNTH_PROBE = Number(process.env.BENCH_MESH_SYNTH_PROBE ?? 100);
  const plainSynth = { ours: plainSynthSeconds(SYNTH_PROBE, false), sidecar: plainSynthSeconds(SYNTH_PROBE, true) };
  console.error(`plain synth of the ${SYNTH_PROBE}-endpoint app: ${plainSynth.ours.toFixed(1)} s without CallerSidecar, ${plainSynth.sidecar.toFixed(1)} s with`);
  const KINDS: CallerKind[] = ['appRole', 'group', 'workload'];
  const callerCase = (kind: CallerKind, k: number) => cases.get(`callers-${kind}-${k}`)!;
  for (const kind of KINDS) {
    for (const k of [FEW, MANY]) {
      cases.set(`callers-${kind}-${k}`, writeCase(`callers-${kind}-${k}`, synth((app) => buildCallersApp(app, kind, k)), clusterObjects(1), [ENDPOINT]));
    }
  }
  // the largest cases first, so the two workers finish together
  const ordered = [...cases.values()].sort((a, b) => b.proxies.length * caseSize(b) - a.proxies.length * caseSize(a));
  await runAll(ordered, Math.min(2, os.cpus().length));

  // ---- figures
  const lo = Math.min(...SIZES);
  const hi = Math.max(...SIZES);
  const bytes = (v: Variant, n: number, p: ProxyName) => proxyOf(mesh(v, n), p).totalBytes;
  const x = bytes('sidecar', hi, 'caller') / bytes('sidecar', lo, 'caller');
  const xNoSidecar = bytes('ours', hi, 'caller') / bytes('ours', lo, 'caller');
  const xStar = bytes('star', hi, 'caller') / bytes('star', lo, 'caller');
  const vsStarSidecar = bytes('sidecar', hi, 'caller') / bytes('star', hi, 'caller');
  const vsStarOurs = bytes('ours', hi, 'caller') / bytes('star', hi, 'caller');
  const rbac = (kind: CallerKind, k: number) => proxyOf(callerCase(kind, k), 'endpoint').rbacBytes;
  const y = (kind: CallerKind) => rbac(kind, MANY) / rbac(kind, FEW);

  const lineX = `caller proxy config ${hi}/${lo} endpoints: ${x.toFixed(2)}`
    + ` (without Sidecar: ${xNoSidecar.toFixed(2)}; exportTo ["*"]: ${xStar.toFixed(2)};`
    + ` caller config bytes at ${hi} endpoints against exportTo ["*"]: ${vsStarSidecar.toFixed(3)} with Sidecar, ${vsStarOurs.toFixed(3)} without)`;
  const lineY = `endpoint proxy RBAC bytes with ${MANY}/${FEW} callers: ${y('appRole').toFixed(2)}`
    + ` (Caller.appRole; Caller.group: ${y('group').toFixed(2)}; workload callers (MeshIdentityBinding + grantInvoke): ${y('workload').toFixed(2)})`;

  const header = '| variant | endpoints | proxy | clusters | listeners | filter chains | route configs | virtual hosts | routes | cluster bytes | listener bytes | route bytes | total bytes | RBAC bytes (filters) |';
  const sep = '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|';
  const row = (label: string, n: number | string, p: ProxyResult) => `| ${label} | ${n} | ${p.name} | ${p.clusters.count} | ${p.listeners.count} | ${p.filterChains} | ${p.routes.configs} | ${p.routes.virtualHosts} | ${p.routes.routes} | ${p.clusters.bytes} | ${p.listeners.bytes} | ${p.routes.bytes} | ${p.totalBytes} | ${p.rbacBytes} (${p.rbacFilters}) |`;
  const table = [header, sep];
  for (const v of VARIANTS) for (const n of SIZES) for (const p of mesh(v, n).result!.proxies) table.push(row(VARIANT_LABEL[v], n, p));
  const callersTable = [header.replace('| variant | endpoints |', '| callers | count |'), sep];
  for (const kind of KINDS) for (const k of [FEW, MANY]) callersTable.push(row(kind === 'workload' ? 'workload (bindings)' : `Caller.${kind}`, k, proxyOf(callerCase(kind, k), 'endpoint')));

  const ratios = [
    '| proxy | ' + VARIANTS.map((v) => `${VARIANT_LABEL[v]} ${hi}/${lo}`).join(' | ') + ` | ours+Sidecar / star at ${hi} | ours / star at ${hi} |`,
    '|---|' + VARIANTS.map(() => '---:').join('|') + '|---:|---:|',
    ...(['caller', 'endpoint', 'gateway'] as ProxyName[]).map((p) => `| ${p} | ${VARIANTS.map((v) => fmt(bytes(v, hi, p) / bytes(v, lo, p))).join(' | ')} | ${(bytes('sidecar', hi, p) / bytes('star', hi, p)).toFixed(3)} | ${(bytes('ours', hi, p) / bytes('star', hi, p)).toFixed(3)} |`),
  ];

  console.log(lineX);
  console.log(lineY);
  console.log('');
  console.log(table.join('\n'));
  console.log('');
  console.log(callersTable.join('\n'));

  const seconds = (performance.now() - started) / 1000;
  const any = mesh('ours', hi).result!;
  if (SIZES.join(',') !== FULL_SIZES.join(',')) {
    console.error(`BENCH_MESH_SIZES=${SIZES.join(',')}: bench/MESH.md not written (only the full run writes it)`);
    return;
  }
  const goals = [
    `- X = ${x.toFixed(2)} (goal ≤ 1.1 with the caller namespace's Sidecar): ${x <= 1.1 ? 'met' : 'NOT met'}`,
    `- Y = ${y('appRole').toFixed(2)} (goal ≤ 2, appRole callers): ${y('appRole') <= 2 ? 'met' : 'NOT met'}`,
  ];
  const md = [
    '# Runtime-cost benchmark: the Envoy configuration Istio builds',
    '',
    `Written by \`npm run bench:mesh\` on ${new Date().toISOString().slice(0, 10)} (Node ${process.version}; ${seconds.toFixed(0)} s for the whole run). Not part of the tests.`,
    '',
    '```',
    lineX,
    lineY,
    '```',
    '',
    ...goals,
    `- Synthesis, for the record (not what this benchmark measures): a plain \`app.synthYaml()\` of the ${SYNTH_PROBE}-endpoint app takes ${plainSynth.ours.toFixed(1)} s without CallerSidecar and ${plainSynth.sidecar.toFixed(1)} s with it (one chart per caller namespace, each \`chart.toJson()\` validating the whole app, and each CallerSidecar's warning check walking the whole tree: O(N^3)). The apps here are synthesized with each construct\'s validation run once per synthesis (\`synth\` in bench/mesh.ts), which renders the same objects (checked on the ${small}-endpoint apps each run).`,
    '',
    '## What it measures',
    '',
    `The xDS resources that Istio's own control-plane code, \`${any.istio}\` (the version test/upstream pins: the harness's Istio 1.30 line), generates for three proxies of one app.`,
    'The generator is `bench/mesh` (Go): it feeds the synthesized Istio configs to Istio\'s in-memory config store and the Kubernetes objects to a fake API server watched by Istio\'s Kubernetes service registry, through `core.NewConfigGenTest` (`pilot/pkg/networking/core/fake.go`, the helper behind Istio\'s own config generation tests and benchmarks; wired as `pilot/test/xds` `FakeDiscoveryServer` wires it, which itself cannot be built here). For each proxy it calls `ConfigGen.BuildClusters` (CDS), `BuildListeners` (LDS) and `BuildHTTPRoutes` for the route names the listeners carry (RDS).',
    '',
    `- **bytes**: ${any.sizeUnit}. EDS, SDS, ECDS and NDS are not counted. Inbound HTTP routes are inline in the listeners (counted in listener bytes, not in the route columns).`,
    '- **RBAC bytes**: the serialized typed configs of every `envoy.filters.http.rbac` and `envoy.filters.network.rbac` filter over all listeners and filter chains (default chains included); the count of such filters in parentheses.',
    '- **the app** (`bench/mesh-app.ts`): endpoint i in namespace `model-<i>` (existing Service `model`, port 80 to 8080, selector `app: model`), the bench tenant, `Edge.istioGateway` on `AKS_ISTIO_EXTERNAL_GATEWAY` for `model-<i>.contoso.com` with an appRole caller through it, a blue/green split, and a workload caller: a `MeshIdentityBinding` in `client-<i>` granted `endpoint.grantInvoke`.',
    '- **the cluster around it** (generated, not the library\'s output): the Services `model`, the gateway\'s LoadBalancer Service (15021, 80, 443), a Namespace for each namespace used, a ready Pod for each proxy and for every Service no pod selects (labels of the selector, `security.istio.io/tlsMode: istio`), one EndpointSlice per Service, ClusterIPs; the default mesh config (root namespace istio-system, trust domain cluster.local), cluster id `Kubernetes`, proxies at Istio version 1.30.',
    '- **proxies**: `caller` = a sidecar in `client-0` with ServiceAccount `scorer` (the binding\'s; it calls endpoint 0); `endpoint` = a sidecar of endpoint 0 in `model-0` (`app: model, version: blue`); `gateway` = a router in `aks-istio-ingress` labelled `istio: aks-istio-ingressgateway-external`.',
    '- **variants**, in the same run: `ours + CallerSidecar` (`new CallerSidecar(chart, \'Scope<i>\', { namespace: \'client-<i>\' })` for every caller namespace); `ours` (no Sidecar); `exportTo ["*"]` = the `ours` output with every VirtualService/DestinationRule `spec.exportTo` set to `["*"]` (what the library emitted before), no Sidecar.',
    '- **JWKS**: istiod\'s default fetch mode (`PILOT_JWT_ENABLE_REMOTE_JWKS=false`) inlines the issuer\'s keys into the endpoint proxy\'s `jwt_authn` filter. The generator stays offline: it points `model.JwksResolver`\'s HTTP clients (they honour the proxy variables) at an in-process server that refuses every request, so Istio inlines its fail-closed `model.PublicOnlyJwks` instead of Entra\'s key set. The endpoint proxy\'s listener bytes are therefore smaller than on a live cluster by a constant (Entra\'s JWKS minus that one key, per inbound HTTP chain); no ratio printed above involves it (the caller and the gateway have no RequestAuthentication).',
    '- **Not in the variants**: the endpoint\'s own namespace and the gateway have no Sidecar, so the endpoint proxy sees every Service of the mesh and the gateway every Gateway server: both grow with the app in every variant.',
    `- **Y**: one endpoint with ${FEW} and with ${MANY} callers of one kind (\`Caller.appRole(\\\`Role<k>\\\`)\`, \`Caller.group(<guid>)\`, or ${FEW}/${MANY} MeshIdentityBindings in \`client-<k>\` granted invoke), the same edge: the endpoint proxy's RBAC bytes at ${MANY} over ${FEW}.`,
    '',
    '## How to run',
    '',
    '```',
    'npm ci && npm run bench:mesh          # Node and Go; the first run fetches Go modules from the module proxy (pinned by bench/mesh/go.sum)',
    'BENCH_MESH_SIZES=10,100 npm run bench:mesh   # quicker; prints the figures, does not write this file',
    '```',
    '',
    'The Go tool alone: `cd bench/mesh && go build -mod=readonly -o .bin/meshgen . && .bin/meshgen -manifests DIR -proxies proxies.json` (inputs of every case are kept in `bench/mesh/.out/<case>/`).',
    '',
    `## Ratios (total bytes, ${hi} endpoints over ${lo})`,
    '',
    ...ratios,
    '',
    '## Raw table',
    '',
    ...table,
    '',
    `## Callers (one endpoint, endpoint proxy)`,
    '',
    ...callersTable,
    '',
    '## Per case',
    '',
    '| case | Istio configs | Kubernetes objects | seconds |',
    '|---|---|---|---:|',
    ...[...cases.values()].map((c) => `| ${c.id} | ${Object.entries(c.result!.istioConfigs).sort().map(([k, v]) => `${k} ${v}`).join(', ')} | ${Object.entries(c.result!.kubeObjects).sort().map(([k, v]) => `${k} ${v}`).join(', ')} | ${c.seconds!.toFixed(1)} |`),
    '',
  ];
  fs.writeFileSync(path.join(__dirname, 'MESH.md'), md.join('\n'));
  console.error(`wrote bench/MESH.md (${seconds.toFixed(0)} s)`);
}

function caseSize(c: Case): number {
  const m = /-(\d+)$/.exec(c.id);
  return c.id.startsWith('callers-') ? 1 : Number(m?.[1] ?? 1);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
