/**
 * Synth benchmark (not a test): apps of 10, 100 and 1,000 endpoints, each with
 * 5 callers, an NGINX edge, a workload-identity binding granted invoke, and a
 * blue/green split. In one process and run it measures, after a warm-up:
 *   (a) ours     — building the constructs and synthesizing YAML;
 *   (b) baseline — the very same objects as raw cdk8s ApiObjects in a plain
 *                  Chart, synthesized the same way;
 *   (c) floor    — serializing the final objects to YAML only.
 * Medians of several iterations. Writes bench/RESULTS.md.
 *
 *   npm run bench            (builds build/lib, then BENCH_ITERATIONS=15 BENCH_SIZES=10,100,1000 by default; node --expose-gc)
 *   BENCH_SOURCE=1 npm run bench   (the TypeScript sources through tsx instead of the compiled library)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ApiObject, App, Chart, Yaml } from 'cdk8s';
import type * as Library from '../lib';

/**
 * The library as it ships: the compiled `build/lib` that `npm run bench`
 * builds first (users load compiled JS from the package, whatever runs their
 * app). `BENCH_SOURCE=1` measures the TypeScript sources through tsx instead.
 */
/** `build/lib`, refusing a build older than any source file (run `npm run bench`, which builds first). */
function compiledLibrary(): string {
  const root = path.join(__dirname, '..');
  const index = path.join(root, 'build', 'lib', 'index.js');
  const built = fs.existsSync(index) ? fs.statSync(index).mtimeMs : -1;
  const stale = (dir: string): boolean => fs.readdirSync(dir, { withFileTypes: true }).some((e) => e.isDirectory()
    ? stale(path.join(dir, e.name))
    : e.name.endsWith('.ts') && fs.statSync(path.join(dir, e.name)).mtimeMs > built);
  if (stale(path.join(root, 'lib'))) throw new Error('build/lib is missing or older than lib/: run `npm run bench` (it builds first), or set BENCH_SOURCE=1');
  return path.join(root, 'build', 'lib');
}

const FROM_SOURCE = process.env.BENCH_SOURCE === '1' || process.env.BENCH_SOURCE === 'true';
const lib: typeof Library = require(FROM_SOURCE ? '../lib' : compiledLibrary());
const { AzureScope, Caller, Edge, EndpointBackend, EntraTenant, ManagedIdentity, MeshIdentityBinding, SecureMlEndpoint, TlsCertificate } = lib;

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const SUB = '6c2f4e1a-9b8d-4c7e-a5f3-2d1b0e9c8a7f';
const OIDC = `https://westeurope.oic.prod-aks.azure.com/${TID}/1b2c3d4e-5f60-4a1b-9c2d-3e4f5a6b7c8d/`;
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 15);
// the benchmark apps raise warnings by design (group callers, undeclared namespaces): printing
// thousands of lines to stderr per iteration would be measured too
process.env.CDK8S_AZUREML_MESH_PRINT_WARNINGS = 'false';
const SIZES = (process.env.BENCH_SIZES ?? '10,100,1000').split(',').map(Number);
const CALLERS = Number(process.env.BENCH_CALLERS ?? 5);

const guid = (n: number, salt: number) => {
  const hex = (n * 7919 + salt * 104729).toString(16).padStart(12, '0').slice(-12);
  return `${salt.toString(16).padStart(8, '0')}-0000-4000-8000-${hex}`;
};

/**
 * One app of `n` endpoints in one chart, each in its own namespace with its
 * own caller workload. (One chart per endpoint would measure cdk8s itself:
 * `chart.toJson()` validates the whole app once per chart.)
 */
export function buildApp(app: App, n: number, callers = CALLERS): void {
  const tenant = new EntraTenant({ tenantId: TID });
  const chart = new Chart(app, 'models');
  for (let i = 0; i < n; i++) {
    const ns = `model-${i}`;
    const endpoint = new SecureMlEndpoint(chart, `Endpoint${i}`, {
      namespace: ns,
      backend: EndpointBackend.service({ name: 'model', namespace: ns, port: 80, selector: { app: 'model' } }),
      tenant,
      audiences: [guid(i, 1)],
      callers: [
        Caller.appRole(`Model${i}.Score`),
        ...Array.from({ length: Math.max(0, callers - 2) }, (_, k) => Caller.group(guid(i * 10 + k, 2))),
      ],
      deployments: [{ name: 'blue', weight: 90 }, { name: 'green', weight: 10 }],
      edge: Edge.ingressNginx({ host: `model-${i}.contoso.com`, tls: TlsCertificate.fromSecret(`model-${i}-tls`), rateLimit: { requestsPerSecond: 20 } }),
      azureScope: AzureScope.onlineEndpoint({ subscriptionId: SUB, resourceGroup: 'ml', workspace: 'ws-bench', endpoint: `model-${i}` }),
    });
    const binding = new MeshIdentityBinding(chart, `Caller${i}`, {
      identity: ManagedIdentity.existing({ clientId: guid(i, 3), principalId: guid(i, 4) }),
      oidcIssuerUrl: OIDC,
      namespace: ns,
      serviceAccountName: 'scorer',
    });
    endpoint.grantInvoke(binding);
  }
}

/** Collects garbage before each timed section (run with --expose-gc), so one side's garbage is not billed to the other. */
const collect = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

function time(fn: () => void): number {
  collect();
  const start = performance.now();
  fn();
  return performance.now() - start;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

interface Row { n: number; objects: number; ours: number; baseline: number; floor: number; paired: number }

function measure(n: number): Row {
  // the final objects, to rebuild as raw ApiObjects
  const reference = new App();
  buildApp(reference, n);
  const objects = reference.charts.flatMap((c) => c.toJson());

  const runOurs = () => time(() => {
    const app = new App();
    buildApp(app, n);
    app.synthYaml();
  });
  const runBaseline = () => time(() => {
    const app = new App();
    const chart = new Chart(app, 'raw');
    objects.forEach((o, k) => new ApiObject(chart, `o${k}`, o));
    app.synthYaml();
  });
  const ours: number[] = [];
  const baseline: number[] = [];
  const floor: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < ITERATIONS + 1; i++) {
    // alternate which side runs first, so neither always inherits the other's garbage or a slow spell
    let a: number;
    let b: number;
    if (i % 2 === 0) {
      a = runOurs();
      b = runBaseline();
    } else {
      b = runBaseline();
      a = runOurs();
    }
    const c = time(() => Yaml.stringify(...objects));
    if (i > 0) { // the first round is the warm-up
      ours.push(a);
      baseline.push(b);
      floor.push(c);
      ratios.push(a / b);
    }
  }
  return { n, objects: objects.length, ours: median(ours), baseline: median(baseline), floor: median(floor), paired: median(ratios) };
}

function main(): void {
  const rows = SIZES.map(measure);
  const at = (n: number) => rows.find((r) => r.n === n)!;
  const big = at(Math.max(...SIZES));
  const mid = rows.length > 1 ? rows[rows.length - 2] : big;
  const ratio = big.paired;
  const perEndpoint = (big.ours / big.n) / (mid.ours / mid.n);
  const perEndpointObjects = big.objects / big.n;
  // objects per endpoint must not grow with callers
  const fewCallers = new App(); buildApp(fewCallers, 1, 2);
  const manyCallers = new App(); buildApp(manyCallers, 1, 20);
  const objectsFew = fewCallers.charts.flatMap((c) => c.toJson()).length;
  const objectsMany = manyCallers.charts.flatMap((c) => c.toJson()).length;
  const heap = process.memoryUsage().heapUsed / 1024 / 1024;

  const table = [
    '| endpoints | objects | ours (ms) | raw cdk8s (ms) | YAML only (ms) | ours / raw (medians) | ours / raw (paired) |',
    '|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.n} | ${r.objects} | ${r.ours.toFixed(1)} | ${r.baseline.toFixed(1)} | ${r.floor.toFixed(1)} | ${(r.ours / r.baseline).toFixed(2)} | ${r.paired.toFixed(2)} |`),
  ].join('\n');
  const lines = [
    `ratio vs raw cdk8s at ${big.n} endpoints: ${ratio.toFixed(2)}`,
    `(ratio of the medians at ${big.n} endpoints: ${(big.ours / big.baseline).toFixed(2)})`,
    `per-endpoint cost ${big.n}/${mid.n}: ${perEndpoint.toFixed(2)}`,
    `objects per endpoint: ${perEndpointObjects.toFixed(1)} (with 2 callers: ${objectsFew}, with 20 callers: ${objectsMany})`,
    `peak heap: ${heap.toFixed(0)} MiB (heapUsed after the run; ${ITERATIONS} iterations after a warm-up, medians)`,
  ];
  console.log(table);
  console.log(lines.join('\n'));
  const out = path.join(__dirname, 'RESULTS.md');
  const previous = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
  // hand-written sections (run-to-run variance, cold start) are kept as they are
  const kept = /## Run-to-run[\s\S]*$/.exec(previous)?.[0] ?? /## Cold start[\s\S]*$/.exec(previous)?.[0] ?? '';
  fs.writeFileSync(out, [
    '# Synth benchmark',
    '',
    `Measured with \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${FROM_SOURCE ? 'the TypeScript sources through tsx' : 'the compiled library (build/lib, as the package ships)'}, ${ITERATIONS} iterations after a warm-up (medians), garbage collected before each timed section.`,
    'Each iteration times ours and the baseline back to back, alternating which goes first; "paired" is the median of the per-iteration ratios, which a slow spell of this shared machine moves less than a ratio of medians. The printed ratio is the paired one.',
    'Each endpoint: 5 callers, an ingress-nginx edge with TLS and a rate limit, a workload-identity binding granted invoke, a blue/green split; all in one chart, one namespace per endpoint.',
    'Note: cdk8s validates the whole app once per chart in `chart.toJson()`, so an app split into very many charts costs O(charts x constructs) in cdk8s itself.',
    'Baseline: the same final objects created as raw cdk8s `ApiObject`s in a plain Chart and synthesized with `app.synthYaml()` in the same run.',
    '',
    table,
    '',
    '```',
    ...lines,
    '```',
    '',
    '',
    kept,
  ].join('\n').trimEnd() + '\n');
}

if (require.main === module) main();
