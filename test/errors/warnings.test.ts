/**
 * Warnings (DESIGN.md section 5): legal but probably a mistake. Printed once
 * at synth, collected in Diagnostics, errors in strict mode.
 */
import { App, Chart, Testing } from 'cdk8s';
import { Caller, Diagnostics, DiagnosticSeverity, EndpointBackend, EntraTenant, MeshNamespace, SecureMlEndpoint, STRICT_CONTEXT } from '../../lib';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const API = '0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5';
const GROUP = '12345678-1234-4234-8234-123456789abc';

function endpoint(app: App, callers: Caller[], extra: Record<string, unknown> = {}): SecureMlEndpoint {
  const chart = new Chart(app, 'c', { namespace: 'ml' });
  MeshNamespace.existing(chart, 'Ns', 'ml');
  return new SecureMlEndpoint(chart, 'Endpoint', {
    backend: EndpointBackend.service({ name: 'model', port: 8080, selector: { app: 'model' } }),
    tenant: new EntraTenant({ tenantId: TENANT }),
    audiences: [API],
    callers,
    ...extra,
  });
}

function quietly<T>(fn: () => T): { result: T; printed: string } {
  const write = process.stderr.write;
  let printed = '';
  (process.stderr as any).write = (chunk: unknown) => { printed += String(chunk); return true; };
  try {
    return { result: fn(), printed };
  } finally {
    (process.stderr as any).write = write;
  }
}

describe('warnings', () => {
  // test/setup-env.js silences printing for the rest of the suite
  beforeEach(() => { delete process.env.CDK8S_AZUREML_MESH_PRINT_WARNINGS; });
  afterEach(() => { process.env.CDK8S_AZUREML_MESH_PRINT_WARNINGS = 'false'; });

  test('a group caller warns about the 200-group overage, printed once for two validations', () => {
    const app = Testing.app();
    endpoint(app, [Caller.group(GROUP)]);
    const { printed } = quietly(() => { app.synthYaml(); app.synthYaml(); });
    const warnings = Diagnostics.of(app).warnings;
    expect(warnings).toEqual([expect.objectContaining({
      severity: DiagnosticSeverity.WARNING,
      path: 'c/Endpoint',
      field: 'callers[0]',
      message: expect.stringMatching(/^callers\[0\] is Caller\.group\("12345678-.*"\): a user in more than 200 groups .*overage.*prefer Caller\.appRole/),
    })]);
    expect(printed.match(/warning:/g)).toHaveLength(1);
    expect(printed).toMatch(/^\[c\/Endpoint\] warning: callers\[0\] is Caller\.group/);
  });

  test('anyAuthenticated beside specific callers warns', () => {
    const app = Testing.app();
    endpoint(app, [Caller.appRole('Score'), Caller.anyAuthenticated()]);
    quietly(() => app.synthYaml());
    expect(Diagnostics.of(app).warnings.filter((w) => !w.field.startsWith('namespace "')).map((w) => w.message)).toEqual([
      expect.stringMatching(/^callers\[1\] is Caller\.anyAuthenticated\(\) beside 1 specific caller\(s\)/),
    ]);
  });

  test('anyAuthenticated alone and app roles give no warning', () => {
    for (const callers of [[Caller.anyAuthenticated()], [Caller.appRole('Score')]]) {
      const app = Testing.app();
      endpoint(app, callers);
      const { printed } = quietly(() => app.synthYaml());
      expect(Diagnostics.of(app).warnings.filter((w) => !w.field.startsWith('namespace "'))).toEqual([]);
      expect(printed).toBe('');
    }
  });

  test('forwardOriginalToken to azureml-fe warns that the token reaches the model', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c');
    MeshNamespace.existing(chart, 'Ns', 'azureml');
    MeshNamespace.existing(chart, 'ModelNs', 'ml-endpoints');
    new SecureMlEndpoint(chart, 'Endpoint', {
      backend: EndpointBackend.azureMlKubernetes({ modelPods: [{ namespace: 'ml-endpoints', selector: { app: 'model' } }] }),
      tenant: new EntraTenant({ tenantId: TENANT }),
      audiences: [API],
      callers: [Caller.appRole('Score')],
      tokenHeader: 'x-entra-token',
      forwardOriginalToken: true,
    });
    quietly(() => app.synthYaml());
    expect(Diagnostics.of(app).warnings.map((w) => w.field)).toEqual(['forwardOriginalToken']);
  });

  test('fails in strict mode: a warning is an error and nothing is written', () => {
    const app = Testing.app();
    app.node.setContext(STRICT_CONTEXT, true);
    endpoint(app, [Caller.group(GROUP)]);
    const { printed } = quietly(() => expect(() => app.synthYaml()).toThrow(/\[c\/Endpoint\] callers\[0\] is Caller\.group.*\(a warning, an error in strict mode\)/));
    expect(printed).toBe('');
    expect(Diagnostics.of(app).warnings).toHaveLength(1);
  });

  test('fails in strict mode set by CDK8S_AZUREML_MESH_STRICT=1', () => {
    process.env.CDK8S_AZUREML_MESH_STRICT = '1';
    try {
      const app = Testing.app();
      endpoint(app, [Caller.group(GROUP)]);
      expect(() => app.synthYaml()).toThrow(/strict mode/);
    } finally {
      delete process.env.CDK8S_AZUREML_MESH_STRICT;
    }
  });
});
