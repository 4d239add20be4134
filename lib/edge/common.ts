import { isIP } from 'node:net';
import { ApiObject, Size, SizeRoundingBehavior } from 'cdk8s';
import { Construct } from 'constructs';
import { Problem, ProblemCollector, problem, warning } from '../errors';
import * as k8s from '../imports/k8s';
import { isDnsLabel, isDnsSubdomain } from '../util/names';
import { EdgeBindContext, EdgeController, EdgeOptions } from './types';

/** Default largest request body. */
export const DEFAULT_MAX_BODY_SIZE = Size.mebibytes(32);
/** Default burst multiplier. */
export const DEFAULT_BURST_MULTIPLIER = 5;
/**
 * The HSTS header every edge adds to its HTTPS responses (where it can be set
 * per host): one year, this host only (no `includeSubDomains`: the edge owns
 * one exact host, not its subdomains; no `preload`).
 */
export const HSTS_HEADER = { name: 'Strict-Transport-Security', value: 'max-age=31536000' } as const;
/** The status of every HTTP-to-HTTPS redirect the library writes: 308 keeps the method and body (301 lets clients turn a POST into a GET). */
export const HTTPS_REDIRECT_CODE = 308;

const HOST = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/;
/** Highest accepted request rate (per second). */
const MAX_RPS = 100_000;

/** A CIDR such as `10.0.0.0/8` or `2001:db8::/32`. */
export function isCidr(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const [address, mask, extra] = value.split('/');
  if (extra !== undefined || mask === undefined || !/^\d{1,3}$/.test(mask)) return false;
  const version = isIP(address);
  return version !== 0 && Number(mask) <= (version === 4 ? 32 : 128);
}

/**
 * A public host an edge may serve: a lower-case DNS name with at least two
 * labels, not an IP, not all-numeric at the top, and not a cluster-internal name.
 */
export function isPublicHost(value: unknown): value is string {
  if (typeof value !== 'string' || !HOST.test(value) || isIP(value) !== 0) return false;
  const tld = value.slice(value.lastIndexOf('.') + 1);
  return !/^\d+$/.test(tld) && !/(^|\.)(cluster\.local|svc)$/.test(value) && !value.endsWith('.svc.cluster.local');
}

/** `<trustDomain>/ns/<namespace>/sa/<serviceAccount>` of an edge controller. */
export function controllerPrincipal(controller: EdgeController): string {
  return `${controller.trustDomain ?? 'cluster.local'}/ns/${controller.namespace}/sa/${controller.serviceAccount}`;
}

/** The read timeout in whole seconds (at least 1). */
export function readTimeoutSeconds(options: EdgeOptions, ctx: EdgeBindContext): number {
  return Math.max(1, Math.ceil((options.readTimeout ?? ctx.timeout).toMilliseconds() / 1000));
}

/** The body size limit in whole mebibytes (at least 1). */
export function maxBodyMebibytes(options: EdgeOptions): number {
  return Math.max(1, Math.ceil((options.maxBodySize ?? DEFAULT_MAX_BODY_SIZE).toMebibytes({ rounding: SizeRoundingBehavior.NONE })));
}

/** Problems of the options every edge shares; fields are prefixed `edge.`. */
export function edgeOptionProblems(options: EdgeOptions): Problem[] {
  const out: Problem[] = [];
  if (!isPublicHost(options.host)) {
    out.push(problem('edge.host', 'an exact lower-case DNS name such as "fraud.contoso.com" (no wildcard, no scheme, no IP, not cluster-internal)', options.host));
  }
  if (!options.tls || typeof (options.tls as { bind?: unknown }).bind !== 'function') {
    out.push(problem('edge.tls', 'a TLS certificate (TlsCertificate.fromSecret or TlsCertificate.fromKeyVault)', options.tls,
      'the edge always terminates TLS and redirects plain HTTP'));
  }
  const rl = options.rateLimit;
  if (rl !== undefined) {
    if (!Number.isInteger(rl.requestsPerSecond) || rl.requestsPerSecond <= 0 || rl.requestsPerSecond > MAX_RPS) {
      out.push(problem('edge.rateLimit.requestsPerSecond', `a positive integer up to ${MAX_RPS}`, rl.requestsPerSecond));
    }
    if (rl.burstMultiplier !== undefined && (!Number.isInteger(rl.burstMultiplier) || rl.burstMultiplier < 1)) {
      out.push(problem('edge.rateLimit.burstMultiplier', 'an integer of at least 1', rl.burstMultiplier));
    }
    if (rl.connections !== undefined && (!Number.isInteger(rl.connections) || rl.connections <= 0)) {
      out.push(problem('edge.rateLimit.connections', 'a positive integer', rl.connections));
    }
  }
  if (options.sourceRanges !== undefined) {
    if (options.sourceRanges.length === 0) out.push(problem('edge.sourceRanges', 'a non-empty list when given', [], 'leave it out to accept any source'));
    options.sourceRanges.forEach((cidr, i) => {
      if (!isCidr(cidr)) {
        out.push(problem(`edge.sourceRanges[${i}]`, 'a CIDR such as "10.0.0.0/8"', cidr, isIP(String(cidr)) === 4 ? `did you mean "${cidr}/32"?` : undefined));
      }
    });
  }
  if (options.maxBodySize !== undefined && options.maxBodySize.toKibibytes({ rounding: SizeRoundingBehavior.NONE }) <= 0) {
    out.push(problem('edge.maxBodySize', 'a positive size', `${options.maxBodySize.toKibibytes({ rounding: SizeRoundingBehavior.NONE })}Ki`));
  }
  if (options.readTimeout !== undefined && options.readTimeout.toMilliseconds() <= 0) {
    out.push(problem('edge.readTimeout', 'a positive duration', `${options.readTimeout.toMilliseconds()}ms`));
  }
  const c = options.controller;
  if (c !== undefined) {
    if (!isDnsLabel(c.namespace)) out.push(problem('edge.controller.namespace', 'a DNS label', c.namespace));
    if (!isDnsSubdomain(c.serviceAccount)) out.push(problem('edge.controller.serviceAccount', 'a ServiceAccount name', c.serviceAccount));
    if (c.trustDomain !== undefined && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(c.trustDomain)) {
      out.push(problem('edge.controller.trustDomain', 'a lower-case DNS name such as "cluster.local"', c.trustDomain));
    }
  }
  return out;
}

/**
 * An Ingress typed by the generated `KubeIngressProps` (lib/imports/k8s.ts),
 * rendered as a plain `ApiObject`. The generated `KubeIngress` class maps the rendered
 * object once more at synth (`toJson_KubeIngressProps`): it renames no key of
 * an Ingress, but rebuilds every nested object with one spread per key, which
 * made the Ingress the costliest object of an endpoint to render. A test
 * checks that both render the same manifest.
 */
export function ingressObject(scope: Construct, id: string, props: k8s.KubeIngressProps): ApiObject {
  return new ApiObject(scope, id, { ...k8s.KubeIngress.GVK, ...props });
}

/** How an NGINX edge's controller is enrolled in the mesh, for {@link meshEnrolmentChecks}. */
export interface MeshEnrolment {
  /** The edge's `controllerInMesh` option. */
  readonly controllerInMesh: boolean | undefined;
  /** The controller whose principal the backend admits. */
  readonly controller: EdgeController;
  /** The product, as the messages name it (e.g. `ingress-nginx`). */
  readonly product: string;
  /**
   * True when the controller's stock install can not be enrolled by the user
   * in a supported way (the AKS application routing add-on): then an unset
   * `controllerInMesh` is an error, not a warning.
   */
  readonly managed: boolean;
}

/** What the user does to enrol a controller namespace in the mesh (one sentence, for messages). */
function enrolmentHowTo(namespace: string): string {
  return `label namespace ${namespace} for sidecar injection (istio.io/rev=<revision> on the AKS Istio add-on, istio-injection=enabled otherwise), `
    + 'keep the clients\' traffic out of the sidecar (pod annotation traffic.sidecar.istio.io/includeInboundPorts: ""), restart the controller, then set controllerInMesh: true';
}

/**
 * The controller of an NGINX edge must run with an Istio sidecar: the backend
 * is STRICT mTLS and admits only the controller's mesh principal. No stock
 * install injects one, so the declaration states it (`controllerInMesh`):
 * `false` is an error; unset is an error for the AKS application routing
 * add-on (managed, no sidecar, no documented Istio integration) and a warning
 * for the others (self-installed: the sidecar may have been added).
 */
export function meshEnrolmentChecks(e: MeshEnrolment): { problems: Problem[]; warnings: Problem[] } {
  const ns = e.controller.namespace;
  const refuse = `with STRICT mTLS the backend refuses every request from a controller without an Istio sidecar (it has no mesh identity); ${enrolmentHowTo(ns)}`;
  if (e.controllerInMesh !== undefined && typeof e.controllerInMesh !== 'boolean') {
    return { problems: [problem('edge.controllerInMesh', 'true or false', e.controllerInMesh)], warnings: [] };
  }
  if (e.controllerInMesh === false) {
    return { problems: [problem('edge.controllerInMesh', 'true: the backend admits the edge only through the controller\'s mesh principal', false, refuse)], warnings: [] };
  }
  if (e.controllerInMesh === true) return { problems: [], warnings: [] };
  if (e.managed) {
    return {
      problems: [problem('edge.controllerInMesh', `true for the ${e.product} controller in ${ns}, whose pods run without an Istio sidecar`, undefined,
        `${refuse}; or use Edge.istioGateway with AKS_ISTIO_EXTERNAL_GATEWAY, which works on a stock AKS Istio add-on cluster`)],
      warnings: [],
    };
  }
  return {
    problems: [],
    warnings: [warning('edge.controllerInMesh', `is not set: the stock ${e.product} install runs the controller in ${ns} without an Istio sidecar, and ${refuse}`)],
  };
}

/**
 * Reports an edge's warnings through the warnings channel (a child construct
 * `Edge` of the endpoint, so they are printed once at synth, kept in
 * `Diagnostics.of(app)`, and errors in strict mode).
 */
export function reportEdgeWarnings(scope: Construct, check: () => Problem[]): void {
  new ProblemCollector(new Construct(scope, 'Edge')).addWarningCheck(check);
}
