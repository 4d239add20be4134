import { Construct, IConstruct } from 'constructs';
import { AccessEndpoint, AccessModel } from '../access/model';
import { AzurePlan } from '../azure/plan';
import { AzureRole } from '../azure/role';
import { AzureScope, ScopeKind } from '../azure/scope';
import { CallerKind } from '../callers/caller';
import { EntraCloud, EntraTenant } from '../entra/tenant';
import { Problem, ProblemCollector, problem, warning } from '../errors';
import { MeshIdentityBinding } from '../identity/binding';
import {
  DestinationRule,
  DestinationRuleSpecTrafficPolicyPortLevelSettingsTlsMode,
  Gateway,
  GatewaySpecServersTlsMode,
  ServiceEntry,
  VirtualService,
} from '../imports/networking.istio.io';
import { AuthorizationPolicy, AuthorizationPolicySpecAction } from '../imports/security.istio.io';
import { MANAGED_BY_LABEL, canonicalJson, compareStrings, isDnsLabel, isLabelKey, isLabelValue, sortStrings } from '../util/names';
import { routeExportTo } from '../mesh/traffic';
import {
  AKS_ISTIO_CONTROL_PLANE_NAMESPACE,
  ControlPlaneProfile,
  EgressGatewayRoutes,
  NamespaceEgress,
  recordManagedEndpointCaller,
  PlainHttpFence,
  UPSTREAM_ISTIO_CONTROL_PLANE,
  controlPlaneProfileFromContext,
  externalServiceEntrySpec,
} from './mesh-egress';

/** How callers' TLS to the scoring host is handled. */
export enum EgressTlsMode {
  /**
   * The app speaks HTTPS to the scoring host; the sidecar passes TLS through
   * (ServiceEntry port 443, protocol TLS). End-to-end TLS, no L7 features.
   * The default, and the path for token-bearing calls: the bearer token
   * never leaves the app unencrypted.
   */
  PASSTHROUGH = 'passthrough',
  /**
   * The app speaks plain HTTP to `http://<host>/score`; its sidecar
   * originates TLS to port 443 with SNI (DestinationRule `tls.mode: SIMPLE`).
   * Enables header-based deployment pinning and L7 telemetry. The app's
   * `Authorization: Bearer …` travels in clear text to the sidecar, and to
   * the internet if the sidecar is missing or bypassed: needs
   * `acknowledgePlainHttpInPod: true`, and adds a NetworkPolicy that refuses
   * TCP 80 leaving the cluster from the namespace's workload-identity pods.
   */
  ORIGINATION = 'origination',
}

/** Authentication modes of an Azure ML online endpoint. */
export enum OnlineEndpointAuthMode {
  /** Microsoft Entra tokens for `https://ml.azure.com`: per-caller Azure RBAC. The only mode accepted. */
  AAD_TOKEN = 'aad_token',
  /** Endpoint keys: refused (a shared secret, no per-caller RBAC). */
  KEY = 'key',
  /** Azure ML tokens: refused (no per-caller Azure RBAC). */
  AML_TOKEN = 'aml_token',
}

/** An egress gateway deployment the scoring host is routed through. */
export interface EgressGateway {
  /** Namespace of the gateway pods and Service. */
  readonly namespace: string;
  /** Labels of the gateway pods (the Gateway's selector). */
  readonly selector: Record<string, string>;
  /** Name of the gateway's Service. */
  readonly service: string;
}

/**
 * Istio's default egress gateway. For the AKS Istio add-on's egress gateways
 * (namespace `aks-istio-egress` by default), read the selector label and
 * Service name of your gateway deployment and declare them.
 */
export const ISTIO_EGRESS_GATEWAY: EgressGateway = { namespace: 'istio-system', selector: { istio: 'egressgateway' }, service: 'istio-egressgateway' };

/** Sends a caller namespace's requests (or some pods' of it) to one deployment. */
export interface DeploymentPin {
  /** The Azure ML deployment, e.g. `green` (sent as `azureml-model-deployment`). */
  readonly deployment: string;
  /** The callers' namespace. */
  readonly namespace: string;
  /**
   * Pod labels of the callers pinned (e.g. a canary tester).
   *
   * @default - every caller in the namespace
   */
  readonly sourceLabels?: Record<string, string>;
}

/** Props of {@link ManagedOnlineEndpoint}. */
export interface ManagedOnlineEndpointProps {
  /** The online endpoint's name (3-32 letters, digits, single `-`, starting with a letter). */
  readonly endpointName: string;
  /** Azure region of the endpoint, e.g. `westeurope` (the scoring host carries it). */
  readonly region: string;
  /** The Azure ML workspace (`AzureScope.mlWorkspace(...)`). */
  readonly workspace: AzureScope;
  /** The tenant: its cloud decides the Entra login host and the inference domain. */
  readonly tenant: EntraTenant;
  /**
   * Workloads that call the endpoint. More with {@link ManagedOnlineEndpoint.grantInvoke}.
   *
   * @default - none; grant at least one before synth
   */
  readonly callers?: MeshIdentityBinding[];
  /**
   * The endpoint's auth mode. Only `aad_token` is accepted.
   *
   * @default OnlineEndpointAuthMode.AAD_TOKEN
   */
  readonly authMode?: OnlineEndpointAuthMode;
  /**
   * TLS handling; never both (one port per ServiceEntry).
   *
   * @default EgressTlsMode.PASSTHROUGH - the app speaks HTTPS; its token is never sent in plain HTTP
   */
  readonly tlsMode?: EgressTlsMode;
  /**
   * Accept the risk of `EgressTlsMode.ORIGINATION`: the app sends its Entra
   * bearer token in plain HTTP to its own sidecar, and in clear text to the
   * internet if the sidecar is missing or bypassed. Required with
   * origination; each caller namespace then gets a NetworkPolicy
   * (construct id `PlainHttpFence`) that refuses TCP 80 leaving the cluster from
   * its workload-identity pods.
   *
   * @default false - origination is refused
   */
  readonly acknowledgePlainHttpInPod?: boolean;
  /**
   * The endpoint's deployments (e.g. `blue`, `green`): pins are checked against them.
   *
   * @default - none declared; pins are not allowed
   */
  readonly deployments?: string[];
  /**
   * Requests from some callers always go to one deployment (needs `ORIGINATION`).
   *
   * @default - Azure ML's traffic split decides
   */
  readonly pins?: DeploymentPin[];
  /**
   * DNS suffix of scoring hosts.
   *
   * @default - from the tenant's cloud: `inference.ml.azure.com` (public), `inference.ml.azure.us` (US Government), `inference.ml.azure.cn` (China)
   */
  readonly inferenceDomain?: string;
  /**
   * Put callers' namespaces under egress control: one Sidecar per namespace with
   * `REGISTRY_ONLY`, listing the scoring hosts and the identity hosts.
   *
   * @default true
   */
  readonly egressControl?: boolean;
  /**
   * Where the Istio control plane runs: `UPSTREAM_ISTIO_CONTROL_PLANE`
   * (`istio-system`), `AKS_ISTIO_ADDON_CONTROL_PLANE` (`aks-istio-system`),
   * or any `{ name, controlPlaneNamespace }` (a mesh profile). Its namespace
   * goes into every Sidecar's egress.
   *
   * @default - the app context `cdk8s-azureml-mesh/meshProfile` (`"upstream-istio"` or `"aks-istio-addon"`), else `UPSTREAM_ISTIO_CONTROL_PLANE`
   */
  readonly meshProfile?: ControlPlaneProfile;
  /**
   * The Istio control plane's namespace (in every Sidecar's egress); overrides
   * the mesh profile's.
   *
   * @default - the mesh profile's: 'istio-system' upstream, 'aks-istio-system' with the AKS Istio add-on
   */
  readonly controlPlaneNamespace?: string;
  /**
   * Route the scoring host through an egress gateway that admits only the
   * callers' mesh principals.
   *
   * @default - callers' sidecars go out directly
   */
  readonly egressGateway?: EgressGateway;
}

const ENDPOINT_NAME = /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,30}[a-zA-Z0-9]$/;
const REGION = /^[a-z][a-z0-9]{2,31}$/;
const HOST = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/;
/** The request header that targets one deployment of an online endpoint. */
export const DEPLOYMENT_HEADER = 'azureml-model-deployment';

/**
 * An Azure ML managed online endpoint outside the cluster, reached from
 * workloads in the mesh: an exact ServiceEntry in every caller's namespace
 * (`exportTo: ["."]`), TLS passed through or originated by the sidecar,
 * egress control with one REGISTRY_ONLY Sidecar per namespace, an optional
 * egress gateway that admits only the callers, and the invoker role for each
 * caller at the endpoint in the app's Azure plan. Callers authenticate with
 * Microsoft Entra tokens for `https://ml.azure.com` from their workload identity.
 */
export class ManagedOnlineEndpoint extends Construct {
  /** `<endpoint>.<region>.<inferenceDomain>`. */
  public readonly scoringHost: string;
  /** The scoring URL callers use (`https://` in passthrough mode, `http://` with origination). */
  public readonly scoringUrl: string;
  /** The endpoint's ARM scope (role assignments are made here). */
  public readonly scope: AzureScope;
  /** The Istio control plane's namespace in the callers' Sidecars. */
  public readonly controlPlaneNamespace: string;

  /** Managed endpoints per app, to find one declared twice. */
  private static readonly registry = new WeakMap<IConstruct, ManagedOnlineEndpoint[]>();

  private readonly props: ManagedOnlineEndpointProps;
  private readonly problems: ProblemCollector;
  private readonly callers = new Map<string, MeshIdentityBinding>();
  private readonly namespaces = new Set<string>();

  constructor(scope: Construct, id: string, props: ManagedOnlineEndpointProps) {
    super(scope, id);
    this.props = props;
    this.problems = new ProblemCollector(this);
    const domain = props.inferenceDomain ?? inferenceDomain(props.tenant);
    this.scoringHost = `${String(props.endpointName).toLowerCase()}.${props.region}.${domain}`;
    const mode = props.tlsMode ?? EgressTlsMode.PASSTHROUGH;
    this.scoringUrl = `${mode === EgressTlsMode.ORIGINATION ? 'http' : 'https'}://${this.scoringHost}/score`;
    this.scope = AzureScope.parse(`${props.workspace?.id}/onlineEndpoints/${props.endpointName}`);
    const fromContext = controlPlaneProfileFromContext(this);
    const profile = props.meshProfile ?? fromContext.profile ?? UPSTREAM_ISTIO_CONTROL_PLANE;
    this.controlPlaneNamespace = props.controlPlaneNamespace ?? profile.controlPlaneNamespace;
    this.problems.add(...fromContext.problems, ...this.localProblems(domain, profile));
    this.problems.warn(...this.localWarnings());
    this.problems.addCheck(() => (props.pins ?? []).flatMap((pin, i) => (this.namespaces.has(pin.namespace) ? [] : [
      problem(`pins[${i}].namespace`, `a namespace with a caller of this endpoint (${sortStrings(this.namespaces).join(', ') || 'none'})`, pin.namespace),
    ])));
    this.problems.addCheck(() => (this.callers.size === 0
      ? [problem('callers', 'at least one MeshIdentityBinding', [], 'grant callers with grantInvoke(binding)')]
      : []));
    const peers = ManagedOnlineEndpoint.registry.get(this.node.root) ?? [];
    peers.push(this);
    ManagedOnlineEndpoint.registry.set(this.node.root, peers);
    this.problems.addAppCheck(() => {
      const first = peers.find((peer) => peer.scoringHost === this.scoringHost);
      return first && first !== this
        ? [problem('endpointName', `an endpoint not declared twice (${first.node.path} already reaches ${this.scoringHost})`, props.endpointName,
          'grant more callers on the first declaration')]
        : [];
    });
    for (const caller of props.callers ?? []) this.grantInvoke(caller);
    if (props.egressGateway) this.renderGateway(props.egressGateway);
    AccessModel.of(this).addEndpoint(() => this.access);
  }

  /**
   * The endpoint in the app's access model, resolved now (grants made later
   * count): each caller's mesh principal, its door out of the mesh (the
   * egress gateway, when there is one) and the invoker role it holds. Azure
   * ML checks the caller's Entra token (for `https://ml.azure.com`) and the
   * role itself.
   */
  public get access(): AccessEndpoint {
    const role = AzureRole.endpointInvoker();
    const sub = this.scope.subscriptionId;
    const roleName = `${role.customDefinition(sub)?.roleName ?? role.displayName} on ${this.scope.id}`;
    const gateway = this.props.egressGateway ? `${this.props.egressGateway.namespace}/${this.props.egressGateway.service}` : undefined;
    const tenant = this.props.tenant;
    return {
      path: this.node.path,
      kind: 'managed-online',
      host: this.scoringHost,
      tenantId: tenant instanceof EntraTenant ? tenant.tenantId : '',
      issuers: [],
      audiences: ['https://ml.azure.com'],
      doors: [{ kind: 'egress', ...(gateway ? { gateway } : {}) }],
      operation: { paths: [], methods: [] },
      grants: sortStrings(new Set([...this.callers.values()].map((b) => b.meshPrincipal))).map((principal) => ({
        key: `workload:${principal}`,
        kind: CallerKind.WORKLOAD,
        id: principal,
        door: 'egress' as const,
        requirements: [{ issuers: [], principals: [principal], claims: [] }],
        azureRoles: [roleName],
      })),
    };
  }

  /**
   * Lets a workload call the endpoint: its namespace gets the ServiceEntry
   * (and egress control), and its identity the invoker role at the endpoint.
   * Granting twice is not an error.
   *
   * @returns the role assignment's name
   */
  public grantInvoke(binding: MeshIdentityBinding): string | undefined {
    if (!(binding instanceof MeshIdentityBinding)) {
      this.problems.add(problem('grantInvoke', 'a MeshIdentityBinding', binding));
      return undefined;
    }
    if (binding.node.root !== this.node.root) {
      this.problems.add(problem(`grantInvoke(${binding.node.path})`, 'a binding in the same app', binding.node.path));
      return undefined;
    }
    this.callers.set(binding.node.path, binding);
    this.addNamespace(binding.namespace);
    if (this.scope.problems().length > 0) return undefined;
    return AzurePlan.of(this).addRoleAssignment({ scope: this.scope, role: AzureRole.endpointInvoker(), principal: binding.grantPrincipal }, this);
  }

  private addNamespace(namespace: string): void {
    const p = this.props;
    const mode = p.tlsMode ?? EgressTlsMode.PASSTHROUGH;
    // only the login host: Entra, not the pod, fetches the cluster OIDC issuer's keys
    const identityHosts = [p.tenant instanceof EntraTenant ? p.tenant.cloud.loginHost : ''].filter(Boolean);
    if (p.egressControl ?? true) {
      const egress = NamespaceEgress.of(this, namespace);
      egress.restrictToRegistry();
      egress.allowIdentityHosts(...identityHosts);
      egress.allowControlPlane(this.controlPlaneNamespace);
    }
    // a Sidecar of the namespace (egress control, or a CallerSidecar) must import the gateway's routes
    recordManagedEndpointCaller(this, namespace, p.egressGateway?.namespace);
    // the bearer token travels in plain HTTP inside the pod: refuse TCP 80 leaving the cluster
    if (mode === EgressTlsMode.ORIGINATION && p.acknowledgePlainHttpInPod === true) PlainHttpFence.of(this, namespace);
    if (this.namespaces.has(namespace)) return;
    this.namespaces.add(namespace);
    const metadata = { namespace, labels: { ...MANAGED_BY_LABEL } };
    const id = `ns-${namespace}`;
    new ServiceEntry(this, `${id}-ServiceEntry`, {
      metadata,
      spec: this.problems.guard(() => externalServiceEntrySpec([this.scoringHost], mode === EgressTlsMode.ORIGINATION)),
    });
    if (mode === EgressTlsMode.ORIGINATION) {
      new DestinationRule(this, `${id}-DestinationRule`, {
        metadata,
        spec: this.problems.guard(() => ({
          host: this.scoringHost,
          exportTo: ['.'],
          trafficPolicy: {
            portLevelSettings: [{
              port: { number: 80 },
              tls: { mode: DestinationRuleSpecTrafficPolicyPortLevelSettingsTlsMode.SIMPLE, sni: this.scoringHost },
            }],
          },
        })),
      });
      const pins = (p.pins ?? []).filter((pin) => pin.namespace === namespace);
      if (pins.length) {
        new VirtualService(this, `${id}-Pins`, {
          metadata,
          spec: this.problems.guard(() => ({
            hosts: [this.scoringHost],
            exportTo: ['.'],
            http: [
              // pins for some pods first (more specific), then a namespace-wide one
              ...[...pins].sort((a, b) => (a.sourceLabels ? 0 : 1) - (b.sourceLabels ? 0 : 1) || compareStrings(canonicalJson(a), canonicalJson(b))).map((pin) => ({
                name: `pin-${pin.deployment}`,
                ...(pin.sourceLabels ? { match: [{ sourceLabels: { ...pin.sourceLabels } }] } : {}),
                headers: { request: { set: { [DEPLOYMENT_HEADER]: pin.deployment } } },
                route: [{ destination: { host: this.scoringHost, port: { number: 80 } } }],
              })),
              ...(pins.some((pin) => !pin.sourceLabels) ? [] : [{ name: 'default', route: [{ destination: { host: this.scoringHost, port: { number: 80 } } }] }]),
            ],
          })),
        });
      }
    }
  }

  /**
   * Egress gateway mode: sidecars send the caller's TLS to the gateway inside
   * Istio mutual TLS (SNI = the scoring host), the gateway passes it on to
   * Azure ML, and an ALLOW policy on the gateway admits only the callers'
   * mesh principals for that SNI.
   */
  private renderGateway(gw: EgressGateway): void {
    const metadata = { namespace: gw.namespace, labels: { ...MANAGED_BY_LABEL } };
    const routes = EgressGatewayRoutes.of(this, gw.namespace, gw.service);
    const subset = routes.addHost(this.scoringHost, () => this.namespaces);
    const gateway = new Gateway(this, 'EgressGateway', {
      metadata,
      spec: this.problems.guard(() => ({
        selector: { ...gw.selector },
        servers: [{ port: { number: 443, name: 'tls', protocol: 'TLS' }, hosts: [this.scoringHost], tls: { mode: GatewaySpecServersTlsMode.ISTIO_UNDERSCORE_MUTUAL } }],
      })),
    });
    new VirtualService(this, 'EgressRoute', {
      metadata,
      spec: this.problems.guard(() => ({
        hosts: [this.scoringHost],
        gateways: ['mesh', gateway.name],
        // the callers' sidecars (the mesh route) and the gateway (its route); no one else sends to the host
        exportTo: routeExportTo(gw.namespace, [...this.namespaces, gw.namespace], false),
        tls: [
          {
            match: [{ gateways: ['mesh'], port: 443, sniHosts: [this.scoringHost] }],
            route: [{ destination: { host: routes.serviceHost, subset, port: { number: 443 } } }],
          },
        ],
        tcp: [
          {
            match: [{ gateways: [gateway.name], port: 443 }],
            route: [{ destination: { host: this.scoringHost, port: { number: 443 } } }],
          },
        ],
      })),
    });
    // the gateway resolves the scoring host through a ServiceEntry of its own namespace
    new ServiceEntry(this, 'EgressGatewayServiceEntry', {
      metadata,
      spec: this.problems.guard(() => externalServiceEntrySpec([this.scoringHost], false)),
    });
    new AuthorizationPolicy(this, 'EgressGatewayPolicy', {
      metadata,
      spec: this.problems.guard(() => ({
        selector: { matchLabels: { ...gw.selector } },
        action: AuthorizationPolicySpecAction.ALLOW,
        rules: [{
          from: [{ source: { principals: sortStrings(new Set([...this.callers.values()].map((b) => b.meshPrincipal))) } }],
          when: [{ key: 'connection.sni', values: [this.scoringHost] }],
        }],
      })),
    });
  }

  /** Legal but probably a mistake (DESIGN.md section 5). */
  private localWarnings(): Problem[] {
    const p = this.props;
    const out: Problem[] = [];
    const mode = p.tlsMode ?? EgressTlsMode.PASSTHROUGH;
    if (p.acknowledgePlainHttpInPod === true && mode !== EgressTlsMode.ORIGINATION) {
      out.push(warning('acknowledgePlainHttpInPod', 'is true with tlsMode PASSTHROUGH: nothing is sent in plain HTTP and no NetworkPolicy is added; remove it'));
    }
    if (p.egressGateway && this.controlPlaneNamespace === AKS_ISTIO_CONTROL_PLANE_NAMESPACE && p.egressGateway.namespace === ISTIO_EGRESS_GATEWAY.namespace) {
      out.push(warning('egressGateway.namespace', `is "${p.egressGateway.namespace}" with the AKS Istio add-on (control plane in ${AKS_ISTIO_CONTROL_PLANE_NAMESPACE}): `
        + 'the add-on runs its egress gateways in "aks-istio-egress"; declare the namespace, selector and Service of your gateway'));
    }
    return out;
  }

  private localProblems(domain: string, profile: ControlPlaneProfile): Problem[] {
    const p = this.props;
    const out: Problem[] = [];
    if (typeof p.endpointName !== 'string' || !ENDPOINT_NAME.test(p.endpointName)) {
      out.push(problem('endpointName', 'an online endpoint name (3-32 letters, digits or single "-", starting with a letter, not ending with "-")', p.endpointName));
    }
    if (typeof p.region !== 'string' || !REGION.test(p.region)) {
      out.push(problem('region', 'an Azure region name in lower case without spaces', p.region, 'e.g. "westeurope"'));
    }
    if (!(p.workspace instanceof AzureScope) || p.workspace.kind !== ScopeKind.ML_WORKSPACE) {
      out.push(problem('workspace', 'an Azure ML workspace scope', p.workspace instanceof AzureScope ? p.workspace.id : p.workspace,
        'use AzureScope.mlWorkspace({ subscriptionId, resourceGroup, workspace })'));
    } else {
      out.push(...p.workspace.problems('workspace'));
    }
    if (!(p.tenant instanceof EntraTenant)) out.push(problem('tenant', 'an EntraTenant', p.tenant));
    else out.push(...p.tenant.problems());
    const auth = p.authMode ?? OnlineEndpointAuthMode.AAD_TOKEN;
    if (auth !== OnlineEndpointAuthMode.AAD_TOKEN) {
      out.push(problem('authMode', '"aad_token"', auth,
        'only Microsoft Entra tokens give per-caller Azure RBAC; keys and AML tokens are shared secrets that would have to live in manifests or app config'));
    }
    if (!HOST.test(domain) || domain.includes('*')) out.push(problem('inferenceDomain', 'a DNS suffix such as "inference.ml.azure.com"', domain));
    if (p.inferenceDomain !== undefined && !/(^|\.)inference\.ml\.azure\.(com|us|cn)$/.test(p.inferenceDomain)) {
      out.push(problem('inferenceDomain', 'an Azure ML scoring domain (inference.ml.azure.com, .us or .cn)', p.inferenceDomain,
        'ServiceEntries and egress rules are only written for Azure ML scoring hosts'));
    }
    const mode = p.tlsMode ?? EgressTlsMode.PASSTHROUGH;
    if (!Object.values(EgressTlsMode).includes(mode)) out.push(problem('tlsMode', 'EgressTlsMode.PASSTHROUGH or EgressTlsMode.ORIGINATION', mode));
    if (mode === EgressTlsMode.ORIGINATION && p.acknowledgePlainHttpInPod !== true) {
      out.push(problem('tlsMode', 'EgressTlsMode.PASSTHROUGH unless acknowledgePlainHttpInPod is true', mode,
        'with origination the app sends its bearer token in plain HTTP, in clear text to the internet if its sidecar is missing or bypassed; '
        + 'let the app call the https:// scoring URL, or set acknowledgePlainHttpInPod: true (callers then get a NetworkPolicy refusing TCP 80 out of the cluster)'));
    }
    if (p.acknowledgePlainHttpInPod !== undefined && typeof p.acknowledgePlainHttpInPod !== 'boolean') {
      out.push(problem('acknowledgePlainHttpInPod', 'true or false', p.acknowledgePlainHttpInPod));
    }
    if (typeof profile !== 'object' || profile === null || typeof profile.controlPlaneNamespace !== 'string') {
      out.push(problem('meshProfile', 'a mesh profile { name, controlPlaneNamespace }, e.g. AKS_ISTIO_ADDON_CONTROL_PLANE', profile));
    } else if (!isDnsLabel(profile.controlPlaneNamespace)) {
      out.push(problem('meshProfile.controlPlaneNamespace', 'a DNS label', profile.controlPlaneNamespace));
    }
    if (p.controlPlaneNamespace !== undefined && !isDnsLabel(p.controlPlaneNamespace)) {
      out.push(problem('controlPlaneNamespace', 'a DNS label (the namespace of istiod)', p.controlPlaneNamespace));
    }
    if (p.controlPlaneNamespace !== undefined && p.meshProfile !== undefined && p.controlPlaneNamespace !== p.meshProfile.controlPlaneNamespace) {
      out.push(problem('controlPlaneNamespace', `the namespace of meshProfile ${p.meshProfile.name} ("${p.meshProfile.controlPlaneNamespace}") or left out`,
        p.controlPlaneNamespace, 'set one of meshProfile and controlPlaneNamespace'));
    }
    const deployments = p.deployments ?? [];
    deployments.forEach((d, i) => {
      if (!isDnsLabel(d)) out.push(problem(`deployments[${i}]`, 'a deployment name (lowercase letters, digits, "-")', d));
    });
    if (new Set(deployments).size !== deployments.length) out.push(problem('deployments', 'unique names', deployments));
    const wide = new Map<string, number>();
    (p.pins ?? []).forEach((pin, i) => {
      if (!pin.sourceLabels) {
        if (wide.has(pin.namespace)) out.push(problem(`pins[${i}]`, `the only namespace-wide pin of "${pin.namespace}"`, pin.deployment, `pins[${wide.get(pin.namespace)}] already pins the namespace`));
        wide.set(pin.namespace, i);
      }
      if (mode !== EgressTlsMode.ORIGINATION) {
        out.push(problem(`pins[${i}]`, 'used with tlsMode ORIGINATION', pin.deployment, `the ${DEPLOYMENT_HEADER} header can only be set on requests the sidecar can read`));
      }
      if (!deployments.includes(pin.deployment)) out.push(problem(`pins[${i}].deployment`, `one of the declared deployments (${deployments.join(', ') || 'none'})`, pin.deployment));
      if (!isDnsLabel(pin.namespace)) out.push(problem(`pins[${i}].namespace`, 'a DNS label', pin.namespace));
      for (const [k, v] of Object.entries(pin.sourceLabels ?? {})) {
        if (!isLabelKey(k) || !isLabelValue(v)) out.push(problem(`pins[${i}].sourceLabels`, 'valid Kubernetes labels', { [k]: v }));
      }
    });
    if (p.egressGateway) {
      const gw = p.egressGateway;
      if (!isDnsLabel(gw.namespace)) out.push(problem('egressGateway.namespace', 'the egress gateway\'s namespace (a DNS label)', gw.namespace));
      const labels = Object.entries(gw.selector ?? {});
      if (labels.length === 0 || labels.some(([k, v]) => !isLabelKey(k) || !isLabelValue(v))) {
        out.push(problem('egressGateway.selector', 'non-empty valid labels of the egress gateway pods', gw.selector));
      }
      if (!isDnsLabel(gw.service)) out.push(problem('egressGateway.service', 'the egress gateway\'s Service name (a DNS label)', gw.service));
      if (mode === EgressTlsMode.ORIGINATION) out.push(problem('egressGateway', 'used with tlsMode PASSTHROUGH', gw.namespace, 'the gateway routes the caller\'s TLS by SNI'));
    }
    return out;
  }

}

/** The inference domain of a tenant's cloud. */
export function inferenceDomain(tenant: EntraTenant | undefined): string {
  const cloud = tenant instanceof EntraTenant ? tenant.cloud : EntraCloud.PUBLIC;
  if (cloud === EntraCloud.US_GOVERNMENT) return 'inference.ml.azure.us';
  if (cloud === EntraCloud.CHINA) return 'inference.ml.azure.cn';
  return 'inference.ml.azure.com';
}

