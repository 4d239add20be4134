import { ApiObjectMetadataDefinition, Lazy, Names } from 'cdk8s';
import { Construct } from 'constructs';
import * as k8s from '../imports/k8s';
import { isLabelValue } from './names';
import { IServiceAccountObject, IServiceObject, IWorkloadObject, SubjectConfigurationObject } from './workload';

/**
 * The Kubernetes objects the library builds itself, from the classes
 * generated from the Kubernetes 1.36 OpenAPI (lib/imports/k8s.ts), so no
 * cdk8s-plus line is loaded. Each renders what cdk8s-plus-28 rendered for the
 * same declaration (the library's output did not change when it stopped
 * using cdk8s-plus): the same construct ids (a construct holding its object
 * under `Resource`, so generated names and `ApiObject.of` stay as they were),
 * the same restricted defaults, and the pod address label cdk8s-plus
 * selects pods by.
 */

/** The label cdk8s-plus puts on the pods of each workload, and selects them by (`Pod.ADDRESS_LABEL`). */
export const ADDRESS_LABEL = 'cdk8s.io/metadata.addr';

/**
 * A ServiceAccount the library creates. Its token is not mounted by default
 * (`automountServiceAccountToken: false`): a pod that needs it asks for it.
 * Usable as any cdk8s-plus line's `IServiceAccount`.
 */
export class OwnServiceAccount extends Construct implements IServiceAccountObject {
  /** `serviceaccounts`. */
  public readonly resourceType = 'serviceaccounts';
  private readonly resource: k8s.KubeServiceAccount;

  constructor(scope: Construct, id: string, props: { readonly metadata: k8s.ObjectMeta }) {
    super(scope, id);
    this.resource = new k8s.KubeServiceAccount(this, 'Resource', { metadata: props.metadata, automountServiceAccountToken: false });
  }

  public get name(): string {
    return this.resource.name;
  }

  public get metadata(): ApiObjectMetadataDefinition {
    return this.resource.metadata;
  }

  public get apiVersion(): string {
    return this.resource.apiVersion;
  }

  public get apiGroup(): string {
    return this.resource.apiGroup;
  }

  public get kind(): string {
    return this.resource.kind;
  }

  public get resourceName(): string {
    return this.name;
  }

  public toSubjectConfiguration(): SubjectConfigurationObject {
    return { kind: this.kind, name: this.name, apiGroup: this.apiGroup, namespace: this.metadata.namespace };
  }
}

/** A port of an {@link OwnService}. */
export interface OwnServicePort {
  readonly name: string;
  readonly port: number;
  readonly targetPort: number;
}

/** A ClusterIP Service the library creates, selecting pods by labels read at synth. */
export class OwnService extends Construct implements IServiceObject {
  public readonly ports: readonly OwnServicePort[];
  private readonly resource: k8s.KubeService;

  constructor(scope: Construct, id: string, props: {
    readonly metadata: k8s.ObjectMeta;
    readonly ports: readonly OwnServicePort[];
    /** The pods' labels, read at synth. */
    readonly selector: () => Record<string, string>;
  }) {
    super(scope, id);
    this.ports = props.ports.map((p) => ({ ...p }));
    this.resource = new k8s.KubeService(this, 'Resource', {
      metadata: props.metadata,
      spec: Lazy.any({
        produce: (): k8s.ServiceSpec => ({
          type: 'ClusterIP',
          externalIPs: [],
          ports: this.ports.map((p) => ({ name: p.name, port: p.port, targetPort: k8s.IntOrString.fromNumber(p.targetPort) })),
          selector: props.selector(),
        }),
      }) as unknown as k8s.ServiceSpec,
    });
  }

  public get name(): string {
    return this.resource.name;
  }

  public get metadata(): ApiObjectMetadataDefinition {
    return this.resource.metadata;
  }
}

/** Resources of an {@link ownContainer}: CPU and memory quantities (`20m`, `32Mi`). */
export interface OwnContainerResources {
  readonly cpu: { readonly request: string; readonly limit: string };
  readonly memory: { readonly request: string; readonly limit: string };
}

/** A container of an {@link OwnDeployment}. */
export interface OwnContainerProps {
  readonly name: string;
  readonly image: string;
  readonly args?: string[];
  readonly ports?: k8s.ContainerPort[];
  readonly env?: k8s.EnvVar[];
  readonly volumeMounts?: k8s.VolumeMount[];
  readonly readinessProbe?: k8s.Probe;
  readonly livenessProbe?: k8s.Probe;
  readonly resources: OwnContainerResources;
  /** The image's non-root user and group, stated so the kubelet checks non-root without image metadata. */
  readonly runAs: { readonly user: number; readonly group: number };
}

/**
 * A container with the restricted defaults every container the library
 * builds has: non-root as the given user, not privileged, no privilege
 * escalation, read-only root filesystem, image pulled every start.
 */
export function ownContainer(c: OwnContainerProps): k8s.Container {
  return {
    name: c.name,
    image: c.image,
    imagePullPolicy: 'Always',
    args: c.args,
    ports: c.ports,
    env: c.env,
    volumeMounts: c.volumeMounts,
    readinessProbe: c.readinessProbe,
    livenessProbe: c.livenessProbe,
    resources: {
      limits: { cpu: k8s.Quantity.fromString(c.resources.cpu.limit), memory: k8s.Quantity.fromString(c.resources.memory.limit) },
      requests: { cpu: k8s.Quantity.fromString(c.resources.cpu.request), memory: k8s.Quantity.fromString(c.resources.memory.request) },
    },
    securityContext: {
      runAsUser: c.runAs.user,
      runAsGroup: c.runAs.group,
      runAsNonRoot: true,
      privileged: false,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    },
  };
}

/**
 * `app.kubernetes.io/version` from an image's tag, when the tag is a valid
 * label value (Istio names workloads in metrics by app and version labels);
 * none for an image pinned by digest only.
 */
export function imageVersionLabel(image: string): Record<string, string> {
  const tag = /:([^:/@]+)$/.exec(image)?.[1];
  return tag !== undefined && isLabelValue(tag) ? { 'app.kubernetes.io/version': tag } : {};
}

/** An HTTP GET probe on a container port (three failures in a row fail it). */
export function httpGetProbe(path: string, port: number): k8s.Probe {
  return { failureThreshold: 3, httpGet: { path, port: k8s.IntOrString.fromNumber(port), scheme: 'HTTP' } };
}

/** Props of {@link OwnDeployment}. */
export interface OwnDeploymentProps {
  readonly metadata: k8s.ObjectMeta;
  readonly replicas: number;
  /** Labels and annotations of the pod template (the address label is added). */
  readonly podMetadata?: { readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
  readonly serviceAccountName?: string;
  readonly containers: k8s.Container[];
  readonly volumes?: k8s.Volume[];
  /**
   * At most one pod per node (required pod anti-affinity on `kubernetes.io/hostname`).
   *
   * @default false
   */
  readonly onePodPerNode?: boolean;
}

/**
 * A Deployment the library creates: pods selected by the address label,
 * rolling updates (25 % surge and unavailable), and restricted pod defaults
 * (non-root, no ServiceAccount token unless asked for, no host network).
 * It is a workload as {@link IWorkloadObject} describes, so a binding can be
 * applied to it like to a cdk8s-plus Deployment.
 */
export class OwnDeployment extends Construct implements IWorkloadObject {
  public readonly podMetadata: ApiObjectMetadataDefinition;
  /** The address label's value on its pods. */
  public readonly podAddress: string;
  private readonly resource: k8s.KubeDeployment;

  constructor(scope: Construct, id: string, props: OwnDeploymentProps) {
    super(scope, id);
    this.podAddress = Names.toLabelValue(this);
    this.resource = new k8s.KubeDeployment(this, 'Resource', {
      metadata: props.metadata,
      spec: Lazy.any({ produce: () => this.spec(props) }) as unknown as k8s.DeploymentSpec,
    });
    this.podMetadata = new ApiObjectMetadataDefinition({ ...props.podMetadata, apiObject: this.resource });
    this.podMetadata.addLabel(ADDRESS_LABEL, this.podAddress);
  }

  public get name(): string {
    return this.resource.name;
  }

  public get metadata(): ApiObjectMetadataDefinition {
    return this.resource.metadata;
  }

  /** The labels that select its pods. */
  public get podSelector(): Record<string, string> {
    return { [ADDRESS_LABEL]: this.podAddress };
  }

  private spec(props: OwnDeploymentProps): k8s.DeploymentSpec {
    const namespace = this.metadata.namespace;
    return {
      replicas: props.replicas,
      minReadySeconds: 0,
      progressDeadlineSeconds: 600,
      selector: { matchLabels: this.podSelector },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: k8s.IntOrString.fromString('25%'), maxUnavailable: k8s.IntOrString.fromString('25%') } },
      template: {
        metadata: this.podMetadata.toJson(),
        spec: {
          containers: props.containers,
          volumes: props.volumes?.length ? props.volumes : undefined,
          serviceAccountName: props.serviceAccountName,
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, fsGroupChangePolicy: 'Always' },
          restartPolicy: 'Always',
          dnsPolicy: 'ClusterFirst',
          setHostnameAsFqdn: false,
          hostNetwork: false,
          terminationGracePeriodSeconds: 30,
          affinity: props.onePodPerNode ? {
            podAntiAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [{
                topologyKey: 'kubernetes.io/hostname',
                labelSelector: { matchLabels: this.podSelector },
                namespaces: namespace ? [namespace] : undefined,
              }],
            },
          } : undefined,
        },
      },
    };
  }
}
