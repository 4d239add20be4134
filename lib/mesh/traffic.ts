import { Duration } from 'cdk8s';
import { HSTS_HEADER } from '../edge/common';
import { Problem, problem } from '../errors';
import {
  DestinationRuleSpec,
  DestinationRuleSpecTrafficPolicyConnectionPool,
  DestinationRuleSpecTrafficPolicyOutlierDetection,
  DestinationRuleSpecTrafficPolicyTlsMode,
  VirtualServiceSpec,
  VirtualServiceSpecHttpRoute,
} from '../imports/networking.istio.io';
import { compareStrings, isDnsLabel, isLabelKey, isLabelValue, sortStrings } from '../util/names';
import { istioDuration } from './duration';

/** A named deployment (model version) of the endpoint and its share of traffic. */
export interface ModelDeployment {
  /** Subset name, e.g. `blue` (a DNS label). */
  readonly name: string;
  /**
   * Relative weight: the deployment receives `weight / (sum of weights)` of
   * the requests (Istio does not require a sum of 100).
   */
  readonly weight: number;
  /**
   * Pod labels that identify this deployment's pods (added to the backend selector).
   *
   * @default { version: <name> }
   */
  readonly labels?: Record<string, string>;
}

/** Retry policy of the endpoint's route. */
export interface RetryOptions {
  /**
   * Number of retries (0 disables them; Istio's implicit default is 2 on many errors).
   *
   * @default 2
   */
  readonly attempts?: number;
  /**
   * Timeout of each try.
   *
   * @default - the route timeout
   */
  readonly perTryTimeout?: Duration;
  /**
   * Conditions that trigger a retry (Envoy `retry_on`). Defaults to failures
   * where the model did not start work, since inference is expensive and not always idempotent.
   *
   * @default 'connect-failure,refused-stream,unavailable'
   */
  readonly retryOn?: string;
}

/** Inference-friendly connection pool defaults (long requests, few connections per client). */
export const DEFAULT_CONNECTION_POOL: DestinationRuleSpecTrafficPolicyConnectionPool = {
  tcp: { maxConnections: 1024, connectTimeout: '10s' },
  http: { http1MaxPendingRequests: 1024, http2MaxRequests: 1024, idleTimeout: '300s' },
};

/**
 * Outlier detection on gateway errors only (502/503/504 and connect failures):
 * a model returning 500 for a bad payload is not an unhealthy host.
 */
export const DEFAULT_OUTLIER_DETECTION: DestinationRuleSpecTrafficPolicyOutlierDetection = {
  // Istio leaves Envoy's consecutive_5xx (5, enforcing) on unless it is 0: one client sending bad
  // payloads would eject model pods on their 500s; only gateway errors (502/503/504) mean a sick host
  consecutive5XxErrors: 0,
  consecutiveGatewayErrors: 5,
  interval: '10s',
  baseEjectionTime: '30s',
  maxEjectionPercent: 50,
};

export const DEFAULT_TIMEOUT = Duration.seconds(60);
export const DEFAULT_RETRY_ON = 'connect-failure,refused-stream,unavailable';
const RETRY_ON = /^[a-z0-9-]+(,[a-z0-9-]+)*$/;

/** Checks deployments (subsets) and their weights. */
export function deploymentProblems(deployments: readonly ModelDeployment[] | undefined): Problem[] {
  if (deployments === undefined) return [];
  const out: Problem[] = [];
  if (deployments.length === 0) {
    out.push(problem('deployments', 'a non-empty list when given', deployments, 'leave it out to send all traffic to the Service'));
  }
  const seen = new Set<string>();
  deployments.forEach((d, i) => {
    const f = `deployments[${i}]`;
    if (!isDnsLabel(d.name)) out.push(problem(`${f}.name`, 'a DNS label (lowercase letters, digits, "-")', d.name));
    if (seen.has(d.name)) out.push(problem(`${f}.name`, 'unique among deployments', d.name, 'each deployment is one DestinationRule subset'));
    seen.add(d.name);
    if (!Number.isInteger(d.weight) || d.weight < 0) out.push(problem(`${f}.weight`, 'a non-negative integer', d.weight));
    const labels = d.labels ?? {};
    if (d.labels !== undefined && Object.keys(labels).length === 0) out.push(problem(`${f}.labels`, 'non-empty when given', labels));
    for (const [k, v] of Object.entries(labels)) {
      if (!isLabelKey(k) || !isLabelValue(v)) out.push(problem(`${f}.labels`, 'valid Kubernetes labels', { [k]: v }));
    }
  });
  const total = deployments.reduce((s, d) => s + (Number.isFinite(d.weight) && d.weight > 0 ? d.weight : 0), 0);
  if (deployments.length > 0 && total <= 0) {
    out.push(problem('deployments', 'weights with at least one positive value', deployments.map((d) => d.weight), 'e.g. blue 90, green 10'));
  }
  return out;
}

/** Checks timeout and retries. */
export function routeProblems(timeout: Duration, retries: RetryOptions): Problem[] {
  const out: Problem[] = [];
  if (timeout.toMilliseconds() <= 0) out.push(problem('timeout', 'a positive duration', istioDuration(timeout)));
  const attempts = retries.attempts ?? 2;
  if (!Number.isInteger(attempts) || attempts < 0 || attempts > 10) {
    out.push(problem('retries.attempts', 'an integer between 0 and 10', attempts));
  }
  if (retries.perTryTimeout !== undefined) {
    const per = retries.perTryTimeout.toMilliseconds();
    if (per <= 0 || per > timeout.toMilliseconds()) {
      out.push(problem('retries.perTryTimeout', `a positive duration no longer than the timeout (${istioDuration(timeout)})`, istioDuration(retries.perTryTimeout)));
    }
  }
  if (retries.retryOn !== undefined && !RETRY_ON.test(retries.retryOn)) {
    out.push(problem('retries.retryOn', 'a comma-separated list of Envoy retry conditions without spaces', retries.retryOn, `e.g. "${DEFAULT_RETRY_ON}"`));
  }
  return out;
}

/** Pod labels of one deployment. */
export function deploymentLabels(d: ModelDeployment): Record<string, string> {
  return d.labels ?? { version: d.name };
}

export interface DestinationRuleInput {
  readonly host: string;
  readonly deployments?: readonly ModelDeployment[];
  readonly connectionPool: DestinationRuleSpecTrafficPolicyConnectionPool;
  readonly outlierDetection: DestinationRuleSpecTrafficPolicyOutlierDetection;
  /** The namespaces whose proxies see the rule (`.` for its own, or `*`). */
  readonly exportTo: readonly string[];
}

/** DestinationRule: ISTIO_MUTUAL, connection pool, outlier detection, one subset per deployment. */
export function destinationRuleSpec(input: DestinationRuleInput): DestinationRuleSpec {
  const subsets = sortedDeployments(input.deployments).map((d) => ({ name: d.name, labels: deploymentLabels(d) }));
  return {
    host: input.host,
    exportTo: [...input.exportTo],
    trafficPolicy: {
      tls: { mode: DestinationRuleSpecTrafficPolicyTlsMode.ISTIO_UNDERSCORE_MUTUAL },
      connectionPool: input.connectionPool,
      outlierDetection: input.outlierDetection,
    },
    ...(subsets.length ? { subsets } : {}),
  };
}

export interface VirtualServiceInput {
  readonly host: string;
  readonly port: number;
  readonly deployments?: readonly ModelDeployment[];
  readonly timeout: Duration;
  readonly retries: RetryOptions;
  /** Headers removed from requests before they reach the backend (claim headers a caller could forge). */
  readonly removeRequestHeaders: readonly string[];
  /**
   * Render the route for an Istio gateway (`<namespace>/<name>`) and the
   * public host it serves, instead of for the mesh. Kept apart from the
   * mesh's VirtualService so a public host never changes in-mesh routing.
   * The gateway route sets `Strict-Transport-Security` on responses.
   */
  readonly gateway?: { readonly name: string; readonly host: string };
  /** The namespaces whose proxies see the route (`.` for its own, or `*`). */
  readonly exportTo: readonly string[];
}

/** VirtualService: one HTTP route with timeout, bounded retries and the weighted split. */
export function virtualServiceSpec(input: VirtualServiceInput): VirtualServiceSpec {
  const deployments = sortedDeployments(input.deployments);
  const route: VirtualServiceSpecHttpRoute[] = deployments.length
    ? deployments.map((d) => ({
      destination: { host: input.host, port: { number: input.port }, subset: d.name },
      weight: d.weight,
    }))
    : [{ destination: { host: input.host, port: { number: input.port } } }];
  const attempts = input.retries.attempts ?? 2;
  return {
    hosts: input.gateway ? [input.gateway.host] : [input.host],
    ...(input.gateway ? { gateways: [input.gateway.name] } : {}),
    exportTo: [...input.exportTo],
    http: [
      {
        name: 'inference',
        route,
        timeout: istioDuration(input.timeout),
        retries: attempts === 0
          ? { attempts: 0 }
          : {
            attempts,
            perTryTimeout: istioDuration(input.retries.perTryTimeout ?? input.timeout),
            retryOn: input.retries.retryOn ?? DEFAULT_RETRY_ON,
          },
        ...(input.removeRequestHeaders.length || input.gateway ? {
          headers: {
            ...(input.removeRequestHeaders.length ? { request: { remove: sortStrings(input.removeRequestHeaders) } } : {}),
            // the public host is HTTPS only: tell browsers (HSTS, this host, one year)
            ...(input.gateway ? { response: { set: { [HSTS_HEADER.name]: HSTS_HEADER.value } } } : {}),
          },
        } : {}),
      },
    ],
  };
}

function sortedDeployments(deployments: readonly ModelDeployment[] | undefined): ModelDeployment[] {
  return [...(deployments ?? [])].sort((a, b) => compareStrings(a.name, b.name));
}

/** `namespaces` without `own` (and `.`), sorted and unique. */
export function otherNamespaces(own: string, namespaces: Iterable<string>): string[] {
  return sortStrings(new Set([...namespaces].filter((ns) => ns !== own && ns !== '.')));
}

/**
 * The `exportTo` of an endpoint's routes: its own namespace (`.`) and every
 * other namespace whose proxies send it traffic, sorted; `["*"]` when
 * `anywhere` (callers the declaration cannot place, e.g. token-only callers
 * without an edge, may be in any namespace of the mesh).
 */
export function routeExportTo(ownNamespace: string, namespaces: Iterable<string>, anywhere: boolean): string[] {
  return anywhere ? ['*'] : ['.', ...otherNamespaces(ownNamespace, namespaces)];
}
