/**
 * Issue 11 item 7: azureml-fe. Router policies spare its coordination ports
 * (tokenless, router to router only), and the model pods behind it admit only
 * the router's principal and pods.
 */
import { Chart, Testing } from 'cdk8s';
import { AZUREML_FE_INTERNAL_PORTS, Caller, Diagnostics, EndpointBackend, EntraTenant, MeshNamespace, SecureMlEndpoint } from '../../lib';
import { formatViolations, sharedValidator } from '../conformance/validator';
import { checkInvariants } from '../invariants';
import { Manifest, allowPolicy, denyPolicy, ofKind, synthApp } from '../util';

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const API = '0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5';
const PORTS = AZUREML_FE_INTERNAL_PORTS.map(String);
const ROUTER = 'cluster.local/ns/azureml/sa/azureml-fe';

function build(modelPods = [{ namespace: 'ml-endpoints', selector: { 'ml.azure.com/deployment-name': 'blue' } }]) {
  return synthApp((app) => {
    const chart = new Chart(app, 'c');
    MeshNamespace.existing(chart, 'Ns', 'azureml');
    MeshNamespace.existing(chart, 'ModelNs', 'ml-endpoints');
    new SecureMlEndpoint(chart, 'E', {
      backend: EndpointBackend.azureMlKubernetes({ modelPods }),
      tenant: new EntraTenant({ tenantId: TID }),
      audiences: [API],
      callers: [Caller.appRole('Score')],
      tokenHeader: 'x-entra-token',
      paths: ['/api/v1/endpoint/*'],
    });
  }).manifests;
}

describe('azureml-fe backend', () => {
  test('the DENY-without-token spares only the coordination ports, which admit only the router itself', () => {
    const ms = build();
    expect(denyPolicy(ms.filter((m) => m.metadata.namespace === 'azureml')).spec.rules).toEqual([
      { from: [{ source: { notRequestPrincipals: ['*'] } }], to: [{ operation: { notPorts: PORTS } }] },
      // and the coordination ports refuse anyone but the router, whatever other ALLOW selects the pods
      { from: [{ source: { notPrincipals: [ROUTER] } }], to: [{ operation: { ports: PORTS } }] },
    ]);
    const rules = allowPolicy(ms.filter((m) => m.metadata.namespace === 'azureml')).spec.rules;
    // callers need a token, on any port but the coordination ports
    expect(rules).toContainEqual(expect.objectContaining({
      when: [{ key: 'request.auth.claims[roles]', values: ['Score'] }],
      to: [{ operation: { paths: ['/api/v1/endpoint/*'], notPorts: PORTS } }],
    }));
    // router to router: its own principal, coordination ports only
    expect(rules).toContainEqual({ from: [{ source: { principals: [ROUTER] } }], to: [{ operation: { ports: PORTS } }] });
    expect(rules).toHaveLength(2);
    // the azureml namespace is the extension's: stated as existing (MeshNamespace.existing), so no Namespace object is written
    expect(checkInvariants(ms, { except: ['12 second fence'] })).toEqual([]);
    const violations = sharedValidator().validateAll(ms);
    if (violations.length) throw new Error(formatViolations(violations));
  });

  test('model pods admit only the router principal on 5001 and only the router pods by NetworkPolicy', () => {
    const ms = build();
    const inModelNs = ms.filter((m) => m.metadata.namespace === 'ml-endpoints');
    expect(inModelNs.map((m) => m.kind).sort()).toEqual(['AuthorizationPolicy', 'NetworkPolicy', 'PeerAuthentication']);
    const selector = { matchLabels: { 'ml.azure.com/deployment-name': 'blue' } };
    expect(inModelNs.find((m) => m.kind === 'PeerAuthentication')!.spec).toEqual({ selector, mtls: { mode: 'STRICT' } });
    expect(inModelNs.find((m) => m.kind === 'AuthorizationPolicy')!.spec).toEqual({
      selector, action: 'ALLOW', rules: [{ from: [{ source: { principals: [ROUTER] } }], to: [{ operation: { ports: ['5001'] } }] }],
    });
    expect(inModelNs.find((m) => m.kind === 'NetworkPolicy')!.spec.ingress).toEqual([{ from: [{
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'azureml' } },
      podSelector: { matchLabels: { azuremlappname: 'azureml-fe' } },
    }] }]);
    // the router's own NetworkPolicy admits its namespace: the other router pods (coordination) and the
    // extension's components, which Microsoft requires to reach each other
    const routerNp = ofKind(ms, 'NetworkPolicy').find((m: Manifest) => m.metadata.namespace === 'azureml')!;
    expect(routerNp.spec.ingress[0].from).toContainEqual({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'azureml' } } });
  });

  test('without modelPods a warning says the model pods are unprotected', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c');
    MeshNamespace.existing(chart, 'Ns', 'azureml');
    new SecureMlEndpoint(chart, 'E', {
      backend: EndpointBackend.azureMlKubernetes(),
      tenant: new EntraTenant({ tenantId: TID }), audiences: [API], callers: [Caller.appRole('Score')], tokenHeader: 'x-entra-token',
    });
    app.synthYaml();
    expect(Diagnostics.of(app).warnings.map((w) => w.message)).toEqual([expect.stringMatching(/^backend is azureml-fe without modelPods: the model pods behind the router get no policy/)]);
  });

  test('the model pods\' namespace must be declared too: a warning names it', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c');
    MeshNamespace.existing(chart, 'Ns', 'azureml');
    new SecureMlEndpoint(chart, 'E', {
      backend: EndpointBackend.azureMlKubernetes({ modelPods: [{ namespace: 'ml-endpoints', selector: { app: 'm' } }] }),
      tenant: new EntraTenant({ tenantId: TID }), audiences: [API], callers: [Caller.appRole('Score')], tokenHeader: 'x-entra-token',
    });
    app.synthYaml();
    expect(Diagnostics.of(app).warnings.map((w) => w.message)).toEqual([expect.stringMatching(/^namespace "ml-endpoints" is not declared in the app/)]);
  });

  test('fails for model pods without a selector or with a bad namespace', () => {
    expect(() => build([{ namespace: 'Bad', selector: {} as any }])).toThrow(/backend\.modelPods\[0\]\.namespace must be a namespace name.*\n.*backend\.modelPods\[0\]\.selector must be a non-empty label selector/);
  });
});
