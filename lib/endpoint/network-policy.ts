import * as k8s from '../imports/k8s';
import { Problem, problem } from '../errors';
import { canonicalJson, isDnsLabel, isLabelKey, isLabelValue, sortStrings } from '../util/names';

/** The label Kubernetes sets on every Namespace to its own name (1.22+). */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** Where traffic to an endpoint's pods may come from (a NetworkPolicy peer). */
export interface NetworkSource {
  /** The namespace. */
  readonly namespace: string;
  /**
   * Labels of the pods in that namespace.
   *
   * @default - every pod of the namespace
   */
  readonly podLabels?: Record<string, string>;
}

/** What the endpoint's NetworkPolicy admits. */
export interface NetworkPolicyInput {
  /** The backend pods. */
  readonly selector: Record<string, string>;
  /** Namespaces (and pods) callers come from. */
  readonly sources: readonly NetworkSource[];
  /**
   * The namespace selector of mesh-enrolled namespaces: callers known only by
   * token (no edge, no mesh identity) may come from any of them.
   */
  readonly enrolledNamespaces?: k8s.LabelSelector;
}

/**
 * The endpoint's NetworkPolicy: the backend pods accept connections only
 * from the declared sources. A second fence beside the Istio policies, for
 * when a sidecar is missing or bypassed. All ports of the admitted peers are
 * open (the sidecar's inbound port and the app's port are both the pod's),
 * so probes that kubelet sends from the node are unaffected by the peers
 * chosen here; see docs/secure-ml-endpoint.md for the node-traffic rules of
 * the AKS network policy engines.
 */
export function networkPolicySpec(input: NetworkPolicyInput): k8s.NetworkPolicySpec {
  const peers = new Map<string, k8s.NetworkPolicyPeer>();
  for (const s of input.sources) {
    const peer: k8s.NetworkPolicyPeer = {
      namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: s.namespace } },
      ...(s.podLabels && Object.keys(s.podLabels).length ? { podSelector: { matchLabels: sortedRecord(s.podLabels) } } : {}),
    };
    peers.set(canonicalJson(peer), peer);
  }
  if (input.enrolledNamespaces) {
    const peer: k8s.NetworkPolicyPeer = { namespaceSelector: input.enrolledNamespaces };
    peers.set(canonicalJson(peer), peer);
  }
  const from = sortStrings(peers.keys()).map((k) => peers.get(k)!);
  return {
    podSelector: { matchLabels: sortedRecord(input.selector) },
    policyTypes: ['Ingress'],
    // no peers: an Ingress policy without rules admits nothing (fail closed)
    ingress: from.length ? [{ from }] : [],
  };
}

/** Checks sources the user adds. */
export function networkSourceProblems(field: string, sources: readonly NetworkSource[] | undefined): Problem[] {
  const out: Problem[] = [];
  (sources ?? []).forEach((s, i) => {
    if (!isDnsLabel(s?.namespace)) out.push(problem(`${field}[${i}].namespace`, 'a namespace name (DNS label)', s?.namespace));
    for (const [k, v] of Object.entries(s?.podLabels ?? {})) {
      if (!isLabelKey(k) || !isLabelValue(v)) out.push(problem(`${field}[${i}].podLabels`, 'Kubernetes labels', { [k]: v }));
    }
  });
  return out;
}

function sortedRecord(r: Record<string, string>): Record<string, string> {
  return Object.fromEntries(sortStrings(Object.keys(r)).map((k) => [k, r[k]]));
}
