/**
 * The consumer matrix (issue 13 item 3): the packed tarball installed, offline,
 * into tiny consumer projects that type-check (`strict`, `skipLibCheck: false`,
 * so the package's .d.ts files are checked too) and run under every
 * `module`/`moduleResolution` pair TypeScript users have, as CommonJS and as
 * ESM, importing `cdk8s-azureml-mesh`, `cdk8s-azureml-mesh/imports` and
 * `cdk8s-azureml-mesh/pulumi`.
 *
 *   npm run test:consumers
 *   CONSUMER_CDK8S_PLUS=cdk8s-plus-33 npm run test:consumers   (default: the newest line installed)
 *   CONSUMER_CASES=node10-cjs,nodenext-esm npm run test:consumers
 *   CONSUMER_KEEP=1 ...   keeps the temp directory and prints it
 *   CONSUMER_NODES="/path/to/node22 /path/to/node24" ...   also runs each
 *     compiled consumer with these Node binaries (the type check does not
 *     depend on Node; ESM's named imports from CommonJS do)
 *
 * Besides the matrix: the tarball holds exactly the files a user needs, every
 * declaration map points at a source in the tarball, and
 * @arethetypeswrong/cli (offline, on the tarball) finds no resolution problem
 * for any entry point in node10, node16 (CJS and ESM) and bundler mode.
 * Nothing is downloaded: every package the consumers resolve is a symlink to
 * this repository's node_modules.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { PACKAGE_NAME, ROOT, cdk8sPlusLine, installInto, packTarball } from './pack';

const run = promisify(execFile);

interface Case {
  readonly name: string;
  readonly compilerOptions: Record<string, unknown>;
  /** package.json `type` of the consumer */
  readonly type?: 'module';
  /** the source file: its extension decides CJS or ESM with node16/nodenext */
  readonly file: 'main.ts' | 'main.mts' | 'main.cts';
}

const CASES: readonly Case[] = [
  // the cdk8s and Pulumi templates' setting; TypeScript 6 deprecates node10 (TS5107) unless told otherwise
  { name: 'node10-cjs', compilerOptions: { module: 'commonjs', moduleResolution: 'node10', ignoreDeprecations: '6.0' }, file: 'main.ts' },
  { name: 'node16-cjs', compilerOptions: { module: 'node16', moduleResolution: 'node16' }, file: 'main.ts' },
  { name: 'node16-esm', compilerOptions: { module: 'node16', moduleResolution: 'node16' }, type: 'module', file: 'main.mts' },
  { name: 'nodenext-cjs', compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' }, file: 'main.cts' },
  { name: 'nodenext-esm', compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' }, type: 'module', file: 'main.ts' },
  { name: 'bundler-cjs', compilerOptions: { module: 'commonjs', moduleResolution: 'bundler' }, file: 'main.ts' },
  { name: 'bundler-esm', compilerOptions: { module: 'esnext', moduleResolution: 'bundler' }, type: 'module', file: 'main.ts' },
  { name: 'preserve-esm', compilerOptions: { module: 'preserve', moduleResolution: 'bundler' }, type: 'module', file: 'main.mts' },
];

/** What a user writes: a cdk8s-plus Deployment behind a SecureMlEndpoint, synthesized; the Pulumi component type-checked and loaded. */
function consumerSource(plus: string): string {
  return `import { App, Chart } from 'cdk8s';
import * as kplus from '${plus}';
import { Caller, EndpointBackend, EntraTenant, MeshNamespace, SecureMlEndpoint } from 'cdk8s-azureml-mesh';
import { istioSecurity, istioNetworking } from 'cdk8s-azureml-mesh/imports';
import * as meshPulumi from 'cdk8s-azureml-mesh/pulumi';

function declare(app: App): SecureMlEndpoint {
  const chart = new Chart(app, 'fraud', { namespace: 'fraud' });
  new MeshNamespace(chart, 'Namespace', { name: 'fraud' });
  const model = new kplus.Deployment(chart, 'Model', {
    containers: [{ image: 'ghcr.io/contoso/fraud-model:1.0.0', ports: [{ number: 8080 }] }],
  });
  return new SecureMlEndpoint(chart, 'Endpoint', {
    backend: EndpointBackend.fromDeployment(model, { port: 80, targetPort: 8080 }),
    tenant: new EntraTenant({ tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47' }),
    audiences: ['0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5'],
    callers: [Caller.appRole('Fraud.Score')],
  });
}

// type-checked only: a Pulumi program needs the Pulumi engine to run
export function program(): meshPulumi.AzureMlMesh {
  return new meshPulumi.AzureMlMesh('fraud', { build: (app: App) => { declare(app); } });
}

const app = new App();
const endpoint = declare(app);
// public fields are typed with the generated classes, importable from ./imports
const allow: istioSecurity.AuthorizationPolicy = endpoint.allowCallers;
const route: istioNetworking.VirtualService = endpoint.virtualService;
if (!(allow instanceof istioSecurity.AuthorizationPolicy) || !(route instanceof istioNetworking.VirtualService)) {
  throw new Error('cdk8s-azureml-mesh/imports exports other classes than the ones the constructs use');
}
if (typeof meshPulumi.AzureMlMesh !== 'function') throw new Error('cdk8s-azureml-mesh/pulumi did not load');
const yaml = app.synthYaml();
const kinds = [...yaml.matchAll(/^kind: (\\w+)$/gm)].map((m) => m[1]).sort();
for (const kind of ['AuthorizationPolicy', 'Deployment', 'Namespace', 'PeerAuthentication', 'RequestAuthentication', 'Service']) {
  if (!kinds.includes(kind)) throw new Error('no ' + kind + ' in the synthesized manifests: ' + kinds.join(', '));
}
console.log('synthesized ' + kinds.length + ' objects');
console.log('yaml ' + yaml.length + ' ' + yaml);
`;
}

/** The files a published package must hold, and the folders it must not. */
const REQUIRED = [
  'LICENSE', 'README.md', 'CHANGELOG.md', 'package.json',
  'build/lib/index.js', 'build/lib/index.d.ts', 'build/lib/index.d.ts.map', 'lib/index.ts',
  'build/lib/pulumi/index.js', 'build/lib/pulumi/index.d.ts', 'pulumi/package.json',
  'build/lib/imports/index.js', 'build/lib/imports/index.d.ts', 'imports/package.json',
];
const FORBIDDEN = /^(test|examples|schemas|scripts|api|bench|node_modules|dist|\.ci|build\/all)\/|\.test\.|tsconfig|jest\.config|\.tgz$/;

function packageContents(unpacked: string, files: readonly string[]): string[] {
  const problems: string[] = [];
  for (const f of REQUIRED) if (!files.includes(f)) problems.push(`the tarball must contain ${f}, got none`);
  for (const f of files) if (FORBIDDEN.test(f)) problems.push(`the tarball must not contain development files, got ${f}`);
  for (const map of files.filter((f) => f.endsWith('.d.ts.map'))) {
    const { sources } = JSON.parse(fs.readFileSync(path.join(unpacked, map), 'utf8')) as { sources: string[] };
    for (const s of sources) {
      const target = path.relative(unpacked, path.resolve(unpacked, path.dirname(map), s));
      if (!files.includes(target)) problems.push(`${map} must point at a source in the tarball, got ${s}`);
    }
  }
  for (const dts of files.filter((f) => f.endsWith('.d.ts'))) {
    if (!files.includes(`${dts}.map`)) problems.push(`${dts} must have its declaration map, got none`);
  }
  return problems;
}

/** @arethetypeswrong/cli on the tarball, offline (no DefinitelyTyped lookup). */
async function typesResolution(tarball: string): Promise<string[]> {
  const cli = path.join(ROOT, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');
  try {
    await run(process.execPath, [cli, tarball, '--no-definitely-typed', '--format', 'json'], { maxBuffer: 64 * 1024 * 1024 });
    return [];
  } catch (e) {
    const out = (e as { stdout?: string }).stdout ?? '';
    try {
      const json = JSON.parse(out) as { analysis?: { problems?: Array<{ kind: string; entrypoint?: string; resolutionKind?: string }> } };
      const problems = json.analysis?.problems ?? [];
      if (problems.length > 0) return problems.map((p) => `arethetypeswrong: ${p.kind} for "${p.entrypoint ?? '?'}" (${p.resolutionKind ?? 'all modes'})`);
    } catch {
      // not JSON: report the raw failure below
    }
    return [`arethetypeswrong failed: ${(e as Error).message.split('\n')[0]} ${out.slice(0, 2000)}`];
  }
}

interface Result { readonly name: string; readonly ok: boolean; readonly detail: string; readonly yamlHash?: string; readonly seconds: number }

async function runCase(dir: string, c: Case, plus: string): Promise<Result> {
  const start = Date.now();
  const cwd = path.join(dir, c.name);
  fs.mkdirSync(cwd);
  fs.writeFileSync(path.join(cwd, 'package.json'), JSON.stringify({ name: `consumer-${c.name}`, private: true, ...(c.type ? { type: c.type } : {}) }, null, 2));
  fs.writeFileSync(path.join(cwd, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { ...c.compilerOptions, target: 'ES2022', lib: ['ES2022'], strict: true, skipLibCheck: false, types: ['node'], outDir: 'out', rootDir: '.' },
    files: [c.file],
  }, null, 2));
  fs.writeFileSync(path.join(cwd, c.file), consumerSource(plus));
  const tsc = path.join(dir, 'node_modules', 'typescript', 'bin', 'tsc');
  const seconds = (): number => (Date.now() - start) / 1000;
  try {
    await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd, timeout: 600_000, maxBuffer: 16 * 1024 * 1024 });
  } catch (e) {
    const out = `${(e as { stdout?: string }).stdout ?? ''}${(e as { stderr?: string }).stderr ?? ''}`.trim();
    return { name: c.name, ok: false, detail: `type check failed:\n${out || (e as Error).message}`, seconds: seconds() };
  }
  const js = path.join(cwd, 'out', c.file.replace(/\.mts$/, '.mjs').replace(/\.cts$/, '.cjs').replace(/\.ts$/, '.js'));
  const summaries: string[] = [];
  let yamlHash: string | undefined;
  for (const node of [process.execPath, ...extraNodes()]) {
    try {
      const { stdout } = await run(node, [js], { cwd, timeout: 300_000, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' } });
      const summary = stdout.split('\n').find((l) => l.startsWith('synthesized ')) ?? '';
      const hash = createHash('sha256').update(stdout.slice(stdout.indexOf('yaml ') + 5)).digest('hex').slice(0, 16);
      if (!summary) return { name: c.name, ok: false, detail: `run on ${node} printed no summary:\n${stdout}`, seconds: seconds() };
      if (yamlHash && hash !== yamlHash) return { name: c.name, ok: false, detail: `${node} synthesized other bytes than ${process.execPath}`, seconds: seconds() };
      yamlHash = hash;
      summaries.push(`${summary} on Node ${await nodeVersion(node)}`);
    } catch (e) {
      const out = `${(e as { stdout?: string }).stdout ?? ''}${(e as { stderr?: string }).stderr ?? ''}`.trim();
      return { name: c.name, ok: false, detail: `run on ${node} failed:\n${out || (e as Error).message}`, seconds: seconds() };
    }
  }
  return { name: c.name, ok: true, detail: summaries.join('; '), yamlHash, seconds: seconds() };
}

function extraNodes(): string[] {
  return (process.env.CONSUMER_NODES ?? '').split(/\s+/).filter(Boolean);
}

const versions = new Map<string, Promise<string>>();
function nodeVersion(node: string): Promise<string> {
  if (!versions.has(node)) versions.set(node, run(node, ['--version']).then((r) => r.stdout.trim().replace(/^v/, '')));
  return versions.get(node)!;
}

async function main(): Promise<void> {
  const started = Date.now();
  const plus = cdk8sPlusLine();
  const only = process.env.CONSUMER_CASES?.split(',').map((s) => s.trim()).filter(Boolean);
  const cases = only ? CASES.filter((c) => only.includes(c.name)) : CASES;
  if (only && cases.length !== only.length) throw new Error(`CONSUMER_CASES must name cases among ${CASES.map((c) => c.name).join(', ')}, got "${only.join(',')}"`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-consumers-'));
  let passed = 0;
  let failed = 0;
  const report = (ok: boolean, name: string, detail: string): void => {
    if (ok) passed++;
    else failed++;
    console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
  };
  try {
    const nodes = [process.version, ...(await Promise.all(extraNodes().map(nodeVersion))).map((v) => `v${v}`)];
    console.log(`consumers: ${PACKAGE_NAME} packed from ${ROOT}, ${plus}, type check once, run on Node ${nodes.join(', ')}`);
    const tarball = packTarball(path.join(dir, 'tarball'));
    const files = installInto(dir, tarball, [plus]);
    console.log(`tarball ${path.basename(tarball)}: ${files.length} files, ${(fs.statSync(tarball).size / 1024).toFixed(0)} KiB (${((Date.now() - started) / 1000).toFixed(1)} s to build and pack)`);
    const unpacked = path.join(dir, 'node_modules', PACKAGE_NAME);
    const contents = packageContents(unpacked, files);
    report(contents.length === 0, 'package contents', contents.join('\n  '));
    const attw = await typesResolution(tarball);
    report(attw.length === 0, 'types resolution (arethetypeswrong, every entry point, node10/node16/bundler)', attw.join('\n  '));

    // two at a time: each type check reads ~750 declaration files
    const queue = [...cases];
    const results: Result[] = [];
    const workers = Array.from({ length: Math.max(1, Math.min(2, os.availableParallelism())) }, async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        const r = await runCase(dir, c, plus);
        results.push(r);
        report(r.ok, `${r.name} (${JSON.stringify(cases.find((x) => x.name === r.name)?.compilerOptions)}, ${r.seconds.toFixed(1)} s)`, r.detail);
      }
    });
    await Promise.all(workers);
    const hashes = new Set(results.filter((r) => r.ok).map((r) => r.yamlHash));
    report(hashes.size <= 1, 'every consumer synthesized the same bytes', hashes.size <= 1 ? '' : results.map((r) => `${r.name}=${r.yamlHash}`).join(' '));
  } finally {
    if (process.env.CONSUMER_KEEP) console.log(`kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
  console.log(`consumers: ${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
