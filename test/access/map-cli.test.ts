import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Yaml } from 'cdk8s';
import { accessMapHelp } from '../../lib/cli/access-map-command';
import { main } from '../../lib/cli/main';
import { buildFraudScoring } from '../../examples/fraud-scoring';
import { EXAMPLES } from '../../examples';
import { synthApp } from '../util';

const root = path.resolve(__dirname, '../..');

/** Runs the CLI in-process; returns the exit status and what it wrote. */
function run(...argv: string[]): { status: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const status = main(argv, { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; } });
  return { status, stdout, stderr };
}

let dir = '';
let dist = '';

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'access-map-cli-'));
  dist = path.join(dir, 'dist');
  fs.mkdirSync(dist);
  // one file per example, as `npm run synth` writes them (several charts per file is fine for the reader)
  for (const example of EXAMPLES) {
    fs.writeFileSync(path.join(dist, `${example.name}.k8s.yaml`), Yaml.stringify(...synthApp(example.build).manifests));
  }
  fs.writeFileSync(path.join(dir, 'broken.yaml'), 'kind: [unclosed\n');
});

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('cdk8s-azureml-mesh access-map', () => {
  test('markdown by default: the table of the folder\'s manifests and the diagram, exit 0', () => {
    const { status, stdout, stderr } = run('access-map', dist);
    expect(status).toBe(0);
    expect(stderr).toBe('');
    expect(stdout.startsWith('# Access map\n')).toBe(true);
    expect(stdout).toContain(`Read from the manifests in \`${dist}\` by \`cdk8s-azureml-mesh access-map\`.`);
    expect(stdout).toContain('| fraud/fraud-model | edge fraud.contoso.com | roles=Fraud.Score via cluster.local/ns/fraud-edge/sa/fraud-edge-istio |');
    expect(stdout).toContain('```mermaid\nflowchart LR\n');
  });

  test('--format json and mermaid; --output writes the file and nothing to standard output', () => {
    const json = run('access-map', dist, '--format', 'json');
    expect(json.status).toBe(0);
    const doc = JSON.parse(json.stdout);
    expect(doc.schemaVersion).toBe(1);
    expect(doc.source).toBe(dist);
    expect(doc.rows.filter((r: any) => r.endpoint === 'fraud/fraud-model')).toHaveLength(3);

    const mermaid = run('access-map', '--format', 'mermaid', dist);
    expect(mermaid.status).toBe(0);
    expect(mermaid.stdout.startsWith('flowchart LR\n')).toBe(true);
    expect(mermaid.stdout).not.toContain('|---|');

    const out = path.join(dir, 'access-map.json');
    const written = run('access-map', dist, '--format', 'json', '-o', out);
    expect(written).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(fs.readFileSync(out, 'utf8')).toBe(json.stdout);
  });

  test('--edge-principal HOST=PRINCIPAL turns the F5 edge\'s rows into edge rows; repeated for several hosts', () => {
    const nic = 'cluster.local/ns/nginx-ingress/sa/nginx-ingress';
    const before = run('access-map', dist, '--format', 'json');
    const after = run('access-map', dist, '--format', 'json', '--edge-principal', `claims.contoso.com=${nic}`, '--edge-principal', 'x.contoso.com=cluster.local/ns/x/sa/x');
    expect(after.status).toBe(0);
    const claims = (text: string) => JSON.parse(text).rows.filter((r: any) => r.endpoint === 'claims/claims-model').map((r: any) => r.door);
    expect(claims(before.stdout)).toEqual(['mesh']);
    expect(claims(after.stdout)).toEqual(['edge claims.contoso.com']);
  });

  test('--root-namespace names the mesh\'s root namespace: its policies without a selector apply everywhere', () => {
    const file = path.join(dir, 'root.yaml');
    fs.writeFileSync(file, [
      'apiVersion: v1\nkind: Service\nmetadata: { name: s, namespace: a }\nspec: { selector: { app: s } }',
      'apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: { name: all, namespace: mesh-root }\n'
        + 'spec: { rules: [{ from: [{ source: { principals: [cluster.local/ns/x/sa/y] } }] }] }',
    ].join('\n---\n'));
    const callers = (argv: string[]) => JSON.parse(run('access-map', file, '--format', 'json', ...argv).stdout).rows
      .filter((r: any) => r.endpoint === 'a/s').map((r: any) => r.caller);
    expect(callers([])).toEqual(['anyone (no ALLOW policy)']);
    expect(callers(['--root-namespace', 'mesh-root'])).toEqual(['no token via cluster.local/ns/x/sa/y (mesh-wide AuthorizationPolicy mesh-root/all)']);
  });

  test('the same manifests give the same bytes, whatever the order the files are named in', () => {
    const files = fs.readdirSync(dist).map((f) => path.join(dist, f));
    const a = run('access-map', '--format', 'json', ...files);
    const b = run('access-map', '--format', 'json', ...[...files].reverse());
    expect(JSON.parse(a.stdout).rows).toEqual(JSON.parse(b.stdout).rows);
    expect(run('access-map', dist).stdout).toBe(run('access-map', dist).stdout);
  });

  test.each([
    [['access-map'], /^cdk8s-azureml-mesh access-map: no manifest paths given; pass files or folders of YAML/],
    [['access-map', 'dist', '--format', 'xml'], /^cdk8s-azureml-mesh access-map: --format must be one of markdown, json, mermaid, got "xml"\n$/],
    [['access-map', 'dist', '--format'], /^cdk8s-azureml-mesh access-map: option --format needs a value; see --help\n$/],
    [['access-map', 'dist', '--bogus'], /^cdk8s-azureml-mesh access-map: unknown option "--bogus"; expected --format, --output \(-o\), --edge-principal, --root-namespace or --help\n$/],
    [['access-map', 'dist', '--edge-principal', 'no-equals-sign'], /--edge-principal must be HOST=PRINCIPAL \(e\.g\. .*\), got "no-equals-sign"\n$/],
    [['access-map', 'dist', '--edge-principal', '=cluster.local/ns/a/sa/b'], /--edge-principal must be HOST=PRINCIPAL .*, got "=cluster.local\/ns\/a\/sa\/b"\n$/],
    [['access-map', 'dist', '--edge-principal', 'a.com=p1', '--edge-principal', 'a.com=p2'], /--edge-principal gives host "a\.com" two principals, "p1" and "p2"; give one per host\n$/],
    [['access-map', 'dist', '--root-namespace', 'Istio System'], /--root-namespace must be a namespace name \(a DNS label\), got "Istio System"\n$/],
  ])('usage errors exit 2 with the reason on standard error: %j', (argv, message) => {
    const { status, stdout, stderr } = run(...argv);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
  });

  test('manifests that cannot be read exit 2 (ManifestError), naming the file', () => {
    const missing = run('access-map', path.join(dir, 'nope'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe(`cdk8s-azureml-mesh access-map: ${path.join(dir, 'nope')}: no such file or folder\n`);
    const broken = run('access-map', path.join(dir, 'broken.yaml'));
    expect(broken.status).toBe(2);
    expect(broken.stderr).toMatch(/^cdk8s-azureml-mesh access-map: .*broken\.yaml:\d+:\d+: YAML does not parse/);
    const unwritable = run('access-map', dist, '--output', path.join(dir, 'no-such-dir', 'map.md'));
    expect(unwritable.status).toBe(2);
    expect(unwritable.stderr).toMatch(/--output .*map\.md: cannot write \(ENOENT\)\n$/);
  });

  test('docs/cli.md shows the real output of access-map dist/ (the examples), up to the folder\'s name', () => {
    const page = fs.readFileSync(path.join(root, 'docs/cli.md'), 'utf8');
    const start = page.indexOf('````markdown\n') + '````markdown\n'.length;
    const pasted = page.slice(start, page.indexOf('````', start));
    const withoutSource = (text: string) => text.split('\n').filter((l) => !l.startsWith('Read from the manifests in ')).join('\n');
    expect(pasted).toContain('Read from the manifests in `dist/` by `cdk8s-azureml-mesh access-map`.');
    expect(withoutSource(pasted)).toBe(withoutSource(run('access-map', dist).stdout));
  });

  test('--help prints the forms, flags and exit statuses, exit 0', () => {
    const { status, stdout } = run('access-map', '--help');
    expect(status).toBe(0);
    expect(stdout).toBe(accessMapHelp);
    expect(accessMapHelp).toMatch(/^usage: cdk8s-azureml-mesh access-map PATH\.\.\. \[--format markdown\|json\|mermaid\] \[--output FILE\]/);
    for (const flag of ['--format', '--output', '--edge-principal', '--root-namespace', '--help']) expect(accessMapHelp).toContain(flag);
    expect(accessMapHelp).toContain('exit status: 0 the map was written, 2 usage error or manifests that cannot be read');
  });

  test('the bin, spawned: `tsx lib/cli/bin.ts access-map <folder>` prints the map and exits 0', () => {
    const folder = path.join(dir, 'fraud');
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, 'fraud-scoring.k8s.yaml'), Yaml.stringify(...synthApp(buildFraudScoring).manifests));
    const stdout = execFileSync(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), path.join(root, 'lib/cli/bin.ts'), 'access-map', folder, '--format', 'json'], {
      cwd: root,
      encoding: 'utf8',
      stdio: 'pipe',
    });
    const rows = JSON.parse(stdout).rows;
    expect(rows.map((r: any) => [r.endpoint, r.door, r.token])).toEqual([
      ['fraud/fraud-model', 'edge fraud.contoso.com', 'azp=3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d'],
      ['fraud/fraud-model', 'edge fraud.contoso.com', 'roles=Fraud.Score'],
      ['fraud/fraud-model', 'mesh', 'oid=9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b'],
    ]);
    // a usage error through the real process: exit status 2
    const bad = spawnSync(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), path.join(root, 'lib/cli/bin.ts'), 'access-map'], { cwd: root, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/no manifest paths given/);
  }, 60_000);
});
