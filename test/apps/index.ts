/**
 * Test apps: declarations that exercise each option. The conformance suite
 * validates every object they synthesize against the official schemas.
 */
import { App, Chart, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import {
  AzureRole,
  AzureScope,
  Caller,
  EndpointBackend,
  EntraCloud,
  EntraTenant,
  ManagedIdentity,
  MeshIdentityBinding,
  MeshNamespace,
  Edge,
  EntraApplication,
  TlsCertificate,
  AuditLogMeshConfig,
  MeshProfile,
  BackendProtocol,
  EndpointPickerFailureMode,
  SecureMlEndpoint,
  TokenVersion,
  ExtAuthzMeshConfig,
  CallerSidecar,
  ManagedOnlineEndpoint,
} from '../../lib';

export const TENANT_ID = '00000000-1111-4222-8333-444444444444';
export const CLIENT_ID = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
export const GROUP_ID = '12345678-1234-4234-8234-123456789abc';
export const SP_OBJECT_ID = 'fedcba98-7654-4321-8fed-cba987654321';
export const SUBSCRIPTION_ID = '6c2f4e1a-9b8d-4c7e-a5f3-2d1b0e9c8a7f';
export const OIDC_ISSUER = `https://westeurope.oic.prod-aks.azure.com/${TENANT_ID}/1b2c3d4e-5f60-4a1b-9c2d-3e4f5a6b7c8d/`;

export interface TestApp {
  readonly name: string;
  build(app: App): void;
}

export const TEST_APPS: TestApp[] = [
  {
    name: 'minimal service backend, v2 tokens',
    build(app) {
      const chart = new Chart(app, 'minimal');
      new MeshNamespace(chart, 'Namespace', { name: 'ml' });
      new SecureMlEndpoint(chart, 'Endpoint', {
        backend: EndpointBackend.service({ name: 'model', namespace: 'ml', port: 8080, selector: { app: 'model' } }),
        tenant: new EntraTenant({ tenantId: TENANT_ID }),
        audiences: [CLIENT_ID],
        callers: [Caller.appRole('Model.Invoke')],
      });
    },
  },
  {
    name: 'every caller kind, both token versions, operations and claim headers',
    build(app) {
      const chart = new Chart(app, 'all-callers', { namespace: 'scoring' });
      new MeshNamespace(chart, 'Namespace', { name: 'scoring' });
      new SecureMlEndpoint(chart, 'Endpoint', {
        backend: EndpointBackend.service({ name: 'scorer', port: 80, selector: { app: 'scorer', tier: 'model' } }),
        tenant: new EntraTenant({ tenantId: TENANT_ID, tokenVersion: TokenVersion.BOTH }),
        audiences: ['api://scorer', CLIENT_ID],
        callers: [
          Caller.appRole('Score'),
          Caller.group(GROUP_ID),
          Caller.application(CLIENT_ID),
          Caller.servicePrincipal(SP_OBJECT_ID),
        ],
        paths: ['/score', '/v2/models/*'],
        methods: ['POST'],
        forwardOriginalToken: true,
        claimToHeaders: [
          { claim: 'oid', header: 'x-caller-oid' },
          { claim: 'tid', header: 'x-caller-tid' },
        ],
        deployments: [
          { name: 'blue', weight: 3, labels: { track: 'stable' } },
          { name: 'green', weight: 1, labels: { track: 'canary' } },
        ],
        timeout: Duration.millis(1500),
        retries: { attempts: 0 },
      });
    },
  },
  {
    name: 'v1 tokens in Azure US Government, anyAuthenticated, no access logs',
    build(app) {
      const chart = new Chart(app, 'usgov');
      new MeshNamespace(chart, 'Namespace', { name: 'gov' });
      new SecureMlEndpoint(chart, 'Endpoint', {
        namespace: 'gov',
        backend: EndpointBackend.service({ name: 'triton', port: 8000, selector: { 'app.kubernetes.io/name': 'triton' } }),
        tenant: new EntraTenant({ tenantId: TENANT_ID, tokenVersion: TokenVersion.V1, cloud: EntraCloud.US_GOVERNMENT }),
        audiences: ['api://triton', CLIENT_ID],
        callers: [Caller.anyAuthenticated()],
        accessLogProviders: [],
        retries: { attempts: 3, perTryTimeout: Duration.seconds(10), retryOn: 'connect-failure' },
      });
    },
  },
  {
    name: 'cdk8s-plus Deployment backend in Azure China with custom traffic policy',
    build(app) {
      const chart = new Chart(app, 'kplus-deployment', { namespace: 'models' });
      new MeshNamespace(chart, 'Namespace', { name: 'models' });
      const deployment = new kplus.Deployment(chart, 'Model', {
        containers: [{ image: 'ghcr.io/contoso/model:1.0.0', ports: [{ number: 8080 }] }],
      });
      new SecureMlEndpoint(chart, 'Endpoint', {
        backend: EndpointBackend.fromDeployment(deployment, { port: 80, targetPort: 8080, serviceName: 'model' }),
        tenant: new EntraTenant({ tenantId: TENANT_ID, cloud: EntraCloud.CHINA }),
        audiences: [CLIENT_ID],
        callers: [Caller.application(CLIENT_ID), Caller.appRole('Invoke')],
        connectionPool: { tcp: { maxConnections: 10 }, http: { http2MaxRequests: 10 } },
        outlierDetection: { consecutive5XxErrors: 0, consecutiveGatewayErrors: 3, interval: '5s', baseEjectionTime: '1m' },
      });
    },
  },
  {
    name: 'workload identity: existing and to-be-created identities, grants across namespaces',
    build(app) {
      const ml = new Chart(app, 'wi-model', { namespace: 'ml' });
      new MeshNamespace(ml, 'Namespace', { name: 'ml' });
      const endpoint = new SecureMlEndpoint(ml, 'Endpoint', {
        backend: EndpointBackend.service({ name: 'model', port: 80, selector: { app: 'model' } }),
        tenant: new EntraTenant({ tenantId: TENANT_ID, tokenVersion: TokenVersion.BOTH }),
        audiences: [CLIENT_ID],
        callers: [Caller.appRole('Invoke')],
      });
      const jobs = new Chart(app, 'wi-jobs', { namespace: 'jobs' });
      new MeshNamespace(jobs, 'Namespace', { name: 'jobs' });
      const existing = new MeshIdentityBinding(jobs, 'Scorer', {
        identity: ManagedIdentity.existing({ clientId: CLIENT_ID, principalId: SP_OBJECT_ID }),
        oidcIssuerUrl: OIDC_ISSUER,
        serviceAccountName: 'scorer',
        tenantId: TENANT_ID,
      });
      const created = new MeshIdentityBinding(jobs, 'Features', {
        identity: ManagedIdentity.create({ name: 'features', resourceGroup: 'ml', subscriptionId: SUBSCRIPTION_ID, location: 'westeurope' }),
        oidcIssuerUrl: OIDC_ISSUER,
        serviceAccountName: 'features',
      });
      existing.applyTo(new kplus.Deployment(jobs, 'ScorerDeployment', { containers: [{ image: 'ghcr.io/contoso/scorer:1' }] }));
      created.applyTo(new kplus.Job(jobs, 'FeatureJob', { containers: [{ image: 'ghcr.io/contoso/features:1' }] }));
      // in-cluster: mesh-only grants (azure-plan.json meshOnlyGrants), no role assignment
      endpoint.grantInvoke(existing);
      endpoint.grantInvoke(created);
      existing.grantRole(AzureRole.KEY_VAULT_SECRETS_USER, AzureScope.keyVault({ subscriptionId: SUBSCRIPTION_ID, resourceGroup: 'ml', vault: 'ml-kv' }));
    },
  },
  {
    name: 'scoped proxy config: callers\' namespaces with a CallerSidecar, one merged with a managed endpoint\'s egress control',
    build(app) {
      const chart = new Chart(app, 'scoped');
      new MeshNamespace(chart, 'Models', { name: 'models' });
      new MeshNamespace(chart, 'Apps', { name: 'apps' });
      new MeshNamespace(chart, 'Reports', { name: 'reports' });
      const tenant = new EntraTenant({ tenantId: TENANT_ID });
      const binding = (ns: string, sa: string, principalId: string) => new MeshIdentityBinding(chart, `${ns}-${sa}`, {
        identity: ManagedIdentity.existing({ clientId: CLIENT_ID, principalId }),
        oidcIssuerUrl: OIDC_ISSUER,
        namespace: ns,
        serviceAccountName: sa,
      });
      const scorer = binding('apps', 'scorer', SP_OBJECT_ID);
      const reporter = binding('reports', 'reporter', GROUP_ID);
      const ranker = new SecureMlEndpoint(chart, 'Ranker', {
        backend: EndpointBackend.service({ name: 'ranker', namespace: 'models', port: 8080, selector: { app: 'ranker' } }),
        tenant,
        audiences: [CLIENT_ID],
        deployments: [{ name: 'blue', weight: 90 }, { name: 'green', weight: 10 }],
      });
      const embedder = new SecureMlEndpoint(chart, 'Embedder', {
        backend: EndpointBackend.service({ name: 'embedder', namespace: 'models', port: 8080, selector: { app: 'embedder' } }),
        tenant,
        audiences: [CLIENT_ID],
      });
      ranker.grantInvoke(scorer);
      ranker.grantInvoke(reporter);
      embedder.grantInvoke(scorer);
      // apps: only the two endpoints and the ledger; reports: the ranker and a managed endpoint (egress control, REGISTRY_ONLY)
      new CallerSidecar(chart, 'AppsScope', { namespace: 'apps', hosts: ['payments/ledger.payments.svc.cluster.local'] });
      new CallerSidecar(chart, 'ReportsScope', { namespace: 'reports' });
      const forecast = new ManagedOnlineEndpoint(chart, 'Forecast', {
        endpointName: 'forecast',
        region: 'westeurope',
        workspace: AzureScope.mlWorkspace({ subscriptionId: SUBSCRIPTION_ID, resourceGroup: 'ml', workspace: 'ml-ws' }),
        tenant,
      });
      forecast.grantInvoke(reporter);
    },
  },
  {
    name: 'browser sign-in on ingress-nginx (oauth2-proxy), audit log on the AKS add-on',
    build(app) {
      const mesh = MeshProfile.aksIstioAddon('asm-1-28');
      const chart = new Chart(app, 'sign-in', { namespace: 'portal' });
      new MeshNamespace(chart, 'Namespace', { name: 'portal', mesh });
      new AuditLogMeshConfig(new Chart(app, 'mesh-config'), 'Audit', { mesh });
      new SecureMlEndpoint(chart, 'Endpoint', {
        backend: EndpointBackend.service({ name: 'portal-model', port: 8080, selector: { app: 'portal-model' } }),
        tenant: new EntraTenant({ tenantId: TENANT_ID }),
        audiences: [CLIENT_ID],
        callers: [Caller.appRole('Portal.Use')],
        mesh,
        auditLog: true,
        edge: Edge.ingressNginx({
          host: 'portal.contoso.com',
          tls: TlsCertificate.fromSecret('portal-tls'),
          controllerInMesh: true,
          browserSignIn: {
            application: EntraApplication.fromClientId(CLIENT_ID),
            oidcIssuerUrl: OIDC_ISSUER,
            cookieSecret: { secretName: 'oauth2-proxy-cookie', key: 'secret' },
          },
        }),
      });
    },
  },
  {
    name: 'azureml-fe with model pods, and a gRPC model behind a gRPC edge',
    build(app) {
      const chart = new Chart(app, 'azureml-router');
      // the extension's namespace, labelled here (kubectl apply adds the label to the existing Namespace)
      new MeshNamespace(chart, 'AzuremlNamespace', { name: 'azureml' });
      new MeshNamespace(chart, 'ModelsNamespace', { name: 'ml-endpoints' });
      new SecureMlEndpoint(chart, 'Router', {
        backend: EndpointBackend.azureMlKubernetes({ modelPods: [{ namespace: 'ml-endpoints', selector: { 'ml.azure.com/deployment-name': 'blue' } }] }),
        tenant: new EntraTenant({ tenantId: TENANT_ID }),
        audiences: [CLIENT_ID],
        tokenHeader: 'x-mesh-authorization',
        callers: [Caller.appRole('Scoring.Invoke')],
      });
      const grpc = new Chart(app, 'triton', { namespace: 'triton' });
      new MeshNamespace(grpc, 'Namespace', { name: 'triton' });
      const triton = new kplus.Deployment(grpc, 'Triton', {
        containers: [{ image: 'nvcr.io/nvidia/tritonserver:25.01-py3', ports: [{ number: 8001, name: 'grpc' }] }],
      });
      new SecureMlEndpoint(grpc, 'Endpoint', {
        backend: EndpointBackend.fromDeployment(triton, { port: 8001, protocol: BackendProtocol.GRPC, serviceName: 'triton' }),
        tenant: new EntraTenant({ tenantId: TENANT_ID }),
        audiences: [CLIENT_ID],
        callers: [Caller.appRole('Triton.Infer')],
        edge: Edge.ingressNginx({ host: 'triton.contoso.com', tls: TlsCertificate.fromSecret('triton-tls'), backendProtocol: 'GRPC', controllerInMesh: true }),
      });
    },
  },
  {
    name: 'InferencePool backend (vLLM pods behind an endpoint picker), in-mesh workload caller, no edge',
    build(app) {
      const chart = new Chart(app, 'inference-pool', { namespace: 'llm' });
      new MeshNamespace(chart, 'Namespace', { name: 'llm' });
      new SecureMlEndpoint(chart, 'Endpoint', {
        backend: EndpointBackend.inferencePool({
          name: 'qwen3',
          selector: { app: 'vllm-qwen3' },
          targetPort: 8000,
          endpointPicker: {
            serviceName: 'qwen3-epp',
            failureMode: EndpointPickerFailureMode.FAIL_CLOSE,
            podSelector: { inferencepool: 'qwen3-epp' },
            allowNetworkFrom: [{ namespace: 'monitoring', podLabels: { 'app.kubernetes.io/name': 'prometheus' } }],
          },
        }),
        tenant: new EntraTenant({ tenantId: TENANT_ID }),
        audiences: [CLIENT_ID],
        callers: [Caller.appRole('Llm.Invoke'), Caller.workload({ meshPrincipal: 'cluster.local/ns/agents/sa/planner' })],
        paths: ['/v1/completions', '/v1/chat/completions'],
        methods: ['POST'],
      });
    },
  },
  {
    name: 'NGINX Gateway Fabric edge: created Gateway in its own namespace, NGINX Plus JWT filter, NGF policies, source ranges, canary split, AKS add-on',
    build(app) {
      const mesh = MeshProfile.aksIstioAddon('asm-1-28');
      const chart = new Chart(app, 'ngf-created', { namespace: 'inference' });
      new MeshNamespace(chart, 'Namespace', { name: 'inference', mesh });
      const model = new kplus.Deployment(chart, 'Model', {
        containers: [{ image: 'ghcr.io/contoso/model:2.1.0', ports: [{ number: 8080 }] }],
      });
      new SecureMlEndpoint(chart, 'Endpoint', {
        backend: EndpointBackend.fromDeployment(model, { port: 8080, serviceName: 'model' }),
        tenant: new EntraTenant({ tenantId: TENANT_ID }),
        audiences: [CLIENT_ID],
        callers: [Caller.appRole('Model.Invoke')],
        mesh,
        deployments: [{ name: 'stable', weight: 95 }, { name: 'canary', weight: 5 }],
        claimToHeaders: [{ claim: 'oid', header: 'x-caller-oid' }],
        edge: Edge.nginxGatewayFabric({
          host: 'inference.contoso.com',
          tls: TlsCertificate.fromSecret('inference-tls'),
          gateway: { name: 'inference-public', namespace: 'ngf-edge', infrastructureAnnotations: { 'service.beta.kubernetes.io/azure-load-balancer-internal': 'true' } },
          nginxPlus: true,
          validateTokens: true,
          rateLimit: { requestsPerSecond: 50, burstMultiplier: 2 },
          sourceRanges: ['10.0.0.0/8', '2001:db8::/32'],
          maxBodySize: Size.mebibytes(100),
          readTimeout: Duration.minutes(5),
        }),
      });
    },
  },
  {
    name: 'NGINX Gateway Fabric edge on a shared Gateway (existingGateway, open-source NGINX)',
    build(app) {
      const chart = new Chart(app, 'ngf-shared', { namespace: 'scoring-ngf' });
      new MeshNamespace(chart, 'Namespace', { name: 'scoring-ngf' });
      new SecureMlEndpoint(chart, 'Endpoint', {
        backend: EndpointBackend.service({ name: 'scorer', port: 8000, targetPort: 8000, selector: { app: 'scorer' } }),
        tenant: new EntraTenant({ tenantId: TENANT_ID, tokenVersion: TokenVersion.BOTH }),
        audiences: ['api://scorer', CLIENT_ID],
        callers: [Caller.appRole('Score'), Caller.application(CLIENT_ID)],
        timeout: Duration.seconds(120),
        edge: Edge.nginxGatewayFabric({
          host: 'scoring.contoso.com',
          existingGateway: { name: 'platform', namespace: 'platform-gateways', httpsListener: 'https-scoring', httpListener: 'http' },
          controllerInMesh: true,
          rateLimit: { requestsPerSecond: 10 },
        }),
      });
    },
  },
  {
    name: 'Istio Gateway API edge on the AKS add-on: Gateway in its own namespace, source ranges, token validation at the gateway, weighted deployments',
    build(app) {
      const mesh = MeshProfile.aksIstioAddon('asm-1-28');
      const chart = new Chart(app, 'gateway-api', { namespace: 'scoring-api' });
      new MeshNamespace(chart, 'Namespace', { name: 'scoring-api', mesh });
      new SecureMlEndpoint(chart, 'Endpoint', {
        backend: EndpointBackend.service({ name: 'scorer', port: 80, targetPort: 8080, selector: { app: 'scorer' } }),
        tenant: new EntraTenant({ tenantId: TENANT_ID, tokenVersion: TokenVersion.BOTH }),
        audiences: [CLIENT_ID],
        callers: [Caller.appRole('Scoring.Invoke')],
        mesh,
        deployments: [{ name: 'blue', weight: 80 }, { name: 'green', weight: 20 }],
        claimToHeaders: [{ claim: 'oid', header: 'x-caller-oid' }],
        edge: Edge.istioGatewayApi({
          host: 'scoring.contoso.com',
          tls: TlsCertificate.fromSecret('scoring-tls'),
          gateway: { name: 'scoring', namespace: 'ingress', infrastructureAnnotations: { 'service.beta.kubernetes.io/azure-load-balancer-internal': 'true' } },
          sourceRanges: ['10.0.0.0/8'],
          readTimeout: Duration.minutes(2),
          validateTokens: true,
        }),
      });
    },
  },
  {
    name: 'browser sign-in on Istio\'s Gateway API (oauth2-proxy as ext-authz, its mesh config beside the audit log\'s), and an endpoint on a shared Gateway',
    build(app) {
      const mesh = MeshProfile.aksIstioAddon('asm-1-28');
      const chart = new Chart(app, 'gateway-api-sign-in', { namespace: 'studio' });
      new MeshNamespace(chart, 'Namespace', { name: 'studio', mesh });
      new SecureMlEndpoint(chart, 'Endpoint', {
        backend: EndpointBackend.service({ name: 'studio-model', port: 8080, selector: { app: 'studio-model' } }),
        tenant: new EntraTenant({ tenantId: TENANT_ID }),
        audiences: [CLIENT_ID],
        callers: [Caller.appRole('Studio.Use')],
        mesh,
        auditLog: true,
        edge: Edge.istioGatewayApi({
          host: 'studio.contoso.com',
          tls: TlsCertificate.fromSecret('studio-tls'),
          validateTokens: true,
          browserSignIn: {
            application: EntraApplication.fromClientId(CLIENT_ID),
            oidcIssuerUrl: OIDC_ISSUER,
            cookieSecret: { secretName: 'oauth2-proxy-cookie', key: 'secret' },
          },
        }),
      });
      new SecureMlEndpoint(chart, 'SharedGatewayEndpoint', {
        backend: EndpointBackend.service({ name: 'studio-batch', port: 8080, selector: { app: 'studio-batch' } }),
        tenant: new EntraTenant({ tenantId: TENANT_ID }),
        audiences: [CLIENT_ID],
        callers: [Caller.appRole('Studio.Batch')],
        mesh,
        edge: Edge.istioGatewayApi({
          host: 'batch.contoso.com',
          existingGateway: { name: 'shared', namespace: 'platform-ingress', httpsListener: 'https-batch', httpListener: 'http', serviceAccount: 'shared-gateway' },
        }),
      });
      const meshConfig = new Chart(app, 'gateway-api-mesh-config');
      new AuditLogMeshConfig(meshConfig, 'Audit', { mesh });
      new ExtAuthzMeshConfig(meshConfig, 'SignIn', { mesh });
    },
  },
];
