import { createHash } from 'node:crypto';
import { ApiObject, SizeRoundingBehavior } from 'cdk8s';
import { TokenVersion } from '../entra/tenant';
import { Problem, problem } from '../errors';
import { HOLD_UNTIL_PROXY_STARTS, PROXY_CONFIG_ANNOTATION } from '../identity/binding';
import { HttpRouteSpecRulesFilters, HttpRouteSpecRulesFiltersType } from '../imports/gateway.networking.k8s.io';
import {
  AuthenticationFilter,
  AuthenticationFilterSpecJwtSource,
  AuthenticationFilterSpecType,
  ClientSettingsPolicy,
  NginxProxy,
  NginxProxySpecKubernetesServiceType,
  ProxySettingsPolicy,
  RateLimitPolicy,
} from '../imports/gateway.nginx.org';
import { MeshProfile, SIDECAR_INJECT } from '../mesh/profile';
import { isDnsLabel } from '../util/names';
import { DEFAULT_BURST_MULTIPLIER, DEFAULT_MAX_BODY_SIZE, meshEnrolmentChecks, readTimeoutSeconds } from './common';
import { GATEWAY_API_GROUP, GatewayApiEdgeOptions, bindGatewayApi } from './gateway-api';
import { BrowserSignInOptions } from './sign-in';
import { BoundEdge, EdgeBindContext, EdgeOptions } from './types';

/** The API group of NGINX Gateway Fabric's own resources (policies, filters, NginxProxy). */
export const NGF_API_GROUP = 'gateway.nginx.org';
/** The GatewayClass an NGINX Gateway Fabric install (Helm chart or manifests) creates by default. */
export const NGF_DEFAULT_GATEWAY_CLASS = 'nginx';
/**
 * The pod annotation that keeps a sidecar from capturing inbound traffic:
 * clients reach NGINX on the listener ports directly, and only NGINX's own
 * connections to the backend go through the sidecar.
 */
export const INCLUDE_INBOUND_PORTS_ANNOTATION = 'traffic.sidecar.istio.io/includeInboundPorts';

/** Longest name NGINX Gateway Fabric gives a data-plane object before it shortens it with a hash. */
const MAX_RESOURCE_NAME = 63;
/** How long NGINX caches the tenant's signing keys. */
const JWKS_CACHE = '1h';
/** Shared memory for the rate-limit zone (NGINX keeps about 16,000 client states per megabyte). */
const RATE_LIMIT_ZONE_SIZE = '10m';
/** NGINX sizes and times in NGF's CRDs take at most four digits. */
const MAX_DIGITS = 9999;

/**
 * Name NGINX Gateway Fabric 2.6 gives the data-plane Deployment, Service and
 * ServiceAccount of Gateway `gatewayName` in class `gatewayClassName`:
 * `<gateway>-<class>`, or, beyond 63 characters, the Gateway name cut short,
 * the first 8 hex digits of the SHA-256 of the full name, and the class.
 *
 * @see https://github.com/nginx/nginx-gateway-fabric/blob/v2.6.7/internal/framework/controller/resource.go
 * @see https://docs.nginx.com/nginx-gateway-fabric/install/deploy-data-plane/
 */
export function nginxGatewayFabricResourceName(gatewayName: string, gatewayClassName: string): string {
  const full = `${gatewayName}-${gatewayClassName}`;
  if (full.length <= MAX_RESOURCE_NAME) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  const kept = gatewayName.slice(0, MAX_RESOURCE_NAME - 2 - hash.length - gatewayClassName.length).replace(/-+$/, '');
  return `${kept}-${hash}-${gatewayClassName}`;
}

/** Options of {@link Edge.nginxGatewayFabric}. */
export interface NginxGatewayFabricEdgeOptions extends GatewayApiEdgeOptions {
  /**
   * GatewayClass of the NGINX Gateway Fabric install (Helm value
   * `nginxGateway.gatewayClassName`). NGF names the Gateway's data-plane
   * Deployment, Service and ServiceAccount `<gateway>-<class>`, so the
   * backend admits `<trustDomain>/ns/<gateway namespace>/sa/<gateway>-<class>`.
   *
   * @default 'nginx'
   */
  readonly gatewayClassName?: string;

  /**
   * For a Gateway that exists (`existingGateway`): declares that its
   * data-plane pods run with an Istio sidecar. The backend is STRICT mTLS
   * and admits the edge only through the data plane's mesh principal, so pods
   * without a sidecar are refused on every request. NGF documents no Istio
   * integration; the pods are enrolled through the Gateway's
   * `spec.infrastructure`: labels `sidecar.istio.io/inject: "true"` (or
   * `istio.io/rev: <revision>` for a revisioned mesh such as the AKS Istio
   * add-on) and annotation `traffic.sidecar.istio.io/includeInboundPorts: ""`.
   *
   * A Gateway the edge creates gets these itself (from the endpoint's mesh);
   * `false` is then an error.
   *
   * @default - a created Gateway: enrolled by the edge; an existing Gateway: not stated, a warning (`false` is an error)
   */
  readonly controllerInMesh?: boolean;

  /**
   * Declare that the data plane runs NGINX Plus (NGF installed with
   * `nginx.plus: true` and a license): enables `validateTokens`.
   *
   * @default false
   */
  readonly nginxPlus?: boolean;

  /**
   * Validate tokens at the edge too: an `AuthenticationFilter` of type `JWT`
   * (NGINX Plus only, `auth_jwt`) with the tenant's JWKS fetched over
   * verified TLS, referenced from the route by `ExtensionRef`. NGINX answers
   * 401 to a request whose `Authorization` bearer token is missing, badly
   * signed or expired, before it reaches the mesh.
   *
   * NGF's JWT filter checks the signature and lifetime only: it has no
   * issuer, audience or claim fields, so any token Entra ID signed with a
   * key of the tenant's JWKS passes it, tokens of other tenants and other
   * audiences included (the JWKS lists Entra's tenant-independent keys). It is a
   * filter for noise, not a gate: the mesh's RequestAuthentication and
   * AuthorizationPolicy check issuer, audiences and callers on every request,
   * with or without it.
   *
   * The filter reads the `Authorization` header, so this is an error when the
   * endpoint sets `tokenHeader` (then `Authorization` carries something else,
   * e.g. the Azure ML key, and every request would get 401).
   *
   * @default false
   * @see https://docs.nginx.com/nginx-gateway-fabric/traffic-security/jwt-authentication/
   * @see https://learn.microsoft.com/entra/identity-platform/access-tokens#validate-tokens
   * @see https://nginx.org/en/docs/http/ngx_http_auth_jwt_module.html
   */
  readonly validateTokens?: boolean;

  /**
   * Browser sign-in is not available on this edge: a declaration with it is
   * an error at synth, with the reason. NGF's only sign-in is the
   * `AuthenticationFilter` of type `OIDC` (NGINX Plus `auth_oidc`), and:
   *
   * - it forwards no token to the backend: NGF 2.6 writes no
   *   `Authorization` header after sign-in, and its header filters cannot
   *   compose one (a value is plain text or a single NGINX variable, never
   *   `Bearer $oidc_access_token`), while the backend requires an Entra
   *   bearer token on every request;
   * - `auth_oidc` sends every request without its session cookie to sign-in,
   *   so programmatic callers with a bearer token would be redirected too.
   *
   * Use the Istio Gateway API edge's browser sign-in (oauth2-proxy as an
   * external authorizer; bearer callers skip it), or `Edge.ingressNginx`'s.
   *
   * @default - no sign-in
   * @see https://docs.nginx.com/nginx-gateway-fabric/traffic-security/oidc-authentication/
   * @see https://nginx.org/en/docs/http/ngx_http_oidc_module.html
   */
  readonly browserSignIn?: BrowserSignInOptions;
}

/**
 * NGINX Gateway Fabric 2.6 (`gateway.nginx.org`) in front of the mesh: an
 * `HTTPRoute` on the HTTPS listener of a Gateway of class `nginx` (created,
 * or one that exists), a 308 redirect on plain HTTP, HSTS, and NGF's
 * policies for what HTTPRoute cannot say: `ClientSettingsPolicy`
 * (`body.maxSize`), `ProxySettingsPolicy` (`timeout.read`/`send`: NGF ignores
 * HTTPRoute `timeouts`), `RateLimitPolicy` (per client address), and an
 * `NginxProxy` with `loadBalancerSourceRanges` for the source ranges. No
 * snippet is ever written.
 *
 * The mesh: NGF documents no Istio integration, and NGF 2.6 sends to Pod IPs
 * (the ClusterIP mode is newer than 2.6). The edge makes that work with
 * STRICT mTLS as follows:
 *
 * - the data-plane pods get an Istio sidecar through the Gateway's
 *   `spec.infrastructure` (injection label of the endpoint's mesh; inbound
 *   capture off, so clients reach NGINX directly; the application held
 *   until the proxy starts), and their identity
 *   `<trustDomain>/ns/<gateway namespace>/sa/<gateway>-<class>` is the only
 *   edge principal the backend admits;
 * - the route rewrites `Host` to the Service's in-mesh name
 *   (`URLRewrite` `hostname`): the sidecar routes a request with mTLS only
 *   when its Host is the Service's and its port is a Service port, so the
 *   backend Service's port must equal its target port (else an error: a
 *   Pod port that is no Service port leaves the sidecar in plain text, which
 *   STRICT refuses);
 * - the route's backend is the Service itself: the sidecar re-routes by Host
 *   through the endpoint's VirtualService, which splits between the
 *   deployments, retries and times out as it does for in-mesh callers.
 *
 * Source ranges (`sourceRanges`) are enforced at the Gateway's cloud load
 * balancer: a Gateway the edge creates references an `NginxProxy` in its
 * namespace (`spec.infrastructure.parametersRef`) with
 * `kubernetes.service.type: LoadBalancer` and `loadBalancerSourceRanges`.
 * NGF merges it over the GatewayClass's NginxProxy, Gateway fields winning;
 * the API server also stores the CRD's defaults in it (`ipFamily: dual`,
 * `kubernetes.service.externalTrafficPolicy: Local`), which then win over
 * the class's values too. With `existingGateway` the ranges are the
 * Gateway owner's: an error.
 *
 * NGF keeps only the first filter of each type on a rule (the HSTS response
 * header, the claim-header removal, the Host rewrite and the authentication
 * filter are one of each type, so all apply).
 *
 * The data-plane pods reach the NGF control plane (port 443) and, with
 * `validateTokens`, the tenant's JWKS through their sidecar: a namespace
 * whose Sidecar is `REGISTRY_ONLY` must let both out.
 *
 * @see https://docs.nginx.com/nginx-gateway-fabric/overview/gateway-api-compatibility/
 * @see https://docs.nginx.com/nginx-gateway-fabric/overview/custom-policies/
 * @see https://docs.nginx.com/nginx-gateway-fabric/traffic-management/client-settings/
 * @see https://docs.nginx.com/nginx-gateway-fabric/traffic-management/proxy-settings/
 * @see https://docs.nginx.com/nginx-gateway-fabric/traffic-management/rate-limit/
 * @see https://docs.nginx.com/nginx-gateway-fabric/how-to/data-plane-configuration/
 * @see https://github.com/nginx/nginx-gateway-fabric/blob/v2.6.7/internal/controller/state/dataplane/configuration.go
 */
export class NginxGatewayFabricEdge {
  constructor(private readonly options: NginxGatewayFabricEdgeOptions) {}

  public bind(ctx: EdgeBindContext): BoundEdge {
    const o = this.options;
    const className = o.gatewayClassName ?? NGF_DEFAULT_GATEWAY_CLASS;
    const owned = o.existingGateway === undefined;
    const gatewayNamespace = o.existingGateway?.namespace ?? o.gateway?.namespace ?? ctx.namespace;
    const labels = { ...ctx.labels };
    const mine: ApiObject[] = [];

    // the sidecar picks the mesh route by Host: the public host would fall through to plain text
    const routeFilters: HttpRouteSpecRulesFilters[] = [
      { type: HttpRouteSpecRulesFiltersType.URL_REWRITE, urlRewrite: { hostname: ctx.serviceHost } },
    ];
    if (o.validateTokens === true && o.nginxPlus === true) {
      const filter = new AuthenticationFilter(ctx.scope, 'AuthenticationFilter', {
        metadata: { namespace: ctx.namespace, labels },
        spec: {
          type: AuthenticationFilterSpecType.JWT,
          jwt: { realm: o.host, source: AuthenticationFilterSpecJwtSource.REMOTE, remote: { uri: jwksUri(ctx) }, keyCache: JWKS_CACHE },
        },
      });
      mine.push(filter);
      routeFilters.push({ type: HttpRouteSpecRulesFiltersType.EXTENSION_REF, extensionRef: { group: NGF_API_GROUP, kind: 'AuthenticationFilter', name: filter.name } });
    }
    let nginxProxy: NginxProxy | undefined;
    if (owned && o.sourceRanges?.length) {
      nginxProxy = new NginxProxy(ctx.scope, 'NginxProxy', {
        metadata: { namespace: gatewayNamespace, labels },
        spec: { kubernetes: { service: { type: NginxProxySpecKubernetesServiceType.LOAD_BALANCER, loadBalancerSourceRanges: [...o.sourceRanges] } } },
      });
      mine.push(nginxProxy);
    }

    const mesh = ctx.mesh ?? MeshProfile.istio();
    const bound = bindGatewayApi(ctx, o, {
      product: 'NGINX Gateway Fabric',
      gatewayClassName: className,
      serviceAccountFor: (name) => nginxGatewayFabricResourceName(name, className),
      infrastructureLabels: mesh.podLabels,
      infrastructureAnnotations: { [INCLUDE_INBOUND_PORTS_ANNOTATION]: '', [PROXY_CONFIG_ANNOTATION]: HOLD_UNTIL_PROXY_STARTS },
      // a created Gateway's name is a DNS label; NGF shortens longer data-plane names itself
      maxGatewayNameLength: MAX_RESOURCE_NAME,
      routeTimeouts: false,
      routeFilters,
      routeSplit: false,
      ...(nginxProxy ? { infrastructureParametersRef: { group: NGF_API_GROUP, kind: 'NginxProxy', name: nginxProxy.name } } : {}),
    });

    // NGF's policies attach to the host's route, in its namespace
    const policyMetadata = { namespace: ctx.namespace, labels };
    const routeRef = { group: GATEWAY_API_GROUP, kind: 'HTTPRoute', name: bound.route.name };
    const timeout = nginxTime(readTimeoutSeconds(o as EdgeOptions, ctx));
    mine.push(new ClientSettingsPolicy(ctx.scope, 'ClientSettingsPolicy', {
      metadata: policyMetadata,
      spec: { targetRef: routeRef, body: { maxSize: nginxSize(o) } },
    }));
    mine.push(new ProxySettingsPolicy(ctx.scope, 'ProxySettingsPolicy', {
      metadata: policyMetadata,
      spec: { targetRefs: [routeRef], timeout: { read: timeout, send: timeout } },
    }));
    if (o.rateLimit) {
      const rps = o.rateLimit.requestsPerSecond;
      mine.push(new RateLimitPolicy(ctx.scope, 'RateLimitPolicy', {
        metadata: policyMetadata,
        spec: {
          targetRefs: [routeRef],
          rateLimit: {
            // a burst is served at once, as ingress-nginx's limit-burst-multiplier does; beyond it, 429
            local: { rules: [{ key: '$binary_remote_addr', rate: `${rps}r/s`, burst: rps * (o.rateLimit.burstMultiplier ?? DEFAULT_BURST_MULTIPLIER), noDelay: true, zoneSize: RATE_LIMIT_ZONE_SIZE }] },
            rejectCode: 429,
          },
        },
      }));
    }

    const enrolment = owned
      ? { problems: createdGatewayEnrolmentProblems(o.controllerInMesh), warnings: [] }
      : meshEnrolmentChecks({
        controllerInMesh: o.controllerInMesh,
        controller: { namespace: bound.gatewayNamespace, serviceAccount: o.existingGateway?.serviceAccount ?? nginxGatewayFabricResourceName(bound.gatewayName, className), trustDomain: o.trustDomain },
        product: 'NGINX Gateway Fabric',
        managed: false,
      });
    return {
      host: o.host,
      uniquenessKey: `gateway-api/${bound.gatewayNamespace}/${bound.gatewayName}`,
      meshPrincipals: [bound.principal],
      sources: [bound.source],
      apiObjects: [...bound.apiObjects, ...mine],
      routesToInferencePool: false,
      problems: (): Problem[] => [
        ...bound.problems(),
        ...enrolment.problems,
        ...nginxGatewayFabricProblems(o, ctx, className),
        ...infrastructureSizeProblems(bound.gateway?.toJson().spec?.infrastructure),
      ],
      warnings: (): Problem[] => [...bound.warnings(), ...enrolment.warnings],
    };
  }
}

/** The tenant's JWKS URI: v2 when the tenant accepts v2 tokens, as the F5 NGINX Ingress Controller edge's jwt Policy. */
function jwksUri(ctx: EdgeBindContext): string {
  const issuers = ctx.tenant.issuers;
  return (issuers.find((i) => i.version === TokenVersion.V2) ?? issuers[0])?.jwksUri ?? ctx.tenant.v2JwksUri;
}

/** `body.maxSize`: whole mebibytes (`m`), or gibibytes (`g`) beyond four digits. */
function nginxSize(o: GatewayApiEdgeOptions): string {
  const mib = Math.max(1, Math.ceil((o.maxBodySize ?? DEFAULT_MAX_BODY_SIZE).toMebibytes({ rounding: SizeRoundingBehavior.NONE })));
  return mib <= MAX_DIGITS ? `${mib}m` : `${Math.ceil(mib / 1024)}g`;
}

/** An NGINX time of at most four digits: seconds, else minutes, else hours (rounded up). */
function nginxTime(seconds: number): string {
  if (seconds <= MAX_DIGITS) return `${seconds}s`;
  const minutes = Math.ceil(seconds / 60);
  return minutes <= MAX_DIGITS ? `${minutes}m` : `${Math.ceil(minutes / 60)}h`;
}

/** A Gateway the edge creates is enrolled by the edge: `controllerInMesh: false` contradicts it. */
function createdGatewayEnrolmentProblems(controllerInMesh: unknown): Problem[] {
  if (controllerInMesh === undefined || controllerInMesh === true) return [];
  return [problem('edge.controllerInMesh', 'true or left out when the edge creates the Gateway', controllerInMesh,
    'the edge enrols the Gateway\'s data-plane pods in the mesh itself (spec.infrastructure), and the STRICT mTLS backend admits the edge only through their mesh principal')];
}

/** The Gateway API caps `spec.infrastructure` at 8 labels and 16 annotations, the edge's own included. */
function infrastructureSizeProblems(infrastructure: { labels?: object; annotations?: object } | undefined): Problem[] {
  const out: Problem[] = [];
  for (const [field, max] of [['labels', 8], ['annotations', 16]] as const) {
    const keys = Object.keys(infrastructure?.[field] ?? {});
    if (keys.length > max) {
      out.push(problem(`edge.gateway.infrastructure${field[0].toUpperCase()}${field.slice(1)}`, `at most ${max} ${field} with the edge's own (the Gateway API's limit)`, keys,
        'the edge adds the mesh enrolment ones to the Gateway\'s spec.infrastructure'));
    }
  }
  return out;
}

/** Problems specific to NGINX Gateway Fabric; fields are prefixed `edge.` (or `backend`). */
function nginxGatewayFabricProblems(o: NginxGatewayFabricEdgeOptions, ctx: EdgeBindContext, className: string): Problem[] {
  const out: Problem[] = [];
  if (!isDnsLabel(className)) {
    out.push(problem('edge.gatewayClassName', 'a GatewayClass name that is a DNS label (NGF names the data-plane Service <gateway>-<class>)', className));
  }
  for (const field of ['nginxPlus', 'validateTokens'] as const) {
    if (o[field] !== undefined && typeof o[field] !== 'boolean') out.push(problem(`edge.${field}`, 'true or false', o[field]));
  }
  if (o.validateTokens === true && o.nginxPlus !== true) {
    out.push(problem('edge.validateTokens', 'false unless nginxPlus is true', o.validateTokens,
      'NGF\'s JWT AuthenticationFilter needs NGINX Plus (on open-source NGINX the filter is invalid and the route is not served); without it tokens are still validated in the mesh'));
  }
  if (o.validateTokens === true && o.nginxPlus === true && ctx.tokenHeader !== undefined) {
    out.push(problem('edge.validateTokens', `false when the endpoint reads its token from tokenHeader ("${ctx.tokenHeader}")`, o.validateTokens,
      'NGF\'s JWT filter checks the Authorization header, which then carries something else (for azureml-fe the Azure ML key), so NGINX would answer 401 to every request; the mesh validates the token in tokenHeader either way'));
  }
  if (o.rateLimit?.connections !== undefined) {
    out.push(problem('edge.rateLimit.connections', 'unset on the NGINX Gateway Fabric edge', o.rateLimit.connections,
      'NGF\'s RateLimitPolicy limits requests (limit_req), not connections; NGF has no connection-limit policy'));
  }
  if (o.sourceRanges !== undefined && o.existingGateway !== undefined) {
    out.push(problem('edge.sourceRanges', 'left out with existingGateway', o.sourceRanges,
      `NGF restricts sources only at the Gateway's load balancer (NginxProxy kubernetes.service.loadBalancerSourceRanges), which belongs to Gateway ${o.existingGateway.namespace}/${o.existingGateway.name}'s owner; set it on the NginxProxy its infrastructure.parametersRef (or its GatewayClass) names`));
  }
  if (o.existingGateway !== undefined && typeof o.existingGateway.name === 'string' && o.existingGateway.name.length > MAX_RESOURCE_NAME) {
    out.push(problem('edge.existingGateway.name', `a Gateway name of at most ${MAX_RESOURCE_NAME} characters`, o.existingGateway.name,
      'NGF labels the data-plane pods with gateway.networking.k8s.io/gateway-name only when the name fits a label value, and the backend\'s NetworkPolicy admits the pods by that label'));
  }
  if (o.browserSignIn !== undefined) {
    out.push(problem('edge.browserSignIn', 'left out on the NGINX Gateway Fabric edge', o.browserSignIn,
      'NGF\'s only sign-in, the OIDC AuthenticationFilter (NGINX Plus auth_oidc), forwards no token to the backend (NGF 2.6 writes no Authorization header after sign-in, and its header filters cannot compose "Bearer $oidc_access_token"), '
      + 'while the backend requires an Entra bearer token on every request; auth_oidc also sends every request without its session cookie to sign-in, bearer-token callers included; '
      + 'use the Istio Gateway API edge\'s browserSignIn (oauth2-proxy as an external authorizer, bearer callers skip it) or Edge.ingressNginx\'s'));
  }
  const inject = o.gateway?.infrastructureLabels?.[SIDECAR_INJECT];
  if (o.existingGateway === undefined && inject !== undefined && inject !== 'true') {
    out.push(problem(`edge.gateway.infrastructureLabels["${SIDECAR_INJECT}"]`, '"true" or left out', inject,
      'the edge enrols the Gateway\'s data-plane pods in the mesh, and the STRICT mTLS backend admits the edge only through their mesh principal'));
  }
  if (!ctx.inferencePool) out.push(...servicePortProblems(ctx));
  return out;
}

/**
 * NGF 2.6 connects to a Pod IP and the backend's target port; the sidecar in
 * the data-plane pod routes that connection with mTLS only on an outbound
 * listener of a Service port, which exists for the target port only when it
 * equals the Service port.
 */
function servicePortProblems(ctx: EdgeBindContext): Problem[] {
  const why = 'NGINX Gateway Fabric 2.6 sends to Pod IPs on the target port, and the sidecar in its pods routes a request with mTLS only on a Service port: '
    + 'on any other port the request leaves in plain text (PassthroughCluster), which the STRICT mTLS backend refuses';
  const details = ctx.servicePortDetails?.();
  if (details === undefined) {
    return [problem('backend.targetPort', `a Service whose target port is known and equals its port ${ctx.servicePort} (EndpointBackend.service({ targetPort: ${ctx.servicePort} }), fromService or fromDeployment) behind the NGINX Gateway Fabric edge`,
      'an unknown target port', why)];
  }
  if (details.targetPort !== ctx.servicePort) {
    return [problem('backend.targetPort', `a Service whose target port equals its port ${ctx.servicePort} behind the NGINX Gateway Fabric edge`, `targetPort ${JSON.stringify(details.targetPort)}`,
      `${why}; give the Service port the container's port number`)];
  }
  return [];
}
