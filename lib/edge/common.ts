import { isIP } from 'node:net';
import { ApiObject, Size, SizeRoundingBehavior } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { Problem, problem } from '../errors';
import { isDnsLabel, isDnsSubdomain } from '../util/names';
import { EdgeBindContext, EdgeController, EdgeOptions } from './types';

/** Default largest request body. */
export const DEFAULT_MAX_BODY_SIZE = Size.mebibytes(32);
/** Default burst multiplier. */
export const DEFAULT_BURST_MULTIPLIER = 5;

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
 * An Ingress typed by cdk8s-plus-28's generated `KubeIngressProps`, rendered
 * as a plain `ApiObject`. The generated `KubeIngress` class maps the rendered
 * object once more at synth (`toJson_KubeIngressProps`): it renames no key of
 * an Ingress, but rebuilds every nested object with one spread per key, which
 * made the Ingress the costliest object of an endpoint to render. A test
 * checks that both render the same manifest.
 */
export function ingressObject(scope: Construct, id: string, props: k8s.KubeIngressProps): ApiObject {
  return new ApiObject(scope, id, { ...k8s.KubeIngress.GVK, ...props });
}
