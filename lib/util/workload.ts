import { ApiObject, ApiObjectMetadataDefinition } from 'cdk8s';
import { IConstruct } from 'constructs';

/**
 * The objects the library takes from your app, described by the members it
 * reads, not by a cdk8s-plus class: a Deployment, Service or ServiceAccount
 * of any cdk8s-plus line (`cdk8s-plus-28` ... `cdk8s-plus-34`) fits, and so
 * does any construct of this shape. cdk8s itself is one shared peer, so
 * `ApiObjectMetadataDefinition` is the same class for every line. Rendered
 * facts (kind, selector, ports, protocol) are read at synth from the object's
 * `ApiObject` (`ApiObject.of(x)`), never by `instanceof` against one line's
 * classes.
 */

/**
 * A workload whose pods the library changes: a cdk8s-plus `Deployment`,
 * `StatefulSet`, `DaemonSet`, `Job`, `CronJob` or `Pod` of any line. Its kind
 * is read from its `ApiObject` (`ApiObject.of(workload).kind`).
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

/**
 * Where a workload's pod spec is in its manifest: a CronJob's pods are
 * templated one level deeper than other workloads', a Pod is its own spec.
 */
export function podSpecPath(workload: IConstruct): string {
  switch (kindOf(workload)) {
    case 'CronJob': return '/spec/jobTemplate/spec/template/spec';
    case 'Pod': return '/spec';
    default: return '/spec/template/spec';
  }
}
