import { Problem, problem } from '../errors';
import { isLabelValue } from '../util/names';
import { PodTemplateMetadata } from '../util/workload';

/** Istio's control-plane namespace when installed by istioctl or Helm. */
export const ISTIO_CONTROL_PLANE_NAMESPACE = 'istio-system';
/** The AKS Istio add-on's control-plane namespace. */
export const AKS_ISTIO_CONTROL_PLANE_NAMESPACE = 'aks-istio-system';

/** The label that turns on upstream Istio's default sidecar injector for a namespace. */
export const ISTIO_INJECTION_LABEL = 'istio-injection';
/** The label that selects an Istio control-plane revision (namespace or pod). */
export const ISTIO_REVISION_LABEL = 'istio.io/rev';
/** The pod label (and legacy annotation) that opts a pod in or out of sidecar injection. */
export const SIDECAR_INJECT = 'sidecar.istio.io/inject';
/** The pod annotation that asks Istio for a Kubernetes native sidecar (an init container with `restartPolicy: Always`). */
export const NATIVE_SIDECAR_ANNOTATION = 'sidecar.istio.io/nativeSidecar';

const AKS_REVISION = /^asm-\d+-\d+$/;

/** Options of {@link MeshProfile.istio} and {@link MeshProfile.istioRevision}. */
export interface IstioProfileOptions {
  /**
   * Namespace of the control plane (istiod).
   *
   * @default 'istio-system'
   */
  readonly controlPlaneNamespace?: string;
}

/**
 * Which Istio installation the mesh is, and so how a namespace or a pod is
 * enrolled in it (sidecar injection):
 *
 * - {@link MeshProfile.istio}: upstream Istio with the default injector,
 *   namespace label `istio-injection: enabled`;
 * - {@link MeshProfile.istioRevision}: a revisioned control plane, namespace
 *   label `istio.io/rev: <revision>` (and no `istio-injection` label, which
 *   would take precedence);
 * - {@link MeshProfile.aksIstioAddon}: the AKS Istio add-on, which is
 *   revisioned only (`istio.io/rev: asm-1-xx`), control plane in
 *   `aks-istio-system`, sidecar mode only.
 *
 * Istio policies act only on pods that have a proxy: a pod that is not
 * enrolled is reachable in plain text and every policy is skipped.
 *
 * @see https://istio.io/latest/docs/setup/additional-setup/sidecar-injection/
 * @see https://learn.microsoft.com/azure/aks/istio-deploy-addon
 */
export class MeshProfile {
  /** Upstream Istio, default injector (`istio-injection: enabled`). */
  public static istio(options: IstioProfileOptions = {}): MeshProfile {
    return new MeshProfile('istio', { [ISTIO_INJECTION_LABEL]: 'enabled' }, { [SIDECAR_INJECT]: 'true' },
      options.controlPlaneNamespace ?? ISTIO_CONTROL_PLANE_NAMESPACE, []);
  }

  /** An Istio control-plane revision (`istio.io/rev: <revision>`), e.g. a canary upgrade. */
  public static istioRevision(revision: string, options: IstioProfileOptions = {}): MeshProfile {
    const problems = isLabelValue(revision) && revision !== ''
      ? []
      : [problem('mesh revision', 'a label value such as "1-30-3" or "canary"', revision)];
    return new MeshProfile(`istio revision ${revision}`, { [ISTIO_REVISION_LABEL]: revision }, { [ISTIO_REVISION_LABEL]: revision },
      options.controlPlaneNamespace ?? ISTIO_CONTROL_PLANE_NAMESPACE, problems);
  }

  /**
   * The AKS Istio add-on at `revision` (e.g. `asm-1-28`: `az aks mesh get-revisions`).
   * Its control plane runs in `aks-istio-system`; namespaces are enrolled
   * with `istio.io/rev: <revision>` only (`istio-injection: enabled` is not honoured).
   *
   * @see https://learn.microsoft.com/azure/aks/istio-deploy-addon#enable-sidecar-injection
   */
  public static aksIstioAddon(revision: string): MeshProfile {
    const problems = typeof revision === 'string' && AKS_REVISION.test(revision)
      ? []
      : [problem('mesh revision', 'an AKS Istio add-on revision such as "asm-1-28"', revision, 'list them with az aks mesh get-revisions')];
    return new MeshProfile(`AKS Istio add-on ${revision}`, { [ISTIO_REVISION_LABEL]: revision }, { [ISTIO_REVISION_LABEL]: revision },
      AKS_ISTIO_CONTROL_PLANE_NAMESPACE, problems);
  }

  private constructor(
    /** A name for messages, e.g. `AKS Istio add-on asm-1-28`. */
    public readonly name: string,
    private readonly nsLabels: Record<string, string>,
    private readonly pLabels: Record<string, string>,
    /** Namespace of the control plane (istiod). */
    public readonly controlPlaneNamespace: string,
    private readonly declarationProblems: Problem[],
  ) {}

  /** The control-plane revision, for revisioned profiles (e.g. `asm-1-28`). */
  public get revision(): string | undefined {
    return this.nsLabels[ISTIO_REVISION_LABEL];
  }

  /** True for the AKS Istio add-on (its mesh config lives in `istio-shared-configmap-<revision>`). */
  public get isAksIstioAddon(): boolean {
    return this.name.startsWith('AKS Istio add-on');
  }

  /** Labels that enrol a namespace (copy). */
  public get namespaceLabels(): Record<string, string> {
    return { ...this.nsLabels };
  }

  /** Labels that enrol a single pod, whatever its namespace says (copy). */
  public get podLabels(): Record<string, string> {
    return { ...this.pLabels };
  }

  /**
   * The NetworkPolicy namespace selector of namespaces enrolled in this mesh.
   * For a revisioned control plane, any revision (`istio.io/rev` exists):
   * a canary upgrade relabels namespaces to the next revision one by one, and
   * callers there must keep their access meanwhile.
   */
  public get enrolledNamespaceSelector(): { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string }> } {
    return this.revision !== undefined
      ? { matchExpressions: [{ key: ISTIO_REVISION_LABEL, operator: 'Exists' }] }
      : { matchLabels: this.namespaceLabels };
  }

  /** True when the two profiles enrol the same way. */
  public equals(other: MeshProfile): boolean {
    return this.name === other.name && this.controlPlaneNamespace === other.controlPlaneNamespace;
  }

  /** Problems with the declaration (empty when valid). */
  public problems(): Problem[] {
    return [...this.declarationProblems];
  }

  /**
   * Why a namespace with `labels` does not enrol its pods in this mesh, or
   * undefined when it does.
   */
  public namespaceEnrolmentProblem(labels: Record<string, string>): string | undefined {
    const injection = labels[ISTIO_INJECTION_LABEL];
    const revision = labels[ISTIO_REVISION_LABEL];
    const want = this.nsLabels[ISTIO_REVISION_LABEL];
    if (want === undefined) {
      if (injection === 'enabled') return undefined;
      return `has ${ISTIO_INJECTION_LABEL}=${injection ?? '(unset)'}; ${this.name} injects sidecars where ${ISTIO_INJECTION_LABEL}=enabled`;
    }
    if (injection !== undefined) {
      return `has ${ISTIO_INJECTION_LABEL}=${injection}, which takes precedence over ${ISTIO_REVISION_LABEL}; remove it and set ${ISTIO_REVISION_LABEL}=${want}`;
    }
    if (revision !== want) return `has ${ISTIO_REVISION_LABEL}=${revision ?? '(unset)'}; ${this.name} injects sidecars where ${ISTIO_REVISION_LABEL}=${want}`;
    return undefined;
  }
}

/**
 * Why a workload's pods opt out of the mesh (`sidecar.istio.io/inject: "false"`
 * as label or annotation), or undefined when they do not. It reads the pod
 * template the workload rendered (`renderWorkload`), so a workload without
 * one is reported there, never passed here as "no opt-out".
 */
export function optOutProblem(template: PodTemplateMetadata, field: string, workloadPath: string): Problem | undefined {
  // either form opts out (the label takes precedence in Istio, but a "false" annotation is a stated intent too)
  const value = [template.labels[SIDECAR_INJECT], template.annotations[SIDECAR_INJECT]].find((v) => v !== undefined && v !== 'true');
  if (value === undefined) return undefined;
  return problem(field, `a workload whose pods are in the mesh (${workloadPath} sets ${SIDECAR_INJECT}: "${value}" on its pod template)`, value,
    'Istio policies act only on pods with a sidecar: without one the pods are reachable in plain text and every policy is skipped; remove the opt-out');
}
