import { ApiObject, Lazy } from 'cdk8s';
import { IConstruct } from 'constructs';
import { Problem, problem, warning } from '../errors';
import {
  Gateway,
  GatewaySpecInfrastructure,
  GatewaySpecInfrastructureParametersRef,
  GatewaySpecListeners,
  GatewaySpecListenersAllowedRoutesNamespacesFrom,
  GatewaySpecListenersTlsMode,
  HttpRoute,
  HttpRouteSpecParentRefs,
  HttpRouteSpecRules,
  HttpRouteSpecRulesBackendRefs,
  HttpRouteSpecRulesFilters,
  HttpRouteSpecRulesFiltersRequestRedirectScheme,
  HttpRouteSpecRulesFiltersRequestRedirectStatusCode,
  HttpRouteSpecRulesFiltersType,
  HttpRouteSpecRulesMatchesPathType,
  ReferenceGrant,
} from '../imports/gateway.networking.k8s.io';
import * as k8s from '../imports/k8s';
import { deploymentLabels } from '../mesh/traffic';
import { NAMESPACE_NAME_LABEL } from '../endpoint/network-policy';
import { compareStrings, isDnsLabel, isDnsSubdomain, isLabelKey, isLabelValue } from '../util/names';
import { HSTS_HEADER, HTTPS_REDIRECT_CODE, controllerPrincipal, edgeOptionProblems, readTimeoutSeconds } from './common';
import { BoundTlsCertificate, EdgeBindContext, EdgeOptions, EdgeSource, ITlsCertificate } from './types';

/** The API group of the Gateway API. */
export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';
/** The label Gateway API implementations put on a Gateway's data-plane pods (Istio, NGINX Gateway Fabric). */
export const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';
/** The API group of the Gateway API Inference Extension. */
export const INFERENCE_API_GROUP = 'inference.networking.k8s.io';
/** Name of the HTTPS listener of a Gateway the edge creates. */
export const HTTPS_LISTENER = 'https';
/** Name of the plain-HTTP listener (redirect only) of a Gateway the edge creates. */
export const HTTP_LISTENER = 'http';

/** The Gateway a Gateway API edge creates for the host. */
export interface GatewayApiGatewayOptions {
  /**
   * Name of the Gateway. The implementation names the data-plane Deployment,
   * Service and ServiceAccount after it (e.g. `<name>-istio`).
   *
   * @default - `<endpoint namespace>-<service name>`
   */
  readonly name?: string;
  /**
   * Namespace of the Gateway (and of its data-plane pods). When it is not the
   * endpoint's, the edge writes a ReferenceGrant in the endpoint's namespace
   * for the TLS Secret, and the listeners admit routes from the endpoint's
   * namespace only.
   *
   * @default - the endpoint's namespace
   */
  readonly namespace?: string;
  /**
   * Labels put on the data-plane objects the implementation creates
   * (`spec.infrastructure.labels`).
   *
   * @default - none
   */
  readonly infrastructureLabels?: Record<string, string>;
  /**
   * Annotations put on the data-plane objects the implementation creates
   * (`spec.infrastructure.annotations`), e.g.
   * `service.beta.kubernetes.io/azure-load-balancer-internal: "true"`.
   *
   * @default - none
   */
  readonly infrastructureAnnotations?: Record<string, string>;
}

/** A Gateway that exists (a platform team's shared Gateway), named by the edge's routes. */
export interface ExistingGatewayOptions {
  /** Name of the Gateway. */
  readonly name: string;
  /** Namespace of the Gateway. Its listener must admit routes from the endpoint's namespace (`allowedRoutes`). */
  readonly namespace: string;
  /**
   * Name (`sectionName`) of the Gateway's HTTPS listener for the host. The
   * route attaches to this listener only: a route without `sectionName`
   * attaches to every listener whose hostname matches, plain HTTP included.
   */
  readonly httpsListener: string;
  /**
   * Name of the Gateway's plain-HTTP listener: the edge attaches a route there
   * that redirects to HTTPS with 308.
   *
   * @default - the Gateway's owner redirects plain HTTP (a warning: the edge cannot see that it does)
   */
  readonly httpListener?: string;
  /**
   * ServiceAccount of the Gateway's data-plane pods, admitted by the backend.
   *
   * @default - the implementation's name for the Gateway's pods (e.g. `<name>-istio`)
   */
  readonly serviceAccount?: string;
}

/** Options every Gateway API edge shares. */
export interface GatewayApiEdgeOptions extends Omit<EdgeOptions, 'tls' | 'controller'> {
  /**
   * The certificate of the host, for the Gateway the edge creates (the Secret
   * is made available in the endpoint's namespace). Required unless
   * `existingGateway` is set, where the listener's owner holds the certificate.
   *
   * @default - none; required when the edge creates the Gateway
   */
  readonly tls?: ITlsCertificate;
  /**
   * The Gateway the edge creates (HTTPS listener for the host with the
   * certificate, and a plain-HTTP listener whose only route is a 308 redirect).
   *
   * @default - a Gateway in the endpoint's namespace, named `<namespace>-<service>`
   */
  readonly gateway?: GatewayApiGatewayOptions;
  /**
   * Attach to a Gateway that exists instead of creating one.
   *
   * @default - the edge creates a Gateway
   */
  readonly existingGateway?: ExistingGatewayOptions;
  /**
   * Mesh trust domain of the Gateway's pods' principal.
   *
   * @default 'cluster.local'
   */
  readonly trustDomain?: string;
  /**
   * Status of the plain-HTTP redirect to HTTPS. 308 keeps the method and the
   * body (a POST stays a POST). Gateway API bundles before v1.5 accept only
   * 301 and 302 in `RequestRedirect.statusCode`: AKS's managed Gateway API
   * serves v1.4.1 on Kubernetes 1.35 (and older bundles below), so set 301
   * there; the API server rejects the route otherwise.
   *
   * @see https://learn.microsoft.com/azure/aks/managed-gateway-api
   * @default 308
   */
  readonly httpsRedirectCode?: 301 | 308;
}

/** What differs between Gateway API implementations, for {@link bindGatewayApi}. */
export interface GatewayApiImplementation {
  /** The product as messages name it, e.g. `Istio's Gateway API`. */
  readonly product: string;
  /** The GatewayClass of the Gateways the edge creates. */
  readonly gatewayClassName: string;
  /** ServiceAccount of the data-plane pods of Gateway `name`. */
  serviceAccountFor(gatewayName: string): string;
  /** Labels on the created Gateway (e.g. `istio.io/rev`). */
  readonly gatewayLabels?: Record<string, string>;
  /** Infrastructure labels the implementation needs on the data plane (merged with the user's). */
  readonly infrastructureLabels?: Record<string, string>;
  /** Infrastructure annotations the implementation needs on the data plane (merged with the user's). */
  readonly infrastructureAnnotations?: Record<string, string>;
  /** Longest Gateway name the implementation accepts (its generated names add a suffix). */
  readonly maxGatewayNameLength: number;
  /**
   * The implementation honours HTTPRoute `timeouts.request` (else the edge
   * sets the timeout with the implementation's own policy).
   *
   * @default true
   */
  readonly routeTimeouts?: boolean;
  /**
   * Filters the implementation adds to the host's route rule, after the
   * HSTS and header-removal filters (e.g. an `ExtensionRef`, a `URLRewrite`).
   *
   * @default - none
   */
  readonly routeFilters?: HttpRouteSpecRulesFilters[];
  /**
   * The route splits traffic between the endpoint's deployments with
   * weighted backendRefs to one Service per deployment. `false` for an
   * implementation whose data plane re-routes by Host through a sidecar
   * (NGINX Gateway Fabric 2.6 with the URLRewrite to the Service host): the
   * route's only backend is then the endpoint's Service, and the mesh's
   * VirtualService splits, as it does for in-mesh callers.
   *
   * @default true
   */
  readonly routeSplit?: boolean;
  /**
   * The implementation's parameters object for a Gateway the edge creates
   * (`spec.infrastructure.parametersRef`, e.g. an NGINX Gateway Fabric
   * `NginxProxy` in the Gateway's namespace).
   *
   * @default - none
   */
  readonly infrastructureParametersRef?: GatewaySpecInfrastructureParametersRef;
}

/** A Gateway API edge's routes and Gateway, bound to an endpoint. */
export interface BoundGatewayApi {
  /** The Gateway the edge created, if any. */
  readonly gateway?: Gateway;
  /** Where the routes attach: the Gateway's name and namespace. */
  readonly gatewayName: string;
  readonly gatewayNamespace: string;
  /** The host's route to the backend. */
  readonly route: HttpRoute;
  /** A parentRef to listener `sectionName` of the Gateway, as the edge's routes name it. */
  parentRef(sectionName: string): HttpRouteSpecParentRefs;
  /** The mesh principal of the Gateway's pods. */
  readonly principal: string;
  /** Where the Gateway's traffic comes from. */
  readonly source: EdgeSource;
  /** Every object written, in order. */
  readonly apiObjects: ApiObject[];
  /** Problems of the shared options. */
  problems(): Problem[];
  /** Warnings of the shared options. */
  warnings(): Problem[];
}

/** The pod label value of deployment `name`, as the per-deployment Service is named. */
export function deploymentServiceName(serviceName: string, deployment: string): string {
  return `${serviceName}-${deployment}`;
}

/**
 * Writes what every Gateway API edge writes: the Gateway (when the edge
 * creates it, with a ReferenceGrant for a certificate in another namespace),
 * the host's HTTPRoute attached to the HTTPS listener only (HSTS, claim-header
 * removal, request timeout, weighted backends), and the 308 redirect route on
 * the plain-HTTP listener. The implementation's own policies are the caller's.
 */
export function bindGatewayApi(ctx: EdgeBindContext, o: GatewayApiEdgeOptions, impl: GatewayApiImplementation): BoundGatewayApi {
  const existing = o.existingGateway;
  const owned = existing === undefined;
  const gatewayName = existing?.name ?? o.gateway?.name ?? `${ctx.namespace}-${ctx.serviceName}`;
  const gatewayNamespace = existing?.namespace ?? o.gateway?.namespace ?? ctx.namespace;
  const crossNamespace = gatewayNamespace !== ctx.namespace;
  const serviceAccount = existing?.serviceAccount ?? impl.serviceAccountFor(gatewayName);
  const labels = { ...ctx.labels };
  const apiObjects: ApiObject[] = [];

  let gateway: Gateway | undefined;
  let tls: BoundTlsCertificate | undefined;
  const gatewayKey = `${gatewayNamespace}/${gatewayName}`;
  if (owned) {
    const byKey = createdGateways.get(ctx.scope.node.root) ?? new Map<string, string[]>();
    createdGateways.set(ctx.scope.node.root, byKey);
    byKey.set(gatewayKey, [...(byKey.get(gatewayKey) ?? []), ctx.scope.node.path]);
    tls = o.tls?.bind?.(ctx.scope, ctx.namespace, ctx.labels);
    const allowedRoutes = {
      namespaces: crossNamespace
        ? { from: GatewaySpecListenersAllowedRoutesNamespacesFrom.SELECTOR, selector: { matchLabels: { [NAMESPACE_NAME_LABEL]: ctx.namespace } } }
        : { from: GatewaySpecListenersAllowedRoutesNamespacesFrom.SAME },
      kinds: [{ group: GATEWAY_API_GROUP, kind: 'HTTPRoute' }],
    };
    const listeners: GatewaySpecListeners[] = [
      {
        name: HTTPS_LISTENER,
        hostname: o.host,
        port: 443,
        protocol: 'HTTPS',
        tls: {
          mode: GatewaySpecListenersTlsMode.TERMINATE,
          certificateRefs: [{ group: '', kind: 'Secret', name: tls?.secretName ?? '', ...(crossNamespace ? { namespace: ctx.namespace } : {}) }],
        },
        allowedRoutes,
      },
      { name: HTTP_LISTENER, hostname: o.host, port: 80, protocol: 'HTTP', allowedRoutes },
    ];
    const infraLabels = { ...(o.gateway?.infrastructureLabels ?? {}), ...(impl.infrastructureLabels ?? {}) };
    const infraAnnotations = { ...(o.gateway?.infrastructureAnnotations ?? {}), ...(impl.infrastructureAnnotations ?? {}) };
    const parametersRef = impl.infrastructureParametersRef;
    const infrastructure: GatewaySpecInfrastructure | undefined = Object.keys(infraLabels).length + Object.keys(infraAnnotations).length > 0 || parametersRef
      ? {
        ...(Object.keys(infraLabels).length ? { labels: sortedRecord(infraLabels) } : {}),
        ...(Object.keys(infraAnnotations).length ? { annotations: sortedRecord(infraAnnotations) } : {}),
        ...(parametersRef ? { parametersRef: { ...parametersRef } } : {}),
      }
      : undefined;
    gateway = new Gateway(ctx.scope, 'GatewayApiGateway', {
      metadata: { name: gatewayName, namespace: gatewayNamespace, labels: { ...labels, ...(impl.gatewayLabels ?? {}) } },
      spec: { gatewayClassName: impl.gatewayClassName, listeners, ...(infrastructure ? { infrastructure } : {}) },
    });
    apiObjects.push(gateway);
    if (crossNamespace && tls) {
      // the certificate stays with the endpoint: the Gateway reads it across namespaces, granted here
      apiObjects.push(new ReferenceGrant(ctx.scope, 'CertificateReferenceGrant', {
        metadata: { namespace: ctx.namespace, labels },
        spec: {
          from: [{ group: GATEWAY_API_GROUP, kind: 'Gateway', namespace: gatewayNamespace }],
          to: [{ group: '', kind: 'Secret', name: tls.secretName }],
        },
      }));
    }
  }

  const parentRef = (sectionName: string): HttpRouteSpecParentRefs => ({
    group: GATEWAY_API_GROUP, kind: 'Gateway', name: gatewayName, ...(crossNamespace ? { namespace: gatewayNamespace } : {}), sectionName,
  });
  const filters: HttpRouteSpecRulesFilters[] = [
    { type: HttpRouteSpecRulesFiltersType.RESPONSE_HEADER_MODIFIER, responseHeaderModifier: { set: [{ ...HSTS_HEADER }] } },
  ];
  const removed = [...new Set(ctx.removeRequestHeaders ?? [])].sort(compareStrings);
  if (removed.length > 0) filters.push({ type: HttpRouteSpecRulesFiltersType.REQUEST_HEADER_MODIFIER, requestHeaderModifier: { remove: removed } });
  filters.push(...(impl.routeFilters ?? []));
  const rule: HttpRouteSpecRules = {
    matches: [{ path: { type: HttpRouteSpecRulesMatchesPathType.PATH_PREFIX, value: '/' } }],
    filters,
    backendRefs: backendRefs(ctx, apiObjects, impl.routeSplit ?? true),
    ...(impl.routeTimeouts ?? true ? { timeouts: { request: `${readTimeoutSeconds(o as EdgeOptions, ctx)}s` } } : {}),
  };
  const route = new HttpRoute(ctx.scope, 'HttpRoute', {
    metadata: { namespace: ctx.namespace, labels },
    spec: { parentRefs: [parentRef(existing?.httpsListener ?? HTTPS_LISTENER)], hostnames: [o.host], rules: [rule] },
  });
  apiObjects.push(route);
  const httpListener = owned ? HTTP_LISTENER : existing?.httpListener;
  if (httpListener !== undefined) {
    const redirectRoute = new HttpRoute(ctx.scope, 'HttpsRedirectRoute', {
      metadata: { namespace: ctx.namespace, labels },
      spec: {
        parentRefs: [parentRef(httpListener)],
        hostnames: [o.host],
        rules: [{
          filters: [{
            type: HttpRouteSpecRulesFiltersType.REQUEST_REDIRECT,
            requestRedirect: { scheme: HttpRouteSpecRulesFiltersRequestRedirectScheme.HTTPS, statusCode: redirectStatus(o) },
          }],
        }],
      },
    });
    apiObjects.push(redirectRoute);
  }

  const source: EdgeSource = { namespace: gatewayNamespace, podLabels: { [GATEWAY_NAME_LABEL]: gatewayName } };
  const principal = controllerPrincipal({ namespace: gatewayNamespace, serviceAccount, trustDomain: o.trustDomain });
  return {
    gateway,
    gatewayName,
    gatewayNamespace,
    route,
    parentRef,
    principal,
    source,
    apiObjects,
    problems: () => [
      ...sharedProblems(ctx, o, impl, gatewayName, gatewayNamespace, serviceAccount),
      ...(tls ? tls.problems() : []),
      ...(owned ? duplicateGatewayProblems(ctx, gatewayKey) : createdElsewhereProblems(ctx, gatewayKey)),
    ],
    warnings: () => (existing && existing.httpListener === undefined
      ? [warning('edge.existingGateway.httpListener', `is not set: the edge cannot see that Gateway ${existing.namespace}/${existing.name} redirects plain HTTP for ${o.host}; `
        + 'name its HTTP listener so the edge attaches a 308 redirect there, or make sure its owner redirects')]
      : []),
  };
}

/** The Gateways the edges of an app create, by `<namespace>/<name>`: the paths of the endpoints that create each. */
const createdGateways = new WeakMap<IConstruct, Map<string, string[]>>();

/** Two endpoints creating one Gateway would write it twice (the later one wins on apply): reported by every endpoint but the first. */
function duplicateGatewayProblems(ctx: EdgeBindContext, key: string): Problem[] {
  const paths = [...(createdGateways.get(ctx.scope.node.root)?.get(key) ?? [])].sort(compareStrings);
  const first = paths[0];
  if (paths.length < 2 || first === ctx.scope.node.path) return [];
  return [problem('edge.gateway.name', `a Gateway no other endpoint creates (${first} creates ${key})`, key.slice(key.indexOf('/') + 1),
    'a Gateway the edge creates has listeners for its endpoint\'s host only; to share one Gateway between endpoints, write it yourself (an HTTPS listener per host, or a wildcard one) and attach each endpoint with existingGateway')];
}

/** An existing Gateway that another endpoint's edge creates has listeners for that endpoint's host only: the route would never attach. */
function createdElsewhereProblems(ctx: EdgeBindContext, key: string): Problem[] {
  const creators = [...(createdGateways.get(ctx.scope.node.root)?.get(key) ?? [])].sort(compareStrings);
  if (creators.length === 0) return [];
  return [problem('edge.existingGateway', `a Gateway no endpoint of the app creates (${creators[0]} creates ${key}, with listeners for its own host only)`, key,
    'the route would attach to no listener; write the shared Gateway yourself (an HTTPS listener per host, or a wildcard one) and attach every endpoint with existingGateway')];
}

/** The redirect code of the HTTPS redirect (308 unless the cluster's Gateway API bundle needs 301). */
function redirectStatus(o: GatewayApiEdgeOptions): HttpRouteSpecRulesFiltersRequestRedirectStatusCode {
  return (o.httpsRedirectCode ?? HTTPS_REDIRECT_CODE) as HttpRouteSpecRulesFiltersRequestRedirectStatusCode;
}

/** The route's backends: the InferencePool, one Service per deployment (weighted, when the route splits), or the Service. */
function backendRefs(ctx: EdgeBindContext, apiObjects: ApiObject[], routeSplit: boolean): HttpRouteSpecRulesBackendRefs[] {
  if (ctx.inferencePool) return [{ group: INFERENCE_API_GROUP, kind: 'InferencePool', name: ctx.inferencePool.name }];
  // without a split at the route, the mesh's VirtualService splits between the deployments
  const deployments = routeSplit ? [...(ctx.deployments ?? [])].sort((a, b) => compareStrings(a.name, b.name)) : [];
  if (deployments.length === 0) return [{ name: ctx.serviceName, port: ctx.servicePort }];
  // HTTPRoute weights split between Services, not DestinationRule subsets: one Service per deployment
  for (const d of deployments) {
    apiObjects.push(new ApiObject(ctx.scope, `DeploymentService-${d.name}`, {
      ...k8s.KubeService.GVK,
      metadata: { name: deploymentServiceName(ctx.serviceName, d.name), namespace: ctx.namespace, labels: { ...ctx.labels } },
      spec: {
        // resolved at synth: the selector and port may come from a cdk8s-plus object changed later
        selector: lazy(() => ({ ...(ctx.selector?.() ?? {}), ...deploymentLabels(d) })),
        ports: lazy(() => {
          const p = ctx.servicePortDetails?.();
          return [{
            ...(p?.name ? { name: p.name } : { name: 'http' }),
            port: ctx.servicePort,
            targetPort: p?.targetPort ?? ctx.servicePort,
            ...(p?.appProtocol ? { appProtocol: p.appProtocol } : {}),
          }];
        }),
      },
    }));
  }
  return deployments.map((d) => ({ name: deploymentServiceName(ctx.serviceName, d.name), port: ctx.servicePort, weight: d.weight }));
}

function lazy<T>(produce: () => T): T {
  return Lazy.any({ produce }) as unknown as T;
}

function sortedRecord(r: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => compareStrings(a, b)));
}

function sharedProblems(
  ctx: EdgeBindContext, o: GatewayApiEdgeOptions, impl: GatewayApiImplementation,
  gatewayName: string, gatewayNamespace: string, serviceAccount: string,
): Problem[] {
  const out: Problem[] = [];
  // the shared edge checks, tls aside: checked below (unset with an existing Gateway)
  out.push(...edgeOptionProblems({ ...o, tls: { bind: () => ({ secretName: '', problems: () => [] }) } } as EdgeOptions));
  const existing = o.existingGateway;
  if (existing) {
    if (o.tls !== undefined) {
      out.push(problem('edge.tls', 'unset with existingGateway', 'a TLS certificate', `the certificate of ${existing.namespace}/${existing.name}'s listener "${existing.httpsListener}" is its owner's`));
    }
    if (o.gateway !== undefined) out.push(problem('edge.gateway', 'unset with existingGateway (the edge creates no Gateway)', o.gateway));
    if (!isDnsSubdomain(existing.name)) out.push(problem('edge.existingGateway.name', 'a Gateway name (DNS subdomain)', existing.name));
    if (!isDnsLabel(existing.namespace)) out.push(problem('edge.existingGateway.namespace', 'a DNS label', existing.namespace));
    if (typeof existing.httpsListener !== 'string' || !isDnsSubdomain(existing.httpsListener)) {
      out.push(problem('edge.existingGateway.httpsListener', 'the name of the Gateway\'s HTTPS listener for the host', existing.httpsListener,
        'a route without sectionName attaches to every listener of the Gateway, plain HTTP included'));
    }
    if (existing.httpListener !== undefined && (!isDnsSubdomain(existing.httpListener) || existing.httpListener === existing.httpsListener)) {
      out.push(problem('edge.existingGateway.httpListener', 'the name of the Gateway\'s plain-HTTP listener, not the HTTPS one', existing.httpListener));
    }
    if (existing.serviceAccount !== undefined && !isDnsSubdomain(existing.serviceAccount)) {
      out.push(problem('edge.existingGateway.serviceAccount', 'a ServiceAccount name', existing.serviceAccount));
    }
  } else {
    if (!o.tls || typeof (o.tls as { bind?: unknown }).bind !== 'function') {
      out.push(problem('edge.tls', 'a TLS certificate (TlsCertificate.fromSecret or TlsCertificate.fromKeyVault) for the Gateway the edge creates', o.tls,
        'the edge always terminates TLS and redirects plain HTTP; or attach to a Gateway that exists with existingGateway'));
    }
    if (!isDnsLabel(gatewayName) || gatewayName.length > impl.maxGatewayNameLength) {
      out.push(problem('edge.gateway.name', `a DNS label of at most ${impl.maxGatewayNameLength} characters (${impl.product} names the Gateway's Deployment and Service after it)`, gatewayName));
    }
    if (!isDnsLabel(gatewayNamespace)) out.push(problem('edge.gateway.namespace', 'a DNS label', gatewayNamespace));
    for (const [field, record] of [['infrastructureLabels', o.gateway?.infrastructureLabels], ['infrastructureAnnotations', o.gateway?.infrastructureAnnotations]] as const) {
      for (const [k, v] of Object.entries(record ?? {})) {
        if (!isLabelKey(k) || k.startsWith(`${GATEWAY_API_GROUP}/`)) out.push(problem(`edge.gateway.${field}`, `keys that are label keys outside ${GATEWAY_API_GROUP}/`, k));
        if (field === 'infrastructureLabels' && !isLabelValue(v)) out.push(problem(`edge.gateway.${field}["${k}"]`, 'a label value', v));
      }
    }
  }
  if (!isDnsSubdomain(serviceAccount)) {
    out.push(problem(existing?.serviceAccount !== undefined ? 'edge.existingGateway.serviceAccount' : existing ? 'edge.existingGateway.name' : 'edge.gateway.name',
      `a name from which ${impl.product} derives a ServiceAccount name (DNS subdomain) for the Gateway's pods`, serviceAccount));
  }
  if (o.httpsRedirectCode !== undefined && o.httpsRedirectCode !== 301 && o.httpsRedirectCode !== 308) {
    out.push(problem('edge.httpsRedirectCode', '308, or 301 for Gateway API bundles before v1.5', o.httpsRedirectCode,
      '302, 303 and 307 are temporary redirects: clients would keep sending requests, and tokens, over plain HTTP first'));
  }
  if (o.trustDomain !== undefined && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(o.trustDomain)) {
    out.push(problem('edge.trustDomain', 'a lower-case DNS name such as "cluster.local"', o.trustDomain));
  }
  if ((impl.routeSplit ?? true) && (ctx.deployments ?? []).length > 0 && !ctx.inferencePool && ctx.servicePortDetails?.() === undefined) {
    out.push(problem('deployments', 'a backend whose Service target port is known (EndpointBackend.service({ targetPort }), fromService or fromDeployment) to split traffic at a Gateway API edge',
      (ctx.deployments ?? []).map((d) => d.name),
      'HTTPRoute weights split between Services, so the edge writes one Service per deployment and needs the port it forwards to'));
  }
  return out;
}
