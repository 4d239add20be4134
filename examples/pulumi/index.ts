/**
 * A Pulumi program: creates the feature service's managed identity, looks up
 * the reporting job's existing one, creates both identities' federated
 * credentials, the invoker role and the role assignments, then applies the
 * fraud-scoring manifests, one Kubernetes resource per object, with the
 * identities' real ids. `pulumi preview` lists every one of them before the
 * new identity exists.
 *
 *   cd examples/pulumi && pulumi stack init dev && pulumi up
 */
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { App, Chart } from 'cdk8s';
import { ManagedIdentity, MeshIdentityBinding } from 'cdk8s-azureml-mesh';
import { AzureMlMesh } from 'cdk8s-azureml-mesh/pulumi';
import { FraudScoringChart, OIDC_ISSUER_URL, SUBSCRIPTION_ID } from '../fraud-scoring';

const config = new pulumi.Config();
const kubeconfig = config.get('kubeconfig');

/**
 * The declaration: the fraud endpoint; a feature service whose identity
 * Pulumi creates; a reporting job whose identity exists (by name and
 * resource group: the component looks its ids up).
 */
export function build(app: App): void {
  const fraud = new FraudScoringChart(app, 'fraud-scoring');
  const features = new Chart(app, 'features', { namespace: 'features' });
  const featureService = new MeshIdentityBinding(features, 'FeatureService', {
    identity: ManagedIdentity.create({ name: 'feature-service', resourceGroup: 'ml-prod', subscriptionId: SUBSCRIPTION_ID, location: 'westeurope' }),
    oidcIssuerUrl: OIDC_ISSUER_URL,
    serviceAccountName: 'feature-service',
  });
  fraud.endpoint.grantInvoke(featureService);
  const reporting = new MeshIdentityBinding(features, 'Reporting', {
    identity: ManagedIdentity.existing({ name: 'fraud-reporting', resourceGroup: 'ml-prod', subscriptionId: SUBSCRIPTION_ID }),
    oidcIssuerUrl: OIDC_ISSUER_URL,
    serviceAccountName: 'fraud-reporting',
  });
  fraud.endpoint.grantInvoke(reporting);
}

const mesh = new AzureMlMesh('fraud', {
  build,
  kubernetesProvider: new k8s.Provider('aks', kubeconfig ? { kubeconfig } : {}),
});

export const identities = mesh.identities;
export const scoringUrls = mesh.scoringUrls;
