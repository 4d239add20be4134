/**
 * Models published outside the cluster, each through an edge that
 * terminates TLS, redirects plain HTTP, adds HSTS and hands traffic to the
 * mesh (the backend admits only the edge's mesh principal, with a valid
 * token):
 *
 * - document embeddings behind NGINX Gateway Fabric 2.6 (Gateway API
 *   `HTTPRoute` plus NGF's `ClientSettingsPolicy`, `ProxySettingsPolicy`,
 *   `RateLimitPolicy` and an `NginxProxy` for the source ranges), its data
 *   plane enrolled in the mesh by the edge;
 * - an LLM served by vLLM pods behind an endpoint picker (an
 *   `InferencePool`), routed by Istio's Gateway API implementation on a
 *   self-managed Istio whose istiod runs with
 *   `ENABLE_GATEWAY_API_INFERENCE_EXTENSION=true` (the AKS Istio add-on
 *   documents no way to set it);
 * - risk scoring behind the AKS Istio add-on's external ingress gateway
 *   (works on a stock AKS cluster with the Istio add-on: the gateway is a mesh
 *   proxy), with a certificate from an existing Secret in the gateway's
 *   namespace;
 * - claims triage behind the F5 NGINX Ingress Controller, its pods enrolled in
 *   the mesh (`controllerInMesh`), with its certificate synced from Azure Key
 *   Vault by the Secrets Store CSI driver.
 */
import { App, Chart, ChartProps, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import {
  AKS_ISTIO_EXTERNAL_GATEWAY,
  AzureScope,
  Caller,
  Edge,
  EndpointBackend,
  EndpointPickerFailureMode,
  EntraTenant,
  IEdge,
  ManagedIdentity,
  MeshIdentityBinding,
  MeshNamespace,
  MeshProfile,
  SecureMlEndpoint,
  TlsCertificate,
} from '../lib';
import { FRAUD_TENANT_ID, MESH, OIDC_ISSUER_URL, SUBSCRIPTION_ID } from './fraud-scoring';

export const RISK_API_CLIENT_ID = '8d7c6b5a-4f3e-4d2c-9b1a-0f9e8d7c6b5a';
export const CLAIMS_API_CLIENT_ID = '2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b';
export const EMBEDDINGS_API_CLIENT_ID = '4c5d6e7f-8a9b-4c0d-9e1f-2a3b4c5d6e7f';
export const LLM_API_CLIENT_ID = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
/** The identity that reads the edge certificate from Key Vault (exists already). */
export const EDGE_CERTS_IDENTITY = {
  clientId: '7b6a5f4e-3d2c-4b1a-8f9e-0d1c2b3a4f5e',
  principalId: '6a5f4e3d-2c1b-4a9f-8e0d-1c2b3a4f5e6d',
};

/** A model server Deployment and its Service (port `servicePort`, to the container's 8080) in the chart's namespace. */
function modelServer(scope: Construct, name: string, image: string, servicePort = 80): kplus.Service {
  const model = new kplus.Deployment(scope, 'Model', {
    replicas: 2,
    podMetadata: { labels: { app: name } },
    containers: [{ name: 'model', image, ports: [{ number: 8080, name: 'http' }] }],
  });
  return model.exposeViaService({ name, ports: [{ name: 'http', port: servicePort, targetPort: 8080 }] });
}

/** Risk scoring behind the AKS Istio add-on's external ingress gateway. */
export class RiskScoringChart extends Chart {
  public readonly endpoint: SecureMlEndpoint;

  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, { namespace: 'risk', ...props });
    new MeshNamespace(this, 'Namespace', { name: 'risk', mesh: MESH, defaultDeny: true });
    const edge: IEdge = Edge.istioGateway({
      host: 'risk.contoso.com',
      // the add-on's gateway pods (aks-istio-ingress); the TLS Secret lives in that namespace
      gateway: AKS_ISTIO_EXTERNAL_GATEWAY,
      tls: TlsCertificate.fromSecret('risk-contoso-com-tls'),
    });
    this.endpoint = new SecureMlEndpoint(this, 'Endpoint', {
      backend: EndpointBackend.fromService(modelServer(this, 'risk-model', 'ghcr.io/contoso/risk-model:3.2.0')),
      tenant: new EntraTenant({ tenantId: FRAUD_TENANT_ID }),
      audiences: [RISK_API_CLIENT_ID],
      callers: [Caller.appRole('Risk.Score')],
      paths: ['/score'],
      methods: ['POST'],
      edge,
      mesh: MESH,
    });
  }
}

/** Claims triage behind the F5 NGINX Ingress Controller, certificate from Key Vault. */
export class ClaimsTriageChart extends Chart {
  public readonly endpoint: SecureMlEndpoint;

  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, { namespace: 'claims', ...props });
    new MeshNamespace(this, 'Namespace', { name: 'claims', mesh: MESH });
    const certificates = new MeshIdentityBinding(this, 'EdgeCertificates', {
      identity: ManagedIdentity.existing(EDGE_CERTS_IDENTITY),
      oidcIssuerUrl: OIDC_ISSUER_URL,
      serviceAccountName: 'edge-certificates',
    });
    this.endpoint = new SecureMlEndpoint(this, 'Endpoint', {
      backend: EndpointBackend.fromService(modelServer(this, 'claims-model', 'ghcr.io/contoso/claims-triage:1.0.4')),
      tenant: new EntraTenant({ tenantId: FRAUD_TENANT_ID }),
      audiences: [CLAIMS_API_CLIENT_ID],
      callers: [Caller.appRole('Claims.Triage')],
      mesh: MESH,
      edge: Edge.nginxIngressController({
        host: 'claims.contoso.com',
        // nginx-ingress is labelled for sidecar injection and the controller restarted (see docs/edges.md)
        controllerInMesh: true,
        tls: TlsCertificate.fromKeyVault({
          vault: AzureScope.keyVault({ subscriptionId: SUBSCRIPTION_ID, resourceGroup: 'edge-prod', vault: 'kv-contoso-edge' }),
          certificateName: 'claims-contoso-com',
          binding: certificates,
          tenantId: FRAUD_TENANT_ID,
        }),
        rateLimit: { requestsPerSecond: 10, burstMultiplier: 2 },
      }),
    });
  }
}

/**
 * Document embeddings behind NGINX Gateway Fabric (open-source NGINX), on the
 * AKS Istio add-on cluster: the edge creates the Gateway (class `nginx`) in the
 * model's namespace and enrols its data-plane pods (`embeddings-nginx`) in the
 * mesh through `spec.infrastructure`; the limits become NGF policies.
 */
export class EmbeddingsChart extends Chart {
  public readonly endpoint: SecureMlEndpoint;

  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, { namespace: 'embeddings', ...props });
    new MeshNamespace(this, 'Namespace', { name: 'embeddings', mesh: MESH });
    this.endpoint = new SecureMlEndpoint(this, 'Endpoint', {
      // NGF 2.6 sends to Pod IPs on the target port: the Service port must equal it (8080)
      backend: EndpointBackend.fromService(modelServer(this, 'embeddings-model', 'ghcr.io/contoso/embeddings:0.9.2', 8080)),
      tenant: new EntraTenant({ tenantId: FRAUD_TENANT_ID }),
      audiences: [EMBEDDINGS_API_CLIENT_ID],
      callers: [Caller.appRole('Embeddings.Create')],
      paths: ['/v1/embeddings'],
      methods: ['POST'],
      // the mesh's timeout, and the edge's (ProxySettingsPolicy timeout.read and timeout.send 120s):
      // NGINX's sidecar routes through the endpoint's VirtualService, so the shorter of the two wins
      timeout: Duration.minutes(2),
      mesh: MESH,
      edge: Edge.nginxGatewayFabric({
        host: 'embeddings.contoso.com',
        gateway: { name: 'embeddings' },
        tls: TlsCertificate.fromSecret('embeddings-contoso-com-tls'),
        // AKS 1.30 to 1.35 serve Gateway API bundles that accept only 301 and 302 redirects
        httpsRedirectCode: 301,
        // ClientSettingsPolicy body.maxSize 64m
        maxBodySize: Size.mebibytes(64),
        // RateLimitPolicy: 20 r/s per client address, burst 40, then 429
        rateLimit: { requestsPerSecond: 20, burstMultiplier: 2 },
        // NginxProxy: loadBalancerSourceRanges of the Gateway's load balancer
        sourceRanges: ['10.0.0.0/8'],
      }),
    });
  }
}

/** The self-managed Istio of the LLM cluster (istiod with `ENABLE_GATEWAY_API_INFERENCE_EXTENSION=true`). */
export const LLM_MESH = MeshProfile.istio();

/**
 * An LLM served by vLLM pods behind an endpoint picker: an InferencePool
 * backend, routed to by Istio's Gateway API edge (the gateway asks the picker
 * for a pod, then sends to it with mTLS). The picker (llm-d-router's
 * llm-d-router-gateway chart, release `qwen3`) is installed beside it.
 */
export class LlmChart extends Chart {
  public readonly endpoint: SecureMlEndpoint;

  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, { namespace: 'llm', ...props });
    new MeshNamespace(this, 'Namespace', { name: 'llm', mesh: LLM_MESH });
    new MeshNamespace(this, 'EdgeNamespace', { name: 'llm-edge', mesh: LLM_MESH });
    this.endpoint = new SecureMlEndpoint(this, 'Endpoint', {
      backend: EndpointBackend.inferencePool({
        name: 'qwen3',
        selector: { app: 'vllm-qwen3' },
        targetPort: 8000,
        endpointPicker: {
          serviceName: 'qwen3-epp',
          failureMode: EndpointPickerFailureMode.FAIL_CLOSE,
          // the picker sees every prompt: only the gateway pods (and the scraper) may connect
          podSelector: { 'llm-d-router-gateway': 'qwen3-epp' },
          allowNetworkFrom: [{ namespace: 'monitoring' }],
        },
      }),
      tenant: new EntraTenant({ tenantId: FRAUD_TENANT_ID }),
      audiences: [LLM_API_CLIENT_ID],
      callers: [Caller.appRole('Llm.Invoke')],
      paths: ['/v1/completions', '/v1/chat/completions'],
      methods: ['POST'],
      // completions take long: the edge's route timeout (timeouts.request) follows it
      timeout: Duration.minutes(5),
      mesh: LLM_MESH,
      edge: Edge.istioGatewayApi({
        host: 'llm.contoso.com',
        gateway: { name: 'llm', namespace: 'llm-edge' },
        tls: TlsCertificate.fromSecret('llm-contoso-com-tls'),
        validateTokens: true,
      }),
    });
  }
}

export function buildPublicEdges(app: App): void {
  new RiskScoringChart(app, 'risk-scoring');
  new ClaimsTriageChart(app, 'claims-triage');
  new EmbeddingsChart(app, 'embeddings');
  new LlmChart(app, 'llm');
}
