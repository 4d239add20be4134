/**
 * Issue 11 item 9: a gRPC edge in front of a Service port Istio reads as
 * HTTP/1.1 breaks gRPC at the sidecar. Ports are named for their protocol,
 * and the combination is refused.
 */
import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import { BackendProtocol, Caller, Edge, EndpointBackend, EntraTenant, SecureMlEndpoint, TlsCertificate } from '../../lib';
import { one, synthApp } from '../util';

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const base = { tenant: new EntraTenant({ tenantId: TID }), audiences: ['0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5'], callers: [Caller.appRole('Score')] };
const grpcEdge = () => Edge.ingressNginx({ host: 'triton.contoso.com', tls: TlsCertificate.fromSecret('triton-tls'), backendProtocol: 'GRPC' });

describe('backend protocol', () => {
  test('a Deployment backend with protocol GRPC gets a port named grpc, and the gRPC edge is accepted', () => {
    const { manifests } = synthApp((app) => {
      const chart = new Chart(app, 'c', { namespace: 'ml' });
      const d = new kplus.Deployment(chart, 'Triton', { containers: [{ image: 'nvcr.io/nvidia/tritonserver:25.01-py3', portNumber: 8001 }] });
      new SecureMlEndpoint(chart, 'E', { ...base, backend: EndpointBackend.fromDeployment(d, { port: 8001, protocol: BackendProtocol.GRPC }), edge: grpcEdge() });
    });
    expect(one(manifests, 'Service').spec.ports).toEqual([expect.objectContaining({ name: 'grpc', port: 8001 })]);
  });

  test('fails for a gRPC edge in front of a Deployment backend with the default http port', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c', { namespace: 'ml' });
    const d = new kplus.Deployment(chart, 'Triton', { containers: [{ image: 'nvcr.io/nvidia/tritonserver:25.01-py3', portNumber: 8001 }] });
    new SecureMlEndpoint(chart, 'E', { ...base, backend: EndpointBackend.fromDeployment(d, { port: 8001 }), edge: grpcEdge() });
    expect(() => app.synthYaml()).toThrow(/\[c\/E\] backend must be a Service port declared as grpc .* when edge\.backendProtocol is "GRPC", got "port name \\"http\\""; the sidecar would speak HTTP\/1\.1/);
  });

  test('fails for a gRPC edge in front of a Service by name declared http, and accepts one declared GRPC or HTTP2', () => {
    const app = Testing.app();
    new SecureMlEndpoint(new Chart(app, 'c', { namespace: 'ml' }), 'E', {
      ...base, backend: EndpointBackend.service({ name: 'triton', port: 8001, selector: { app: 'triton' } }), edge: grpcEdge(),
    });
    expect(() => app.synthYaml()).toThrow(/got "protocol http"/);
    for (const protocol of [BackendProtocol.GRPC, BackendProtocol.HTTP2]) {
      expect(() => synthApp((a) => new SecureMlEndpoint(new Chart(a, 'c', { namespace: 'ml' }), 'E', {
        ...base, backend: EndpointBackend.service({ name: 'triton', port: 8001, selector: { app: 'triton' }, protocol }), edge: grpcEdge(),
      }))).not.toThrow();
    }
  });

  test('a cdk8s-plus Service port named grpc-triton is read as gRPC', () => {
    expect(() => synthApp((app) => {
      const chart = new Chart(app, 'c', { namespace: 'ml' });
      const svc = new kplus.Service(chart, 'Svc', { ports: [{ name: 'grpc-triton', port: 8001 }], selector: kplus.Pods.select(chart, 'P', { labels: { app: 'triton' } }) });
      new SecureMlEndpoint(chart, 'E', { ...base, backend: EndpointBackend.fromService(svc), edge: grpcEdge() });
    })).not.toThrow();
  });
});
