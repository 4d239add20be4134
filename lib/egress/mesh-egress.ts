import { createHash } from 'node:crypto';
import { Chart, Lazy } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { SecureMlEndpoint } from '../endpoint/secure-ml-endpoint';
import { Problem, ProblemCollector, problem } from '../errors';
import * as k8s from '../imports/k8s';
import { KubeNetworkPolicy } from '../imports/k8s';
import { USE_LABEL } from '../identity/binding';
import {
  DestinationRule,
  DestinationRuleSpecTrafficPolicyPortLevelSettingsTlsMode,
  ServiceEntry,
  ServiceEntrySpec,
  ServiceEntrySpecLocation,
  ServiceEntrySpecResolution,
  Sidecar,
  SidecarSpecOutboundTrafficPolicyMode,
} from '../imports/networking.istio.io';
import { AKS_ISTIO_CONTROL_PLANE_NAMESPACE, ISTIO_CONTROL_PLANE_NAMESPACE } from '../mesh/profile';
import { routeExportTo } from '../mesh/traffic';
import { MANAGED_BY_LABEL, isDnsLabel, sortStrings } from '../util/names';

export { AKS_ISTIO_CONTROL_PLANE_NAMESPACE, ISTIO_CONTROL_PLANE_NAMESPACE } from '../mesh/profile';

/**
 * App context key naming the app's mesh profile: `"upstream-istio"` or
 * `"aks-istio-addon"` (`app.node.setContext(MESH_PROFILE_CONTEXT, 'aks-istio-addon')`,
 * or `context` in cdk8s.yaml). A `meshProfile` or `controlPlaneNamespace` prop wins.
 */
export const MESH_PROFILE_CONTEXT = 'cdk8s-azureml-mesh/meshProfile';

/**
 * Where the Istio control plane runs, as egress needs it: istiod's namespace
 * goes into every egress Sidecar. Upstream Istio (istioctl or Helm) uses
 * `istio-system`, the AKS Istio add-on `aks-istio-system`. Any object of this
 * shape fits (the library's mesh profiles have `name` and
 * `controlPlaneNamespace`).
 *
 * @see https://learn.microsoft.com/azure/aks/istio-deploy-addon
 */
export interface ControlPlaneProfile {
  /** A name for messages, e.g. `aks-istio-addon`. */
  readonly name: string;
  /** Namespace of istiod. */
  readonly controlPlaneNamespace: string;
}

/** Istio installed with istioctl or Helm: control plane in `istio-system`. */
export const UPSTREAM_ISTIO_CONTROL_PLANE: ControlPlaneProfile = { name: 'upstream-istio', controlPlaneNamespace: ISTIO_CONTROL_PLANE_NAMESPACE };
/** The AKS Istio add-on: control plane in `aks-istio-system`. */
export const AKS_ISTIO_ADDON_CONTROL_PLANE: ControlPlaneProfile = { name: 'aks-istio-addon', controlPlaneNamespace: AKS_ISTIO_CONTROL_PLANE_NAMESPACE };

/** The profile named by the app context {@link MESH_PROFILE_CONTEXT}, if any (a bad value is reported as a problem). */
export function controlPlaneProfileFromContext(scope: IConstruct): { profile?: ControlPlaneProfile; problems: Problem[] } {
  const value: unknown = scope.node.tryGetContext(MESH_PROFILE_CONTEXT);
  if (value === undefined) return { problems: [] };
  const profile = [UPSTREAM_ISTIO_CONTROL_PLANE, AKS_ISTIO_ADDON_CONTROL_PLANE].find((p) => p.name === value);
  return profile
    ? { profile, problems: [] }
    : { problems: [problem(`context ${MESH_PROFILE_CONTEXT}`, '"upstream-istio" or "aks-istio-addon"', value)] };
}

/** The chart of a namespace's egress objects, `mesh-egress-<namespace>` (created on first use). */
function egressChart(scope: Construct, namespace: string): Chart {
  const root = scope.node.root;
  const id = `mesh-egress-${namespace}`;
  const existing = root.node.tryFindChild(id);
  if (existing instanceof Chart) return existing;
  // a chart of its own: the namespace's egress is written to mesh-egress-<namespace>.k8s.yaml
  return new Chart(root, id, { namespace });
}

/**
 * In-mesh hosts the proxies of `namespace` route to: every host of every
 * SecureMlEndpoint of the app (its Service, and the per-deployment Services
 * of a Gateway API split) whose routes are exported to the namespace by
 * name (a workload caller there, the edge's namespace, a namespace its
 * `exportTo` names; not `*`), as Sidecar egress hosts `<ns>/<host>`.
 */
function grantedMeshHosts(root: IConstruct, namespace: string): string[] {
  return sortStrings(new Set(meshHostIndex(root).byNamespace.get(namespace) ?? []));
}

/**
 * The app's endpoint hosts by the namespaces their routes are exported to,
 * built once per state of the app (rebuilt when an endpoint or a caller was
 * added): one pass over the endpoints, not one per namespace and chart.
 */
export function meshHostIndex(root: IConstruct): MeshHostIndex {
  const revision = SecureMlEndpoint.revision(root);
  const cached = HOST_INDEX.get(root.node.root);
  if (cached?.revision === revision) return cached;
  const endpoints = SecureMlEndpoint.inApp(root);
  const byNamespace = new Map<string, string[]>();
  const add = (ns: string, hosts: string[]) => byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), ...hosts]);
  const serving = new Set(endpoints.map((e) => e.namespace));
  const everywhere: SecureMlEndpoint[] = [];
  for (const e of endpoints) {
    const hosts = e.routeHosts.map((h) => `${e.namespace}/${h}`);
    // the namespaces the declaration names, also when the routes go everywhere (token callers from any peer):
    // an endpoint exported to "*" was granted to no other namespace in particular
    for (const ns of e.routeNamespaces()) add(ns, hosts);
    if (e.routeExportTo().includes('*')) everywhere.push(e);
    // azureml-fe's own proxies call its model pods, in their namespaces
    add(e.namespace, e.servedNamespaces().filter((ns) => ns !== e.namespace).map((ns) => `${ns}/*`));
  }
  const index = { revision, byNamespace, serving, everywhere };
  HOST_INDEX.set(root.node.root, index);
  return index;
}

/** The app's endpoint hosts by namespace, and the namespaces that serve an endpoint. */
export interface MeshHostIndex {
  readonly revision: number;
  /** `<ns>/<host>` of the endpoints whose routes name the namespace. */
  readonly byNamespace: ReadonlyMap<string, readonly string[]>;
  /** The namespaces of the app's endpoints. */
  readonly serving: ReadonlySet<string>;
  /** The endpoints whose routes go to every namespace (token callers from any peer, no edge). */
  readonly everywhere: readonly SecureMlEndpoint[];
}

const HOST_INDEX = new WeakMap<IConstruct, MeshHostIndex>();

/** Per app: the namespaces with callers of a managed online endpoint, and the egress gateways' namespaces each sends through. */
const MANAGED_CALLERS = new WeakMap<IConstruct, Map<string, Set<string>>>();

/**
 * Records that workloads of `namespace` call a managed online endpoint,
 * through an egress gateway in `gatewayNamespace` when it has one: the
 * namespace's Sidecar, if it has one, imports the gateway's namespace (the
 * gateway's routes are config of that namespace). Recorded with or without
 * egress control.
 */
export function recordManagedEndpointCaller(scope: IConstruct, namespace: string, gatewayNamespace?: string): void {
  const root = scope.node.root;
  const byNs = MANAGED_CALLERS.get(root) ?? new Map<string, Set<string>>();
  MANAGED_CALLERS.set(root, byNs);
  const gateways = byNs.get(namespace) ?? new Set<string>();
  if (gatewayNamespace !== undefined) gateways.add(gatewayNamespace);
  byNs.set(namespace, gateways);
}

/** Whether workloads of `namespace` call a managed online endpoint of the app of `scope`. */
export function callsManagedEndpoint(scope: IConstruct, namespace: string): boolean {
  return MANAGED_CALLERS.get(scope.node.root)?.has(namespace) ?? false;
}

/**
 * The Sidecar of one namespace, shared by everything in the app that
 * narrows what the namespace's proxies receive or reach (Istio allows one
 * namespace-wide Sidecar per namespace): egress control (managed online
 * endpoints: `REGISTRY_ONLY` and a ServiceEntry for the identity host, Entra
 * login) and config scoping ({@link CallerSidecar}). Its egress hosts are
 * listed by {@link NamespaceEgress.egressHosts}. One per namespace per app;
 * rendered at synth so later declarations count.
 */
export class NamespaceEgress extends Construct {
  /** The egress of `namespace` in the app of `scope` (created on first use). */
  public static of(scope: Construct, namespace: string): NamespaceEgress {
    const chart = egressChart(scope, namespace);
    const existing = chart.node.tryFindChild('Egress');
    if (existing instanceof NamespaceEgress) return existing;
    return new NamespaceEgress(chart, 'Egress', namespace);
  }

  /** The namespace's Sidecar. */
  public readonly sidecar: Sidecar;
  private readonly identityHosts = new Set<string>();
  private readonly controlPlanes = new Set<string>();
  private readonly extraHosts = new Set<string>();
  private registryOnly = false;
  private identityEntry?: ServiceEntry;
  private readonly problems: ProblemCollector;
  private readonly metadata: { namespace: string; labels: Record<string, string> };

  private constructor(scope: Construct, id: string, public readonly namespace: string) {
    super(scope, id);
    this.problems = new ProblemCollector(this);
    this.problems.addCheck(() => {
      const out = [];
      if (!isDnsLabel(namespace)) out.push(problem('namespace', 'a DNS label', namespace));
      if (this.controlPlanes.size > 1) {
        out.push(problem(`controlPlaneNamespace of ${namespace}`, 'one control-plane namespace per cluster', sortStrings(this.controlPlanes)));
      }
      return out;
    });
    this.metadata = { namespace, labels: { ...MANAGED_BY_LABEL } };
    this.sidecar = new Sidecar(this, 'Sidecar', {
      metadata: this.metadata,
      spec: this.problems.guard(() => ({
        // egress control refuses what the registry does not know; config scoping alone leaves the mesh's default
        // (other workloads of the namespace may call hosts the declaration does not know)
        ...(this.registryOnly ? { outboundTrafficPolicy: { mode: SidecarSpecOutboundTrafficPolicyMode.REGISTRY_UNDERSCORE_ONLY } } : {}),
        egress: [{ hosts: this.egressHosts() }],
      })),
    });
  }

  /**
   * The Sidecar's egress hosts, resolved now: `./*`, the control plane's
   * and egress gateways' namespaces, the in-mesh endpoints the namespace's
   * workloads were granted, and the hosts added with {@link addHosts}.
   */
  public egressHosts(): string[] {
    const gateways = MANAGED_CALLERS.get(this.node.root)?.get(this.namespace) ?? [];
    // whole namespaces: the control plane (istiod), then the egress gateways callers send through
    const wide = [
      ...sortStrings(this.controlPlanes),
      ...sortStrings(gateways).filter((ns) => ns !== this.namespace && !this.controlPlanes.has(ns)),
    ];
    const covered = (h: string) => h.startsWith('./') || wide.includes(h.split('/')[0]);
    return [
      './*',
      ...wide.map((ns) => `${ns}/*`),
      // in-mesh endpoints whose routes name the namespace (its proxies must reach them; for azureml-fe, its model
      // pods' namespaces), and the hosts added
      ...sortStrings(new Set([...grantedMeshHosts(this.node.root, this.namespace), ...[...this.extraHosts].filter((h) => !covered(h))])),
      // the Entra login host and the scoring hosts are ServiceEntries of this namespace (exportTo "."):
      // "./*" imports them, and listing them again is a duplicate Istio warns about
    ];
  }

  /** Puts the namespace under egress control: `REGISTRY_ONLY` (set by managed online endpoints, or `CallerSidecar({ registryOnly })`). */
  public restrictToRegistry(): void {
    this.registryOnly = true;
  }

  /** Whether a managed online endpoint put the namespace under egress control (it declared the identity host). */
  public get egressControlled(): boolean {
    return this.identityEntry !== undefined;
  }

  /** More egress hosts, `<namespace>/<dnsName>` (Istio's Sidecar egress host form; `<namespace>/*` for a whole namespace). */
  public addHosts(...hosts: string[]): void {
    hosts.forEach((h) => this.extraHosts.add(h));
  }

  /**
   * Declares the hosts workload identity needs in the pod: the Entra login
   * host (the token exchange). Not the cluster OIDC issuer: Entra fetches its
   * discovery document and keys itself, pods never call it.
   */
  public allowIdentityHosts(...hosts: string[]): void {
    hosts.forEach((h) => this.identityHosts.add(h));
    this.identityEntry ??= new ServiceEntry(this, 'IdentityHosts', {
      metadata: this.metadata,
      spec: this.problems.guard(() => externalServiceEntrySpec(sortStrings(this.identityHosts), false)),
    });
  }

  /** The control plane's namespace (istiod, for xDS and certificates). */
  public allowControlPlane(namespace: string): void {
    this.controlPlanes.add(namespace);
  }

}

/**
 * The fence for TLS origination: an egress NetworkPolicy on the namespace's
 * workload-identity pods (`azure.workload.identity/use: "true"`, the pods
 * that can hold a binding's Entra token) that refuses TCP 80 leaving the
 * cluster. NetworkPolicy egress rules are allow-lists, so it allows: any
 * port to pods of the cluster's namespaces; TCP 443, 1-79 and 81-65535 to
 * any address (`endPort`, stable since Kubernetes 1.25; 443 listed on its
 * own so that a policy engine that ignores `endPort` still passes TLS and
 * fails closed for the rest); and DNS (UDP 53). The sidecar's own TLS to
 * port 443 passes; an app whose sidecar is missing or bypassed cannot send
 * its token to the internet in plain HTTP. One per namespace per app, in
 * `mesh-egress-<namespace>.k8s.yaml`.
 */
export class PlainHttpFence extends Construct {
  /** The fence of `namespace` in the app of `scope` (created on first use). */
  public static of(scope: Construct, namespace: string): PlainHttpFence {
    const chart = egressChart(scope, namespace);
    const existing = chart.node.tryFindChild('PlainHttpFence');
    if (existing instanceof PlainHttpFence) return existing;
    return new PlainHttpFence(chart, 'PlainHttpFence', namespace);
  }

  /** The NetworkPolicy. */
  public readonly networkPolicy: KubeNetworkPolicy;

  private constructor(scope: Construct, id: string, public readonly namespace: string) {
    super(scope, id);
    const tcp = (port: number, endPort?: number): k8s.NetworkPolicyPort => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port), endPort });
    const notPort80 = [tcp(443), tcp(1, 79), tcp(81, 65535)];
    const dns: k8s.NetworkPolicyPort[] = [{ protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) }];
    const anywhere: k8s.NetworkPolicyPeer[] = [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }];
    // under Resource/Resource, where the policy was when cdk8s-plus built it: its generated name hashes the path
    this.networkPolicy = new KubeNetworkPolicy(new Construct(this, 'Resource'), 'Resource', {
      metadata: { namespace, labels: { ...MANAGED_BY_LABEL } },
      spec: {
        podSelector: { matchLabels: { [USE_LABEL]: 'true' } },
        policyTypes: ['Egress'],
        egress: [
          // inside the cluster (pods of every namespace): every port, plain HTTP included
          { to: [{ namespaceSelector: {}, podSelector: {} }], ports: [] },
          // out of the cluster: every TCP port but 80
          ...anywhere.map((peer) => ({ to: [peer], ports: notPort80 })),
          ...anywhere.map((peer) => ({ to: [peer], ports: dns })),
        ],
      },
    });
  }
}

/**
 * A ServiceEntry for exact external hosts, visible only in its namespace:
 * TLS on 443 (passed through), or HTTP on 80 with target port 443 when the
 * sidecar originates TLS.
 */
export function externalServiceEntrySpec(hosts: string[], originateTls: boolean): ServiceEntrySpec {
  return {
    hosts,
    exportTo: ['.'],
    location: ServiceEntrySpecLocation.MESH_UNDERSCORE_EXTERNAL,
    resolution: ServiceEntrySpecResolution.DNS,
    ports: originateTls ? [{ number: 80, name: 'http', protocol: 'HTTP', targetPort: 443 }] : [{ number: 443, name: 'tls', protocol: 'TLS' }],
  };
}


/**
 * The DestinationRule for an egress gateway's Service: one subset per
 * external host, each sending the caller's TLS to the gateway inside Istio
 * mutual TLS with the host as SNI, so the gateway can authorize the caller's
 * mesh principal. One per gateway per app, shared by every endpoint routed through it.
 */
export class EgressGatewayRoutes extends Construct {
  /** The routes to the gateway Service `<service>.<namespace>` (created on first use). */
  public static of(scope: Construct, namespace: string, service: string): EgressGatewayRoutes {
    const root = scope.node.root;
    const id = `mesh-egress-gateway-${namespace}-${service}`;
    const existing = root.node.tryFindChild(id)?.node.tryFindChild('Routes');
    if (existing instanceof EgressGatewayRoutes) return existing;
    return new EgressGatewayRoutes(new Chart(root, id, { namespace }), 'Routes', namespace, service);
  }

  /** The gateway Service's host. */
  public readonly serviceHost: string;
  private readonly hosts = new Set<string>();
  private readonly callerNamespaces: Array<() => Iterable<string>> = [];

  private constructor(scope: Construct, id: string, namespace: string, service: string) {
    super(scope, id);
    this.serviceHost = `${service}.${namespace}.svc.cluster.local`;
    new DestinationRule(this, 'DestinationRule', {
      metadata: { namespace, labels: { ...MANAGED_BY_LABEL } },
      spec: Lazy.any({
        produce: () => ({
          host: this.serviceHost,
          // the sidecars that send to the gateway: the callers' namespaces of every host routed through it
          exportTo: routeExportTo(namespace, this.callerNamespaces.flatMap((of) => [...of()]), false),
          subsets: sortStrings(this.hosts).map((host) => ({
            name: EgressGatewayRoutes.subsetName(host),
            trafficPolicy: {
              portLevelSettings: [{
                port: { number: 443 },
                tls: { mode: DestinationRuleSpecTrafficPolicyPortLevelSettingsTlsMode.ISTIO_UNDERSCORE_MUTUAL, sni: host },
              }],
            },
          })),
        }),
      }) as never,
    });
  }

  /** The subset of the gateway Service that carries `host`: the whole host as a DNS label, unique per host. */
  public static subsetName(host: string): string {
    const label = host.replace(/\./g, '-');
    return label.length <= 63 ? label : `${label.slice(0, 54)}-${createHash('sha256').update(host).digest('hex').slice(0, 8)}`;
  }

  /**
   * Adds a host routed through the gateway, and the namespaces whose
   * sidecars send it there (read at synth); returns its subset name.
   */
  public addHost(host: string, callerNamespaces: () => Iterable<string> = () => []): string {
    this.hosts.add(host);
    this.callerNamespaces.push(callerNamespaces);
    return EgressGatewayRoutes.subsetName(host);
  }
}
