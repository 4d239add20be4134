import { ApiObject, Duration, Size } from 'cdk8s';
import { Construct } from 'constructs';
import { EntraTenant } from '../entra/tenant';
import { Problem } from '../errors';
import type { MeshProfile } from '../mesh/profile';
import type { ModelDeployment } from '../mesh/traffic';

/** What an edge needs to know about the endpoint it fronts. */
export interface EdgeBindContext {
  /** Where the edge creates its objects (the endpoint). */
  readonly scope: Construct;
  /** The endpoint's namespace (the backend Service's). */
  readonly namespace: string;
  /** The backend Service's name. */
  readonly serviceName: string;
  /** The backend Service's port. */
  readonly servicePort: number;
  /** The backend Service's in-mesh host, e.g. `fraud.models.svc.cluster.local`. */
  readonly serviceHost: string;
  /** The tenant whose tokens the endpoint accepts. */
  readonly tenant: EntraTenant;
  /** The endpoint's token audiences. */
  readonly audiences: readonly string[];
  /**
   * The header the endpoint reads the Entra token from (`Bearer <token>`),
   * when not `Authorization` (e.g. because `Authorization` carries the Azure
   * ML key for `azureml-fe`).
   *
   * @default - `Authorization`
   */
  readonly tokenHeader?: string;
  /** The endpoint's request timeout. */
  readonly timeout: Duration;
  /** Labels every object of the endpoint carries. */
  readonly labels: Record<string, string>;
  /**
   * The endpoint's named deployments and weights (Gateway API edges split
   * traffic with one Service per deployment).
   *
   * @default - no split
   */
  readonly deployments?: readonly ModelDeployment[];
  /**
   * The backend's pod selector (resolved at synth).
   *
   * @default - unknown to the edge
   */
  readonly selector?: () => Record<string, string>;
  /**
   * The backend Service port's target port and name (resolved at synth), for
   * the per-deployment Services of a Gateway API edge.
   *
   * @default - unknown: a Gateway API edge cannot split traffic
   */
  readonly servicePortDetails?: () => BackendServicePort | undefined;
  /**
   * Request headers the edge removes before forwarding (the claim headers the
   * endpoint writes from validated tokens, so a caller cannot set them).
   *
   * @default - none
   */
  readonly removeRequestHeaders?: readonly string[];
  /**
   * The backend is an InferencePool: Gateway API edges on Istio route to it.
   *
   * @default - the backend is a Service
   */
  readonly inferencePool?: { readonly name: string };
  /**
   * The mesh the endpoint's pods are enrolled in (an Istio Gateway API edge
   * pins its Gateway to the same revision).
   *
   * @default - upstream Istio, no revision
   */
  readonly mesh?: MeshProfile;
}

/** A backend Service port as its Service declares it. */
export interface BackendServicePort {
  /** The port's name (Istio reads the protocol from it), e.g. `http`. */
  readonly name?: string;
  /** The container port the Service forwards to. */
  readonly targetPort: number | string;
  /** The port's `appProtocol`, when set. */
  readonly appProtocol?: string;
}

/** The mesh identity of an edge controller's pods. */
export interface EdgeController {
  /** Namespace the controller runs in. */
  readonly namespace: string;
  /** The controller pods' ServiceAccount. */
  readonly serviceAccount: string;
  /**
   * Mesh trust domain.
   *
   * @default 'cluster.local'
   */
  readonly trustDomain?: string;
}

/** Pods an edge's traffic comes from (a NetworkPolicy peer). */
export interface EdgeSource {
  /** The controller's namespace. */
  readonly namespace: string;
  /**
   * Labels of the controller's pods.
   *
   * @default - every pod of the namespace
   */
  readonly podLabels?: Record<string, string>;
}

/** Request-rate limits applied at the edge. */
export interface EdgeRateLimit {
  /** Requests per second per client address (per controller replica for ingress-nginx). */
  readonly requestsPerSecond: number;
  /**
   * Burst allowed above the rate, as a multiple of it.
   *
   * @default 5
   */
  readonly burstMultiplier?: number;
  /**
   * Concurrent connections per client address (ingress-nginx only).
   *
   * @default - no connection limit
   */
  readonly connections?: number;
}

/** Options every edge shares. */
export interface EdgeOptions {
  /** Public host name, e.g. `fraud.contoso.com` (exact, no wildcard). */
  readonly host: string;
  /** Where the TLS certificate for the host comes from. TLS is always on; HTTP redirects to HTTPS. */
  readonly tls: ITlsCertificate;
  /**
   * Rate limit per client address.
   *
   * @default - no rate limit
   */
  readonly rateLimit?: EdgeRateLimit;
  /**
   * Client CIDRs allowed to connect (e.g. a corporate range).
   *
   * @default - any source
   */
  readonly sourceRanges?: string[];
  /**
   * Largest request body accepted (model payloads can be large).
   *
   * @default Size.mebibytes(32)
   */
  readonly maxBodySize?: Size;
  /**
   * How long the edge waits for the model's response.
   *
   * @default - the endpoint's timeout
   */
  readonly readTimeout?: Duration;
  /**
   * The controller's namespace and ServiceAccount, admitted by the backend's
   * ALLOW policy as the only door for callers without a mesh identity. The
   * principal exists only if the controller's pods run with an Istio sidecar:
   * on the NGINX edges, enrol the controller's namespace in the mesh and say
   * so with `controllerInMesh: true` (no stock install injects a sidecar).
   *
   * @default - the usual install of each controller (see each edge), which must have an Istio sidecar on NGINX edges
   */
  readonly controller?: EdgeController;
}

/** What a TLS source gives the edge. */
export interface BoundTlsCertificate {
  /** Name of the `kubernetes.io/tls` Secret in the edge's namespace. */
  readonly secretName: string;
  /** Problems with the declaration. */
  problems(): Problem[];
}

/** A TLS certificate source for an edge (a Secret, or a Key Vault certificate synced by the Secrets Store CSI driver). */
export interface ITlsCertificate {
  /**
   * Makes the certificate available as a Secret in `namespace` (may create
   * objects in `scope` and record role assignments).
   */
  bind(scope: Construct, namespace: string, labels: Record<string, string>): BoundTlsCertificate;
}

/** An edge: binds to an endpoint and creates the objects in front of it. */
export interface IEdge {
  /** Creates the edge's objects for the endpoint described by `ctx`. */
  bind(ctx: EdgeBindContext): BoundEdge;
}

/** An edge bound to an endpoint. */
export interface BoundEdge {
  /** The public host. */
  readonly host: string;
  /** Hosts must be unique per key (e.g. `ingress-nginx/class:nginx`). */
  readonly uniquenessKey: string;
  /** Mesh principals of the controller, admitted by the backend's ALLOW policy. */
  readonly meshPrincipals: string[];
  /** The objects the edge created (escape hatches). */
  readonly apiObjects: ApiObject[];
  /**
   * Where the edge's traffic to the backend comes from: the controller's
   * namespace and, when known, its pods' labels. The backend's
   * NetworkPolicy admits these peers.
   */
  readonly sources: EdgeSource[];
  /**
   * An Istio gateway the endpoint's VirtualService binds to (`<namespace>/<name>`),
   * with the public host added to its hosts.
   */
  readonly gateway?: string;
  /** Problems with the declaration. */
  problems(): Problem[];
  /**
   * The protocol the edge speaks to the backend, when it is not HTTP/1.1.
   *
   * @default - HTTP
   */
  readonly backendProtocol?: 'HTTP' | 'GRPC';
  /**
   * The edge routes to the backend's InferencePool (only Gateway API edges on Istio do).
   *
   * @default false
   */
  readonly routesToInferencePool?: boolean;
  /**
   * What is legal but probably a mistake, printed at synth (errors in strict mode).
   *
   * @default - none
   */
  warnings?(): Problem[];
}
