/**
 * The lint fixtures: each test/cli/fixtures/lint/<rule-id>.yaml breaks
 * exactly that rule (the line carries a `# <- <rule-id>` marker), clean.yaml
 * breaks none; and the library's own output (every example, every test app)
 * gives no finding.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXAMPLES } from '../../examples';
import { ManifestSet } from '../../lib/access/manifests';
import { main } from '../../lib/cli/main';
import { LINT_RULES, lint } from '../../lib/cli/lint';
import { toLintSarif } from '../../lib/cli/lint-format';
import { TEST_APPS } from '../apps';
import { validateSarif } from '../diagnostics/sarif-schema';
import { synthApp } from '../util';

const ROOT = path.resolve(__dirname, '..', '..');
const FIXTURES = path.join(__dirname, 'fixtures', 'lint');

function run(args: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = main(args, { stdout: (t) => { out += t; }, stderr: (t) => { err += t; } });
  return { code, out, err };
}

/** The 1-based line of the `# <- rule-id` marker in a fixture. */
function markerLine(file: string, ruleId: string): number {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(`# <- ${ruleId}`));
  if (i < 0) throw new Error(`${file} has no "# <- ${ruleId}" marker`);
  return i + 1;
}

/** What each fixture breaks: the object and the field. */
const EXPECTED: Record<string, { object: string; field: string }> = {
  'request-authentication-without-deny': { object: 'RequestAuthentication lint-ra-without-deny/model', field: 'spec.selector.matchLabels' },
  'jwt-rule-without-audiences': { object: 'RequestAuthentication lint-no-audiences/model', field: 'spec.jwtRules[0].audiences' },
  'jwt-issuer-not-entra': { object: 'RequestAuthentication lint-issuer/model', field: 'spec.jwtRules[0].issuer' },
  'jwks-uri-not-https': { object: 'RequestAuthentication lint-jwks/model', field: 'spec.jwtRules[0].jwksUri' },
  'allow-matches-everyone': { object: 'AuthorizationPolicy lint-allow-all/model-allow-callers', field: 'spec.rules[1]' },
  'allow-widens-endpoint': { object: 'AuthorizationPolicy lint-kubeflow-user/ns-owner-access-istio', field: 'spec.rules' },
  'workload-not-in-mesh': { object: 'Deployment lint-opt-out/model', field: 'spec.template.metadata.labels["sidecar.istio.io/inject"]' },
  'mtls-not-strict': { object: 'PeerAuthentication lint-permissive/model', field: 'spec.mtls.mode' },
  'nginx-snippet': { object: 'Ingress lint-snippet/model', field: 'metadata.annotations["nginx.ingress.kubernetes.io/configuration-snippet"]' },
  'service-entry-host-not-exact': { object: 'ServiceEntry lint-se-wildcard/storage', field: 'spec.hosts[0]' },
  'service-entry-export-wide': { object: 'ServiceEntry lint-se-export/entra', field: 'spec.exportTo' },
  'token-from-query': { object: 'RequestAuthentication lint-query-token/model', field: 'spec.jwtRules[0].fromParams' },
};

describe('lint fixtures', () => {
  test('there is one fixture per rule, and no rule without one', () => {
    const files = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, '')).sort();
    expect(files).toEqual([...LINT_RULES.map((r) => r.id), 'clean'].sort());
    expect(Object.keys(EXPECTED).sort()).toEqual(LINT_RULES.map((r) => r.id).sort());
  });

  test.each(LINT_RULES.map((r) => [r.id, r.level] as const))('%s.yaml exits 1 with exactly that rule, object, field and line', (ruleId, level) => {
    // GIVEN
    const file = path.join(FIXTURES, `${ruleId}.yaml`);
    // WHEN
    const { code, out, err } = run(['lint', file, '--format', 'json']);
    // THEN
    expect(err).toBe('');
    expect(code).toBe(1);
    const report = JSON.parse(out);
    expect(report.findings).toHaveLength(1);
    const [finding] = report.findings;
    expect(finding).toMatchObject({ ruleId, level, ...EXPECTED[ruleId], file, line: markerLine(file, ruleId) });
    expect(finding.message).toMatch(/^[a-zA-Z"]/);
    expect(finding.message).not.toMatch(/\.$/);
    expect(finding.message.charAt(0)).toBe(finding.message.charAt(0).toLowerCase());
  });

  test('the text format names file:line, level, rule, object and field, then a summary', () => {
    const file = path.join(FIXTURES, 'jwt-rule-without-audiences.yaml');
    const { code, out } = run(['lint', file]);
    expect(code).toBe(1);
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:61: error jwt-rule-without-audiences RequestAuthentication lint-no-audiences/model spec\\.jwtRules\\[0\\]\\.audiences: jwtRule of issuer "https://login\\.microsoftonline\\.com/[0-9a-f-]+/v2\\.0" has no audiences`));
    expect(lines[1]).toBe('lint: 1 finding (1 error, 0 warnings) in 1 object');
  });

  test('clean.yaml exits 0 with no findings', () => {
    const { code, out, err } = run(['lint', path.join(FIXTURES, 'clean.yaml')]);
    expect({ code, out, err }).toEqual({ code: 0, out: 'lint: no findings\n', err: '' });
  });

  test('the whole fixtures folder: one finding per rule, in file order', () => {
    const findings = lint(ManifestSet.load([FIXTURES]));
    expect(findings.map((f) => f.ruleId).sort()).toEqual(LINT_RULES.map((r) => r.id).sort());
    expect(findings.map((f) => path.basename(f.file))).toEqual(findings.map((f) => `${f.ruleId}.yaml`).sort());
  });

  test('the SARIF output validates against the vendored SARIF 2.1.0 schema and is deterministic', () => {
    // GIVEN
    const findings = lint(ManifestSet.load([FIXTURES]));
    // WHEN
    const sarif = toLintSarif(findings, { cwd: ROOT });
    // THEN
    expect(validateSarif(sarif)).toEqual([]);
    expect(JSON.stringify(toLintSarif(lint(ManifestSet.load([FIXTURES])), { cwd: ROOT }))).toBe(JSON.stringify(sarif));
    expect(JSON.stringify(sarif)).not.toMatch(/Time|time":/);
    const run0 = sarif.runs[0] as any;
    expect(run0.tool.driver.name).toBe('cdk8s-azureml-mesh');
    expect(run0.tool.driver.rules.map((r: any) => r.id)).toEqual(LINT_RULES.map((r) => r.id).sort());
    for (const rule of run0.tool.driver.rules) {
      expect(rule.shortDescription.text).not.toBe('');
      expect(rule.help.text).not.toBe('');
    }
    expect(run0.results).toHaveLength(LINT_RULES.length);
    const audiences = run0.results.find((r: any) => r.ruleId === 'jwt-rule-without-audiences');
    expect(run0.tool.driver.rules[audiences.ruleIndex].id).toBe('jwt-rule-without-audiences');
    expect(audiences.locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: 'test/cli/fixtures/lint/jwt-rule-without-audiences.yaml', uriBaseId: '%SRCROOT%' },
      region: { startLine: 61 },
    });
    expect(audiences.locations[0].logicalLocations[0]).toEqual({
      name: 'lint-no-audiences/model',
      fullyQualifiedName: 'RequestAuthentication lint-no-audiences/model spec.jwtRules[0].audiences',
      kind: 'object',
    });
    const warning = run0.results.find((r: any) => r.ruleId === 'service-entry-export-wide');
    expect(warning.level).toBe('warning');
  });

  test('--format sarif --output FILE writes the log and prints the summary', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lint-sarif-'));
    const out = path.join(dir, 'lint.sarif');
    const res = run(['lint', FIXTURES, '--format', 'sarif', '--output', out]);
    expect(res.code).toBe(1);
    expect(res.out).toBe(`lint: 12 findings (11 errors, 1 warning) in 12 objects; sarif report written to ${out}\n`);
    expect(validateSarif(JSON.parse(fs.readFileSync(out, 'utf8')))).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the bin, spawned on the fixtures folder, exits 1 and names every rule', () => {
    const res = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'lib/cli/bin.ts', 'lint', 'test/cli/fixtures/lint'], { cwd: ROOT, encoding: 'utf8' });
    expect(res.stderr).toBe('');
    expect(res.status).toBe(1);
    for (const r of LINT_RULES) expect(res.stdout).toContain(` ${r.id} `);
    expect(res.stdout).toContain('test/cli/fixtures/lint/token-from-query.yaml:65: error token-from-query RequestAuthentication lint-query-token/model spec.jwtRules[0].fromParams: ');
    expect(res.stdout.trimEnd().split('\n').pop()).toBe('lint: 12 findings (11 errors, 1 warning) in 12 objects');
  });
});

describe('lint over the library\'s own output', () => {
  test.each([...EXAMPLES, ...TEST_APPS].map((a) => [a.name, a] as const))('%s: no findings', (_name, app) => {
    const { manifests } = synthApp((a) => app.build(a));
    expect(lint(ManifestSet.fromObjects(manifests))).toEqual([]);
  });

  test('the examples written to disk (as dist/ is): no findings, exit 0', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lint-dist-'));
    for (const e of EXAMPLES) fs.writeFileSync(path.join(dir, `${e.name}.k8s.yaml`), synthApp((a) => e.build(a)).yaml);
    const res = run(['lint', dir]);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(res).toEqual({ code: 0, out: 'lint: no findings\n', err: '' });
  });
});
