/** The Gateway API core shared by Edge.istioGatewayApi and Edge.nginxGatewayFabric: split Services, names, attachment. */
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import { Caller, Edge, EndpointBackend, EntraTenant, InferencePoolBackendOptions, IstioGatewayApiEdgeOptions, MeshNamespace, SecureMlEndpoint, SecureMlEndpointProps, TlsCertificate } from '../../lib';
import { checkInvariants } from '../invariants';
import { Manifest, synthApp, synthToDisk } from '../util';

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const AUD = '0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5';
const HOST = 'fraud.contoso.com';

function props(o: Partial<SecureMlEndpointProps> = {}): SecureMlEndpointProps {
  return {
    backend: EndpointBackend.service({ name: 'fraud', port: 80, targetPort: 8080, selector: { app: 'fraud' } }),
    tenant: new EntraTenant({ tenantId: TID }),
    audiences: [AUD],
    callers: [Caller.appRole('Fraud.Score')],
    claimToHeaders: [{ claim: 'oid', header: 'x-caller-oid' }],
    deployments: [{ name: 'blue', weight: 90 }, { name: 'green', weight: 10 }],
    edge: Edge.istioGatewayApi({ host: HOST, tls: TlsCertificate.fromSecret('fraud-tls'), gateway: { namespace: 'edge' } }),
    ...o,
  };
}
const app = (extra?: (chart: Chart) => void, o: Partial<SecureMlEndpointProps> = {}) => (a: App) => {
  const chart = new Chart(a, 'fraud', { namespace: 'fraud' });
  new MeshNamespace(chart, 'Namespace', { name: 'fraud' });
  new SecureMlEndpoint(chart, 'Endpoint', props(o));
  extra?.(chart);
};
const byHost = (ms: Manifest[], kind: string, host: string) => ms.filter((m) => m.kind === kind && (m.spec.host === host || (m.spec.hosts ?? []).includes(host)));

describe('traffic split at a Gateway API edge', () => {
  const ms = synthApp(app()).manifests;

  test('weighted backendRefs over one Service per deployment, each selecting the backend pods of its deployment on the same target port', () => {
    const route = ms.find((m) => m.kind === 'HTTPRoute' && m.spec.rules[0].backendRefs)!;
    expect(route.spec.rules[0].backendRefs).toEqual([
      { name: 'fraud-blue', port: 80, weight: 90 },
      { name: 'fraud-green', port: 80, weight: 10 },
    ]);
    const services = ms.filter((m) => m.kind === 'Service');
    expect(services.map((s) => [s.metadata.name, s.spec.selector, s.spec.ports])).toEqual([
      ['fraud-blue', { app: 'fraud', version: 'blue' }, [{ name: 'http', port: 80, targetPort: 8080 }]],
      ['fraud-green', { app: 'fraud', version: 'green' }, [{ name: 'http', port: 80, targetPort: 8080 }]],
    ]);
  });

  test('each per-deployment host gets the endpoint\'s traffic policy (ISTIO_MUTUAL, pool, outlier detection) and route (timeout, retries, claim-header removal)', () => {
    const main = byHost(ms, 'DestinationRule', 'fraud.fraud.svc.cluster.local')[0];
    for (const d of ['blue', 'green']) {
      const host = `fraud-${d}.fraud.svc.cluster.local`;
      const [dr] = byHost(ms, 'DestinationRule', host);
      expect(dr.spec.trafficPolicy).toEqual(main.spec.trafficPolicy);
      expect(dr.spec.trafficPolicy.tls).toEqual({ mode: 'ISTIO_MUTUAL' });
      expect(dr.spec.subsets).toBeUndefined();
      const [vs] = byHost(ms, 'VirtualService', host);
      expect(vs.spec.http[0].route).toEqual([{ destination: { host, port: { number: 80 } } }]);
      expect(vs.spec.http[0].headers.request.remove).toEqual(['x-caller-oid']);
      expect(vs.spec.http[0].timeout).toBeDefined();
    }
    expect(checkInvariants(ms)).toEqual([]);
  });

  test('without deployments, no per-deployment objects', () => {
    const plain = synthApp(app(undefined, { deployments: undefined })).manifests;
    expect(plain.filter((m) => m.kind === 'Service')).toEqual([]);
    expect(plain.filter((m) => m.kind === 'DestinationRule')).toHaveLength(1);
  });

  test('a per-deployment Service name another Service of the app or another endpoint already has is an error', () => {
    const taken = synthToDisk(app((chart) => {
      new kplus.Service(chart, 'Other', { metadata: { name: 'fraud-blue' }, ports: [{ port: 80 }] });
    }));
    expect(taken.error?.message).toMatch(/deployments must be deployment names whose Services \(<service>-<deployment>\) no one else declares \(fraud\/Other declares Service fraud\/fraud-blue\), got "fraud-blue"/);
    expect(taken.files).toEqual([]);
    const peer = synthToDisk(app((chart) => {
      new SecureMlEndpoint(chart, 'Blue', props({
        backend: EndpointBackend.service({ name: 'fraud-blue', port: 80, selector: { app: 'other' } }), deployments: undefined, edge: undefined,
      }));
    }));
    expect(peer.error?.message).toMatch(/\(fraud\/Blue declares Service fraud\/fraud-blue\)/);
  });

  test('an InferencePool backend with deployments is an error: the picker chooses pods, the split would reach in-mesh callers only', () => {
    const pool: InferencePoolBackendOptions = { name: 'qwen3', selector: { app: 'vllm' }, targetPort: 8000, endpointPicker: { serviceName: 'qwen3-epp' } };
    const { error } = synthToDisk(app(undefined, { backend: EndpointBackend.inferencePool(pool) }));
    expect(error?.message).toMatch(/deployments must be unset with an InferencePool backend, got \["blue","green"\]; the edge routes through the endpoint picker/);
  });
});

describe('attaching to Gateways', () => {
  test('an existing Gateway that another endpoint\'s edge creates is an error (its listeners serve that host only)', () => {
    const { error } = synthToDisk(app((chart) => {
      new SecureMlEndpoint(chart, 'Other', props({
        backend: EndpointBackend.service({ name: 'other', port: 80, targetPort: 8080, selector: { app: 'other' } }),
        deployments: undefined,
        edge: Edge.istioGatewayApi({ host: 'other.contoso.com', existingGateway: { name: 'fraud-fraud', namespace: 'edge', httpsListener: 'https', httpListener: 'http' } } as IstioGatewayApiEdgeOptions),
      }));
    }));
    expect(error?.message).toMatch(/\[fraud\/Other\] edge\.existingGateway must be a Gateway no endpoint of the app creates \(fraud\/Endpoint creates edge\/fraud-fraud, with listeners for its own host only\)/);
  });
});
