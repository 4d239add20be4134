import { ApiObject, Chart, JsonPatch } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { ProblemCollector, problem } from '../errors';
import { KubeNamespace } from '../imports/k8s';
import { AuthorizationPolicy } from '../imports/security.istio.io';
import { MeshProfile } from '../mesh/profile';
import { MANAGED_BY_LABEL, isDnsLabel } from '../util/names';

/** Props of {@link MeshNamespace}. */
export interface MeshNamespaceProps {
  /** The namespace's name. */
  readonly name: string;

  /**
   * The mesh the namespace's pods are enrolled in (its labels).
   *
   * @default MeshProfile.istio() - `istio-injection: enabled`
   */
  readonly mesh?: MeshProfile;

  /**
   * Also write a namespace-wide default-deny AuthorizationPolicy (`spec: {}`):
   * a request to any pod of the namespace is denied unless an ALLOW policy
   * admits it. For namespaces that hold only endpoints (each endpoint's own
   * ALLOW admits its callers); any other server there is then unreachable.
   *
   * @default false
   */
  readonly defaultDeny?: boolean;

  /**
   * More labels for the Namespace object.
   *
   * @default - none
   */
  readonly labels?: Record<string, string>;
}

/** Options of {@link MeshNamespace.existing}. */
export interface ExistingMeshNamespaceOptions {
  /**
   * The mesh its pods are enrolled in.
   *
   * @default MeshProfile.istio()
   */
  readonly mesh?: MeshProfile;
}

/** A namespace whose enrolment in the mesh the app knows. */
export interface IMeshNamespace extends IConstruct {
  /** The namespace's name. */
  readonly name: string;
  /** The mesh its pods are enrolled in. */
  readonly mesh: MeshProfile;
  /** The namespace has a namespace-wide default-deny AuthorizationPolicy. */
  readonly defaultDeny?: boolean;
}

const registry = new WeakMap<IConstruct, Map<string, IMeshNamespace>>();

/**
 * A namespace enrolled in the mesh: writes the Namespace with the profile's
 * enrolment label (`istio-injection: enabled`, or `istio.io/rev: <revision>`
 * for a revisioned control plane such as the AKS Istio add-on), and
 * optionally a namespace-wide default-deny AuthorizationPolicy.
 *
 * Istio policies act only on pods that have a sidecar; a
 * {@link SecureMlEndpoint} checks that its namespace is declared here (or with
 * {@link MeshNamespace.existing}) and warns when it is not.
 */
export class MeshNamespace extends Construct implements IMeshNamespace {
  /**
   * States that namespace `name` exists outside this app and is already
   * labelled for `mesh` (writes nothing). Endpoints there then do not warn.
   */
  public static existing(scope: Construct, id: string, name: string, options: ExistingMeshNamespaceOptions = {}): IMeshNamespace {
    return new ExistingMeshNamespace(scope, id, name, options.mesh ?? MeshProfile.istio());
  }

  /** The namespace declared in the app of `scope` under `name`, if any. */
  public static lookup(scope: IConstruct, name: string): IMeshNamespace | undefined {
    return registry.get(scope.node.root)?.get(name);
  }

  /** The namespace's name. */
  public readonly name: string;
  /** The mesh its pods are enrolled in. */
  public readonly mesh: MeshProfile;
  /** The Namespace object (also `ApiObject.of(meshNamespace)`). */
  public readonly namespace: KubeNamespace;
  /** The default-deny AuthorizationPolicy, when asked for. */
  public readonly defaultDenyPolicy?: AuthorizationPolicy;
  /** The namespace has a namespace-wide default-deny AuthorizationPolicy. */
  public readonly defaultDeny: boolean;

  constructor(scope: Construct, id: string, props: MeshNamespaceProps) {
    super(scope, id);
    this.name = props.name;
    this.mesh = props.mesh ?? MeshProfile.istio();
    const problems = new ProblemCollector(this);
    problems.add(...registerNamespace(this));
    if (!isDnsLabel(props.name)) problems.add(problem('name', 'a DNS label (lowercase letters, digits, "-", at most 63)', props.name));
    problems.add(...this.mesh.problems());
    const labels = { ...(props.labels ?? {}), ...MANAGED_BY_LABEL, ...this.mesh.namespaceLabels };
    const clash = this.mesh.namespaceEnrolmentProblem({ ...(props.labels ?? {}), ...this.mesh.namespaceLabels });
    if (clash) problems.add(problem('labels', 'labels that keep the namespace enrolled', props.labels, `the namespace ${clash}`));
    this.namespace = new KubeNamespace(this, 'Resource', { metadata: { name: props.name, labels }, spec: {} });
    // a Namespace is cluster-scoped: drop the namespace a namespaced chart gives every object
    if (Chart.of(this).namespace !== undefined) ApiObject.of(this.namespace).addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    this.defaultDeny = props.defaultDeny ?? false;
    if (props.defaultDeny && props.name === this.mesh.controlPlaneNamespace) {
      // in Istio's root namespace an allow-nothing policy applies to every workload of the mesh
      problems.add(problem('defaultDeny', `false in the control-plane namespace "${props.name}"`, true,
        'a policy in Istio\'s root namespace applies mesh-wide: it would deny every request of every workload'));
    }
    if (props.defaultDeny) {
      this.defaultDenyPolicy = new AuthorizationPolicy(this, 'DefaultDeny', {
        metadata: { namespace: props.name, labels: { ...MANAGED_BY_LABEL } },
        // an ALLOW policy with no rules: nothing matches, so every request not admitted by another ALLOW is denied
        spec: problems.guard(() => ({})),
      });
    }
  }
}

class ExistingMeshNamespace extends Construct implements IMeshNamespace {
  constructor(scope: Construct, id: string, public readonly name: string, public readonly mesh: MeshProfile) {
    super(scope, id);
    const problems = new ProblemCollector(this);
    problems.add(...registerNamespace(this));
    if (!isDnsLabel(name)) problems.add(problem('name', 'a DNS label (lowercase letters, digits, "-", at most 63)', name));
    problems.add(...mesh.problems());
  }
}

function registerNamespace(ns: IMeshNamespace): ReturnType<typeof problem>[] {
  const root = ns.node.root;
  const byName = registry.get(root) ?? new Map<string, IMeshNamespace>();
  registry.set(root, byName);
  const other = byName.get(ns.name);
  if (other) return [problem('name', `a namespace no other MeshNamespace declares (${other.node.path} declares it)`, ns.name)];
  byName.set(ns.name, ns);
  return [];
}

const namespaceIndex = new WeakMap<IConstruct, Map<string, ApiObject[]>>();
const clearsIndex = new WeakSet<IConstruct>();

/**
 * The Namespace ApiObjects of the app named `name` (the user's own, or a
 * MeshNamespace's). The app is walked once per validation: a validation on
 * the app's root, which runs before every other (pre-order), drops the index,
 * so declarations added between two syntheses count.
 */
export function namespaceObjects(scope: IConstruct, name: string): ApiObject[] {
  const root = scope.node.root;
  if (!clearsIndex.has(root)) {
    clearsIndex.add(root);
    root.node.addValidation({ validate: () => { namespaceIndex.delete(root); return []; } });
  }
  let index = namespaceIndex.get(root);
  if (!index) {
    index = new Map();
    for (const c of root.node.findAll()) {
      if (c instanceof ApiObject && c.kind === 'Namespace' && c.metadata.name) {
        index.set(c.metadata.name, [...(index.get(c.metadata.name) ?? []), c]);
      }
    }
    namespaceIndex.set(root, index);
  }
  return index.get(name) ?? [];
}
