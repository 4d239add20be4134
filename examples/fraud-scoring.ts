/**
 * A fraud-scoring model served in the cluster, blue/green, behind a
 * SecureMlEndpoint: only tokens of the tenant for the fraud-scoring API that
 * carry the `Fraud.Score` app role, or come from the payments API app, reach
 * the model, over STRICT mTLS, and only as `POST /score`.
 *
 * Its public edge is the AKS Istio add-on's Gateway API implementation
 * (GatewayClass `istio`, asm-1-26 or later, with the managed Gateway API
 * CRDs: `az aks update --enable-gateway-api`): a Gateway in its own
 * namespace `fraud-edge` (the model's namespace is default-deny, which
 * would deny the gateway's own pods too), the certificate kept beside the
 * model and granted to the Gateway by a ReferenceGrant, the host's
 * HTTPRoute splitting 90/10 between blue and green, and tokens validated at
 * the gateway as well as at the model. See docs/gateway-api.md.
 */
import { App, Chart, ChartProps, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import {
  AzureRole,
  AzureScope,
  Caller,
  CallerSidecar,
  EndpointBackend,
  Edge,
  EntraTenant,
  ManagedIdentity,
  MeshIdentityBinding,
  MeshNamespace,
  MeshProfile,
  SecureMlEndpoint,
  TlsCertificate,
} from '../lib';

/** Example ids; replace with your tenant, app role and client ids. */
export const FRAUD_TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const FRAUD_API_CLIENT_ID = '0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5';
export const PAYMENTS_API_CLIENT_ID = '3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
export const SUBSCRIPTION_ID = '6c2f4e1a-9b8d-4c7e-a5f3-2d1b0e9c8a7f';
/** The batch scorer's user-assigned managed identity (exists already). */
export const BATCH_SCORER_IDENTITY = {
  clientId: '5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d',
  principalId: '9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b',
};
/** `az aks show --query oidcIssuerProfile.issuerUrl -o tsv`, exactly. */
export const OIDC_ISSUER_URL = `https://westeurope.oic.prod-aks.azure.com/${'72f988bf-86f1-41af-91ab-2d7cd011db47'}/1b2c3d4e-5f60-4a1b-9c2d-3e4f5a6b7c8d/`;

/**
 * The mesh: the AKS Istio add-on at revision asm-1-28 (`az aks mesh get-revisions`).
 * Namespaces are enrolled with `istio.io/rev: asm-1-28`.
 */
export const MESH = MeshProfile.aksIstioAddon('asm-1-28');

/** The public host of the fraud-scoring API. */
export const FRAUD_HOST = 'fraud.contoso.com';
/** The namespace of the fraud-scoring Gateway (and of its gateway pods, `fraud-edge-istio`). */
export const FRAUD_EDGE_NAMESPACE = 'fraud-edge';

export class FraudScoringChart extends Chart {
  public readonly endpoint: SecureMlEndpoint;

  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, { namespace: 'fraud', ...props });

    // The namespace, enrolled in the mesh; it holds only the model, so everything else is denied.
    new MeshNamespace(this, 'Namespace', { name: 'fraud', mesh: MESH, defaultDeny: true });
    // The Gateway's own namespace: its gateway pods are mesh proxies (Istio labels them
    // sidecar.istio.io/inject: "false"), and a default deny there would refuse every request.
    new MeshNamespace(this, 'EdgeNamespace', { name: FRAUD_EDGE_NAMESPACE, mesh: MESH });

    // Two model versions of the same server; pods are told apart by `version`.
    for (const version of ['blue', 'green']) {
      const deployment = new kplus.Deployment(this, `Model-${version}`, {
        replicas: 2,
        select: false,
        podMetadata: { labels: { app: 'fraud-model', version } },
        containers: [
          {
            name: 'model',
            image: `ghcr.io/contoso/fraud-model:${version === 'blue' ? '1.4.0' : '1.5.0'}`,
            ports: [{ number: 8080, name: 'http' }],
            resources: {
              cpu: { request: kplus.Cpu.millis(500), limit: kplus.Cpu.units(2) },
              memory: { request: Size.gibibytes(1), limit: Size.gibibytes(2) },
            },
          },
        ],
      });
      deployment.select(kplus.LabelSelector.of({ labels: { app: 'fraud-model', version } }));
    }

    const service = new kplus.Service(this, 'Service', {
      metadata: { name: 'fraud-model' },
      ports: [{ name: 'http', port: 80, targetPort: 8080 }],
    });
    service.selectLabel('app', 'fraud-model');

    this.endpoint = new SecureMlEndpoint(this, 'Endpoint', {
      backend: EndpointBackend.fromService(service),
      tenant: new EntraTenant({ tenantId: FRAUD_TENANT_ID }),
      // v2 tokens carry the API's Application (client) ID in `aud`
      audiences: [FRAUD_API_CLIENT_ID],
      callers: [
        // Recommended: an app role assigned in Entra to users, groups or apps.
        Caller.appRole('Fraud.Score'),
        // The payments API, by its Application (client) ID.
        Caller.application(PAYMENTS_API_CLIENT_ID),
      ],
      paths: ['/score'],
      methods: ['POST'],
      claimToHeaders: [{ claim: 'oid', header: 'x-caller-oid' }],
      deployments: [
        { name: 'blue', weight: 90 },
        { name: 'green', weight: 10 },
      ],
      timeout: Duration.seconds(30),
      mesh: MESH,
      // The public edge: a Gateway of class `istio` that the AKS add-on deploys as
      // Deployment/Service/ServiceAccount fraud-edge-istio in fraud-edge; the backend admits
      // cluster.local/ns/fraud-edge/sa/fraud-edge-istio (with a token) and no one else from outside.
      edge: Edge.istioGatewayApi({
        host: FRAUD_HOST,
        gateway: { name: 'fraud-edge', namespace: FRAUD_EDGE_NAMESPACE },
        // in namespace fraud; the ReferenceGrant there lets the Gateway read it
        tls: TlsCertificate.fromSecret('fraud-contoso-com-tls'),
        // asm-1-28 runs on AKS 1.30 to 1.35, whose managed Gateway API bundles (v1.2.1 to v1.4.1)
        // accept only 301 and 302 as redirect codes: 308 needs Kubernetes 1.36 (bundle v1.5.1)
        httpsRedirectCode: 301,
        // requests without a valid token are refused at the gateway too (the model checks again)
        validateTokens: true,
      }),
      // No azureScope: the model runs in the cluster, Azure checks no role when it scores,
      // so grants are enforced by the mesh alone (azure-plan.json lists them in meshOnlyGrants).
    });
  }
}

/** A batch scorer in its own namespace, running as a managed identity. */
export class BatchScorerChart extends Chart {
  public readonly binding: MeshIdentityBinding;

  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, { namespace: 'batch', ...props });
    new MeshNamespace(this, 'Namespace', { name: 'batch', mesh: MESH });

    this.binding = new MeshIdentityBinding(this, 'Identity', {
      identity: ManagedIdentity.existing(BATCH_SCORER_IDENTITY),
      oidcIssuerUrl: OIDC_ISSUER_URL,
      serviceAccountName: 'batch-scorer',
      tenantId: FRAUD_TENANT_ID,
    });

    const scorer = new kplus.Deployment(this, 'Scorer', {
      replicas: 1,
      containers: [{ name: 'scorer', image: 'ghcr.io/contoso/batch-scorer:2.1.0' }],
    });
    this.binding.applyTo(scorer);
    // opt-in: the namespace's proxies receive the routes of what its workloads were granted (the fraud
    // model), not of every Service in the mesh; add `hosts` for in-mesh services they call besides
    new CallerSidecar(this, 'ProxyScope', { namespace: 'batch', meshProfile: MESH });

    // It reads its job settings from the team's Key Vault.
    this.binding.grantRole(
      AzureRole.KEY_VAULT_SECRETS_USER,
      AzureScope.keyVault({ subscriptionId: SUBSCRIPTION_ID, resourceGroup: 'ml-prod', vault: 'kv-fraud-jobs' }),
    );
  }
}

export function buildFraudScoring(app: App): void {
  const fraud = new FraudScoringChart(app, 'fraud-scoring');
  const batch = new BatchScorerChart(app, 'batch-scorer');
  // the mesh rule (principal + oid); a mesh-only grant in the Azure plan, no role assignment
  fraud.endpoint.grantInvoke(batch.binding);
}
