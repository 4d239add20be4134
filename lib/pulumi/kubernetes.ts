import { CustomResource } from '@pulumi/kubernetes/apiextensions';
import * as corev1 from '@pulumi/kubernetes/core/v1';
import * as pulumi from '@pulumi/pulumi';
import { App, Chart } from 'cdk8s';

/** A synthesized manifest object (its values may be Outputs once placeholders are replaced). */
export interface KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name?: string; readonly namespace?: string; readonly [key: string]: unknown };
  readonly [key: string]: unknown;
}

/**
 * Synthesizes the app once, as `app.synthYaml()` does (dependencies resolved,
 * every validation run), and keeps the objects it rendered beside the YAML.
 */
export function synthObjects(app: App): { yaml: string; objects: KubernetesObject[] } {
  const objects: KubernetesObject[] = [];
  const charts = app.charts;
  const saved = new Map<Chart, PropertyDescriptor | undefined>();
  for (const chart of charts) {
    // synthYaml renders each chart exactly once through chart.toJson(): the chart's own, a subclass's override included
    saved.set(chart, Object.getOwnPropertyDescriptor(chart, 'toJson'));
    const own = chart.toJson.bind(chart);
    Object.defineProperty(chart, 'toJson', {
      configurable: true,
      value: function toJson() {
        const docs = own();
        objects.push(...docs);
        return docs;
      },
    });
  }
  try {
    return { yaml: app.synthYaml(), objects };
  } finally {
    for (const [chart, descriptor] of saved) {
      delete (chart as { toJson?: unknown }).toJson;
      if (descriptor) Object.defineProperty(chart, 'toJson', descriptor);
    }
  }
}

/** Constructor of a typed core/v1 resource class of @pulumi/kubernetes. */
type CoreResourceClass = (new (name: string, args: Record<string, unknown>, opts?: pulumi.CustomResourceOptions) => pulumi.CustomResource) & { __pulumiType?: string };

/**
 * One Pulumi resource per object, so `pulumi preview` lists every object by
 * kind, namespace and name even while some of its values are unknown. Core
 * kinds (`apiVersion: v1`) use the typed classes of `@pulumi/kubernetes/core/v1`
 * (their type token is `kubernetes:core/v1:<Kind>`); every other kind is a
 * `CustomResource`, whose token `kubernetes:<group>/<version>:<Kind>` is the one
 * the typed classes use. Resource names are `<name>/<kind>/<namespace>/<object name>`
 * (`<name>/<kind>/<object name>` when cluster-scoped): stable as long as the
 * object is. Objects in a namespace the manifests create wait for it, and
 * workloads (Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs,
 * CronJobs, Argo Rollouts) wait for every `security.istio.io` object and
 * NetworkPolicy, so no pod serves before its fences exist. Created in that
 * order: Namespaces, those fences, then the rest in synthesis order.
 */
export function applyManifests(name: string, objects: KubernetesObject[], opts: pulumi.CustomResourceOptions & { parent: pulumi.Resource }): pulumi.CustomResource[] {
  const namespaces = new Map<string, pulumi.CustomResource>();
  const fences: pulumi.CustomResource[] = [];
  const out: pulumi.CustomResource[] = [];
  const ordered = [...objects.filter(isNamespace), ...objects.filter(isFence), ...objects.filter((o) => !isNamespace(o) && !isFence(o))];
  const seen = new Set<string>();
  for (const obj of ordered) {
    const namespace = typeof obj.metadata?.namespace === 'string' ? obj.metadata.namespace : undefined;
    const objectName = obj.metadata?.name;
    if (typeof objectName !== 'string') {
      throw new pulumi.ResourceError(`manifests: ${obj.apiVersion}/${obj.kind} must have a literal metadata.name, got ${JSON.stringify(objectName)}; resource names derive from it`, opts.parent);
    }
    const resourceName = `${name}/${obj.kind}/${namespace !== undefined ? `${namespace}/` : ''}${objectName}`;
    const key = `${obj.apiVersion}|${resourceName}`;
    if (seen.has(key)) {
      throw new pulumi.ResourceError(`manifests: ${obj.apiVersion}/${obj.kind} ${namespace ?? ''}/${objectName} must be unique, got it twice`, opts.parent);
    }
    seen.add(key);
    const waitFor = namespace !== undefined ? namespaces.get(namespace) : undefined;
    // a workload's pods start only once the policies and NetworkPolicies that fence them exist
    const dependsOn = [...asArray(opts.dependsOn), ...(waitFor ? [waitFor] : []), ...(isWorkload(obj) ? fences : [])];
    const resourceOpts: pulumi.CustomResourceOptions = { ...opts, dependsOn };
    let resource: pulumi.CustomResource;
    if (obj.apiVersion === 'v1') {
      const ctor = (corev1 as unknown as Record<string, CoreResourceClass | undefined>)[obj.kind];
      if (!ctor || ctor.__pulumiType !== `kubernetes:core/v1:${obj.kind}`) {
        throw new pulumi.ResourceError(`manifests: kind must be a core/v1 kind of @pulumi/kubernetes, got "${obj.kind}"`, opts.parent);
      }
      resource = new ctor(resourceName, obj as unknown as Record<string, unknown>, resourceOpts);
    } else {
      resource = new CustomResource(resourceName, obj as unknown as ConstructorParameters<typeof CustomResource>[1], resourceOpts);
    }
    if (isNamespace(obj)) namespaces.set(objectName, resource);
    if (isFence(obj)) fences.push(resource);
    out.push(resource);
  }
  return out;
}

function isNamespace(obj: KubernetesObject): boolean {
  return obj.apiVersion === 'v1' && obj.kind === 'Namespace';
}

/** Istio security objects (PeerAuthentication, RequestAuthentication, AuthorizationPolicy) and NetworkPolicies. */
function isFence(obj: KubernetesObject): boolean {
  const group = obj.apiVersion.includes('/') ? obj.apiVersion.split('/')[0] : '';
  return group === 'security.istio.io' || (group === 'networking.k8s.io' && obj.kind === 'NetworkPolicy');
}

/** Kinds that run pods. */
const WORKLOAD_KINDS = new Map<string, readonly string[]>([
  ['', ['Pod', 'ReplicationController']],
  ['apps', ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet']],
  ['batch', ['Job', 'CronJob']],
  ['argoproj.io', ['Rollout']],
]);

function isWorkload(obj: KubernetesObject): boolean {
  const group = obj.apiVersion.includes('/') ? obj.apiVersion.split('/')[0] : '';
  return WORKLOAD_KINDS.get(group)?.includes(obj.kind) ?? false;
}

function asArray(dependsOn: pulumi.CustomResourceOptions['dependsOn']): pulumi.Input<pulumi.Resource>[] {
  if (dependsOn === undefined) return [];
  return Array.isArray(dependsOn) ? dependsOn : [dependsOn as pulumi.Input<pulumi.Resource>];
}
