import { Construct } from 'constructs';
import { Problem, ProblemCollector, problem, warning } from '../errors';
import { ControlPlaneProfile, NamespaceEgress, callsManagedEndpoint, controlPlaneProfileFromContext, meshHostIndex } from '../egress/mesh-egress';
import type { Sidecar } from '../imports/networking.istio.io';
import { isDnsLabel } from '../util/names';
import { ISTIO_CONTROL_PLANE_NAMESPACE } from './profile';

/** Props of {@link CallerSidecar}. */
export interface CallerSidecarProps {
  /** The callers' namespace whose proxies get only what its workloads were granted. */
  readonly namespace: string;

  /**
   * More egress hosts for the namespace's proxies, in the Sidecar's
   * `<namespace>/<dnsName>` form: what other workloads of the namespace call
   * that the declaration does not know, e.g. `payments/ledger.payments.svc.cluster.local`,
   * or `monitoring/*` for a whole namespace. Without them, those calls leave
   * the proxy as plain TCP to the pod address and fail against STRICT mutual TLS.
   *
   * @default - none
   */
  readonly hosts?: string[];

  /**
   * Refuse, at the proxy, calls to hosts the Sidecar does not import
   * (`outboundTrafficPolicy: REGISTRY_ONLY`: BlackHoleCluster, 502). Without
   * it, such a call leaves the proxy as plain TCP (PassthroughCluster): to
   * an in-mesh service not listed it travels unencrypted, with whatever
   * token it carries, and a STRICT service refuses it only after it was
   * sent. With it, hosts outside the mesh need a ServiceEntry of their own.
   * A namespace under a managed endpoint's egress control is always
   * `REGISTRY_ONLY`.
   *
   * @default false - the mesh's outboundTrafficPolicy (Istio's default: ALLOW_ANY)
   */
  readonly registryOnly?: boolean;

  /**
   * The mesh the namespace is in (a `MeshProfile`, or any
   * `{ name, controlPlaneNamespace }`): its control plane's namespace is
   * imported whole (istiod), e.g. `aks-istio-system` on the AKS Istio add-on.
   *
   * @default - the app's mesh profile (context `cdk8s-azureml-mesh/meshProfile`), else upstream Istio (`istio-system`)
   */
  readonly meshProfile?: ControlPlaneProfile;

  /**
   * The Istio control plane's namespace; overrides `meshProfile`.
   *
   * @default - the namespace of `meshProfile`
   */
  readonly controlPlaneNamespace?: string;
}

const HOST = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;

/**
 * Opt-in, per callers' namespace: its proxies receive the routes and
 * clusters of what its workloads were granted and nothing else. An Istio
 * `Sidecar` for the namespace whose egress hosts are the namespace itself
 * (`./*`), the control plane, each in-mesh endpoint of the app that a
 * workload of the namespace may call (`Caller.workload`, `grantInvoke` of a
 * `MeshIdentityBinding`), and `hosts`. Without it every proxy of the
 * namespace receives every Service of the mesh, so its config grows with
 * the mesh, not with what it calls.
 *
 * An endpoint's own namespace can opt in too: its model pods then receive
 * their own namespace and the control plane, not every Service of the mesh.
 *
 * It is opt-in because the Sidecar narrows every workload of the
 * namespace, also those the declaration does not know: list what they call
 * in `hosts`: a call to an in-mesh service it does not import leaves the
 * proxy in plain text. It leaves `outboundTrafficPolicy` to the mesh
 * unless `registryOnly` is set or a managed online endpoint puts the
 * namespace under egress control; then both are one Sidecar (Istio allows
 * one namespace-wide Sidecar per namespace), with `REGISTRY_ONLY`.
 *
 * @see https://istio.io/latest/docs/reference/config/networking/sidecar/
 * @see https://istio.io/latest/docs/ops/best-practices/performance/
 */
export class CallerSidecar extends Construct {
  /** The namespace. */
  public readonly namespace: string;
  /** The namespace's Sidecar (shared with its egress control, if any). */
  public readonly sidecar: Sidecar;
  private readonly egress: NamespaceEgress;

  constructor(scope: Construct, id: string, props: CallerSidecarProps) {
    super(scope, id);
    const problems = new ProblemCollector(this);
    this.namespace = props.namespace;
    if (!isDnsLabel(props.namespace)) problems.add(problem('namespace', 'a DNS label (lowercase letters, digits, "-", at most 63)', props.namespace));
    (props.hosts ?? []).forEach((h, i) => {
      const [ns, name, ...rest] = typeof h === 'string' ? h.split('/') : [];
      const nsOk = ns === '.' || isDnsLabel(ns);
      const nameOk = name === '*' || (name !== undefined && HOST.test(name) && name.includes('.'));
      if (!nsOk || !nameOk || rest.length) {
        problems.add(problem(`hosts[${i}]`, '"<namespace>/<fqdn>" or "<namespace>/*" (one namespace: never "*/" or "~/")', h,
          'e.g. "payments/ledger.payments.svc.cluster.local"'));
      }
    });
    const controlPlane = props.controlPlaneNamespace
      ?? props.meshProfile?.controlPlaneNamespace
      ?? controlPlaneProfileFromContext(this).profile?.controlPlaneNamespace
      ?? ISTIO_CONTROL_PLANE_NAMESPACE;
    if (!isDnsLabel(controlPlane)) problems.add(problem('controlPlaneNamespace', 'a DNS label', controlPlane));
    problems.add(...controlPlaneProfileFromContext(this).problems);
    this.egress = NamespaceEgress.of(this, props.namespace);
    this.egress.allowControlPlane(controlPlane);
    this.egress.addHosts(...(props.hosts ?? []).filter((h) => typeof h === 'string'));
    if (props.registryOnly === true) this.egress.restrictToRegistry();
    this.sidecar = this.egress.sidecar;
    // under egress control (REGISTRY_ONLY) an added host outside the cluster, or a whole namespace, imports
    // whatever ServiceEntries are exported there: egress control names its external hosts itself
    problems.addWarningCheck(() => {
      if (!this.egress.egressControlled) return [];
      const wide = (props.hosts ?? []).filter((h) => typeof h === 'string' && (h.endsWith('/*') || !h.endsWith('.svc.cluster.local')));
      return wide.length ? [warning('hosts', `${JSON.stringify(wide)} widen the egress control of "${props.namespace}" (REGISTRY_ONLY, set by a managed endpoint): `
        + 'they import every ServiceEntry exported to the namespace from there; list in-cluster Services (<ns>/<service>.<ns>.svc.cluster.local) only')] : [];
    });
    problems.addWarningCheck(() => {
      const index = meshHostIndex(this);
      const out: Problem[] = [];
      // granted an in-mesh endpoint, or a managed one (its ServiceEntry is of the namespace), or serving one
      const granted = (index.byNamespace.get(props.namespace) ?? []).length > 0 || callsManagedEndpoint(this, props.namespace);
      if (!granted && !index.serving.has(props.namespace) && (props.hosts ?? []).length === 0) {
        out.push(warning('namespace', `"${props.namespace}" calls no endpoint of the app, serves none and lists no hosts: its proxies receive only their own namespace and the control plane; `
          + 'grant a workload of the namespace (endpoint.grantInvoke(binding)) or list its hosts'));
      }
      // endpoints open to token callers from any namespace: this Sidecar does not import them unless told
      const imported = new Set(this.egress.egressHosts());
      const open = index.everywhere.filter((e) => e.namespace !== props.namespace && !imported.has(`${e.namespace}/${e.host}`) && !imported.has(`${e.namespace}/*`));
      if (open.length) {
        out.push(warning('namespace', `the routes of ${open.map((e) => e.node.path).join(', ')} go to every namespace (token callers from any peer, no edge), but the Sidecar of "${props.namespace}" does not import them: `
          + `a call from "${props.namespace}" to them leaves its proxy as plain TCP; name "${props.namespace}" in their exportTo, or narrow their exportTo to the namespaces that call them`));
      }
      return out;
    });
  }

  /** The Sidecar's egress hosts, resolved now (later grants count). */
  public get hosts(): string[] {
    return this.egress.egressHosts();
  }
}
