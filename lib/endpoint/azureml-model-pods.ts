import { Construct } from 'constructs';
import { ProblemCollector } from '../errors';
import { KubeNetworkPolicy } from '../imports/k8s';
import { AuthorizationPolicy, AuthorizationPolicySpecAction, PeerAuthentication } from '../imports/security.istio.io';
import { peerAuthenticationSpec } from '../mesh/security';
import { MANAGED_BY_LABEL } from '../util/names';
import { AZUREML_MODEL_POD_PORT, AzureMlModelPods } from './backend';
import { networkPolicySpec } from './network-policy';

/** What protects one Azure ML Kubernetes deployment's pods behind azureml-fe. */
export interface ModelPodsFenceProps {
  readonly pods: AzureMlModelPods;
  /** The router's mesh principal: the only caller the model pods admit. */
  readonly routerPrincipal: string;
  /** The router's namespace and pod labels: the only NetworkPolicy peer. */
  readonly routerNamespace: string;
  readonly routerSelector: () => Record<string, string>;
  readonly problems: ProblemCollector;
}

/**
 * The model pods behind azureml-fe: STRICT mTLS, an ALLOW policy that admits
 * only the router's mesh principal on the model port (5001), and a
 * NetworkPolicy that admits only the router's pods. Requests that skip the
 * router (and so every token check) are refused twice.
 */
export class ModelPodsFence extends Construct {
  public readonly peerAuthentication: PeerAuthentication;
  public readonly allowRouter: AuthorizationPolicy;
  public readonly networkPolicy: KubeNetworkPolicy;

  constructor(scope: Construct, id: string, props: ModelPodsFenceProps) {
    super(scope, id);
    const metadata = { namespace: props.pods.namespace, labels: { ...MANAGED_BY_LABEL } };
    const selector = () => ({ ...props.pods.selector });
    this.peerAuthentication = new PeerAuthentication(this, 'PeerAuthentication', {
      metadata, spec: props.problems.guard(() => peerAuthenticationSpec(selector())),
    });
    this.allowRouter = new AuthorizationPolicy(this, 'AllowRouter', {
      metadata,
      spec: props.problems.guard(() => ({
        selector: { matchLabels: selector() },
        action: AuthorizationPolicySpecAction.ALLOW,
        rules: [{ from: [{ source: { principals: [props.routerPrincipal] } }], to: [{ operation: { ports: [String(AZUREML_MODEL_POD_PORT)] } }] }],
      })),
    });
    this.networkPolicy = new KubeNetworkPolicy(this, 'NetworkPolicy', {
      metadata,
      spec: props.problems.guard(() => networkPolicySpec({
        selector: selector(),
        sources: [{ namespace: props.routerNamespace, podLabels: props.routerSelector() }],
      })),
    });
  }
}
