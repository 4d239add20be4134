import { ApiObject, ApiObjectMetadataDefinition } from 'cdk8s';
import { IConstruct } from 'constructs';
import { Problem, problem, show } from '../errors';

/**
 * The objects the library takes from your app, described by the members it
 * reads, not by a cdk8s-plus class: a Deployment, Service or ServiceAccount
 * of any cdk8s-plus line (`cdk8s-plus-28` ... `cdk8s-plus-34`) fits, and so
 * does any construct of this shape. cdk8s itself is one shared peer, so
 * `ApiObjectMetadataDefinition` is the same class for every line. Rendered
 * facts (kind, selector, ports, protocol) are read at synth from the object's
 * `ApiObject` (`ApiObject.of(x)`), never by `instanceof` against one line's
 * classes. What the library adds through a member (`podMetadata`) is checked
 * at synth against the rendered object: a member the object does not render
 * is an error, not a silent no-op.
 */

/**
 * A workload whose pods the library changes: a cdk8s-plus `Deployment`,
 * `StatefulSet`, `DaemonSet`, `Job`, `CronJob` or `Pod` of any line, or a
 * construct of this shape whose `ApiObject` is one of those kinds (or a
 * `ReplicaSet`). Its kind is read from its `ApiObject`
 * (`ApiObject.of(workload).kind`), and `podMetadata` must be what the object
 * renders as its pod template (`spec.template.metadata`; a CronJob's
 * `spec.jobTemplate.spec.template.metadata`; a Pod's own `metadata`).
 */
export interface IWorkloadObject extends IConstruct {
  /** The workload's own metadata (its namespace is read). */
  readonly metadata: ApiObjectMetadataDefinition;
  /** The metadata of its pod template (labels and annotations are added). */
  readonly podMetadata: ApiObjectMetadataDefinition;
  /**
   * The ServiceAccount its pods run as, when set.
   *
   * @default - none
   */
  readonly serviceAccount?: { readonly name: string };
}

/** A Service port, as the library reads it. */
export interface IServicePortObject {
  /** The port clients call. */
  readonly port: number;
}

/**
 * A Service: a cdk8s-plus `Service` of any line. Its selector and port
 * protocols are read at synth from its `ApiObject`.
 */
export interface IServiceObject extends IConstruct {
  /** The Service's name. */
  readonly name: string;
  /** Its metadata (its namespace is read). */
  readonly metadata: ApiObjectMetadataDefinition;
  /** Its ports. */
  readonly ports: readonly IServicePortObject[];
}

/** A subject of an RBAC binding, as cdk8s-plus' `ISubject.toSubjectConfiguration()` returns it. */
export interface SubjectConfigurationObject {
  /** API group of the subject (`''` for ServiceAccounts). */
  readonly apiGroup?: string;
  /** Kind of the subject. */
  readonly kind: string;
  /** Name of the subject. */
  readonly name: string;
  /** Namespace of the subject. */
  readonly namespace?: string;
}

/**
 * A ServiceAccount: a cdk8s-plus `ServiceAccount` of any line, and usable
 * wherever a line's `kplus.IServiceAccount` is expected (a Deployment's
 * `serviceAccount`, a RoleBinding subject): it has every member
 * `IServiceAccount` has in `cdk8s-plus-28` through `cdk8s-plus-34`, and
 * `metadata` besides.
 */
export interface IServiceAccountObject extends IConstruct {
  /** The ServiceAccount's name. */
  readonly name: string;
  /** Its metadata (namespace, annotations). */
  readonly metadata: ApiObjectMetadataDefinition;
  /** `v1`. */
  readonly apiVersion: string;
  /** `''` (the core group). */
  readonly apiGroup: string;
  /** `ServiceAccount`. */
  readonly kind: string;
  /** `serviceaccounts`. */
  readonly resourceType: string;
  /**
   * The name, for RBAC rules.
   *
   * @default - the name
   */
  readonly resourceName?: string;
  /** The ServiceAccount as an RBAC subject. */
  toSubjectConfiguration(): SubjectConfigurationObject;
}

/** The kind of a cdk8s object, as its ApiObject renders it (`undefined` for a construct without one). */
export function kindOf(scope: IConstruct): string | undefined {
  try {
    return ApiObject.of(scope).kind;
  } catch {
    return undefined;
  }
}

/** The kinds `EndpointBackend.fromDeployment` serves: long-running pods that `spec.selector` selects. */
export const BACKEND_WORKLOAD_KINDS: readonly string[] = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'];
/** The kinds `MeshIdentityBinding.applyTo` runs as an identity. */
export const IDENTITY_WORKLOAD_KINDS: readonly string[] = [...BACKEND_WORKLOAD_KINDS, 'Job', 'CronJob', 'Pod'];

/**
 * Where a kind's pod template is in its manifest, as property names: a
 * CronJob's pods are templated one level deeper than other workloads', a Pod
 * is its own template. The one place that knows it: the JSON patch path, the
 * messages and the rendered template are all derived from it.
 */
function podTemplateKeys(kind: string | undefined): readonly string[] {
  switch (kind) {
    case 'CronJob': return ['spec', 'jobTemplate', 'spec', 'template'];
    case 'Pod': return [];
    default: return ['spec', 'template'];
  }
}

/** The JSON pointer of a workload's pod spec (`/spec/template/spec`, a CronJob's `/spec/jobTemplate/spec/template/spec`, a Pod's `/spec`). */
export function podSpecPath(workload: IConstruct): string {
  return `/${[...podTemplateKeys(kindOf(workload)), 'spec'].join('/')}`;
}

/** Where a kind's pod template metadata is, for messages (`spec.template.metadata`; a Pod's own `metadata`). */
export function podTemplateMetadataPath(kind: string | undefined): string {
  return [...podTemplateKeys(kind), 'metadata'].join('.');
}

/** The metadata of a rendered pod template. */
export interface PodTemplateMetadata {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

/** A workload as rendered at synth: its manifest and its pod template's metadata. */
export interface RenderedWorkload {
  readonly kind: string;
  readonly json: any;
  readonly template: PodTemplateMetadata;
}

/**
 * Problem when `workload` is not one of `kinds`, naming the kind it renders.
 * Called with the kinds the caller knows where the pod template is.
 */
export function workloadKindProblem(workload: IConstruct, field: string, kinds: readonly string[], hint: string): Problem | undefined {
  const kind = kindOf(workload);
  if (kind !== undefined && kinds.includes(kind)) return undefined;
  const list = `${kinds.slice(0, -1).join(', ')} or ${kinds[kinds.length - 1]}`;
  return problem(field, `a ${list} (${workload.node.path})`, kind,
    kind === undefined ? `${workload.node.path} has no cdk8s ApiObject (ApiObject.of finds none); pass a cdk8s-plus workload` : hint);
}

/**
 * Renders a workload (its `ApiObject`, JSON patches applied) and reads its
 * pod template, or returns the problem: a kind without one, a workload that
 * renders none, a workload that fails to render. `patched` names the pod
 * spec path where the caller added a JSON patch (a patch under a template
 * the object does not render makes it fail).
 */
export function renderWorkload(workload: IConstruct, field: string, patched?: string): RenderedWorkload | Problem {
  const kind = kindOf(workload);
  const path = workload.node.path;
  const where = podTemplateKeys(kind).join('.') || 'the Pod itself';
  let json: any;
  try {
    json = ApiObject.of(workload).toJson();
  } catch (e) {
    // cdk8s prefixes the cause with the object's path and name, which the message names already
    const cause = String((e as Error)?.message ?? e).split('\n')[0].replace(/^Failed serializing construct at path '[^']*' with name '[^']*': /, '');
    return problem(field, `a workload with a pod template (${path} fails to render${patched ? ` once serviceAccountName is patched in at ${patched}` : ''}: ${cause})`, kind,
      `a ${kind} renders its pods at ${where}`);
  }
  const template = podTemplateKeys(kind).reduce((node: any, key) => node?.[key], json);
  if (!isObject(template)) {
    return problem(field, `a workload with a pod template (${path} renders no ${where})`, kind,
      'the library checks and changes the pods a workload templates; without a template there is nothing to check');
  }
  const metadata = isObject(template.metadata) ? template.metadata : {};
  return {
    kind: kind as string,
    json,
    template: { labels: { ...(metadata.labels ?? {}) }, annotations: { ...(metadata.annotations ?? {}) } },
  };
}

/** True when `rendered` is a problem rather than a rendered workload. */
export function isProblem(rendered: RenderedWorkload | Problem): rendered is Problem {
  return (rendered as Problem).message !== undefined;
}

/**
 * Problem when labels or annotations the library added through `podMetadata`
 * are not on the rendered pod template (a `podMetadata` the object does not
 * render): `why` says what they were for, `hint` what follows without them.
 */
export function missingOnPodTemplate(
  workload: IConstruct, rendered: RenderedWorkload, field: string,
  added: { readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> },
  why: string, hint: string,
): Problem | undefined {
  const missingLabels = Object.entries(added.labels ?? {}).filter(([k, v]) => rendered.template.labels[k] !== v);
  const missingAnnotations = Object.entries(added.annotations ?? {}).filter(([k, v]) => rendered.template.annotations[k] !== v);
  const missing = [...missingLabels, ...missingAnnotations];
  if (missing.length === 0) return undefined;
  const where = podTemplateMetadataPath(rendered.kind);
  return problem(field,
    `a workload whose podMetadata is its pod template (${workload.node.path}'s rendered pod template lacks ${missing.map(([k, v]) => `${k}: ${show(v)}`).join(', ')}, added to ${why})`,
    missingLabels.length > 0 ? rendered.template.labels : rendered.template.annotations,
    `${hint}; render podMetadata as the pod template's metadata (${where}), as cdk8s-plus workloads do`);
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
