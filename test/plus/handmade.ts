/**
 * Hand-made workloads: constructs of the structural shape the library takes
 * (`IWorkloadObject`) that are no cdk8s-plus class, for the cases the
 * security review (finding 4) built by hand: a selector with
 * matchExpressions, a `podMetadata` that the object never renders, a kind
 * without a pod template (an Argo Rollout with `workloadRef`).
 */
import { ApiObject, ApiObjectMetadataDefinition, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { IWorkloadObject } from '../../lib';

export interface HandmadeProps {
  /** The rendered kind. */
  readonly kind: string;
  /** @default 'apps/v1' */
  readonly apiVersion?: string;
  /**
   * The rendered spec, given the metadata the object renders as its pod
   * template (`podMetadata`, unless `detached`).
   */
  readonly spec: (pod: ApiObjectMetadataDefinition) => unknown;
  /**
   * `podMetadata` is a fresh `ApiObjectMetadataDefinition` the object never
   * renders: the spec gets another one, with `templateLabels`.
   *
   * @default false
   */
  readonly detached?: boolean;
  /** Labels of the metadata the spec renders when `detached`. */
  readonly templateLabels?: Record<string, string>;
}

export class Handmade extends Construct implements IWorkloadObject {
  public readonly metadata: ApiObjectMetadataDefinition;
  public readonly podMetadata: ApiObjectMetadataDefinition;

  constructor(scope: Construct, id: string, props: HandmadeProps) {
    super(scope, id);
    const resource = new ApiObject(this, 'Resource', {
      apiVersion: props.apiVersion ?? 'apps/v1',
      kind: props.kind,
      metadata: {},
      spec: Lazy.any({ produce: () => props.spec(rendered) }),
    });
    this.metadata = resource.metadata;
    this.podMetadata = new ApiObjectMetadataDefinition({ apiObject: resource });
    const rendered = props.detached ? new ApiObjectMetadataDefinition({ apiObject: resource, labels: props.templateLabels }) : this.podMetadata;
  }
}

/** A Deployment spec: `selector` as given, pods rendered from `pod`. */
export function deploymentSpec(selector: unknown) {
  return (pod: ApiObjectMetadataDefinition) => ({
    replicas: 1,
    selector,
    template: { metadata: pod.toJson(), spec: { containers: [{ name: 'main', image: 'model:1' }] } },
  });
}
