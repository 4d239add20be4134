/**
 * A nightly batch scorer in the mesh calls an Azure ML managed online
 * endpoint (blue/green deployments) under egress control: its namespace can
 * reach only the scoring host and the identity hosts, it authenticates with a
 * Microsoft Entra token for https://ml.azure.com from its workload identity,
 * and a canary tester always hits the green deployment.
 */
import { App, Chart, ChartProps, Cron } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { AzureScope, EgressTlsMode, EntraTenant, ManagedIdentity, ManagedOnlineEndpoint, MeshIdentityBinding, MeshNamespace } from '../lib';
import { FRAUD_TENANT_ID, MESH, OIDC_ISSUER_URL, SUBSCRIPTION_ID } from './fraud-scoring';

/** The scorer's identity (exists already). */
export const NIGHTLY_SCORER_IDENTITY = {
  clientId: '4c3b2a19-0f8e-4d7c-b6a5-948372615a0b',
  principalId: '3b2a190f-8e7d-4c6b-a594-8372615a0b1c',
};

export class ScoringJobsChart extends Chart {
  public readonly endpoint: ManagedOnlineEndpoint;

  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, { namespace: 'scoring-jobs', ...props });
    new MeshNamespace(this, 'Namespace', { name: 'scoring-jobs', mesh: MESH });

    const scorer = new MeshIdentityBinding(this, 'NightlyScorer', {
      identity: ManagedIdentity.existing(NIGHTLY_SCORER_IDENTITY),
      oidcIssuerUrl: OIDC_ISSUER_URL,
      serviceAccountName: 'nightly-scorer',
      tenantId: FRAUD_TENANT_ID,
    });

    this.endpoint = new ManagedOnlineEndpoint(this, 'ChurnModel', {
      endpointName: 'churn-model',
      region: 'westeurope',
      workspace: AzureScope.mlWorkspace({ subscriptionId: SUBSCRIPTION_ID, resourceGroup: 'ml-prod', workspace: 'fraud-ws' }),
      tenant: new EntraTenant({ tenantId: FRAUD_TENANT_ID }),
      callers: [scorer],
      // the app speaks HTTP to the sidecar, which originates TLS: deployment pinning can set headers.
      // The bearer token then travels in plain HTTP inside the pod: acknowledged, and the namespace's
      // workload-identity pods get a NetworkPolicy that refuses TCP 80 leaving the cluster.
      tlsMode: EgressTlsMode.ORIGINATION,
      acknowledgePlainHttpInPod: true,
      // the AKS Istio add-on: its control plane (aks-istio-system) is what the egress Sidecar lets the proxies reach
      meshProfile: MESH,
      deployments: ['blue', 'green'],
      pins: [{ deployment: 'green', namespace: 'scoring-jobs', sourceLabels: { app: 'canary-tester' } }],
    });

    const env = { SCORING_URL: kplus.EnvValue.fromValue(this.endpoint.scoringUrl), TOKEN_SCOPE: kplus.EnvValue.fromValue('https://ml.azure.com/.default') };
    const nightly = new kplus.CronJob(this, 'Nightly', {
      schedule: Cron.daily(),
      containers: [{ name: 'scorer', image: 'ghcr.io/contoso/churn-batch:1.3.0', envVariables: env }],
    });
    scorer.applyTo(nightly);

    const canary = new kplus.Deployment(this, 'CanaryTester', {
      replicas: 1,
      podMetadata: { labels: { app: 'canary-tester' } },
      containers: [{ name: 'tester', image: 'ghcr.io/contoso/churn-canary:1.3.0', envVariables: env }],
    });
    scorer.applyTo(canary);
  }
}

export function buildManagedEndpoint(app: App): void {
  new ScoringJobsChart(app, 'scoring-jobs');
}
