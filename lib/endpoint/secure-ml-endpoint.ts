import { ApiObject, Chart, Duration } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { AccessDoor, AccessEndpoint, AccessGrant, AccessModel, resolveGrant } from '../access/model';
import { AzurePlan } from '../azure/plan';
import { AzureRole } from '../azure/role';
import { AzureScope } from '../azure/scope';
import { Caller, CallerKind, isMeshPrincipal } from '../callers/caller';
import { deploymentServiceName } from '../edge/gateway-api';
import type { BoundEdge, IEdge } from '../edge/types';
import type { IMeshGrantee } from '../identity/binding';
import { EntraTenant } from '../entra/tenant';
import { Problem, ProblemCollector, prefixed, problem, warning } from '../errors';
import {
  DestinationRule,
  DestinationRuleSpecTrafficPolicyConnectionPool,
  DestinationRuleSpecTrafficPolicyOutlierDetection,
  VirtualService,
} from '../imports/networking.istio.io';
import { AuthorizationPolicy, PeerAuthentication, RequestAuthentication } from '../imports/security.istio.io';
import { istioAllowRules } from '../mesh/authorization';
import { Telemetry } from '../imports/telemetry.istio.io';
import { MeshProfile } from '../mesh/profile';
import { AUDIT_LOG_PROVIDER } from '../mesh/audit-log';
import { KubeNetworkPolicy } from '../imports/k8s';
import { MeshNamespace, namespaceObjects } from './mesh-namespace';
import { ModelPodsFence } from './azureml-model-pods';
import { NetworkSource, networkPolicySpec, networkSourceProblems } from './network-policy';
import {
  ClaimToHeader,
  tokenHeaderProblems,
  allowSpec,
  audienceProblems,
  claimHeaderProblems,
  denyWithoutTokenSpec,
  peerAuthenticationSpec,
  requestAuthenticationSpec,
} from '../mesh/security';
import {
  DEFAULT_CONNECTION_POOL,
  DEFAULT_OUTLIER_DETECTION,
  DEFAULT_TIMEOUT,
  ModelDeployment,
  RetryOptions,
  deploymentLabels,
  deploymentProblems,
  destinationRuleSpec,
  otherNamespaces,
  routeExportTo,
  routeProblems,
  virtualServiceSpec,
} from '../mesh/traffic';
import { MANAGED_BY_LABEL, compareStrings, isDnsLabel, sortStrings } from '../util/names';
import { BackendProtocol, BoundBackend, EndpointBackend } from './backend';

const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const PATH = /^\/[^\s*]*\*?$|^\*[^\s*]*$/;


/** Props of {@link SecureMlEndpoint}. */
export interface SecureMlEndpointProps {
  /** What serves the model. */
  readonly backend: EndpointBackend;

  /** The Entra tenant whose tokens are accepted. */
  readonly tenant: EntraTenant;

  /**
   * Accepted token audiences (`aud`): the API's Application ID URI (e.g.
   * `api://fraud-scoring`, v1 tokens) and/or its client id (v2 tokens carry
   * the client id). Must not be empty: without audiences Istio accepts any
   * token the tenant issues.
   */
  readonly audiences: string[];

  /**
   * Who may invoke the endpoint. More can be added with {@link SecureMlEndpoint.addCaller};
   * an endpoint with no callers is an error, not a deny-all.
   *
   * @default - none; add at least one before synth
   */
  readonly callers?: Caller[];

  /**
   * Namespace of the endpoint's objects (Istio policies are namespace-scoped and
   * must live with the workload).
   *
   * @default - the backend's namespace, else the chart's, else `default`
   */
  readonly namespace?: string;

  /**
   * Paths callers may request (`to.operation.paths`; exact, `prefix*` or `*suffix`).
   *
   * @default - any path
   */
  readonly paths?: string[];

  /**
   * HTTP methods callers may use (`to.operation.methods`), e.g. `['POST']`.
   *
   * @default - any method
   */
  readonly methods?: string[];

  /**
   * Keep the `Authorization` header when forwarding to the backend.
   *
   * @default false - the token is removed after validation
   */
  readonly forwardOriginalToken?: boolean;

  /**
   * Read the Entra token from this header (as `Bearer <token>`) instead of
   * `Authorization`. Required for backends that use `Authorization`
   * themselves (`EndpointBackend.azureMlKubernetes`); callers then send both.
   *
   * @default - the `Authorization` header
   */
  readonly tokenHeader?: string;

  /**
   * Copies scalar token claims into request headers for the backend
   * (`outputClaimToHeaders`, which overwrites a header of the same name). The
   * endpoint's VirtualService also removes these headers from requests that
   * callers' sidecars route to the Service host; requests sent to a pod IP
   * are not routed by it, so the backend should trust these headers only
   * when the claim is present in the validated token.
   *
   * @default - none
   */
  readonly claimToHeaders?: ClaimToHeader[];

  /**
   * Named deployments (model versions) and their traffic weights, e.g. blue 90 / green 10.
   *
   * @default - all traffic to the Service, no subsets
   */
  readonly deployments?: ModelDeployment[];

  /**
   * Request timeout.
   *
   * @default Duration.seconds(60)
   */
  readonly timeout?: Duration;

  /**
   * Retries on the route.
   *
   * @default - 2 attempts on connect-failure, refused-stream and unavailable
   */
  readonly retries?: RetryOptions;

  /**
   * DestinationRule connection pool (replaces the default as a whole).
   *
   * @default - tcp.maxConnections 1024, connectTimeout 10s; http pending/requests 1024, idleTimeout 300s
   */
  readonly connectionPool?: DestinationRuleSpecTrafficPolicyConnectionPool;

  /**
   * DestinationRule outlier detection (replaces the default as a whole).
   *
   * Without `consecutive5xxErrors` Istio keeps Envoy's default of ejecting
   * after 5 consecutive 5xx (application 500s included): a warning.
   *
   * @default - eject after 5 consecutive gateway errors (502/503/504) for 30s, at most 50% of hosts; `consecutive5xxErrors: 0`
   */
  readonly outlierDetection?: DestinationRuleSpecTrafficPolicyOutlierDetection;

  /**
   * Access-log providers enabled for the workload by a Telemetry object.
   * An empty list writes no Telemetry.
   *
   * @default ['envoy']
   */
  readonly accessLogProviders?: string[];

  /**
   * Also write the audit log: the endpoint's Telemetry enables the
   * `cdk8s-azureml-mesh-audit` provider, one JSON line per request with the
   * caller's mesh principal, token `sub`/`oid`/`azp`/`appid`, method, path,
   * response code and the authorization decision. The provider must be in the
   * mesh config: {@link AuditLogMeshConfig} (AKS Istio add-on) or
   * `auditLogExtensionProvider()` in Istio's `meshConfig.extensionProviders`.
   *
   * @default false
   */
  readonly auditLog?: boolean;

  /**
   * The Azure resource that stands for this endpoint, e.g. the Kubernetes
   * online endpoint behind azureml-fe. Recorded with each grant in the Azure
   * plan's `meshOnlyGrants`; no role is assigned here: Azure checks no role
   * when an in-cluster endpoint scores (a grant on an endpoint that sets it warns).
   *
   * @deprecated grants on in-cluster endpoints are mesh-only; use ManagedOnlineEndpoint for Azure-enforced access
   * @default - none
   */
  readonly azureScope?: AzureScope;

  /**
   * Unused: {@link SecureMlEndpoint.grantInvoke} assigns no Azure role (a grant on an endpoint that sets it warns).
   *
   * @deprecated grants on in-cluster endpoints are mesh-only
   * @default - none
   */
  readonly invokerRole?: AzureRole;

  /**
   * The edge in front of the mesh: a Gateway API edge (`Edge.istioGatewayApi`,
   * including the AKS Istio add-on's GatewayClass `istio`, or
   * `Edge.nginxGatewayFabric`), `Edge.istioGateway`, `Edge.nginxIngressController`,
   * or the legacy `Edge.ingressNginx`. Callers without a mesh identity then
   * reach the backend only through the edge's mesh principal.
   *
   * @default - no edge: only callers inside the mesh can reach the endpoint
   */
  readonly edge?: IEdge;

  /**
   * The mesh the endpoint's pods are enrolled in: how their namespace (and,
   * for workloads the library is handed, their pods) is labelled for sidecar
   * injection. Declare the namespace with {@link MeshNamespace} (or
   * `MeshNamespace.existing`) so the endpoint can check its enrolment.
   *
   * @default MeshProfile.istio() - upstream Istio, `istio-injection: enabled`
   */
  readonly mesh?: MeshProfile;

  /**
   * Write a NetworkPolicy that admits connections to the backend pods only
   * from where callers come from: the edge controller's namespace (and pods,
   * when known), the namespaces of workload callers, and, for callers known
   * only by their token when there is no edge, the mesh-enrolled namespaces.
   *
   * @default true
   */
  readonly networkPolicy?: boolean;

  /**
   * More sources the NetworkPolicy admits, e.g. a monitoring namespace that
   * scrapes the sidecars' metrics port.
   *
   * @default - none
   */
  readonly allowNetworkFrom?: NetworkSource[];

  /**
   * Namespaces, besides those the declaration implies, whose proxies receive
   * the endpoint's VirtualService and DestinationRule (Istio `exportTo`):
   * e.g. the namespace of a token-only caller that calls it straight from
   * the mesh. The library exports them to the endpoint's own namespace, the
   * edge's or gateway's, and each workload caller's; it falls back to every
   * namespace (`*`) only when callers without a mesh identity of their own
   * can reach the endpoint without an edge (they may be anywhere in the
   * mesh). Setting this prop, even to `[]`, replaces that fallback with the
   * namespaces listed; `["*"]` exports to every namespace.
   *
   * @see https://istio.io/latest/docs/reference/config/networking/virtual-service/#VirtualService-export_to
   * @default - the namespaces the declaration implies; `["*"]` when token-only callers have no edge
   */
  readonly exportTo?: string[];
}

/**
 * An inference endpoint behind a zero-trust mesh: no request reaches the
 * model without a valid Microsoft Entra ID token from a declared caller, over
 * STRICT mutual TLS.
 *
 * Synthesizes, in the endpoint's namespace: PeerAuthentication (STRICT),
 * RequestAuthentication (exact issuer, JWKS, audiences), an AuthorizationPolicy
 * that DENYs requests without a token, one ALLOW AuthorizationPolicy holding
 * every caller, Telemetry (access logs), DestinationRule (ISTIO_MUTUAL, pool,
 * outlier detection, subsets) and VirtualService (timeout, retries, split).
 */
export class SecureMlEndpoint extends Construct {
  /** The namespace of every object of the endpoint. */
  public readonly namespace: string;
  /** The backend Service's in-mesh host, e.g. `fraud.models.svc.cluster.local`. */
  public readonly host: string;
  /** The tenant. */
  public readonly tenant: EntraTenant;

  /** STRICT mTLS for the workload. */
  public readonly peerAuthentication: PeerAuthentication;
  /** Token validation (issuer, JWKS, audiences). */
  public readonly requestAuthentication: RequestAuthentication;
  /** DENY without a request principal. */
  public readonly denyWithoutToken: AuthorizationPolicy;
  /** The single ALLOW policy of all callers. */
  public readonly allowCallers: AuthorizationPolicy;
  /** Access logs, unless disabled. */
  public readonly telemetry?: Telemetry;
  /** Traffic policy and subsets. */
  public readonly destinationRule: DestinationRule;
  /** Route with timeout, retries and split. */
  public readonly virtualService: VirtualService;
  /** The edge in front of the endpoint, when declared. */
  public readonly edge?: BoundEdge;
  /** The public host's route when the edge is an Istio gateway. */
  public readonly gatewayVirtualService?: VirtualService;
  /**
   * The DestinationRule and VirtualService of each per-deployment Service a
   * Gateway API edge splits traffic over (empty otherwise).
   */
  public readonly deploymentRoutes: Array<DestinationRule | VirtualService> = [];
  /** The fences of the model pods behind azureml-fe (`EndpointBackend.azureMlKubernetes({ modelPods })`). */
  public readonly modelPodsFences: ModelPodsFence[] = [];
  /** The NetworkPolicy fencing the backend pods, unless disabled. */
  public readonly networkPolicy?: KubeNetworkPolicy;
  /** The mesh the endpoint's pods are enrolled in. */
  public readonly mesh: MeshProfile;

  /** Endpoints per app, to find endpoints that would share a workload. */
  private static readonly registry = new WeakMap<IConstruct, SecureMlEndpoint[]>();
  private static readonly indexes = new WeakMap<IConstruct, { size: number; byNamespace: Map<string, SecureMlEndpoint[]>; byEdgeHost: Map<string, SecureMlEndpoint[]> }>();

  /**
   * A number that changes whenever an endpoint or a caller is added to the
   * app of `scope`: indexes over the app's endpoints are rebuilt when it
   * changes (cdk8s validates the whole app once per chart).
   */
  public static revision(scope: IConstruct): number {
    return SecureMlEndpoint.revisions.get(scope.node.root) ?? 0;
  }

  private static readonly revisions = new WeakMap<IConstruct, number>();

  /** Every SecureMlEndpoint of the app that `scope` belongs to, in declaration order. */
  public static inApp(scope: IConstruct): readonly SecureMlEndpoint[] {
    return SecureMlEndpoint.registry.get(scope.node.root) ?? [];
  }

  /** The app's endpoints by namespace and by edge host, rebuilt when an endpoint was added. */
  private static peers(root: IConstruct) {
    const all = SecureMlEndpoint.registry.get(root) ?? [];
    let index = SecureMlEndpoint.indexes.get(root);
    if (index?.size !== all.length) {
      const byNamespace = new Map<string, SecureMlEndpoint[]>();
      const byEdgeHost = new Map<string, SecureMlEndpoint[]>();
      for (const e of all) {
        byNamespace.set(e.namespace, [...(byNamespace.get(e.namespace) ?? []), e]);
        if (e.edge) byEdgeHost.set(`${e.edge.uniquenessKey}|${e.edge.host}`, [...(byEdgeHost.get(`${e.edge.uniquenessKey}|${e.edge.host}`) ?? []), e]);
      }
      index = { size: all.length, byNamespace, byEdgeHost };
      SecureMlEndpoint.indexes.set(root, index);
    }
    return index;
  }

  private readonly backend: BoundBackend;
  private readonly callers = new Map<string, { caller: Caller; field: string }>();
  private readonly problems: ProblemCollector;
  private readonly props: SecureMlEndpointProps;
  /** `exportTo` as declared, copied: the app's host index is rebuilt on new endpoints and callers, not on a changed array. */
  private readonly declaredExportTo?: readonly string[];

  constructor(scope: Construct, id: string, props: SecureMlEndpointProps) {
    super(scope, id);
    this.props = props;
    this.declaredExportTo = props.exportTo === undefined ? undefined : [...props.exportTo];
    this.tenant = props.tenant;
    this.problems = new ProblemCollector(this);
    // a wrong type is reported by localProblems; render nothing from it
    this.mesh = props.mesh instanceof MeshProfile ? props.mesh : MeshProfile.istio();
    this.backend = props.backend.bind(this, { mesh: this.mesh });
    this.namespace = props.namespace ?? this.backend.namespace ?? Chart.of(this).namespace ?? 'default';
    this.host = `${this.backend.serviceName}.${this.namespace}.svc.cluster.local`;

    this.problems.add(...this.localProblems());
    this.problems.addCheck(() => this.appProblems());
    this.problems.addAppCheck(() => this.overlapProblems());
    this.problems.addAppCheck(() => this.deploymentServiceProblems());
    this.problems.addWarningCheck(() => this.warnings());
    this.problems.addAppCheck(() => this.enrolmentProblems());
    const peers = SecureMlEndpoint.registry.get(this.node.root) ?? [];
    peers.push(this);
    SecureMlEndpoint.registry.set(this.node.root, peers);
    SecureMlEndpoint.revisions.set(this.node.root, SecureMlEndpoint.revision(this) + 1);
    (props.callers ?? []).forEach((caller, i) => this.registerCaller(caller, `callers[${i}]`));
    AccessModel.of(this).addEndpoint(() => this.access);

    const metadata = { namespace: this.namespace, labels: { ...MANAGED_BY_LABEL } };
    const selector = () => this.backend.selector();

    this.peerAuthentication = new PeerAuthentication(this, 'PeerAuthentication', {
      metadata,
      spec: this.problems.guard(() => peerAuthenticationSpec(selector())),
    });
    this.requestAuthentication = new RequestAuthentication(this, 'RequestAuthentication', {
      metadata,
      spec: this.problems.guard(() => requestAuthenticationSpec({
        selector: selector(),
        tenant: this.tenant,
        audiences: props.audiences,
        forwardOriginalToken: props.forwardOriginalToken ?? false,
        claimToHeaders: props.claimToHeaders ?? [],
        tokenHeader: props.tokenHeader,
      })),
    });
    this.denyWithoutToken = new AuthorizationPolicy(this, 'DenyWithoutToken', {
      metadata,
      spec: this.problems.guard(() => denyWithoutTokenSpec(selector(), this.routerPorts(), this.backend.azureMlRouter?.principal)),
    });
    this.allowCallers = new AuthorizationPolicy(this, 'AllowCallers', {
      metadata,
      spec: this.problems.guard(() => allowSpec(selector(), istioAllowRules(this.access))),
    });
    if (props.edge) {
      this.edge = props.edge.bind({
        scope: this,
        namespace: this.namespace,
        serviceName: this.backend.serviceName,
        servicePort: this.backend.port,
        serviceHost: this.host,
        tenant: this.tenant,
        audiences: props.audiences,
        tokenHeader: props.tokenHeader,
        timeout: props.timeout ?? DEFAULT_TIMEOUT,
        labels: { ...MANAGED_BY_LABEL },
        deployments: props.deployments,
        selector,
        servicePortDetails: () => this.backend.servicePort?.(),
        removeRequestHeaders: (props.claimToHeaders ?? []).map((c) => c.header),
        inferencePool: this.backend.inferencePool,
        mesh: this.mesh,
      });
      const edge = this.edge;
      this.backend.edgeBound?.(edge);
      if (edge.warnings) this.problems.addWarningCheck(() => edge.warnings!());
      this.problems.addAppCheck(() => this.edgeHostProblems(edge));
      this.problems.addCheck(() => this.protocolProblems(edge));
      this.problems.addCheck(() => [
        ...edge.problems(),
        ...edge.meshPrincipals.filter((p) => !isMeshPrincipal(p)).map((p) => problem('edge controller principal',
          'a mesh principal "<trustDomain>/ns/<namespace>/sa/<serviceaccount>" without wildcards', p)),
      ]);
    }
    const providers = [...(props.accessLogProviders ?? ['envoy']), ...(props.auditLog ? [AUDIT_LOG_PROVIDER] : [])];
    if (providers.length > 0) {
      this.telemetry = new Telemetry(this, 'AccessLogs', {
        metadata,
        spec: this.problems.guard(() => ({
          selector: { matchLabels: selector() },
          accessLogging: [{ providers: sortStrings(new Set(providers)).map((name) => ({ name })) }],
        })),
      });
    }
    this.destinationRule = new DestinationRule(this, 'DestinationRule', {
      metadata,
      spec: this.problems.guard(() => destinationRuleSpec({
        host: this.host,
        exportTo: this.routeExportTo(),
        deployments: props.deployments,
        connectionPool: props.connectionPool ?? DEFAULT_CONNECTION_POOL,
        outlierDetection: props.outlierDetection ?? DEFAULT_OUTLIER_DETECTION,
      })),
    });
    const route = (gateway?: { name: string; host: string }) => virtualServiceSpec({
      host: this.host,
      port: this.backend.port,
      deployments: props.deployments,
      timeout: props.timeout ?? DEFAULT_TIMEOUT,
      retries: props.retries ?? {},
      removeRequestHeaders: (props.claimToHeaders ?? []).map((c) => c.header),
      gateway,
      // a gateway's route is read by the gateway's proxies only
      exportTo: gateway
        ? routeExportTo(this.namespace, [gateway.name.split('/')[0], ...(this.edge?.sources ?? []).map((s) => s.namespace)], false)
        : this.routeExportTo(),
    });
    this.virtualService = new VirtualService(this, 'VirtualService', { metadata, spec: this.problems.guard(() => route()) });
    // a Gateway API edge splits with one Service per deployment: each host gets the same traffic policy
    // (ISTIO_MUTUAL, pool, outlier detection) and, for in-mesh callers naming it, the same route
    for (const name of this.deploymentServiceNames()) {
      const host = `${name}.${this.namespace}.svc.cluster.local`;
      this.deploymentRoutes.push(
        new DestinationRule(this, `DestinationRule-${name}`, {
          metadata,
          spec: this.problems.guard(() => destinationRuleSpec({
            host,
            exportTo: this.routeExportTo(),
            connectionPool: props.connectionPool ?? DEFAULT_CONNECTION_POOL,
            outlierDetection: props.outlierDetection ?? DEFAULT_OUTLIER_DETECTION,
          })),
        }),
        new VirtualService(this, `VirtualService-${name}`, {
          metadata,
          spec: this.problems.guard(() => virtualServiceSpec({
            host,
            port: this.backend.port,
            timeout: props.timeout ?? DEFAULT_TIMEOUT,
            retries: props.retries ?? {},
            removeRequestHeaders: (props.claimToHeaders ?? []).map((c) => c.header),
            exportTo: this.routeExportTo(),
          })),
        }),
      );
    }
    if (this.edge?.gateway) {
      const gateway = { name: this.edge.gateway, host: this.edge.host };
      // the public host's route, bound to the gateway only: the same split, timeout, retries and header removal
      this.gatewayVirtualService = new VirtualService(this, 'GatewayVirtualService', { metadata, spec: this.problems.guard(() => route(gateway)) });
    }
    const router = this.backend.azureMlRouter;
    (router?.modelPods ?? []).forEach((pods, i) => {
      this.modelPodsFences.push(new ModelPodsFence(this, `ModelPods${i}`, {
        pods,
        routerPrincipal: router!.principal,
        routerNamespace: this.namespace,
        routerSelector: selector,
        problems: this.problems,
      }));
    });
    if (props.networkPolicy ?? true) {
      this.networkPolicy = new KubeNetworkPolicy(this, 'NetworkPolicy', {
        metadata,
        spec: this.problems.guard(() => networkPolicySpec({
          selector: selector(),
          sources: this.networkSources(),
          enrolledNamespaces: this.hasTokenOnlyCallers() && !this.edge ? this.mesh.enrolledNamespaceSelector : undefined,
        })),
      });
    }
  }

  /**
   * Allows another caller. Adding the same caller twice is not an error and
   * yields one rule.
   */
  public addCaller(caller: Caller): void {
    this.registerCaller(caller, `addCaller(${caller.key})`);
  }

  /**
   * Lets `grantee` invoke the endpoint: adds it as a caller of the ALLOW
   * policy. The grant is mesh-only: an in-cluster endpoint (a Service, a
   * workload, or azureml-fe) is not an Azure resource that checks Azure RBAC
   * when it scores, so no role is assigned (invariant 13: a role only where
   * Azure enforces it; `ManagedOnlineEndpoint.grantInvoke` assigns one). The
   * app's Azure plan lists the grant under `meshOnlyGrants`. On an endpoint
   * that sets `azureScope` or `invokerRole`, a grant warns that they assign
   * nothing. Granting twice yields one rule and one plan entry.
   *
   * @returns undefined: no role assignment is made
   */
  public grantInvoke(grantee: IMeshGrantee): string | undefined {
    const field = `grantInvoke(${Construct.isConstruct(grantee) ? grantee.node.path : grantee.grantCaller.key})`;
    if (Construct.isConstruct(grantee) && grantee.node.root !== this.node.root) {
      this.problems.add(problem(field, 'a grantee in the same app as the endpoint', grantee.node.path, 'declare the binding in the same cdk8s App'));
      return undefined;
    }
    this.registerCaller(grantee.grantCaller, field);
    const unused = (['azureScope', 'invokerRole'] as const).filter((prop) => this.props[prop] !== undefined);
    if (unused.length > 0) {
      this.problems.warn(warning(unused[0], `is set, but grantInvoke on an in-cluster endpoint assigns no Azure role: Azure does not check Azure RBAC when an in-cluster endpoint scores, `
        + `so the grant is mesh-only (azure-plan.json meshOnlyGrants); remove ${unused.join(' and ')}`));
    }
    if (grantee.grantCaller instanceof Caller) {
      AzurePlan.of(this).addMeshOnlyGrant({ host: this.host, caller: grantee.grantCaller.key, principal: grantee.grantPrincipal, azureScope: this.props.azureScope }, this);
    }
    return undefined;
  }

  /** The callers, sorted by key. */
  public get callerList(): Caller[] {
    return sortStrings(this.callers.keys()).map((k) => this.callers.get(k)!.caller);
  }

  /** The pod labels the endpoint's policies select (resolved now). */
  public get selector(): Record<string, string> {
    return this.backend.selector();
  }

  /** The ApiObjects of this endpoint, in synthesis order. */
  public get apiObjects(): ApiObject[] {
    return this.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject);
  }

  /**
   * The endpoint in the app's access model, resolved now (callers added
   * later count): its doors, its callers with the token and mesh identity
   * each request must carry, and its operations. The Istio ALLOW policy and
   * the access map are rendered from it.
   */
  public get access(): AccessEndpoint {
    const router = this.backend.azureMlRouter;
    const internal = this.routerPorts();
    const edgeDoor: AccessDoor | undefined = this.edge
      ? { kind: 'edge', host: this.edge.host, principals: sortStrings(this.edge.meshPrincipals), edge: this.edge.uniquenessKey }
      : undefined;
    const grants: AccessGrant[] = this.callerList.map((caller) => {
      const grant = resolveGrant(caller, { issuers: this.tenant.issuers, edge: edgeDoor });
      // azureml-fe's coordination ports are the router's alone: callers reach every other port
      return internal ? { ...grant, ports: { notPorts: internal } } : grant;
    });
    if (router && internal) {
      grants.push({
        key: 'router:azureml-fe',
        kind: 'router',
        id: router.principal,
        door: 'mesh',
        requirements: [{ issuers: [], principals: [router.principal], claims: [] }],
        ports: { ports: internal },
        azureRoles: [],
      });
    }
    const doors: AccessDoor[] = [
      ...(edgeDoor ? [edgeDoor] : []),
      ...(grants.some((g) => g.door === 'mesh') ? [{ kind: 'mesh' as const }] : []),
    ];
    const operation = this.operation();
    return {
      path: this.node.path,
      kind: router ? 'azureml-kubernetes' : 'in-cluster',
      namespace: this.namespace,
      service: this.backend.serviceName,
      host: this.host,
      pods: { ...this.backend.selector() },
      tenantId: this.tenant.tenantId,
      issuers: sortStrings(this.tenant.issuers.map((i) => i.issuer)),
      audiences: sortStrings(new Set(this.props.audiences ?? [])),
      doors: doors.sort((a, b) => compareStrings(a.kind, b.kind)),
      operation: { paths: [...(operation?.paths ?? [])], methods: [...(operation?.methods ?? [])] },
      grants,
    };
  }

  private registerCaller(caller: Caller, field: string): void {
    if (!(caller instanceof Caller)) {
      this.problems.add(problem(field, 'a Caller (Caller.appRole, Caller.group, ...)', caller));
      return;
    }
    if (this.callers.has(caller.key)) return;
    this.callers.set(caller.key, { caller, field });
    SecureMlEndpoint.revisions.set(this.node.root, SecureMlEndpoint.revision(this) + 1);
    this.problems.add(...prefixed(`${field}.`, caller.problems()));
    this.problems.warn(...prefixed(`${field}.`, caller.warnings()));
  }

  /** Where the declared callers' connections come from. */
  private networkSources(): NetworkSource[] {
    const out: NetworkSource[] = [...(this.edge?.sources ?? []), ...(this.props.allowNetworkFrom ?? [])];
    // azureml-fe pods coordinate with each other, and Microsoft requires the extension's components
    // in its namespace to reach each other: the whole namespace
    if (this.backend.azureMlRouter) out.push({ namespace: this.namespace });
    for (const caller of this.callerList) if (caller.meshNamespace) out.push({ namespace: caller.meshNamespace });
    return out;
  }

  /**
   * The namespaces whose proxies send the endpoint traffic and so need its
   * VirtualService and DestinationRule: its own, the edge's (controller or
   * gateway), each workload caller's, and `exportTo`; every namespace when
   * token-only callers have no edge and `exportTo` is not set.
   */
  public routeExportTo(): string[] {
    const declared = this.declaredExportTo;
    // every namespace when some caller may come from any peer: a token-only grant without principals (no edge to come through)
    const fromAnyPeer = this.access.grants.some((g) => g.requirements.some((r) => r.issuers.length > 0 && !r.principals?.length));
    return routeExportTo(this.namespace, this.routeNamespaces(), declared?.includes('*') === true || (declared === undefined && fromAnyPeer));
  }

  /**
   * The namespaces, other than its own, that the declaration names as
   * sending the endpoint traffic (sorted): the edge's (controller or
   * gateway), each workload caller's, and `exportTo` (without `*`). A
   * callers' namespace's `CallerSidecar` imports the endpoint when it
   * is one of them.
   */
  public routeNamespaces(): string[] {
    return otherNamespaces(this.namespace, [
      ...(this.edge?.sources ?? []).map((s) => s.namespace),
      ...(this.edge?.gateway ? [this.edge.gateway.split('/')[0]] : []),
      ...this.callerList.map((c) => c.meshNamespace).filter((ns): ns is string => ns !== undefined),
      ...(this.declaredExportTo ?? []).filter((ns) => ns !== '*'),
    ]);
  }

  /**
   * The cluster hosts callers' and the edge's proxies route to: the
   * Service's, and the edge's own Services in the endpoint's namespace (the
   * per-deployment Services of a Gateway API split, a browser sign-in proxy).
   */
  public get routeHosts(): string[] {
    // the edge's own Services (per-deployment Services of a Gateway API split, the browser sign-in proxy an
    // NGINX controller's auth-url calls) are reached by the same proxies
    const edgeServices = (this.edge?.apiObjects ?? [])
      .filter((o) => o.kind === 'Service' && o.apiVersion === 'v1' && (o.metadata.namespace ?? Chart.of(o).namespace) === this.namespace)
      .map((o) => `${o.name}.${this.namespace}.svc.cluster.local`);
    return [this.host, ...sortStrings(new Set(edgeServices.filter((h) => h !== this.host)))];
  }

  /** Callers without a mesh identity of their own (they come through the edge, or from any enrolled namespace). */
  private hasTokenOnlyCallers(): boolean {
    return this.callerList.some((c) => c.kind !== CallerKind.WORKLOAD);
  }

  /**
   * The endpoint's namespace must enrol its pods in the endpoint's mesh:
   * checked against the app's MeshNamespace and Namespace objects.
   */
  private enrolmentProblems(): Problem[] {
    const out: Problem[] = [];
    for (const ns of this.servedNamespaces()) {
      const declared = MeshNamespace.lookup(this, ns);
      if (declared && !declared.mesh.equals(this.mesh)) {
        out.push(problem('mesh', `the mesh of namespace "${ns}" as ${declared.node.path} declares it (${declared.mesh.name})`, this.mesh.name));
        continue;
      }
      for (const obj of namespaceObjects(this, ns)) {
        const labels = obj.metadata.toJson().labels ?? {};
        const why = this.mesh.namespaceEnrolmentProblem(labels);
        if (why) {
          out.push(problem(`namespace "${ns}"`, `enrolled in the mesh (${this.mesh.name}); the Namespace ${obj.node.path} ${why}`, labels,
            'pods without a sidecar skip every policy'));
        }
      }
    }
    // oauth2-proxy (browser sign-in) serves requests: a default-deny namespace would refuse them all
    for (const obj of this.edge?.apiObjects ?? []) {
      const ns = obj.metadata.namespace;
      if (obj.kind === 'Deployment' && ns && MeshNamespace.lookup(this, ns)?.defaultDeny) {
        out.push(problem('edge', `an edge whose own workloads are not in a default-deny namespace (${obj.node.path} serves requests in "${ns}")`, ns,
          'the namespace-wide default deny admits no request to it; put the endpoint in a namespace without defaultDeny'));
      }
    }
    return out;
  }

  /** The per-deployment Services the edge created to split traffic (a Gateway API edge's weighted backendRefs). */
  private deploymentServiceNames(): string[] {
    const edge = this.edge;
    if (!edge) return [];
    const services = new Set(edge.apiObjects.filter((o) => o.kind === 'Service' && o.apiVersion === 'v1').map((o) => o.name));
    return sortStrings(new Set((this.props.deployments ?? [])
      .map((d) => deploymentServiceName(this.backend.serviceName, d.name))
      .filter((name) => services.has(name))));
  }

  /**
   * A per-deployment Service must not be a Service of the app or another
   * endpoint's: it would take over that Service's name (and its callers'
   * traffic would go to this endpoint's pods).
   */
  private deploymentServiceProblems(): Problem[] {
    const names = this.deploymentServiceNames();
    if (names.length === 0) return [];
    const mine = new Set<IConstruct>(this.edge!.apiObjects);
    const out: Problem[] = [];
    const others = this.node.root.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject && c.kind === 'Service' && !mine.has(c));
    for (const name of names) {
      const peer = (SecureMlEndpoint.peers(this.node.root).byNamespace.get(this.namespace) ?? []).find((e) => e !== this && e.backend.serviceName === name);
      const object = others.find((o) => o.name === name && (o.metadata.namespace ?? Chart.of(o).namespace) === this.namespace);
      // a cdk8s-plus object's ApiObject is its child `Resource`: name the object the app declared
      const owner = peer?.node.path ?? (object && object.node.id === 'Resource' && object.node.scope ? object.node.scope.node.path : object?.node.path);
      if (owner) {
        out.push(problem('deployments', `deployment names whose Services (<service>-<deployment>) no one else declares (${owner} declares Service ${this.namespace}/${name})`, name,
          'the edge splits traffic with one Service per deployment; rename the deployment'));
      }
    }
    return out;
  }

  /**
   * Namespaces of the pods this endpoint protects: the backend's, and those
   * of the model pods behind azureml-fe (which the router's own proxies call).
   */
  public servedNamespaces(): string[] {
    return sortStrings(new Set([this.namespace, ...(this.backend.azureMlRouter?.modelPods ?? []).map((m) => m.namespace)]));
  }

  /** The router's coordination ports, as Istio's string ports, when the backend is azureml-fe. */
  private routerPorts(): string[] | undefined {
    return this.backend.azureMlRouter?.internalPorts.map(String);
  }

  private operation(): { paths?: string[]; methods?: string[] } | undefined {
    const paths = this.props.paths?.length ? sortStrings(new Set(this.props.paths)) : undefined;
    const methods = this.props.methods?.length ? sortStrings(new Set(this.props.methods)) : undefined;
    return paths || methods ? { ...(paths ? { paths } : {}), ...(methods ? { methods } : {}) } : undefined;
  }

  /** Problems that can be seen from the props alone. */
  private localProblems(): Problem[] {
    const p = this.props;
    const out: Problem[] = [];
    if (!(p.tenant instanceof EntraTenant)) {
      out.push(problem('tenant', 'an EntraTenant', p.tenant, 'new EntraTenant({ tenantId })'));
    } else {
      out.push(...p.tenant.problems());
    }
    out.push(...audienceProblems(p.audiences, p.tenant instanceof EntraTenant ? p.tenant.tokenVersion : undefined));
    if (p.azureScope !== undefined) out.push(...p.azureScope.problems('azureScope'));
    if (p.invokerRole !== undefined) out.push(...p.invokerRole.problems('invokerRole'));
    if (p.namespace !== undefined && !isDnsLabel(p.namespace)) {
      out.push(problem('namespace', 'a DNS label (lowercase letters, digits, "-", at most 63)', p.namespace));
    }
    if (p.namespace !== undefined && this.backend.namespace !== undefined && p.namespace !== this.backend.namespace) {
      out.push(problem('namespace', `the backend Service's namespace ("${this.backend.namespace}")`, p.namespace,
        'Istio policies only apply to pods of their own namespace; leave namespace out to use the backend\'s'));
    }
    (p.exportTo ?? []).forEach((ns, i) => {
      if (ns !== '*' && !isDnsLabel(ns)) out.push(problem(`exportTo[${i}]`, 'a namespace (a DNS label) or "*"', ns));
      if (ns === '*' && p.exportTo!.length > 1) out.push(problem(`exportTo[${i}]`, '"*" alone (it already means every namespace)', p.exportTo));
    });
    (p.paths ?? []).forEach((path, i) => {
      if (typeof path !== 'string' || !PATH.test(path)) {
        out.push(problem(`paths[${i}]`, 'a path starting with "/" (a trailing "*" for a prefix), or "*suffix"', path, 'e.g. "/score"'));
      }
    });
    (p.methods ?? []).forEach((method, i) => {
      if (!HTTP_METHODS.includes(method)) out.push(problem(`methods[${i}]`, `one of ${HTTP_METHODS.join(', ')}`, method));
    });
    out.push(...claimHeaderProblems(p.claimToHeaders ?? []));
    out.push(...tokenHeaderProblems(p.tokenHeader, this.backend.ownsAuthorizationHeader ?? false, p.claimToHeaders ?? []));
    out.push(...deploymentProblems(p.deployments));
    out.push(...routeProblems(p.timeout ?? DEFAULT_TIMEOUT, p.retries ?? {}));
    if (p.mesh !== undefined && !(p.mesh instanceof MeshProfile)) out.push(problem('mesh', 'a MeshProfile (MeshProfile.istio(), MeshProfile.aksIstioAddon(...))', p.mesh));
    out.push(...this.mesh.problems());
    out.push(...networkSourceProblems('allowNetworkFrom', p.allowNetworkFrom));
    (p.accessLogProviders ?? []).forEach((name, i) => {
      if (typeof name !== 'string' || name.trim() === '') out.push(problem(`accessLogProviders[${i}]`, 'a provider name', name));
    });
    return out;
  }

  /** What is legal but probably a mistake (DESIGN.md section 5): printed once at synth, errors in strict mode. */
  private warnings(): Problem[] {
    const out: Problem[] = [];
    const entries = sortStrings(this.callers.keys()).map((k) => this.callers.get(k)!);
    for (const { caller, field } of entries) {
      if (caller.kind === CallerKind.GROUP) {
        out.push(warning(field, `is Caller.group("${caller.id}"): a user in more than 200 groups gets a token without the groups claim (overage) and is denied; `
          + 'prefer Caller.appRole(...) with the app role assigned to the group'));
      }
    }
    const any = entries.find((e) => e.caller.kind === CallerKind.ANY_AUTHENTICATED);
    if (any && entries.length > 1) {
      out.push(warning(any.field, `is Caller.anyAuthenticated() beside ${entries.length - 1} specific caller(s): any token of the tenant for the audiences gets in, `
        + 'so the specific callers restrict nothing; remove anyAuthenticated() or the specific callers'));
    }
    for (const ns of this.servedNamespaces()) {
      if (MeshNamespace.lookup(this, ns) || namespaceObjects(this, ns).length > 0) continue;
      const labels = Object.entries(this.mesh.namespaceLabels).map(([k, v]) => `${k}=${v}`).join(',');
      out.push(warning(`namespace "${ns}"`, `is not declared in the app, so its enrolment in the mesh cannot be checked: `
        + `pods there skip every policy unless it is labelled ${labels}; declare new MeshNamespace(...) to write it, or MeshNamespace.existing(...) once it is labelled`));
    }
    const od = this.props.outlierDetection;
    if (od && od.consecutive5XxErrors === undefined) {
      out.push(warning('outlierDetection', 'sets no consecutive5XxErrors (consecutive5xxErrors): Istio then keeps Envoy\'s default (eject after 5 consecutive 5xx), '
        + 'so application 500s for bad payloads eject model pods; set consecutive5XxErrors: 0 and count consecutiveGatewayErrors'));
    }
    if (this.backend.azureMlRouter && this.backend.azureMlRouter.modelPods.length === 0) {
      out.push(warning('backend', 'is azureml-fe without modelPods: the model pods behind the router get no policy, so any pod can call them directly, '
        + 'bypassing the router and every token check; name them with EndpointBackend.azureMlKubernetes({ modelPods: [{ namespace, selector }] })'));
    }
    if (this.props.forwardOriginalToken && this.backend.ownsAuthorizationHeader) {
      out.push(warning('forwardOriginalToken', 'is true on an azureml-fe backend: the caller\'s Entra token reaches azureml-fe and the model; '
        + 'leave it false unless the model must read the token'));
    }
    return out;
  }

  /** Problems that depend on the whole app (callers added later, cdk8s-plus objects). */
  private appProblems(): Problem[] {
    const out: Problem[] = [...this.backend.problems()];
    if (this.backend.inferencePool && (this.props.deployments ?? []).length > 0) {
      out.push(problem('deployments', 'unset with an InferencePool backend', (this.props.deployments ?? []).map((d) => d.name),
        'the edge routes through the endpoint picker, which chooses the pool\'s pods itself: the split would apply to in-mesh callers only; '
        + 'split between model versions with one pool per version, or leave it to the picker'));
    }
    if (this.backend.inferencePool && this.edge && !this.edge.routesToInferencePool) {
      out.push(problem('edge', 'an edge that routes to an InferencePool (Edge.istioGatewayApi)', `${this.edge.uniquenessKey}, which routes to Services only`,
        `the backend is InferencePool "${this.backend.inferencePool.name}": only a Gateway API route on Istio's implementation sends requests through its endpoint picker; `
        + 'this edge would send them to the pool\'s Service, past the picker'));
    }
    if (this.callers.size === 0) {
      out.push(problem('callers', 'at least one Caller', [],
        'an endpoint with no callers would deny everyone; declare callers, or Caller.anyAuthenticated() to admit any token of the tenant'));
    }
    const selector = this.backend.selector();
    for (const [i, d] of (this.props.deployments ?? []).entries()) {
      for (const [k, v] of Object.entries(deploymentLabels(d))) {
        if (selector[k] !== undefined && selector[k] !== v) {
          out.push(problem(`deployments[${i}].labels`, `labels that do not contradict the backend selector (${k}=${selector[k]})`, { [k]: v }));
        }
      }
    }
    return out;
  }

  /** A gRPC edge needs a backend port Istio reads as gRPC (or HTTP/2): the sidecar speaks what the port's name says. */
  private protocolProblems(edge: BoundEdge): Problem[] {
    if (edge.backendProtocol !== 'GRPC') return [];
    const declared = this.backend.protocol?.();
    if (!declared || declared.protocol === BackendProtocol.GRPC || declared.protocol === BackendProtocol.HTTP2) return [];
    return [problem('backend', 'a Service port declared as grpc (port name "grpc" or "grpc-<suffix>", or appProtocol grpc) when edge.backendProtocol is "GRPC"',
      declared.declaredAs, 'the sidecar would speak HTTP/1.1 to the model and break gRPC; name the port for its protocol, or pass protocol: BackendProtocol.GRPC')];
  }

  /** A public host is served by one endpoint per controller. Reported by the later endpoint. */
  private edgeHostProblems(edge: BoundEdge): Problem[] {
    const out: Problem[] = [];
    for (const peer of SecureMlEndpoint.peers(this.node.root).byEdgeHost.get(`${edge.uniquenessKey}|${edge.host}`) ?? []) {
      if (peer === this || peer.node.path > this.node.path) continue;
      {
        out.push(problem('edge.host', `a host no other endpoint serves on the same controller (${peer.node.path} serves it)`, edge.host));
      }
    }
    return out;
  }

  /**
   * Two endpoints whose selectors overlap would OR their ALLOW policies on the
   * shared pods (each widening the other), and two VirtualServices or
   * DestinationRules for one host conflict. Reported by the later endpoint.
   */
  private overlapProblems(): Problem[] {
    const mine = this.backend.selector();
    const out: Problem[] = [];
    for (const peer of SecureMlEndpoint.peers(this.node.root).byNamespace.get(this.namespace) ?? []) {
      if (peer === this || peer.node.path > this.node.path) continue;
      if (peer.host === this.host) {
        out.push(problem('backend', `a Service no other endpoint uses (${peer.node.path} already fronts ${this.host})`, this.backend.serviceName,
          'declare one endpoint per Service and add callers to it'));
        continue;
      }
      const theirs = peer.backend.selector();
      if (contains(mine, theirs) || contains(theirs, mine)) {
        out.push(problem('backend.selector', `a selector that does not overlap ${peer.node.path} (${JSON.stringify(theirs)})`, mine,
          'pods selected by both would accept the callers of both endpoints'));
      }
    }
    return out;
  }

}

/** True when every label of `inner` is in `outer` with the same value (`inner` selects a superset of `outer`'s pods). */
function contains(outer: Record<string, string>, inner: Record<string, string>): boolean {
  const keys = Object.keys(inner);
  return keys.length > 0 && keys.every((k) => outer[k] === inner[k]);
}
