/**
 * An identity whose ids are not all known at synth (created at deploy time,
 * or existing and declared without them), under plain `cdk8s synth`: the ids
 * that were declared are used anyway, and a workload caller whose principal
 * id is unknown warns (an error in strict mode), since its ALLOW rule then
 * has no `oid` condition.
 */
import { App, Chart } from 'cdk8s';
import {
  CLIENT_ID_ANNOTATION, Caller, Diagnostics, EndpointBackend, EntraTenant, ManagedIdentity, MeshIdentityBinding,
  PRINT_WARNINGS_CONTEXT, RESOLVED_IDENTITIES_CONTEXT, STRICT_CONTEXT, SecureMlEndpoint,
} from '../../lib';
import { synthToDisk } from '../util';

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const SUB = '6c2f4e1a-9b8d-4c7e-a5f3-2d1b0e9c8a7f';
const ISSUER = `https://westeurope.oic.prod-aks.azure.com/${TID}/1b2c3d4e-5f60-4a1b-9c2d-3e4f5a6b7c8d/`;
const IDS = { clientId: '5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d', principalId: '9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b' };
const R = `/subscriptions/${SUB}/resourceGroups/ml-jobs/providers/Microsoft.ManagedIdentity/userAssignedIdentities/scorer-identity`;

/** An endpoint in fraud that admits the scorer bound to `identity` (by grantInvoke, or as a caller). */
function build(identity: ManagedIdentity, how: 'grantInvoke' | 'callers' = 'grantInvoke') {
  return (app: App) => {
    app.node.setContext(PRINT_WARNINGS_CONTEXT, false);
    const binding = new MeshIdentityBinding(new Chart(app, 'batch', { namespace: 'batch' }), 'Scorer', { identity, oidcIssuerUrl: ISSUER, serviceAccountName: 'scorer' });
    const endpoint = new SecureMlEndpoint(new Chart(app, 'fraud', { namespace: 'fraud' }), 'Endpoint', {
      backend: EndpointBackend.service({ name: 'fraud', port: 80, selector: { app: 'fraud' } }),
      tenant: new EntraTenant({ tenantId: TID }),
      audiences: ['0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5'],
      callers: how === 'callers' ? [Caller.workload(binding)] : [Caller.appRole('Fraud.Score')],
    });
    if (how === 'grantInvoke') endpoint.grantInvoke(binding);
    return binding;
  };
}

function synth(identity: ManagedIdentity, context?: unknown) {
  const app = new App({ outdir: 'dist' });
  if (context !== undefined) app.node.setContext(RESOLVED_IDENTITIES_CONTEXT, context);
  build(identity)(app);
  const yaml = app.synthYaml();
  return {
    yaml,
    annotation: new RegExp(`${CLIENT_ID_ANNOTATION}: (\\S+)`).exec(yaml)?.[1],
    oid: /key: request\.auth\.claims\[oid\]\n\s+values:\n\s+- (\S+)/.exec(yaml)?.[1],
    warnings: Diagnostics.of(app).warnings.filter((w) => !w.field.startsWith('namespace "')).map((w) => `[${w.path}] ${w.message}`),
  };
}

const UNKNOWN_PRINCIPAL = /^\[fraud\/Endpoint\] grantInvoke\(batch\/Scorer\)\.workload is cluster\.local\/ns\/batch\/sa\/scorer, whose identity .* has no principal id at synth: its ALLOW rule admits the mesh principal with any token of the tenant, without the identity's oid condition; declare principalId in ManagedIdentity\.existing, or deploy with the Pulumi component \(AzureMlMesh\), which resolves it$/;

describe('ids not all known at synth', () => {
  test('a declared client id is annotated even when the principal id is looked up at deploy time', () => {
    const { annotation, oid } = synth(ManagedIdentity.existing({ clientId: IDS.clientId, resourceId: R }));
    expect(annotation).toBe(IDS.clientId);
    expect(oid).toBeUndefined();
  });

  test('a declared principal id is the oid condition even when the client id is looked up at deploy time', () => {
    const { annotation, oid, warnings } = synth(ManagedIdentity.existing({ principalId: IDS.principalId.toUpperCase(), resourceId: R }));
    expect(annotation).toBeUndefined();
    expect(oid).toBe(IDS.principalId);
    expect(warnings).toEqual([]);
  });

  test.each([
    ['resourceId', () => ManagedIdentity.existing({ resourceId: R })],
    ['name and resourceGroup', () => ManagedIdentity.existing({ name: 'scorer-identity', resourceGroup: 'ml-jobs' })],
    ['clientId and resourceId', () => ManagedIdentity.existing({ clientId: IDS.clientId, resourceId: R })],
    ['create', () => ManagedIdentity.create({ name: 'scorer-identity', resourceGroup: 'ml-jobs', subscriptionId: SUB, location: 'westeurope' })],
  ])('warns for a workload caller whose principal id is unknown (existing by %s), and fails in strict mode', (_name, identity) => {
    const { oid, warnings } = synth(identity());
    expect(oid).toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(UNKNOWN_PRINCIPAL)]);
    const { error, files } = synthToDisk((app) => { app.node.setContext(STRICT_CONTEXT, true); build(identity())(app); });
    expect(error?.message).toMatch(/grantInvoke\(batch\/Scorer\)\.workload is cluster\.local\/ns\/batch\/sa\/scorer, whose identity .* has no principal id at synth.*\(a warning, an error in strict mode\)/);
    expect(files).toEqual([]);
  });

  test('warns for Caller.workload(binding) among the callers too', () => {
    const app = new App({ outdir: 'dist' });
    build(ManagedIdentity.existing({ resourceId: R }), 'callers')(app);
    app.synthYaml();
    expect(Diagnostics.of(app).warnings.map((w) => w.message)).toContainEqual(expect.stringMatching(/^callers\[0\]\.workload is cluster\.local\/ns\/batch\/sa\/scorer, whose identity/));
  });

  test('does not warn once a deployment tool resolved the ids, nor for a workload declared without an identity', () => {
    const identity = ManagedIdentity.existing({ resourceId: R });
    const { oid, warnings } = synth(identity, { [identity.ref]: { clientId: IDS.clientId, principalId: IDS.principalId } });
    expect(oid).toBe(IDS.principalId);
    expect(warnings).toEqual([]);
    expect(Caller.workload({ meshPrincipal: 'cluster.local/ns/batch/sa/scorer' }).warnings()).toEqual([]);
  });
});
