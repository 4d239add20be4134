/**
 * Two models published outside the cluster, each through an edge that
 * terminates TLS, redirects plain HTTP (308), adds HSTS and hands traffic to
 * the mesh through the Service (the backend admits only the edge's mesh
 * principal, with a valid token):
 *
 * - risk scoring behind the AKS Istio add-on's external ingress gateway
 *   (works on a stock AKS cluster with the Istio add-on: the gateway is a mesh
 *   proxy), with a certificate from an existing Secret in the gateway's
 *   namespace;
 * - claims triage behind the F5 NGINX Ingress Controller, its pods enrolled in
 *   the mesh (`controllerInMesh`), with its certificate synced from Azure Key
 *   Vault by the Secrets Store CSI driver.
 */
import { App, Chart, ChartProps } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import {
  AKS_ISTIO_EXTERNAL_GATEWAY,
  AzureScope,
  Caller,
  Edge,
  EndpointBackend,
  EntraTenant,
  IEdge,
  ManagedIdentity,
  MeshIdentityBinding,
  MeshNamespace,
  SecureMlEndpoint,
  TlsCertificate,
} from '../lib';
import { FRAUD_TENANT_ID, MESH, OIDC_ISSUER_URL, SUBSCRIPTION_ID } from './fraud-scoring';

export const RISK_API_CLIENT_ID = '8d7c6b5a-4f3e-4d2c-9b1a-0f9e8d7c6b5a';
export const CLAIMS_API_CLIENT_ID = '2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b';
/** The identity that reads the edge certificate from Key Vault (exists already). */
export const EDGE_CERTS_IDENTITY = {
  clientId: '7b6a5f4e-3d2c-4b1a-8f9e-0d1c2b3a4f5e',
  principalId: '6a5f4e3d-2c1b-4a9f-8e0d-1c2b3a4f5e6d',
};

/** A model server Deployment and its Service in the chart's namespace. */
function modelServer(scope: Construct, name: string, image: string): kplus.Service {
  const model = new kplus.Deployment(scope, 'Model', {
    replicas: 2,
    podMetadata: { labels: { app: name } },
    containers: [{ name: 'model', image, ports: [{ number: 8080, name: 'http' }] }],
  });
  return model.exposeViaService({ name, ports: [{ name: 'http', port: 80, targetPort: 8080 }] });
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

export function buildPublicEdges(app: App): void {
  new RiskScoringChart(app, 'risk-scoring');
  new ClaimsTriageChart(app, 'claims-triage');
}
