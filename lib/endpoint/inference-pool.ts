import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import type { EdgeSource } from '../edge/types';
import { MeshValidationError, Problem, ProblemCollector, warning } from '../errors';
import { InferencePool, InferencePoolSpec, InferencePoolSpecEndpointPickerRefFailureMode } from '../imports/inference.networking.k8s.io';
import { KubeNetworkPolicy, KubeService, NetworkPolicySpec } from '../imports/k8s';
import { OwnService } from '../util/kube-objects';
import { MANAGED_BY_LABEL } from '../util/names';
import { NetworkSource, networkPolicySpec } from './network-policy';

/**
 * What the gateway does when the endpoint picker does not answer
 * (`spec.endpointPickerRef.failureMode` of the InferencePool).
 *
 * @see https://gateway-api-inference-extension.sigs.k8s.io/api-types/inferencepool/
 */
export enum EndpointPickerFailureMode {
  /** The request fails (the InferencePool CRD's default). */
  FAIL_CLOSE = 'FailClose',
  /**
   * The gateway routes without a pick, to any pod of the pool. The pool's
   * pods still check mTLS, the token and the callers: availability, not a bypass.
   */
  FAIL_OPEN = 'FailOpen',
}

/**
 * The gRPC `ext_proc` port of the endpoint picker Service: the Inference
 * Extension chart's `inferenceExtension.extProcPort` default and the port of
 * Istio's task.
 *
 * @see https://istio.io/latest/docs/tasks/traffic-management/ingress/gateway-api-inference-extension/
 */
export const DEFAULT_ENDPOINT_PICKER_PORT = 9002;

/** The endpoint picker (EPP) of an InferencePool: the `ext_proc` server that picks a pod for each request. */
export interface EndpointPickerOptions {
  /**
   * The endpoint picker's Service, in the pool's namespace (the InferencePool
   * refers to it by name only, and Istio resolves it as
   * `<serviceName>.<pool namespace>.svc`). With llm-d-router's
   * `llm-d-router-gateway` chart it is `<release>-epp`.
   */
  readonly serviceName: string;
  /**
   * The Service port of the picker's gRPC `ext_proc` server (the Service
   * port, not the container port).
   *
   * @default 9002
   */
  readonly port?: number;
  /**
   * What the gateway does when the picker does not answer.
   *
   * @default EndpointPickerFailureMode.FAIL_CLOSE
   */
  readonly failureMode?: EndpointPickerFailureMode;
  /**
   * Labels of the picker's pods (with llm-d-router's `llm-d-router-gateway`
   * chart: `llm-d-router-gateway: <release>-epp`). When set, a NetworkPolicy admits
   * connections to them only from the edge's gateway pods and
   * `allowNetworkFrom`: the picker sees every request body (the prompts).
   * No Istio policy is written for the picker: the gateway reaches it over
   * the picker's own TLS, not Istio mTLS (see docs/inference-pool.md).
   *
   * @default - no NetworkPolicy for the picker (a warning)
   */
  readonly podSelector?: Record<string, string>;
  /**
   * More sources the picker's NetworkPolicy admits besides the gateway, e.g.
   * the monitoring namespace that scrapes its metrics port (9090).
   *
   * @default - none
   */
  readonly allowNetworkFrom?: NetworkSource[];
}

/** The Service the endpoint addresses the pool's pods by (in-mesh callers, its DestinationRule and VirtualService). */
export interface InferencePoolServiceOptions {
  /**
   * The Service's name.
   *
   * @default - the pool's name
   */
  readonly name?: string;
  /**
   * The Service port (its target port is the pool's `targetPort`).
   *
   * @default - the pool's `targetPort`
   */
  readonly port?: number;
  /**
   * Write the Service: ClusterIP, selecting the pool's pods, one port named
   * `http` (so Istio reads HTTP without sniffing). `false`: a Service of that
   * name exists and selects exactly the pool's pods on the target port.
   *
   * @default true
   */
  readonly create?: boolean;
}

/** Options of {@link EndpointBackend.inferencePool}. */
export interface InferencePoolBackendOptions {
  /** The InferencePool's name (a DNS label); Gateway API edges route to it by this name. */
  readonly name: string;
  /**
   * The namespace of the pool, its pods, its Service and its endpoint picker.
   *
   * @default - the chart's namespace
   */
  readonly namespace?: string;
  /**
   * Labels of the model-server pods (`spec.selector.matchLabels`). Every
   * policy of the endpoint (PeerAuthentication STRICT, RequestAuthentication,
   * DENY without a token, ALLOW of the callers, NetworkPolicy) selects these pods.
   */
  readonly selector: Record<string, string>;
  /** The model server's container port (`spec.targetPorts[0].number`), e.g. vLLM's 8000. */
  readonly targetPort: number;
  /** The endpoint picker the pool refers to (`spec.endpointPickerRef`). */
  readonly endpointPicker: EndpointPickerOptions;
  /**
   * The Service in front of the pool's pods.
   *
   * @default - a ClusterIP Service named after the pool, on the target port
   */
  readonly service?: InferencePoolServiceOptions;
  /**
   * Write the InferencePool. `false` when the endpoint picker's chart writes
   * it: llm-d-router's `llm-d-router-gateway` chart writes an InferencePool
   * named after the release, and runs its picker against it only then. The
   * library then writes the Service, the policies and the picker's
   * NetworkPolicy, and `name`, `selector` and `targetPort` must be the
   * chart's (`router.modelServers.matchLabels`, `router.modelServers.targetPorts`);
   * `endpointPicker.serviceName`, `port` and `failureMode` are not rendered.
   *
   * @default true
   */
  readonly createPool?: boolean;
}

/** Props of {@link InferencePoolResources}. */
export interface InferencePoolResourcesProps {
  /** The declaration. */
  readonly options: InferencePoolBackendOptions;
  /** The pool's namespace, when known. */
  readonly namespace?: string;
  /** The Service's name and port. */
  readonly service: { readonly name: string; readonly port: number; readonly create: boolean };
  /** Problems of the declaration: no object renders while there are any. */
  readonly problems: () => Problem[];
}

/**
 * The objects of an InferencePool backend: the `InferencePool`
 * (`inference.networking.k8s.io/v1`), the Service in front of its pods and,
 * when the picker's pods are named, the picker's NetworkPolicy. The
 * endpoint's own policies select the pool's pods; this construct writes
 * none of them.
 */
export class InferencePoolResources extends Construct {
  /** The InferencePool, unless `createPool` is false. */
  public readonly pool?: InferencePool;
  /** The Service in front of the pool's pods, unless `service.create` is false. */
  public readonly service?: KubeService;
  /** The endpoint picker's NetworkPolicy, when `endpointPicker.podSelector` is set. */
  public readonly endpointPickerNetworkPolicy?: KubeNetworkPolicy;
  private readonly edgeSources: EdgeSource[] = [];

  constructor(scope: Construct, id: string, props: InferencePoolResourcesProps) {
    super(scope, id);
    const o = props.options;
    const picker = o.endpointPicker ?? ({} as EndpointPickerOptions);
    const metadata = { namespace: props.namespace, labels: { ...MANAGED_BY_LABEL } };
    // bad input never renders: the endpoint reports these problems, and rendering refuses them
    const assertNone = () => {
      const found = props.problems();
      if (found.length > 0) throw new MeshValidationError(found.map((p) => `${scope.node.path}: ${p.message}`));
    };
    const guard = <T>(produce: () => T): T => Lazy.any({ produce: () => { assertNone(); return produce(); } }) as unknown as T;

    if (o.createPool ?? true) {
      this.pool = new InferencePool(this, 'Resource', {
        metadata: { ...metadata, name: o.name },
        spec: guard((): InferencePoolSpec => ({
          selector: { matchLabels: { ...o.selector } },
          targetPorts: [{ number: o.targetPort }],
          endpointPickerRef: {
            name: picker.serviceName,
            port: { number: picker.port ?? DEFAULT_ENDPOINT_PICKER_PORT },
            failureMode: picker.failureMode === EndpointPickerFailureMode.FAIL_OPEN
              ? InferencePoolSpecEndpointPickerRefFailureMode.FAIL_OPEN
              : InferencePoolSpecEndpointPickerRefFailureMode.FAIL_CLOSE,
          },
        })),
      });
    }
    if (props.service.create) {
      const service = new OwnService(this, 'Service', {
        metadata: { ...metadata, name: props.service.name },
        selector: () => {
          assertNone();
          return { ...o.selector };
        },
        // named for its protocol: Istio reads HTTP from the name, no sniffing
        ports: [{ name: 'http', port: props.service.port, targetPort: o.targetPort }],
      });
      this.service = ApiObject.of(service) as KubeService;
    }
    const warnings = new ProblemCollector(this);
    if (picker.podSelector === undefined) {
      warnings.warn(warning('backend.endpointPicker.podSelector', 'is not set: the endpoint picker\'s pods get no NetworkPolicy, so any pod can open its ext_proc port, '
        + 'and the picker reads every request body (the prompts); name its pods (llm-d-router-gateway chart: { "llm-d-router-gateway": "<release>-epp" })'));
    } else {
      const podSelector = picker.podSelector;
      this.endpointPickerNetworkPolicy = new KubeNetworkPolicy(this, 'EndpointPickerNetworkPolicy', {
        metadata,
        // no edge and no allowNetworkFrom: the policy admits no one (only a gateway calls the picker)
        spec: guard((): NetworkPolicySpec => networkPolicySpec({
          selector: podSelector,
          sources: [...this.edgeSources, ...(picker.allowNetworkFrom ?? [])],
        })),
      });
    }
  }

  /** Admits the edge's gateway pods to the endpoint picker (called once the endpoint's edge is bound). */
  public addEdgeSources(sources: readonly EdgeSource[]): void {
    this.edgeSources.push(...sources);
  }
}
