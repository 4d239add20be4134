/** `cdk8s-azureml-mesh explain`: arguments, output and exit statuses, over a folder written from the fraud-scoring example. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXAMPLES } from '../../examples';
import { BATCH_SCORER_IDENTITY, FRAUD_API_CLIENT_ID, FRAUD_TENANT_ID } from '../../examples/fraud-scoring';
import { main } from '../../lib/cli/main';
import { synthApp } from '../util';

const ISS = `https://login.microsoftonline.com/${FRAUD_TENANT_ID}/v2.0`;
let dir: string;
let manifests: string;
let scorer: string;
let reader: string;
let batch: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'explain-cli-'));
  manifests = path.join(dir, 'dist');
  fs.mkdirSync(manifests);
  const { yaml } = synthApp((app) => EXAMPLES.find((e) => e.name === 'fraud-scoring')!.build(app));
  fs.writeFileSync(path.join(manifests, 'fraud-scoring.k8s.yaml'), yaml);
  const claims = (c: Record<string, unknown>) => JSON.stringify({ iss: ISS, aud: FRAUD_API_CLIENT_ID, sub: 's-1', tid: FRAUD_TENANT_ID, ...c });
  scorer = path.join(dir, 'scorer.json');
  reader = path.join(dir, 'reader.json');
  batch = path.join(dir, 'batch.json');
  fs.writeFileSync(scorer, claims({ roles: ['Fraud.Score'] }));
  fs.writeFileSync(reader, claims({ roles: ['Fraud.Read'] }));
  fs.writeFileSync(batch, claims({ oid: BATCH_SCORER_IDENTITY.principalId }));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = main(['explain', ...args], { stdout: (t) => { out += t; }, stderr: (t) => { err += t; } });
  return { code, out, err };
}

const edge = () => [manifests, '--to', 'fraud/fraud-model', '--method', 'POST', '--path', '/score', '--via-edge', 'fraud.contoso.com'];

describe('cdk8s-azureml-mesh explain', () => {
  test('ALLOW: exit 0, the verdict first, then the deciding policy and rule', () => {
    const r = run(...edge(), '--claims', scorer);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toMatch(/^ALLOW 200 by AuthorizationPolicy fraud\/fraud-scoring-endpoint-allowcallers-\w+ \(ALLOW rule 1\)$/);
    expect(r.err).toBe('');
  });

  test('DENY: exit 3, with what is missing', () => {
    const r = run(...edge(), '--claims', reader);
    expect(r.code).toBe(3);
    expect(r.out.split(' ')[0]).toBe('DENY');
    expect(r.out).toContain('token has no role `Fraud.Score` (roles: `Fraud.Read`)');
  });

  test('--no-token, --forged, --plaintext, --principal with spiffe://', () => {
    expect(run(...edge(), '--no-token').out).toMatch(/^DENY 403/);
    expect(run(...edge(), '--claims', scorer, '--forged').out).toMatch(/^DENY 401/);
    const direct = [manifests, '--to', 'fraud/fraud-model', '--method', 'POST', '--path', '/score', '--claims', batch];
    expect(run(...direct, '--plaintext').out).toMatch(/^DENY 503 .*\n[^]*no mTLS: STRICT/);
    expect(run(...direct, '--principal', 'spiffe://cluster.local/ns/batch/sa/batch-scorer').code).toBe(0);
  });

  test('--json prints one object with the verdict, reasons and trace', () => {
    const r = run(...edge(), '--claims', reader, '--json');
    expect(r.code).toBe(3);
    const json = JSON.parse(r.out);
    expect(json).toMatchObject({ verdict: 'DENY', status: 403, decidedBy: { action: 'ALLOW' } });
    expect(json.reasons).toContain('token has no role `Fraud.Score` (roles: `Fraud.Read`)');
    expect(json.hops.map((h: any) => h.role)).toEqual(['edge', 'backend', 'backend']);
  });

  test.each([
    [['--to', 'fraud/fraud-model', '--method', 'POST', '--path', '/score', '--no-token', '--plaintext'], /no manifest paths given/],
    [['MANIFESTS', '--method', 'POST', '--path', '/score', '--no-token', '--plaintext'], /--to is required/],
    [['MANIFESTS', '--to', 'fraud', '--method', 'POST', '--path', '/score', '--no-token', '--plaintext'], /--to must be NAMESPACE\/SERVICE or an external HOST, got "fraud"/],
    [['MANIFESTS', '--to', 'fraud/fraud-model', '--method', 'POST', '--path', '/score', '--plaintext'], /pass exactly one of --claims FILE\.json and --no-token/],
    [['MANIFESTS', '--to', 'fraud/fraud-model', '--method', 'POST', '--path', '/score', '--no-token'], /pass exactly one of --principal SPIFFE and --plaintext/],
    [['MANIFESTS', '--to', 'fraud/fraud-model', '--method', 'POST', '--path', '/score', '--no-token', '--plaintext', '--principal', 'cluster.local/ns/a/sa/b'], /pass exactly one of --principal/],
    [['MANIFESTS', '--to', 'fraud/fraud-model', '--method', 'POST', '--path', '/score', '--no-token', '--via-edge', 'fraud.contoso.com', '--plaintext'], /do not go with --via-edge/],
    [['MANIFESTS', '--to', 'fraud/fraud-model', '--method', 'POST', '--path', '/score', '--no-token', '--plaintext', '--port', 'http'], /--port must be a port number \(1-65535\), got "http"/],
    [['MANIFESTS', '--to', 'fraud/fraud-model', '--method', 'POST', '--path', '/score', '--claims', '/nonexistent.json', '--plaintext'], /--claims must be a readable JSON file, got "\/nonexistent\.json"/],
    [['MANIFESTS', '--to', 'fraud/fraud-model', '--method', 'POST', '--path', '/score', '--no-token', '--plaintext', '--bogus'], /unknown option '--bogus'/i],
    [['MANIFESTS', '--to', 'fraud/fraud-model', '--method', 'POST', '--path', '/score', '--no-token', '--plaintext', '--root-namespace', 'Istio System'], /--root-namespace must be a namespace name \(a DNS label\), got "Istio System"/],
  ])('usage error %#: exit 2 with a message', (args, message) => {
    const r = run(...args.map((a) => (a === 'MANIFESTS' ? manifests : a)));
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(message);
  });

  test('unreadable manifests, an unknown Service and an unknown edge host: exit 2', () => {
    const missing = run(path.join(dir, 'nope'), '--to', 'fraud/fraud-model', '--method', 'POST', '--path', '/', '--no-token', '--plaintext');
    expect([missing.code, missing.err]).toEqual([2, expect.stringMatching(/nope: no such file or folder/)]);
    const bad = path.join(dir, 'bad.yaml');
    fs.writeFileSync(bad, 'kind: [unclosed');
    expect(run(bad, '--to', 'a/b', '--method', 'GET', '--path', '/', '--no-token', '--plaintext').code).toBe(2);
    const svc = run(manifests, '--to', 'fraud/other', '--method', 'GET', '--path', '/', '--no-token', '--plaintext');
    expect([svc.code, svc.err]).toEqual([2, expect.stringMatching(/to must name a Service in the manifests, got "fraud\/other"/)]);
    const host = run(manifests, '--to', 'fraud/fraud-model', '--method', 'GET', '--path', '/', '--no-token', '--via-edge', 'evil.example.com');
    expect([host.code, host.err]).toEqual([2, expect.stringMatching(/viaEdge must be a host an edge in the manifests serves .*got "evil\.example\.com"/)]);
  });

  test('--help', () => {
    const r = run('--help');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^usage: cdk8s-azureml-mesh explain PATH\.\.\. --to NAMESPACE\/SERVICE/);
  });

  test('docs/explain.md shows the output explain prints today', () => {
    const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'explain.md'), 'utf8');
    const claims = /```json\n([\s\S]*?)```/.exec(doc)![1];
    const texts = [...doc.matchAll(/```text\n([\s\S]*?)```/g)].map((m) => m[1]);
    const docScorer = path.join(dir, 'doc-scorer.json');
    const docReader = path.join(dir, 'doc-reader.json');
    fs.writeFileSync(docScorer, claims);
    fs.writeFileSync(docReader, claims.replace('"Fraud.Score"', '"Fraud.Read"'));
    expect(run(...edge(), '--claims', docScorer).out).toBe(texts[0]);
    expect(run(...edge(), '--claims', docReader).out).toBe(texts[1]);
    expect(run(manifests, '--to', 'fraud/fraud-model', '--method', 'POST', '--path', '/score', '--claims', docScorer, '--plaintext').out).toBe(texts[2]);
  });

  test('the bin, spawned: DENY exits 3 and prints the verdict first', () => {
    const p = spawnSync('npx', ['tsx', 'lib/cli/bin.ts', 'explain', ...edge(), '--claims', reader], { cwd: path.join(__dirname, '..', '..'), encoding: 'utf8', timeout: 60_000 });
    expect(p.stderr).toBe('');
    expect(p.status).toBe(3);
    expect(p.stdout.split('\n')[0]).toMatch(/^DENY 403 by AuthorizationPolicy fraud\//);
  });
});
