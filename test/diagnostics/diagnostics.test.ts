/**
 * Diagnostics machines can read (issue 13 item 5): every error and warning
 * of `app.synth()` in diagnostics.json and diagnostics.sarif (SARIF 2.1.0,
 * validated against the official schema) in the library's output folder,
 * outside the manifests folder, and as GitHub Actions workflow commands under
 * GITHUB_ACTIONS=true; validation errors without stack traces.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApiObject, App, Chart, Lazy, Testing } from 'cdk8s';
import {
  AzureRole,
  AzureScope,
  Caller,
  DEFAULT_OUTDIR,
  EndpointBackend,
  EntraTenant,
  ManagedIdentity,
  MeshIdentityBinding,
  MeshNamespace,
  OUTDIR_CONTEXT,
  SARIF_SCHEMA_URI,
  STRICT_CONTEXT,
  SecureMlEndpoint,
  meshOutdir,
} from '../../lib';
import { ruleIdOf, DiagnosticSeverity } from '../../lib/diagnostics/diagnostic';
import { escapeData, escapeProperty, workflowCommand } from '../../lib/diagnostics/github';
import { Origin, userFrame } from '../../lib/diagnostics/location';
import { sarifSchema, validateSarif } from './sarif-schema';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const API = '0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5';
const GROUP = '8d4f2a6c-1b3e-4c5d-9e7f-0a2b4c6d8e1f';
const THIS_FILE = 'test/diagnostics/diagnostics.test.ts';
const SOURCE = fs.readFileSync(__filename, 'utf8').split('\n');
/** 1-based line of the first source line containing `marker`, and the column of `new` on it. */
function declaredAt(marker: string): { line: number; column: number } {
  const i = SOURCE.findIndex((l) => l.includes(marker) && l.includes('new '));
  return { line: i + 1, column: SOURCE[i].indexOf('new ') + 1 };
}

/** An app in fresh folders; `outdir` is the manifests folder, `meshdir` the library's. */
function fresh(): { app: App; outdir: string; meshdir: string } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'diag-dist-'));
  const meshdir = fs.mkdtempSync(path.join(os.tmpdir(), 'diag-out-'));
  const app = new App({ outdir });
  app.node.setContext(OUTDIR_CONTEXT, meshdir);
  return { app, outdir, meshdir };
}

function badEndpoint(app: App): void {
  const chart = new Chart(app, 'fraud', { namespace: 'fraud' });
  MeshNamespace.existing(chart, 'Ns', 'fraud');
  new SecureMlEndpoint(chart, 'Endpoint', { // BAD-ENDPOINT
    backend: EndpointBackend.service({ name: 'fraud-model', port: 80, selector: { app: 'fraud-model' } }),
    tenant: new EntraTenant({ tenantId: 'contoso.com' }),
    audiences: [API, '100% a:b'],
    callers: [Caller.appRole('Fraud.Score')],
  });
}

function warnedEndpoint(app: App): void {
  const chart = new Chart(app, 'fraud', { namespace: 'fraud' });
  MeshNamespace.existing(chart, 'Ns', 'fraud');
  new SecureMlEndpoint(chart, 'Endpoint', { // WARNED-ENDPOINT
    backend: EndpointBackend.service({ name: 'fraud-model', port: 80, selector: { app: 'fraud-model' } }),
    tenant: new EntraTenant({ tenantId: TENANT }),
    audiences: [API],
    callers: [Caller.group(GROUP)],
  });
  const batch = new Chart(app, 'batch', { namespace: 'batch' });
  MeshNamespace.existing(batch, 'Ns', 'batch');
  new MeshIdentityBinding(batch, 'Identity', {
    identity: ManagedIdentity.existing({ clientId: '5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d', principalId: '9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b' }),
    oidcIssuerUrl: `https://westeurope.oic.prod-aks.azure.com/${TENANT}/1b2c3d4e-5f60-4a1b-9c2d-3e4f5a6b7c8d/`,
    serviceAccountName: 'scorer',
  }).grantRole(AzureRole.READER, AzureScope.resourceGroup('6c2f4e1a-9b8d-4c7e-a5f3-2d1b0e9c8a7f', 'ml-prod'));
}

/** Runs `fn` with stderr captured and `env` set; restores both. */
function capture<T>(env: Record<string, string | undefined>, fn: () => T): { result?: T; error?: Error; stderr: string } {
  const saved: Record<string, string | undefined> = {};
  for (const k of Object.keys(env)) { saved[k] = process.env[k]; if (env[k] === undefined) delete process.env[k]; else process.env[k] = env[k]; }
  const write = process.stderr.write;
  let stderr = '';
  (process.stderr as any).write = (chunk: unknown) => { stderr += String(chunk); return true; };
  try {
    return { result: fn(), stderr };
  } catch (e) {
    return { error: e as Error, stderr };
  } finally {
    (process.stderr as any).write = write;
    for (const k of Object.keys(saved)) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; }
  }
}

const read = (dir: string, f: string) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));

describe('the official SARIF 2.1.0 schema', () => {
  test('is the OASIS errata 01 schema (draft-04, compiled as such by ajv-draft-04)', () => {
    const schema = sarifSchema();
    expect(schema.id).toBe(SARIF_SCHEMA_URI);
    expect(schema.$schema).toBe('http://json-schema.org/draft-04/schema#');
  });

  test('rejects logs that break it (so the validation can fail)', () => {
    const ok = { version: '2.1.0', runs: [{ tool: { driver: { name: 't' } }, results: [{ message: { text: 'm' }, level: 'error' }] }] };
    expect(validateSarif(ok)).toEqual([]);
    expect(validateSarif({ ...ok, version: '2.0.0' })).not.toEqual([]);
    expect(validateSarif({ version: '2.1.0', runs: [{ tool: { driver: { name: 't' } }, results: [{ level: 'error' }] }] })).not.toEqual([]);
    expect(validateSarif({ version: '2.1.0', runs: [{ tool: { driver: { name: 't' } }, results: [{ message: { text: 'm' }, level: 'fatal' }] }] })).not.toEqual([]);
    expect(validateSarif({ version: '2.1.0', runs: [{ tool: { driver: {} } }] })).not.toEqual([]);
  });
});

describe('reports written by app.synth()', () => {
  afterEach(() => { process.env.CDK8S_AZUREML_MESH_PRINT_WARNINGS = 'false'; });

  test('a bad app writes a SARIF file that validates, prints ::error lines under GITHUB_ACTIONS=true, and throws without a stack', () => {
    const { app, outdir, meshdir } = fresh();
    badEndpoint(app);
    const { error, stderr } = capture({ GITHUB_ACTIONS: 'true', CDK8S_AZUREML_MESH_PRINT_WARNINGS: undefined }, () => app.synth());

    expect(error!.message).toMatch(/^Validation failed with the following errors:\n {2}\[fraud\/Endpoint\] /);
    expect(error!.stack).toBe(`Error: ${error!.message}`);
    expect(fs.readdirSync(outdir)).toEqual([]);
    expect(fs.readdirSync(meshdir).sort()).toEqual(['diagnostics.json', 'diagnostics.sarif']);

    const sarif = read(meshdir, 'diagnostics.sarif');
    expect(validateSarif(sarif)).toEqual([]);
    expect(sarif.$schema).toBe(SARIF_SCHEMA_URI);
    const run = sarif.runs[0];
    expect(run.tool.driver.name).toBe('cdk8s-azureml-mesh');
    const at = declaredAt('BAD-ENDPOINT');
    expect(run.results).toEqual([
      expect.objectContaining({ ruleId: 'error/audiences[]', level: 'error', message: { text: expect.stringMatching(/^\[fraud\/Endpoint\] audiences\[1\] must be an exact audience without spaces or wildcards, got "100% a:b"/) } }),
      expect.objectContaining({ ruleId: 'error/tenantId', level: 'error', message: { text: expect.stringMatching(/^\[fraud\/Endpoint\] tenantId must be a GUID, got "contoso\.com"/) } }),
    ]);
    for (const r of run.results) {
      expect(r.locations).toEqual([{
        physicalLocation: { artifactLocation: { uri: THIS_FILE, uriBaseId: '%SRCROOT%' }, region: { startLine: at.line, startColumn: at.column } },
        logicalLocations: [{ name: 'Endpoint', fullyQualifiedName: 'fraud/Endpoint', kind: 'object' }],
      }]);
      expect(run.tool.driver.rules[r.ruleIndex].id).toBe(r.ruleId);
    }

    const commands = stderr.split('\n').filter((l) => l.startsWith('::'));
    expect(commands).toEqual([
      `::error file=${THIS_FILE},line=${at.line},col=${at.column},title=cdk8s-azureml-mesh error/audiences[]::[fraud/Endpoint] audiences[1] must be an exact audience without spaces or wildcards, got "100%25 a:b"`,
      expect.stringMatching(new RegExp(`^::error file=test/diagnostics/diagnostics\\.test\\.ts,line=${at.line},col=${at.column},title=cdk8s-azureml-mesh error/tenantId::\\[fraud/Endpoint\\] tenantId must be a GUID, got "contoso\\.com"; `)),
    ]);
    expect(stderr).toContain(`[cdk8s-azureml-mesh] wrote diagnostics.json, diagnostics.sarif to ${path.relative(process.cwd(), meshdir)}/`);

    const report = read(meshdir, 'diagnostics.json');
    expect(report).toMatchObject({ schemaVersion: 1, tool: 'cdk8s-azureml-mesh', succeeded: false, strict: false, errors: 2, warnings: 0 });
    expect(report.diagnostics.map((d: any) => [d.level, d.ruleId, d.path, d.field])).toEqual([
      ['error', 'error/audiences[]', 'fraud/Endpoint', 'audiences[1]'],
      ['error', 'error/tenantId', 'fraud/Endpoint', 'tenantId'],
    ]);
    expect(report.diagnostics[0].location).toEqual({ file: THIS_FILE, ...at });
  });

  test('a good app with warnings writes them (JSON and SARIF), prints ::warning lines under GitHub Actions, and writes the plan', () => {
    const { app, outdir, meshdir } = fresh();
    warnedEndpoint(app);
    const { error, stderr } = capture({ GITHUB_ACTIONS: 'true', CDK8S_AZUREML_MESH_PRINT_WARNINGS: undefined }, () => app.synth());
    expect(error).toBeUndefined();
    expect(fs.readdirSync(outdir).sort()).toEqual(['batch.k8s.yaml', 'fraud.k8s.yaml']);
    expect(fs.readdirSync(meshdir).sort()).toEqual(['access-map.json', 'access-map.md', 'access-map.mmd', 'azure-plan.json', 'diagnostics.json', 'diagnostics.sarif']);

    const report = read(meshdir, 'diagnostics.json');
    expect(report).toMatchObject({ succeeded: true, errors: 0, warnings: 1 });
    expect(report.diagnostics).toEqual([expect.objectContaining({
      severity: 'warning', level: 'warning', ruleId: 'warning/callers[]', path: 'fraud/Endpoint', field: 'callers[0]',
      location: { file: THIS_FILE, ...declaredAt('WARNED-ENDPOINT') },
    })]);
    const sarif = read(meshdir, 'diagnostics.sarif');
    expect(validateSarif(sarif)).toEqual([]);
    expect(sarif.runs[0].results.map((r: any) => [r.ruleId, r.level])).toEqual([['warning/callers[]', 'warning']]);
    expect(sarif.runs[0].tool.driver.rules.map((r: any) => [r.id, r.defaultConfiguration.level])).toEqual([['warning/callers[]', 'warning']]);

    const lines = stderr.split('\n').filter(Boolean);
    expect(lines.filter((l) => l.startsWith('::'))).toEqual([expect.stringMatching(/^::warning file=test\/diagnostics\/diagnostics\.test\.ts,line=\d+,col=\d+,title=cdk8s-azureml-mesh warning\/callers\[\]::\[fraud\/Endpoint\] callers\[0\] is Caller\.group/)]);
    expect(stderr).not.toMatch(/\] warning: /);
    expect(lines[lines.length - 1]).toMatch(/^\[cdk8s-azureml-mesh\] wrote access-map\.json, access-map\.md, access-map\.mmd, azure-plan\.json, diagnostics\.json, diagnostics\.sarif to .*\/$/);
  });

  test('outside GitHub Actions warnings print as plain lines and no workflow command is printed', () => {
    const { app, meshdir } = fresh();
    warnedEndpoint(app);
    const { stderr } = capture({ GITHUB_ACTIONS: undefined, CDK8S_AZUREML_MESH_PRINT_WARNINGS: undefined }, () => app.synth());
    expect(stderr).toMatch(/^\[fraud\/Endpoint\] warning: callers\[0\] is Caller\.group/);
    expect(stderr).not.toMatch(/^::/m);
    expect(read(meshdir, 'diagnostics.json').warnings).toBe(1);
  });

  test('strict mode: warnings are errors in both reports and ::error lines; a failed synth removes the stale plan', () => {
    const { app, meshdir } = fresh();
    warnedEndpoint(app);
    app.synth();
    expect(fs.existsSync(path.join(meshdir, 'azure-plan.json'))).toBe(true);

    const strict = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'diag-dist-')) });
    strict.node.setContext(OUTDIR_CONTEXT, meshdir);
    strict.node.setContext(STRICT_CONTEXT, true);
    warnedEndpoint(strict);
    const { error, stderr } = capture({ GITHUB_ACTIONS: 'true' }, () => strict.synth());
    expect(error!.message).toMatch(/\(a warning, an error in strict mode\)/);
    expect(fs.readdirSync(meshdir).sort()).toEqual(['diagnostics.json', 'diagnostics.sarif']);
    const sarif = read(meshdir, 'diagnostics.sarif');
    expect(validateSarif(sarif)).toEqual([]);
    expect(sarif.runs[0].results).toEqual([expect.objectContaining({
      ruleId: 'warning/callers[]', level: 'error', message: { text: expect.stringMatching(/ \(a warning, an error in strict mode\)$/) },
    })]);
    expect(read(meshdir, 'diagnostics.json')).toMatchObject({ succeeded: false, strict: true, errors: 1, warnings: 0 });
    expect(stderr.split('\n').filter((l) => l.startsWith('::'))).toEqual([expect.stringMatching(/^::error .*title=cdk8s-azureml-mesh warning\/callers\[\]::.* \(a warning, an error in strict mode\)$/)]);
  });

  test('errors of other constructs\' validations are in the reports too', () => {
    const { app, meshdir } = fresh();
    warnedEndpoint(app);
    const chart = new Chart(app, 'mine');
    chart.node.addValidation({ validate: () => ['my own rule failed'] });
    const { error } = capture({}, () => app.synth());
    expect(error!.message).toContain('[mine] my own rule failed');
    const sarif = read(meshdir, 'diagnostics.sarif');
    expect(validateSarif(sarif)).toEqual([]);
    expect(sarif.runs[0].results.filter((r: any) => r.level === 'error')).toEqual([expect.objectContaining({
      ruleId: 'error/construct-validation', message: { text: '[mine] my own rule failed' },
    })]);
    expect(error!.stack).toBe(`Error: ${error!.message}`);
  });

  test('a synth that fails for another reason keeps its stack and is a tool execution notification', () => {
    const { app, meshdir } = fresh();
    warnedEndpoint(app);
    new ApiObject(new Chart(app, 'broken'), 'Obj', {
      apiVersion: 'v1', kind: 'ConfigMap', data: Lazy.any({ produce: () => { throw new TypeError('boom'); } }) as any,
    });
    const { error } = capture({}, () => app.synth());
    expect(error!.message).toMatch(/boom/);
    expect(error!.stack).toMatch(/\n {4}at /);
    const sarif = read(meshdir, 'diagnostics.sarif');
    expect(validateSarif(sarif)).toEqual([]);
    expect(sarif.runs[0].invocations).toEqual([{
      executionSuccessful: false,
      toolExecutionNotifications: [{ level: 'error', message: { text: expect.stringMatching(/^Error: .*boom/) } }],
    }]);
    expect(read(meshdir, 'diagnostics.json')).toMatchObject({ succeeded: false, errors: 0, failure: expect.stringMatching(/boom/) });
    expect(fs.existsSync(path.join(meshdir, 'azure-plan.json'))).toBe(false);
  });

  test('two syntheses of one declaration write the same bytes', () => {
    const bytes = () => {
      const { app, meshdir } = fresh();
      warnedEndpoint(app);
      app.synth();
      return ['azure-plan.json', 'diagnostics.json', 'diagnostics.sarif'].map((f) => fs.readFileSync(path.join(meshdir, f), 'utf8'));
    };
    expect(bytes()).toEqual(bytes());
  });

  test('synthYaml and Testing.synth write nothing', () => {
    const { app, meshdir } = fresh();
    warnedEndpoint(app);
    app.synthYaml();
    Testing.synth(app.node.findChild('fraud') as Chart);
    expect(fs.readdirSync(meshdir)).toEqual([]);
  });

  test('the output folder: context, then CDK8S_AZUREML_MESH_OUTDIR, then azureml-mesh.out', () => {
    const app = new App({ outdir: 'dist' });
    const { result: fromDefault } = capture({ CDK8S_AZUREML_MESH_OUTDIR: undefined }, () => meshOutdir(app));
    expect(fromDefault).toBe(DEFAULT_OUTDIR);
    expect(DEFAULT_OUTDIR).toBe('azureml-mesh.out');
    expect(capture({ CDK8S_AZUREML_MESH_OUTDIR: 'out/mesh' }, () => meshOutdir(app)).result).toBe('out/mesh');
    app.node.setContext(OUTDIR_CONTEXT, 'ctx');
    expect(capture({ CDK8S_AZUREML_MESH_OUTDIR: 'out/mesh' }, () => meshOutdir(app)).result).toBe('ctx');
  });

  test('fails when the output folder is the manifests folder or inside it, writing nothing', () => {
    for (const inside of ['', 'plan']) {
      const { app, outdir } = fresh();
      app.node.setContext(OUTDIR_CONTEXT, path.join(outdir, inside));
      warnedEndpoint(app);
      expect(() => app.synth()).toThrow(/^context cdk8s-azureml-mesh\/outdir \(or CDK8S_AZUREML_MESH_OUTDIR\) must be a folder outside the manifests folder ".*", got ".*"; kubectl apply -f reads every \.json and \.yaml file/);
      expect(fs.readdirSync(outdir)).toEqual([]);
    }
  });
});

describe('GitHub workflow commands', () => {
  test.each([
    ['100%', '100%25', '100%25'],
    ['a\r\nb', 'a%0D%0Ab', 'a%0D%0Ab'],
    ['k: v, w', 'k: v, w', 'k%3A v%2C w'],
    ['%3A', '%253A', '%253A'],
  ])('escapes %j as data %j and as a property %j', (raw, data, property) => {
    expect(escapeData(raw)).toBe(data);
    expect(escapeProperty(raw)).toBe(property);
  });

  test('a diagnostic without a location has a title only', () => {
    const d = { severity: DiagnosticSeverity.ERROR, path: 'a/b', field: 'x', message: 'x must be y, got "1,2"', ruleId: 'error/x' };
    expect(workflowCommand(d, 'error')).toBe('::error title=cdk8s-azureml-mesh error/x::[a/b] x must be y, got "1,2"');
    expect(workflowCommand({ ...d, location: { file: 'src/a,b.ts', line: 3, column: 7 } }, 'warning'))
      .toBe('::warning file=src/a%2Cb.ts,line=3,col=7,title=cdk8s-azureml-mesh error/x::[a/b] x must be y, got "1,2"');
  });
});

describe('rule ids', () => {
  test.each([
    ['tenantId', 'error/tenantId'],
    ['callers[2].group', 'error/callers[].group'],
    ['backend.selector[app]', 'error/backend.selector[]'],
    ['namespace "ml"', 'error/namespace'],
    ['identity principal:9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b', 'error/identity'],
    ['identity /subscriptions/6c2f/resourcegroups/rg/providers/microsoft.managedidentity/userassignedidentities/x', 'error/identity'],
    ['identity (resolved principal:9e8d).clientId', 'error/identity().clientId'],
    ['applyTo(jobs/Cron)', 'error/applyTo()'],
    ['controlPlaneNamespace of istio-system', 'error/controlPlaneNamespace-of'],
    ['context cdk8s-azureml-mesh/meshProfile', 'error/context'],
    ['backend namespace', 'error/backend-namespace'],
    ['scope resource group segment', 'error/scope-resource-group-segment'],
  ])('%s → %s', (field, id) => {
    expect(ruleIdOf(DiagnosticSeverity.ERROR, field)).toBe(id);
  });
});

describe('source locations', () => {
  const root = process.cwd();
  test('the first frame outside the library, node_modules and Node', () => {
    const stack = [
      'Error',
      `    at new Origin (${root}/lib/diagnostics/location.ts:14:27)`,
      `    at new SecureMlEndpoint (${root}/lib/endpoint/secure-ml-endpoint.ts:300:5)`,
      `    at Object.<anonymous> (${root}/node_modules/constructs/lib/construct.js:1:1)`,
      '    at node:internal/modules/cjs/loader:1554:14',
      `    at build (file://${root}/examples/fraud-scoring.ts:42:3)`,
      `    at ${root}/examples/main.ts:9:1`,
    ].join('\n');
    expect(userFrame(stack, {})).toEqual({ file: 'examples/fraud-scoring.ts', line: 42, column: 3 });
  });

  test('found below more frames than V8 keeps by default (10), and the limit is restored', () => {
    const saved = Error.stackTraceLimit;
    Error.stackTraceLimit = 10; // V8's default (jest raises it)
    try {
      const limit = Error.stackTraceLimit;
      // 20 frames with no file of their own (functions made by `new Function`, as
      // a framework's wrappers would be) between the library and this file, the
      // user's code here: with 10 frames the user's frame is cut off
      let make: () => Origin = new Function('O', 'return function inner() { return new O(); }')(Origin);
      for (let i = 0; i < 20; i++) make = new Function('f', 'return function wrapper() { return f(); }')(make);
      expect(make().location({ GITHUB_WORKSPACE: root })?.file).toBe('test/diagnostics/diagnostics.test.ts');
      expect(Error.stackTraceLimit).toBe(limit);
    } finally {
      Error.stackTraceLimit = saved;
    }
  });

  test('relative to GITHUB_WORKSPACE when set; none outside it', () => {
    const stack = `Error\n    at x (${root}/examples/main.ts:9:1)`;
    expect(userFrame(stack, { GITHUB_WORKSPACE: path.join(root, 'examples') })).toEqual({ file: 'main.ts', line: 9, column: 1 });
    expect(userFrame(stack, { GITHUB_WORKSPACE: path.join(root, 'docs') })).toBeUndefined();
  });
});
