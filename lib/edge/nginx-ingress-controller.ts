import { ApiObject } from 'cdk8s';
import { TokenVersion } from '../entra/tenant';
import { Problem, problem } from '../errors';
import { Policy, PolicySpec, VirtualServer } from '../imports/k8s.nginx.org';
import { LIST_CLAIMS } from '../mesh/security';
import { isDnsSubdomain } from '../util/names';
import {
  DEFAULT_BURST_MULTIPLIER, HSTS_HEADER, HTTPS_REDIRECT_CODE, controllerPrincipal, edgeOptionProblems, maxBodyMebibytes, meshEnrolmentChecks,
  readTimeoutSeconds, reportEdgeWarnings,
} from './common';
import { BoundEdge, EdgeBindContext, EdgeController, EdgeOptions } from './types';

/**
 * The F5 NGINX Ingress Controller as its install manifests
 * (`deployments/deployment/nginx-ingress.yaml`) and a Helm release named
 * `nginx-ingress` in namespace `nginx-ingress` run it. A Helm release with
 * another name runs as ServiceAccount `<release>-nginx-ingress` (unless
 * `controller.serviceAccount.name` is set): pass `controller` then.
 */
export const NGINX_INGRESS_CONTROLLER_DEFAULT: EdgeController = { namespace: 'nginx-ingress', serviceAccount: 'nginx-ingress' };

/** Claim names NGINX accepts in `${jwt_claim_<name>}` (letters, digits and "_"). */
const CLAIM_VARIABLE = /^[A-Za-z0-9_]+$/;
/** Upstream name inside the VirtualServer. */
const UPSTREAM = 'model';
/** Shared memory for the rate-limit zone (about 160,000 keys). */
const RATE_LIMIT_ZONE_SIZE = '10M';
/** How long NGINX caches the tenant's signing keys. */
const JWKS_CACHE = '1h';

/** Options of {@link Edge.nginxIngressController}. */
export interface NginxIngressControllerEdgeOptions extends EdgeOptions {
  /**
   * IngressClass of the controller (`controller.ingressClass.name` of the Helm chart).
   * The VirtualServer and its Policies all carry it.
   *
   * @default 'nginx'
   */
  readonly ingressClassName?: string;

  /**
   * Declare that the controller runs NGINX Plus: enables the `jwt` policy and
   * rate limiting keyed on a token claim.
   *
   * @default false
   */
  readonly nginxPlus?: boolean;

  /**
   * Declares that the controller's pods run with an Istio sidecar (their
   * namespace is enrolled in the mesh). The backend is STRICT mTLS and admits
   * the edge only through the controller's mesh principal, so a controller
   * without a sidecar is refused on every request, and F5's install manifests
   * and Helm chart inject none by default. Label the controller's namespace
   * for injection (`istio.io/rev=<revision>` on the AKS Istio add-on,
   * `istio-injection=enabled` otherwise), set the pod annotations
   * `traffic.sidecar.istio.io/includeInboundPorts: ""` and
   * `traffic.sidecar.istio.io/excludeInboundPorts: "80,443"` (F5's Istio
   * guide), restart the controller, then set this to `true`.
   *
   * @default - not stated: a warning (`false` is an error)
   */
  readonly controllerInMesh?: boolean;

  /**
   * Validate tokens at the edge too (`jwt` policy, NGINX Plus only): NGINX
   * checks the signature against the tenant's JWKS and the token lifetime, and
   * answers 401 before the request reaches the mesh. Issuer and audiences are
   * checked by the mesh, which always validates every token.
   *
   * The `jwt` policy reads the `Authorization` header's bearer token, so
   * this is an error when the endpoint sets `tokenHeader` (then
   * `Authorization` carries something else, e.g. the Azure ML key, and
   * every request would get 401).
   *
   * @default false
   */
  readonly validateTokens?: boolean;

  /**
   * Key the rate limit on this token claim (e.g. `oid`, one bucket per caller
   * identity) instead of the client address. NGINX Plus only, and only with
   * `validateTokens`: NGINX reads the claim before it validates the token, and
   * without the `jwt` policy a caller could pick any value or send no token
   * (an empty key is not limited).
   *
   * @default - client address
   */
  readonly rateLimitClaim?: string;
}

/**
 * The F5 NGINX Ingress Controller (`k8s.nginx.org/v1`) in front of the mesh:
 * a VirtualServer that terminates TLS, redirects plain HTTP (308, which keeps
 * the method and body), adds HSTS (`Strict-Transport-Security`) and proxies
 * to the backend Service's cluster IP with the Service's in-mesh host as
 * `Host` (`use-cluster-ip` plus `requestHeaders`, as F5's Istio guide
 * requires), so the controller's sidecar applies the mesh; plus Policies for
 * the rate limit (`rateLimit`), the source ranges (`accessControl`) and, with
 * NGINX Plus, token validation (`jwt`). No snippet is ever used.
 *
 * The controller pods must run with an Istio sidecar (inbound 80/443
 * excluded from capture) so that their mesh identity is
 * `<trustDomain>/ns/<namespace>/sa/<serviceAccount>`; the backend admits
 * only that principal from the edge: state it with `controllerInMesh: true`.
 * Rate limits count per NGINX pod.
 *
 * @see https://docs.nginx.com/nginx-ingress-controller/configuration/virtualserver-and-virtualserverroute-resources/
 * @see https://docs.nginx.com/nginx-ingress-controller/configuration/policy-resource/
 * @see https://docs.nginx.com/nginx-ingress-controller/tutorials/nginx-ingress-istio/
 */
export class NginxIngressControllerEdge {
  constructor(private readonly options: NginxIngressControllerEdgeOptions) {}

  public bind(ctx: EdgeBindContext): BoundEdge {
    const o = this.options;
    const className = o.ingressClassName ?? 'nginx';
    const controller = o.controller ?? NGINX_INGRESS_CONTROLLER_DEFAULT;
    const tls = o.tls?.bind?.(ctx.scope, ctx.namespace, ctx.labels);
    const metadata = () => ({ namespace: ctx.namespace, labels: { ...ctx.labels } });
    const policy = (id: string, spec: PolicySpec) => new Policy(ctx.scope, id, { metadata: metadata(), spec: { ingressClassName: className, ...spec } });

    const policies: Policy[] = [];
    if (o.rateLimit) {
      const rps = o.rateLimit.requestsPerSecond;
      const claimKey = o.nginxPlus && o.rateLimitClaim !== undefined;
      policies.push(policy('RateLimitPolicy', {
        rateLimit: {
          rate: `${rps}r/s`,
          key: claimKey ? `\${jwt_claim_${o.rateLimitClaim}}` : '${binary_remote_addr}',
          zoneSize: RATE_LIMIT_ZONE_SIZE,
          burst: rps * (o.rateLimit.burstMultiplier ?? DEFAULT_BURST_MULTIPLIER),
          rejectCode: 429,
        },
      }));
    }
    if (o.sourceRanges?.length) {
      policies.push(policy('AccessControlPolicy', { accessControl: { allow: [...o.sourceRanges] } }));
    }
    if (o.validateTokens && o.nginxPlus) {
      const issuers = ctx.tenant.issuers;
      const issuer = issuers.find((i) => i.version === TokenVersion.V2) ?? issuers[0];
      policies.push(policy('JwtPolicy', {
        jwt: {
          realm: o.host,
          jwksUri: issuer?.jwksUri ?? ctx.tenant.v2JwksUri,
          keyCache: JWKS_CACHE,
          // fetch the signing keys over verified TLS (system CAs), with SNI
          sslVerify: true,
          sniEnabled: true,
          // token: unset, i.e. the Authorization header's Bearer token (a tokenHeader endpoint is an error)
        },
      }));
    }

    const vs = new VirtualServer(ctx.scope, 'VirtualServer', {
      metadata: metadata(),
      spec: {
        host: o.host,
        ingressClassName: className,
        tls: {
          secret: tls?.secretName,
          redirect: { enable: true, code: HTTPS_REDIRECT_CODE },
        },
        policies: policies.map((p) => ({ name: p.name })),
        upstreams: [{
          name: UPSTREAM,
          service: ctx.serviceName,
          port: ctx.servicePort,
          // the Service's cluster IP, not pod IPs: the controller's sidecar then routes and secures the request
          useClusterIp: true,
          readTimeout: `${readTimeoutSeconds(o, ctx)}s`,
          sendTimeout: `${readTimeoutSeconds(o, ctx)}s`,
          clientMaxBodySize: `${maxBodyMebibytes(o)}m`,
        }],
        routes: [{
          path: '/',
          action: {
            proxy: {
              upstream: UPSTREAM,
              // the sidecar picks the mesh route by Host; the public host would miss it
              requestHeaders: { set: [{ name: 'Host', value: ctx.serviceHost }] },
              // on every response, errors included
              responseHeaders: { add: [{ name: HSTS_HEADER.name, value: HSTS_HEADER.value, always: true }] },
            },
          },
        }],
      },
    });

    const enrolment = meshEnrolmentChecks({ controllerInMesh: o.controllerInMesh, controller, product: 'F5 NGINX Ingress Controller', managed: false });
    reportEdgeWarnings(ctx.scope, () => enrolment.warnings);
    return {
      host: o.host,
      uniquenessKey: `nginx-ingress-controller/class:${className}`,
      meshPrincipals: [controllerPrincipal(controller)],
      sources: [{ namespace: controller.namespace }],
      apiObjects: [vs as ApiObject, ...policies],
      problems: (): Problem[] => [
        ...edgeOptionProblems(o),
        ...enrolment.problems,
        ...(tls ? tls.problems() : []),
        ...nginxIngressControllerProblems(o, className, ctx.tokenHeader),
      ],
    };
  }
}

/** Problems specific to the F5 NGINX Ingress Controller; fields are prefixed `edge.`. */
function nginxIngressControllerProblems(o: NginxIngressControllerEdgeOptions, className: string, tokenHeader: string | undefined): Problem[] {
  const out: Problem[] = [];
  if (!isDnsSubdomain(className)) {
    out.push(problem('edge.ingressClassName', 'an IngressClass name (DNS subdomain)', className));
  }
  if (o.validateTokens && !o.nginxPlus) {
    out.push(problem('edge.validateTokens', 'false unless nginxPlus is true', o.validateTokens,
      'the jwt policy needs NGINX Plus; without it tokens are still validated in the mesh'));
  }
  if (o.validateTokens && o.nginxPlus && tokenHeader !== undefined) {
    // The jwt policy's token field names an NGINX variable whose whole value is the token; the endpoint's
    // tokenHeader carries "Bearer <token>", and stripping the prefix would need a map (a snippet): reject instead
    out.push(problem('edge.validateTokens', `false when the endpoint reads its token from tokenHeader ("${tokenHeader}")`, o.validateTokens,
      'the jwt policy checks the Authorization header, which then carries something else (for azureml-fe the Azure ML key), so NGINX would answer 401 to every request; the mesh validates the token in tokenHeader either way'));
  }
  if (o.rateLimit?.connections !== undefined) {
    out.push(problem('edge.rateLimit.connections', 'unset on the F5 NGINX Ingress Controller edge', o.rateLimit.connections,
      'its rateLimit policy limits requests, not connections'));
  }
  const claim = o.rateLimitClaim;
  if (claim !== undefined) {
    if (typeof claim !== 'string' || !CLAIM_VARIABLE.test(claim)) {
      out.push(problem('edge.rateLimitClaim', 'a claim name of letters, digits and "_" such as "oid"', claim));
    } else if (LIST_CLAIMS.includes(claim)) {
      out.push(problem('edge.rateLimitClaim', `a scalar claim such as "oid", not one of the list claims ${LIST_CLAIMS.join(', ')}`, claim,
        'a list is no key for one caller'));
    }
    if (!o.nginxPlus) {
      out.push(problem('edge.rateLimitClaim', 'left out unless nginxPlus is true', claim,
        'a rate limit keyed on a token claim needs NGINX Plus; without it the limit is keyed on the client address and tokens are still validated in the mesh'));
    } else if (!o.validateTokens) {
      out.push(problem('edge.rateLimitClaim', 'used with validateTokens: true', claim,
        'without the jwt policy a caller can put any value in the claim, or send no token, which NGINX does not limit'));
    }
    if (o.rateLimit === undefined) {
      out.push(problem('edge.rateLimitClaim', 'used with edge.rateLimit', claim, 'there is no rate limit to key'));
    }
  }
  return out;
}
