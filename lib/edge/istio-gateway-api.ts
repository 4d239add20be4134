import { createHash } from 'node:crypto';
import { MeshNamespace } from '../endpoint/mesh-namespace';
import { ApiObject, SizeRoundingBehavior, Yaml } from 'cdk8s';
import { Problem, problem, warning } from '../errors';
import { HttpRoute, HttpRouteSpecRulesFiltersType, HttpRouteSpecRulesMatchesPathType } from '../imports/gateway.networking.k8s.io';
import { KubeConfigMap } from '../imports/k8s';
import {
  AuthorizationPolicy,
  AuthorizationPolicySpec,
  AuthorizationPolicySpecAction,
  RequestAuthentication,
  RequestAuthenticationSpec,
} from '../imports/security.istio.io';
import { oauth2ProxyExtAuthzProvider, registerExtAuthzProvider } from '../mesh/ext-authz';
import { ISTIO_REVISION_LABEL } from '../mesh/profile';
import { requestAuthenticationSpec } from '../mesh/security';
import { SharedMeshConfig } from '../mesh/shared-mesh-config';
import { isDnsSubdomain } from '../util/names';
import { HSTS_HEADER } from './common';
import {
  GATEWAY_API_GROUP, GatewayApiEdgeOptions, GatewayApiImplementation, HTTPS_LISTENER, bindGatewayApi,
} from './gateway-api';
import { BrowserSignInOptions, OAUTH2_PROXY_PORT, signInWorkload } from './sign-in';
import { BoundEdge, EdgeBindContext, IEdge } from './types';

/** Istio's GatewayClass for ingress gateways (upstream Istio and the AKS Istio add-on). */
export const ISTIO_GATEWAY_CLASS = 'istio';
/**
 * The GatewayClass of the AKS application routing add-on's Gateway API
 * implementation: rejected by `Edge.istioGatewayApi` (see its
 * `gatewayClassName`).
 */
export const AKS_APP_ROUTING_ISTIO_CLASS = 'approuting-istio';
/** The lowest AKS Istio add-on revision with Gateway API ingress. */
export const MIN_AKS_GATEWAY_API_REVISION = 'asm-1-26';
/** The paths oauth2-proxy serves itself on the host (sign-in start, callback), as an Istio path match. */
export const SIGN_IN_PATHS = '/oauth2/*';

/** The prefix of the external authorization providers of browser sign-ins, see {@link signInProviderName}. */
export const SIGN_IN_PROVIDER_PREFIX = 'cdk8s-azureml-mesh-sign-in-';
/** Istio 1.30 refuses extension provider names longer than this (`validateProviderName`). */
const MAX_PROVIDER_NAME = 63;

/**
 * The mesh-config name of the external authorization provider of the
 * browser sign-in of the endpoint whose Service is `service` in
 * `namespace`: `cdk8s-azureml-mesh-sign-in-<namespace>-<service>-<hash>`,
 * where `<namespace>-<service>` is shortened to fit and `<hash>` is the
 * first 8 hex digits of the SHA-256 of `<namespace>/<service>`. A name
 * without the hash would be ambiguous (namespace `a-b` with Service `c`, and
 * namespace `a` with Service `b-c`); a separator that neither name contains
 * (`.`, `/`) is not available: Istio 1.30 rejects provider names that are
 * not lowercase letters, digits and `-` (at most 63, no `-` at either end),
 * and replaces the CUSTOM policies that name such a provider by a deny.
 * Two endpoints whose names still meet are an error at synth
 * (`registerExtAuthzProvider`).
 */
export function signInProviderName(namespace: string, service: string): string {
  const hash = createHash('sha256').update(`${namespace}/${service}`).digest('hex').slice(0, 8);
  const room = MAX_PROVIDER_NAME - SIGN_IN_PROVIDER_PREFIX.length - 1 - hash.length;
  const readable = `${namespace}-${service}`.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, room).replace(/-+$/, '');
  return `${SIGN_IN_PROVIDER_PREFIX}${readable ? `${readable}-` : ''}${hash}`;
}

/** Ports of the Gateway the edge creates (the gateway pods listen on the listener ports). */
const HTTP_PORT = '80';
/** Longest Kubernetes name of the objects Istio generates (`<gateway>-<class>`: a Service name is a DNS label). */
const MAX_GENERATED_NAME = 63;

/** Options of {@link Edge.istioGatewayApi}. */
export interface IstioGatewayApiEdgeOptions extends GatewayApiEdgeOptions {
  /**
   * GatewayClass of the Gateway the edge creates. Istio deploys the
   * Gateway's data plane as Deployment, Service and ServiceAccount
   * `<gateway>-<class>` in the Gateway's namespace, labelled
   * `gateway.networking.k8s.io/gateway-name: <gateway>`; the backend admits
   * `<trustDomain>/ns/<gateway namespace>/sa/<gateway>-<class>`. Istio lets a
   * Gateway name its ServiceAccount with the annotation
   * `gateway.istio.io/service-account` (Alpha, hidden): the edge does not
   * write it, so the principal is always the generated name; for a Gateway
   * that exists, name its ServiceAccount with `existingGateway.serviceAccount`.
   *
   * `approuting-istio` (the AKS application routing add-on's Gateway API)
   * is an error: it injects no sidecars and has no Istio CRDs, so its
   * gateways have no mesh identity (a STRICT backend refuses their traffic)
   * and no policy can attach to them; it also cannot run beside the AKS
   * Istio add-on. Use the class `istio` on the Istio add-on (asm-1-26 or
   * later, with the managed Gateway API CRDs).
   *
   * @default 'istio'
   * @see https://istio.io/latest/docs/tasks/traffic-management/ingress/gateway-api/#automated-deployment
   * @see https://learn.microsoft.com/azure/aks/app-routing-gateway-api
   */
  readonly gatewayClassName?: string;
  /**
   * Client CIDRs allowed to connect, for a Gateway the edge creates, enforced
   * twice:
   *
   * - at the Azure load balancer: the gateway Service's
   *   `loadBalancerSourceRanges` (NSG rules on the frontend);
   * - in the gateway: an AuthorizationPolicy attached to the Gateway
   *   (`targetRefs`) that denies every request whose connection comes from
   *   outside the ranges (`from.source.notIpBlocks`), on every port. It
   *   covers what the load balancer does not see: pods of the cluster that
   *   call the gateway's ClusterIP, and hosts of the VNet that reach its node
   *   ports. With `browserSignIn`, the CUSTOM check is limited to the
   *   ranges (`from.source.ipBlocks`; Istio runs CUSTOM before DENY), so
   *   other clients never reach oauth2-proxy.
   *
   * The Service gets `externalTrafficPolicy: Local` (same ConfigMap overlay,
   * on the AKS add-on's allow-list): with the default `Cluster`, kube-proxy
   * replaces the client's address by a node's, and the gateway would refuse
   * every client. `ipBlocks` is the connection's source address, the one
   * the load balancer checks too (`remoteIpBlocks` would trust
   * `X-Forwarded-For` hops as far as the gateway's `numTrustedProxies`
   * says); behind an L7 proxy (Azure Front Door, Application Gateway), list
   * the proxy's addresses. With `Local`, the load balancer sends traffic only
   * to nodes that run a gateway pod (its health probe on the Service's
   * `healthCheckNodePort`).
   *
   * @default - any source
   * @see https://istio.io/latest/docs/reference/config/security/authorization-policy/#Source (ipBlocks, remoteIpBlocks)
   * @see https://istio.io/latest/docs/tasks/security/authorization/authz-ingress/
   * @see https://learn.microsoft.com/azure/aks/istio-gateway-api (allow-listed Service overlay fields)
   */
  readonly sourceRanges?: string[];
  /**
   * Validate tokens at the gateway too: a RequestAuthentication (the
   * endpoint's issuers, JWKS and audiences, `forwardOriginalToken: true` so
   * the backend validates the same token again) and an AuthorizationPolicy
   * that denies requests without a valid token, both attached to the Gateway
   * with `targetRefs` in its namespace. Requests without a token are refused
   * at the edge instead of at the backend. The plain-HTTP listener is left
   * out of the deny (`notPorts: ["80"]`), so plain HTTP still answers its
   * 308 redirect (a DENY runs before routing); the DENY is not scoped by
   * host: the Gateway serves only this host, and Istio's host match is exact,
   * so `Host: <host>:443` would slip past a host-scoped rule. With
   * `browserSignIn`, the proxy's own paths (`/oauth2/*`) are left out too,
   * and the ID token oauth2-proxy adds is validated here: Istio runs the
   * external authorization (CUSTOM) filter before the JWT filter.
   *
   * Only for a Gateway the edge creates: on a shared Gateway, a
   * RequestAuthentication applies to every host and rejects the tokens other
   * hosts accept for other audiences (an error). Policies attach to a
   * Gateway by `targetRefs` from Istio 1.22 (AKS: asm-1-26 and later are
   * newer). A request with an invalid token is answered 401 by the JWT
   * filter on every port, plain HTTP included.
   *
   * With an InferencePool backend, leaving it out is a warning: Istio runs
   * the endpoint picker's ext_proc filter after the external authorization,
   * JWT and RBAC filters (Istio 1.30 `listener_builder.go`), so only token
   * validation at the gateway keeps requests without a valid token, and
   * their bodies, from the picker. Even with it, the picker receives the headers and bodies of every
   * request with a valid token of the tenant for the endpoint's audiences
   * (callers' bearer tokens included, which it could replay at the host):
   * run it as trusted code and fence its egress.
   *
   * @default false - the backend validates every token
   * @see https://istio.io/latest/docs/reference/config/security/request_authentication/
   */
  readonly validateTokens?: boolean;
  /**
   * Browser sign-in with oauth2-proxy (Entra ID, workload identity) as
   * Istio's external authorization: the oauth2-proxy workload next to the
   * endpoint, an HTTPRoute sending `/oauth2` on the host to it, and a
   * `CUSTOM` AuthorizationPolicy attached to the Gateway that sends every
   * HTTPS request without `Authorization: Bearer ...` (outside `/oauth2/*`)
   * to oauth2-proxy, which redirects to Entra ID or returns the user's ID
   * token in `Authorization` for the backend to validate. Programmatic
   * callers with a bearer token skip it.
   *
   * The provider must be in the mesh config: on the AKS Istio add-on declare
   * `ExtAuthzMeshConfig` for the revision (a warning otherwise); with
   * self-managed Istio add `extAuthzExtensionProviders(app)` to the
   * installation's `meshConfig.extensionProviders`. The provider is named
   * `cdk8s-azureml-mesh-sign-in-<namespace>-<service>-<hash>` (see
   * {@link signInProviderName}: unambiguous, and within Istio 1.30's rule for
   * provider names); two endpoints registering one name with different
   * settings are an error. Istio admits one
   * external authorization provider per gateway workload (more need
   * `PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS` on Istio 1.30), so this is
   * only for a Gateway the edge creates. The endpoint reads its token from
   * `Authorization` (no `tokenHeader`).
   *
   * oauth2-proxy's cookies are `SameSite=Lax` (no cross-site POST carries
   * the session), and its health endpoints are under `/oauth2`
   * (`/oauth2/ping`, `/oauth2/ready`), outside the model's paths. The check
   * runs at the original path, and oauth2-proxy answers `/robots.txt` (a
   * fixed path) with 200 without a session, so that path passes the CUSTOM
   * check: harmless, since the request reaches the backend without a token
   * and is refused there (or at the gateway with `validateTokens`).
   *
   * @default - no sign-in: callers send their own bearer token
   * @see https://istio.io/latest/docs/tasks/security/authorization/authz-custom/
   * @see https://oauth2-proxy.github.io/oauth2-proxy/behaviour
   */
  readonly browserSignIn?: BrowserSignInOptions;
}

/**
 * Istio's Gateway API implementation in front of the endpoint (upstream
 * Istio, or the AKS Istio add-on's GatewayClass `istio`, revision asm-1-26
 * or later with the managed Gateway API CRDs): the objects every Gateway
 * API edge writes (HTTPS listener with the certificate, the host's
 * HTTPRoute on it only, 308 redirect on plain HTTP, per-deployment Services
 * for a split, or the InferencePool), the gateway pods' mesh principal
 * admitted by the backend, and optionally token validation and browser
 * sign-in at the gateway.
 *
 * The gateway pods are standalone Envoy proxies of the mesh (no sidecar),
 * with the mTLS identity of their ServiceAccount `<gateway>-<class>`. The
 * created Gateway carries `istio.io/rev: <revision>` for a revisioned mesh
 * (on the AKS add-on, the control plane of that revision owns it during a
 * canary upgrade; relabel it before completing or rolling back).
 *
 * What the shared options become: `readTimeout` is the route's
 * `timeouts.request`; `sourceRanges` is the gateway Service's
 * `loadBalancerSourceRanges` (a ConfigMap overlay referenced by
 * `spec.infrastructure.parametersRef`, allow-listed on the AKS add-on) and a
 * DENY on the other source addresses in the gateway (see `sourceRanges`);
 * `rateLimit` and `maxBodySize` are errors (Istio's Gateway API has neither
 * without an EnvoyFilter or an external service).
 *
 * Routing to an InferencePool needs istiod's
 * `ENABLE_GATEWAY_API_INFERENCE_EXTENSION=true` (off by default; the AKS
 * add-on documents no way to set it).
 *
 * @see https://istio.io/latest/docs/tasks/traffic-management/ingress/gateway-api/
 * @see https://learn.microsoft.com/azure/aks/istio-gateway-api (revisions, `istio.io/rev`, the ConfigMap overlays and their allow-list)
 * @see https://learn.microsoft.com/azure/aks/managed-gateway-api
 * @see https://istio.io/latest/docs/tasks/traffic-management/ingress/gateway-api-inference-extension/
 * @see https://istio.io/latest/docs/reference/config/security/authorization-policy/ (targetRefs, CUSTOM)
 */
export class IstioGatewayApiEdge implements IEdge {
  constructor(private readonly options: IstioGatewayApiEdgeOptions) {}

  /** Writes the edge's objects for the endpoint `ctx` describes (called by `SecureMlEndpoint`). */
  public bind(ctx: EdgeBindContext): BoundEdge {
    const o = this.options;
    const className = o.gatewayClassName ?? ISTIO_GATEWAY_CLASS;
    const owned = o.existingGateway === undefined;
    const revision = ctx.mesh?.revision;
    const labels = { ...ctx.labels };

    // source ranges: the gateway Service's loadBalancerSourceRanges, as a ConfigMap overlay in the Gateway's namespace,
    // with externalTrafficPolicy Local so the gateway sees the client's address (a DENY below checks it there too)
    const sourceRanges = owned && o.sourceRanges !== undefined && o.sourceRanges.length > 0 ? [...o.sourceRanges] : undefined;
    let parameters: KubeConfigMap | undefined;
    if (sourceRanges) {
      parameters = new KubeConfigMap(ctx.scope, 'GatewayParameters', {
        metadata: { namespace: o.gateway?.namespace ?? ctx.namespace, labels },
        data: { service: Yaml.stringify({ spec: { loadBalancerSourceRanges: sourceRanges, externalTrafficPolicy: 'Local' } }) },
      });
    }
    const impl: GatewayApiImplementation = {
      product: 'Istio\'s Gateway API',
      gatewayClassName: className,
      serviceAccountFor: (gatewayName) => `${gatewayName}-${className}`,
      gatewayLabels: revision !== undefined ? { [ISTIO_REVISION_LABEL]: revision } : undefined,
      maxGatewayNameLength: Math.max(1, MAX_GENERATED_NAME - className.length - 1),
      ...(parameters ? { infrastructureParametersRef: { group: '', kind: 'ConfigMap', name: parameters.name } } : {}),
    };
    const bound = bindGatewayApi(ctx, o, impl);
    const apiObjects: ApiObject[] = [...(parameters ? [parameters] : []), ...bound.apiObjects];
    const targetRefs = [{ group: GATEWAY_API_GROUP, kind: 'Gateway', name: bound.gatewayName }];
    const policyMetadata = { namespace: bound.gatewayNamespace, labels };

    // source ranges at the gateway too: the load balancer's NSG rules do not cover in-cluster clients (the ClusterIP)
    // or VNet hosts reaching the node ports; ipBlocks is the connection's source address (not X-Forwarded-For)
    if (sourceRanges) {
      const spec: AuthorizationPolicySpec = {
        targetRefs,
        action: AuthorizationPolicySpecAction.DENY,
        rules: [{ from: [{ source: { notIpBlocks: sourceRanges } }] }],
      };
      apiObjects.push(new AuthorizationPolicy(ctx.scope, 'GatewaySourceRanges', { metadata: policyMetadata, spec }));
    }

    // browser sign-in: oauth2-proxy as the gateway's external authorization
    const signIn = o.browserSignIn && owned ? o.browserSignIn : undefined;
    let providerName: string | undefined;
    let signInProblems: (() => Problem[]) | undefined;
    if (signIn) {
      const workload = signInWorkload(signIn, ctx, {
        allowStatus: 200,
        // the check runs at the original path: answer unsigned browsers with the redirect to Entra ID, and
        // name the callback (the check request does not say it came over HTTPS)
        extraArgs: ['--skip-provider-button=true', `--redirect-url=https://${o.host}/oauth2/callback`],
        callers: bound.source,
      });
      providerName = signInProviderName(ctx.namespace, ctx.serviceName);
      const registration = registerExtAuthzProvider(ctx.scope, oauth2ProxyExtAuthzProvider({ name: providerName, service: workload.serviceHost, port: OAUTH2_PROXY_PORT }));
      // oauth2-proxy's own paths on the host (HTTPS only), without the model's route
      const route = new HttpRoute(ctx.scope, 'SignInRoute', {
        metadata: { namespace: ctx.namespace, labels },
        spec: {
          parentRefs: [bound.parentRef(HTTPS_LISTENER)],
          hostnames: [o.host],
          rules: [{
            matches: [{ path: { type: HttpRouteSpecRulesMatchesPathType.PATH_PREFIX, value: '/oauth2' } }],
            filters: [{ type: HttpRouteSpecRulesFiltersType.RESPONSE_HEADER_MODIFIER, responseHeaderModifier: { set: [{ ...HSTS_HEADER }] } }],
            backendRefs: [{ name: workload.service.name, port: OAUTH2_PROXY_PORT }],
          }],
        },
      });
      const custom: AuthorizationPolicySpec = {
        targetRefs,
        action: AuthorizationPolicySpecAction.CUSTOM,
        provider: { name: providerName },
        rules: [{
          // with source ranges, only their clients reach oauth2-proxy: the others skip the check and meet the source DENY
          // (Istio evaluates CUSTOM before DENY)
          ...(sourceRanges ? { from: [{ source: { ipBlocks: sourceRanges } }] } : {}),
          // HTTPS only (plain HTTP answers its redirect), not the proxy's own paths
          to: [{ operation: { notPorts: [HTTP_PORT], notPaths: [SIGN_IN_PATHS] } }],
          // programmatic callers bring their own token: the mesh validates it, oauth2-proxy is skipped
          when: [{ key: 'request.headers[authorization]', notValues: ['Bearer *'] }],
        }],
      };
      const policy = new AuthorizationPolicy(ctx.scope, 'SignInAuthorization', { metadata: policyMetadata, spec: custom });
      apiObjects.push(ApiObject.of(workload.serviceAccount), ApiObject.of(workload.deployment), ApiObject.of(workload.service),
        workload.disruptionBudget, workload.networkPolicy, route, policy);
      signInProblems = () => [...workload.problems(), ...registration()];
    }

    // token validation at the gateway, in addition to the backend's
    if (o.validateTokens === true && owned) {
      // the backend's jwtRules (issuers, JWKS, audiences, token header), attached to the Gateway instead of a selector
      const jwtRules = requestAuthenticationSpec({
        selector: {}, tenant: ctx.tenant, audiences: ctx.audiences, forwardOriginalToken: true, claimToHeaders: [], tokenHeader: ctx.tokenHeader,
      }).jwtRules;
      const ra: RequestAuthenticationSpec = { targetRefs, jwtRules };
      const deny: AuthorizationPolicySpec = {
        targetRefs,
        action: AuthorizationPolicySpecAction.DENY,
        rules: [{
          from: [{ source: { notRequestPrincipals: ['*'] } }],
          to: [{ operation: { notPorts: [HTTP_PORT], ...(signIn ? { notPaths: [SIGN_IN_PATHS] } : {}) } }],
        }],
      };
      apiObjects.push(
        new RequestAuthentication(ctx.scope, 'GatewayRequestAuthentication', { metadata: policyMetadata, spec: ra }),
        new AuthorizationPolicy(ctx.scope, 'GatewayDenyWithoutToken', { metadata: policyMetadata, spec: deny }),
      );
    }

    return {
      host: o.host,
      // routes of one Gateway share its listeners: hosts are unique per Gateway
      uniquenessKey: `gateway-api/${bound.gatewayNamespace}/${bound.gatewayName}`,
      meshPrincipals: [bound.principal],
      sources: [bound.source],
      apiObjects,
      routesToInferencePool: true,
      problems: () => [
        ...bound.problems(),
        ...this.istioProblems(ctx, className),
        ...(owned ? defaultDenyProblems(ctx, bound.gatewayNamespace) : []),
        ...(signInProblems ? signInProblems() : []),
      ],
      warnings: () => [
        ...bound.warnings(),
        ...(providerName !== undefined ? this.meshConfigWarnings(ctx, providerName) : []),
        ...this.inferencePoolWarnings(ctx),
      ],
    };
  }

  private istioProblems(ctx: EdgeBindContext, className: string): Problem[] {
    const o = this.options;
    const out: Problem[] = [];
    const existing = o.existingGateway;
    if (className === AKS_APP_ROUTING_ISTIO_CLASS) {
      out.push(problem('edge.gatewayClassName', `a GatewayClass whose gateways are in the mesh ("${ISTIO_GATEWAY_CLASS}" on the AKS Istio add-on)`, className,
        'the AKS application routing add-on\'s Gateway API injects no sidecars and has no Istio CRDs: its gateways have no mesh identity, so a STRICT mTLS backend refuses their traffic '
        + 'and no policy can attach to them, and it cannot be enabled beside the Istio add-on; use gatewayClassName "istio" on the Istio add-on (asm-1-26 or later, managed Gateway API CRDs)'));
    } else if (typeof className !== 'string' || !isDnsSubdomain(className)) {
      out.push(problem('edge.gatewayClassName', 'a GatewayClass name (DNS subdomain)', className));
    }
    const mesh = ctx.mesh;
    if (mesh?.isAksIstioAddon && mesh.revision !== undefined) {
      const m = /^asm-(\d+)-(\d+)$/.exec(mesh.revision);
      const [, wantMajor, wantMinor] = /^asm-(\d+)-(\d+)$/.exec(MIN_AKS_GATEWAY_API_REVISION)!;
      if (m && (Number(m[1]) < Number(wantMajor) || (Number(m[1]) === Number(wantMajor) && Number(m[2]) < Number(wantMinor)))) {
        out.push(problem('mesh', `an AKS Istio add-on revision of ${MIN_AKS_GATEWAY_API_REVISION} or later for Edge.istioGatewayApi`, mesh.revision,
          `the add-on supports Gateway API ingress from ${MIN_AKS_GATEWAY_API_REVISION}, with the managed Gateway API CRDs (az aks update --enable-gateway-api); upgrade the add-on (az aks mesh upgrade), or use Edge.istioGateway`));
      }
    }
    if (o.rateLimit !== undefined) {
      out.push(problem('edge.rateLimit', 'unset on Edge.istioGatewayApi', o.rateLimit,
        'Istio\'s Gateway API has no rate limit field: it needs an EnvoyFilter (local rate limit) or an external rate limit service, which the edge does not write'));
    }
    if (o.maxBodySize !== undefined) {
      out.push(problem('edge.maxBodySize', 'unset on Edge.istioGatewayApi', `${o.maxBodySize.toKibibytes({ rounding: SizeRoundingBehavior.NONE })}Ki`,
        'neither the Gateway API nor Istio\'s implementation of it has a request body size limit to set'));
    }
    if (existing && o.sourceRanges !== undefined) {
      out.push(problem('edge.sourceRanges', 'unset with existingGateway', o.sourceRanges,
        `the source ranges of ${existing.namespace}/${existing.name} are its Service's (loadBalancerSourceRanges), which its owner sets`));
    }
    if (o.validateTokens !== undefined && typeof o.validateTokens !== 'boolean') {
      out.push(problem('edge.validateTokens', 'true or false', o.validateTokens));
    } else if (o.validateTokens === true && existing) {
      out.push(problem('edge.validateTokens', 'unset with existingGateway', true,
        `a RequestAuthentication attached to the shared Gateway ${existing.namespace}/${existing.name} applies to every host it serves and rejects the tokens other hosts accept for other audiences; `
        + 'the backend validates every token anyway'));
    }
    if (o.browserSignIn !== undefined && existing) {
      out.push(problem('edge.browserSignIn', 'unset with existingGateway', 'a BrowserSignInOptions',
        `its CUSTOM policy would attach to the shared Gateway ${existing.namespace}/${existing.name}, whose gateway admits one external authorization provider (Istio's default), `
        + 'breaking the other hosts\' sign-in; let the edge create the Gateway'));
    }
    if (o.browserSignIn !== undefined && ctx.tokenHeader !== undefined && ctx.tokenHeader.toLowerCase() !== 'authorization') {
      out.push(problem('tokenHeader', 'unset (Authorization) with edge.browserSignIn', ctx.tokenHeader,
        'oauth2-proxy hands the signed-in user\'s ID token to the backend in Authorization'));
    }
    return out;
  }

  /**
   * Istio's gateway runs the InferencePool's ext_proc filter (the endpoint
   * picker) after the CUSTOM (ext_authz), JWT and RBAC filters: only a token
   * check at the gateway keeps requests without a valid token from the picker.
   */
  private inferencePoolWarnings(ctx: EdgeBindContext): Problem[] {
    const pool = ctx.inferencePool;
    if (pool === undefined || this.options.validateTokens === true) return [];
    return [warning('edge.validateTokens', `is not true, and the backend is InferencePool "${pool.name}": Istio's gateway runs the endpoint picker's ext_proc filter after its `
      + 'external authorization, JWT and RBAC filters, so without token validation at the gateway the picker receives every request that reaches the host, '
      + 'requests without a token or with a forged one included, with their headers and bodies (the backend refuses them only after the picker has seen them); '
      + 'set validateTokens: true (on a Gateway the edge creates) so the gateway refuses requests without a valid token before the picker')];
  }

  /** On the AKS Istio add-on, the provider must be in the revision's shared mesh config. */
  private meshConfigWarnings(ctx: EdgeBindContext, providerName: string): Problem[] {
    const mesh = ctx.mesh;
    if (!mesh?.isAksIstioAddon || mesh.revision === undefined) return [];
    const shared = SharedMeshConfig.of(ctx.scope, mesh.revision);
    if (shared.hasProvider(providerName)) return [];
    return [warning('edge.browserSignIn', `needs the external authorization provider "${providerName}" in the mesh config of ${mesh.revision}, and no ${shared.name} of the app has it: `
      + `declare new ExtAuthzMeshConfig(scope, id, { mesh }) for ${mesh.revision}, or add extAuthzExtensionProviders(app) to the shared mesh config you manage (Istio replaces a CUSTOM policy whose provider it does not know by a deny-all: the gateway would refuse every request, bearer tokens included)`)];
  }
}

/**
 * A Gateway's pods are Istio proxies: a namespace-wide default deny
 * (`MeshNamespace` `defaultDeny`) in the Gateway's namespace applies to them
 * and refuses every client request.
 */
function defaultDenyProblems(ctx: EdgeBindContext, gatewayNamespace: string): Problem[] {
  if (!MeshNamespace.lookup(ctx.scope, gatewayNamespace)?.defaultDeny) return [];
  return [problem('edge.gateway.namespace', 'a namespace without defaultDeny for the Gateway the edge creates', gatewayNamespace,
    'the gateway\'s pods are Istio proxies, so the namespace-wide default deny applies to them and refuses every client request; '
    + 'put the Gateway in a namespace of its own (edge.gateway.namespace), the certificate stays with the endpoint through a ReferenceGrant')];
}
