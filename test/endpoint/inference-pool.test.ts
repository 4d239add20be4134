/**
 * Issue 14 item 5: InferencePool backends. The pool's pods get the same
 * zero-trust set as any endpoint's; the InferencePool names the endpoint
 * picker; the picker's pods are fenced by a NetworkPolicy only (no Istio
 * policy: the gateway reaches the picker over the picker's own TLS).
 */
import { App, Chart, Testing } from 'cdk8s';
import {
  Caller,
  Diagnostics,
  EndpointBackend,
  EndpointPickerFailureMode,
  EntraTenant,
  InferencePoolBackendOptions,
  MeshNamespace,
  SecureMlEndpoint,
} from '../../lib';
import { formatViolations, sharedValidator } from '../conformance/validator';
import { checkInvariants } from '../invariants';
import { Manifest, allowPolicy, denyPolicy, one, synthApp } from '../util';

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const API = '0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5';
const POOL_PODS = { app: 'vllm-qwen3' };
const EPP_PODS = { inferencepool: 'qwen3-epp' };

const baseOptions: InferencePoolBackendOptions = {
  name: 'qwen3',
  selector: POOL_PODS,
  targetPort: 8000,
  endpointPicker: { serviceName: 'qwen3-epp', podSelector: EPP_PODS },
};

function declare(app: App, options: Partial<InferencePoolBackendOptions> = {}, chartNamespace: string | undefined = 'llm'): SecureMlEndpoint {
  const chart = new Chart(app, 'c', chartNamespace ? { namespace: chartNamespace } : {});
  new MeshNamespace(chart, 'Ns', { name: 'llm' });
  return new SecureMlEndpoint(chart, 'E', {
    backend: EndpointBackend.inferencePool({ ...baseOptions, ...options }),
    tenant: new EntraTenant({ tenantId: TID }),
    audiences: [API],
    callers: [Caller.appRole('Llm.Invoke')],
  });
}

function build(options: Partial<InferencePoolBackendOptions> = {}, chartNamespace?: string): Manifest[] {
  return synthApp((app) => declare(app, options, chartNamespace)).manifests;
}

const pool = (ms: Manifest[]) => one(ms, 'InferencePool');
const eppNetworkPolicy = (ms: Manifest[]) => one(ms, 'NetworkPolicy', (m) => m.spec.podSelector.matchLabels.inferencepool !== undefined);
const poolNetworkPolicy = (ms: Manifest[]) => one(ms, 'NetworkPolicy', (m) => m.spec.podSelector.matchLabels.app !== undefined);

describe('EndpointBackend.inferencePool', () => {
  test('writes the InferencePool: selector, target port and the endpoint picker, fail-closed', () => {
    const ms = build();
    const p = pool(ms);
    expect(p.apiVersion).toBe('inference.networking.k8s.io/v1');
    expect(p.metadata).toMatchObject({ name: 'qwen3', namespace: 'llm' });
    expect(p.spec).toEqual({
      selector: { matchLabels: POOL_PODS },
      targetPorts: [{ number: 8000 }],
      endpointPickerRef: { name: 'qwen3-epp', port: { number: 9002 }, failureMode: 'FailClose' },
    });
    expect(ms).toMatchSnapshot();
    const violations = sharedValidator().validateAll(ms);
    if (violations.length) throw new Error(formatViolations(violations));
    expect(checkInvariants(ms)).toEqual([]);
  });

  test('writes a ClusterIP Service named after the pool, port named http, selecting the pool pods on the target port', () => {
    const svc = one(build(), 'Service');
    expect(svc.metadata).toMatchObject({ name: 'qwen3', namespace: 'llm' });
    expect(svc.spec).toMatchObject({ type: 'ClusterIP', selector: POOL_PODS, ports: [{ name: 'http', port: 8000, targetPort: 8000 }] });
  });

  test('every policy of the endpoint selects the pool pods: STRICT mTLS, token required, only the callers', () => {
    const ms = build();
    const selector = { matchLabels: POOL_PODS };
    expect(one(ms, 'PeerAuthentication').spec).toEqual({ selector, mtls: { mode: 'STRICT' } });
    expect(one(ms, 'RequestAuthentication').spec.selector).toEqual(selector);
    expect(denyPolicy(ms).spec).toEqual({ selector, action: 'DENY', rules: [{ from: [{ source: { notRequestPrincipals: ['*'] } }] }] });
    const allow = allowPolicy(ms).spec;
    expect(allow.selector).toEqual(selector);
    expect(allow.rules).toEqual([expect.objectContaining({ when: [{ key: 'request.auth.claims[roles]', values: ['Llm.Invoke'] }] })]);
    expect(poolNetworkPolicy(ms).spec.podSelector).toEqual(selector);
    // in-mesh callers reach the pool through its Service, over ISTIO_MUTUAL
    expect(one(ms, 'DestinationRule').spec).toMatchObject({ host: 'qwen3.llm.svc.cluster.local', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } });
    expect(one(ms, 'VirtualService').spec.http[0].route).toEqual([{ destination: { host: 'qwen3.llm.svc.cluster.local', port: { number: 8000 } } }]);
  });

  test('no Istio policy selects the endpoint picker\'s pods: it is fenced by a NetworkPolicy that admits no one without an edge', () => {
    const ms = build();
    const eppLabels = (m: Manifest) => m.spec?.selector?.matchLabels?.inferencepool !== undefined;
    expect(ms.filter((m) => m.apiVersion.startsWith('security.istio.io/') && eppLabels(m))).toEqual([]);
    expect(eppNetworkPolicy(ms).spec).toEqual({ podSelector: { matchLabels: EPP_PODS }, policyTypes: ['Ingress'], ingress: [] });
  });

  test('the picker\'s NetworkPolicy admits the edge\'s gateway pods (edgeBound) and allowNetworkFrom', () => {
    const chart = Testing.chart();
    const bound = EndpointBackend.inferencePool({
      ...baseOptions,
      namespace: 'llm',
      endpointPicker: { ...baseOptions.endpointPicker, allowNetworkFrom: [{ namespace: 'monitoring' }] },
    }).bind(chart);
    expect(bound.inferencePool).toEqual({ name: 'qwen3' });
    bound.edgeBound!({ sources: [{ namespace: 'gateways', podLabels: { 'gateway.networking.k8s.io/gateway-name': 'public' } }] });
    const np = Testing.synth(chart).find((m) => m.kind === 'NetworkPolicy');
    expect(np.spec.ingress).toEqual([{ from: [
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'gateways' } }, podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'public' } } },
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
    ] }]);
  });

  test('options: picker port and fail-open, the Service\'s name and port', () => {
    const ms = build({
      endpointPicker: { serviceName: 'picker', port: 9102, failureMode: EndpointPickerFailureMode.FAIL_OPEN, podSelector: EPP_PODS },
      service: { name: 'qwen3-api', port: 80 },
    });
    expect(pool(ms).spec.endpointPickerRef).toEqual({ name: 'picker', port: { number: 9102 }, failureMode: 'FailOpen' });
    expect(one(ms, 'Service').metadata.name).toBe('qwen3-api');
    expect(one(ms, 'Service').spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 8000 }]);
    expect(one(ms, 'DestinationRule').spec.host).toBe('qwen3-api.llm.svc.cluster.local');
    expect(one(ms, 'VirtualService').spec.http[0].route[0].destination.port).toEqual({ number: 80 });
  });

  test('an existing Service: none is written, and the endpoint addresses it', () => {
    const ms = build({ service: { create: false, name: 'qwen3-svc', port: 8080 } });
    expect(ms.filter((m) => m.kind === 'Service')).toEqual([]);
    expect(one(ms, 'VirtualService').spec.hosts).toEqual(['qwen3-svc.llm.svc.cluster.local']);
    expect(pool(ms).spec.targetPorts).toEqual([{ number: 8000 }]);
  });

  test('createPool false (the picker\'s chart writes the pool): no InferencePool, the same Service and policies on the pool pods', () => {
    const ms = build({ createPool: false });
    expect(ms.filter((m) => m.kind === 'InferencePool')).toEqual([]);
    expect(one(ms, 'Service').spec.selector).toEqual(POOL_PODS);
    expect(one(ms, 'PeerAuthentication').spec.selector).toEqual({ matchLabels: POOL_PODS });
    expect(eppNetworkPolicy(ms).spec.podSelector).toEqual({ matchLabels: EPP_PODS });
  });

  test('the namespace comes from the backend option before the chart', () => {
    const ms = build({ namespace: 'llm' }, 'other');
    expect(pool(ms).metadata.namespace).toBe('llm');
    expect(one(ms, 'PeerAuthentication').metadata.namespace).toBe('llm');
  });

  test('without the picker\'s pods a warning says it is not fenced, and no NetworkPolicy is written for it', () => {
    const app = Testing.app();
    declare(app, { endpointPicker: { serviceName: 'qwen3-epp' } });
    const yaml = app.synthYaml();
    expect(yaml).not.toMatch(/inferencepool: qwen3-epp/);
    expect(Diagnostics.of(app).warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/^backend\.endpointPicker\.podSelector is not set: the endpoint picker's pods get no NetworkPolicy/),
    ]);
  });
});

describe('EndpointBackend.inferencePool errors', () => {
  const fails = (options: Partial<InferencePoolBackendOptions>, chartNamespace?: string) => () => build(options, chartNamespace);

  test('fails for names that are not DNS labels', () => {
    expect(fails({ name: 'Qwen_3' })).toThrow(/backend\.name must be an InferencePool name \(DNS label.*got "Qwen_3"/);
    expect(fails({ namespace: 'LLM' })).toThrow(/backend\.namespace must be a DNS label.*got "LLM"/);
    expect(fails({ service: { name: 'api.v1' } })).toThrow(/backend\.service\.name must be a Service name \(DNS label.*got "api\.v1"/);
    expect(fails({ endpointPicker: { serviceName: 'EPP' } })).toThrow(/backend\.endpointPicker\.serviceName must be a Service name \(DNS label.*got "EPP"/);
  });

  test('fails without a namespace on the backend or its chart', () => {
    expect(() => build({}, '')).toThrow(/backend\.namespace must be set on EndpointBackend\.inferencePool or its chart, got undefined/);
  });

  test('fails for an empty or invalid selector, or more labels than the CRD allows', () => {
    expect(fails({ selector: {} })).toThrow(/backend\.selector must be a non-empty label selector/);
    expect(fails({ selector: { 'bad key!': 'x' } })).toThrow(/backend\.selector key must be a Kubernetes label key.*got "bad key!"/);
    expect(fails({ selector: { app: 'not ok' } })).toThrow(/backend\.selector\[app\] must be a label value.*got "not ok"/);
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`l${i}`, 'v']));
    expect(fails({ selector: many })).toThrow(/backend\.selector must be at most 64 labels \(the InferencePool CRD's maxProperties\), got 65/);
  });

  test('fails for ports outside 1-65535', () => {
    expect(fails({ targetPort: 0 })).toThrow(/backend\.targetPort must be an integer port between 1 and 65535, got 0/);
    expect(fails({ targetPort: 8000.5 })).toThrow(/backend\.targetPort must be an integer port between 1 and 65535, got 8000\.5/);
    expect(fails({ service: { port: 70000 } })).toThrow(/backend\.service\.port must be an integer port between 1 and 65535, got 70000/);
    expect(fails({ endpointPicker: { serviceName: 'qwen3-epp', port: -1 } })).toThrow(/backend\.endpointPicker\.port must be an integer port between 1 and 65535, got -1/);
  });

  test('fails for a failure mode the CRD does not know', () => {
    expect(fails({ endpointPicker: { serviceName: 'qwen3-epp', failureMode: 'FailSafe' as EndpointPickerFailureMode } }))
      .toThrow(/backend\.endpointPicker\.failureMode must be one of "FailClose", "FailOpen" \(EndpointPickerFailureMode\), got "FailSafe"/);
  });

  test('fails without an endpoint picker, or with the pool\'s own Service as the picker', () => {
    expect(fails({ endpointPicker: undefined as any })).toThrow(/backend\.endpointPicker must be the endpoint picker's Service .*got undefined/);
    expect(fails({ endpointPicker: { serviceName: 'qwen3' } })).toThrow(/backend\.endpointPicker\.serviceName must be a Service other than the pool's own \("qwen3"\), got "qwen3"/);
  });

  test('fails when the picker\'s pods and the pool\'s pods could be the same', () => {
    // the picker's selector selects every pool pod
    expect(fails({ selector: { app: 'vllm', tier: 'model' }, endpointPicker: { serviceName: 'qwen3-epp', podSelector: { app: 'vllm' } } }))
      .toThrow(/backend\.endpointPicker\.podSelector must be labels that select none of the pool's pods/);
    // the pool's selector selects every picker pod
    expect(fails({ selector: { app: 'vllm' }, endpointPicker: { serviceName: 'qwen3-epp', podSelector: { app: 'vllm', role: 'epp' } } }))
      .toThrow(/backend\.endpointPicker\.podSelector must be labels that select none of the pool's pods/);
    expect(fails({ endpointPicker: { serviceName: 'qwen3-epp', podSelector: {} } })).toThrow(/backend\.endpointPicker\.podSelector must be a non-empty label selector/);
  });

  test('fails for a bad allowNetworkFrom source', () => {
    expect(fails({ endpointPicker: { serviceName: 'qwen3-epp', podSelector: EPP_PODS, allowNetworkFrom: [{ namespace: 'Monitoring' }] } }))
      .toThrow(/backend\.endpointPicker\.allowNetworkFrom\[0\]\.namespace must be a namespace name \(DNS label\), got "Monitoring"/);
  });

  test('bad input never renders the pool objects, even without app validation', () => {
    const app = Testing.app();
    const endpoint = declare(app, { targetPort: 0 });
    for (const kind of ['InferencePool', 'Service', 'NetworkPolicy']) {
      for (const object of endpoint.apiObjects.filter((o) => o.kind === kind)) {
        expect(() => object.toJson()).toThrow(/MeshValidationError: validation failed with 1 error\(s\):\n\s+c\/E: backend\.targetPort must be an integer port/);
      }
    }
    expect(endpoint.apiObjects.filter((o) => ['InferencePool', 'Service', 'NetworkPolicy'].includes(o.kind))).toHaveLength(4);
  });
});
