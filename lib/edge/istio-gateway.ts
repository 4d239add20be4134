import { ApiObject, SizeRoundingBehavior } from 'cdk8s';
import { Problem, problem } from '../errors';
import { Gateway, GatewaySpecServersTlsMode, VirtualService, VirtualServiceSpecHttpRedirectDerivePort } from '../imports/networking.istio.io';
import { isDnsLabel, isDnsSubdomain, isLabelKey, isLabelValue } from '../util/names';
import { HTTPS_REDIRECT_CODE, controllerPrincipal, edgeOptionProblems } from './common';
import { BoundEdge, EdgeBindContext, EdgeController, EdgeOptions } from './types';


/** An Istio ingress gateway deployment: its pod labels, namespace and ServiceAccount. */
export interface IstioGatewayWorkload {
  /** Labels of the gateway pods (the Gateway's `selector`). */
  readonly selector: Record<string, string>;
  /** Namespace of the gateway pods (TLS Secrets are read there). */
  readonly namespace: string;
  /** ServiceAccount of the gateway pods (admitted by the backend). */
  readonly serviceAccount: string;
}

/** Istio's default ingress gateway (`istio: ingressgateway` in `istio-system`). */
export const ISTIO_INGRESS_GATEWAY: IstioGatewayWorkload = {
  selector: { istio: 'ingressgateway' },
  namespace: 'istio-system',
  serviceAccount: 'istio-ingressgateway-service-account',
};
/** The AKS Istio add-on's external ingress gateway. */
export const AKS_ISTIO_EXTERNAL_GATEWAY: IstioGatewayWorkload = {
  selector: { istio: 'aks-istio-ingressgateway-external' },
  namespace: 'aks-istio-ingress',
  serviceAccount: 'aks-istio-ingressgateway-external',
};
/** The AKS Istio add-on's internal ingress gateway. */
export const AKS_ISTIO_INTERNAL_GATEWAY: IstioGatewayWorkload = {
  selector: { istio: 'aks-istio-ingressgateway-internal' },
  namespace: 'aks-istio-ingress',
  serviceAccount: 'aks-istio-ingressgateway-internal',
};

/** Options of {@link Edge.istioGateway}. */
export interface IstioGatewayEdgeOptions extends EdgeOptions {
  /**
   * The gateway deployment. The Gateway object and the TLS Secret live in its namespace.
   *
   * @default ISTIO_INGRESS_GATEWAY
   */
  readonly gateway?: IstioGatewayWorkload;
}

/**
 * An Istio ingress gateway in front of the endpoint: a Gateway (HTTPS with
 * `credentialName`) in the gateway's namespace, and the endpoint's
 * VirtualService for the public host bound to it (with HSTS,
 * `Strict-Transport-Security`, on every response). Plain HTTP is a second
 * Gateway whose only route is a 308 redirect to HTTPS: the server option
 * `tls.httpsRedirect` answers 301, which lets clients turn a POST into a GET,
 * and a separate Gateway keeps the model's route off port 80 (a
 * VirtualService applies to every server of the Gateways it names).
 * Rate limits and source ranges are not expressed here (use an NGINX edge,
 * or policies on the gateway).
 *
 * The gateway is a mesh proxy: nothing to inject. Its access logs follow
 * the mesh's settings (see docs/edges.md, "Access logs at the edge").
 */
export class IstioGatewayEdge {
  constructor(private readonly options: IstioGatewayEdgeOptions) {}

  public bind(ctx: EdgeBindContext): BoundEdge {
    const o = this.options;
    const gw = o.gateway ?? ISTIO_INGRESS_GATEWAY;
    const controller: EdgeController = { namespace: gw.namespace, serviceAccount: gw.serviceAccount };
    const tls = o.tls?.bind?.(ctx.scope, gw.namespace, ctx.labels);
    const gateway = new Gateway(ctx.scope, 'Gateway', {
      metadata: { namespace: gw.namespace, labels: { ...ctx.labels } },
      spec: {
        selector: { ...gw.selector },
        servers: [
          {
            name: 'https',
            port: { number: 443, name: 'https', protocol: 'HTTPS' },
            hosts: [o.host],
            tls: { mode: GatewaySpecServersTlsMode.SIMPLE, credentialName: tls?.secretName },
          },
        ],
      },
    });
    // plain HTTP on its own Gateway, routed only to the redirect
    const redirectGateway = new Gateway(ctx.scope, 'RedirectGateway', {
      metadata: { namespace: gw.namespace, labels: { ...ctx.labels } },
      spec: {
        selector: { ...gw.selector },
        servers: [{ name: 'http', port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: [o.host] }],
      },
    });
    const redirect = new VirtualService(ctx.scope, 'RedirectVirtualService', {
      metadata: { namespace: gw.namespace, labels: { ...ctx.labels } },
      spec: {
        hosts: [o.host],
        gateways: [`${gw.namespace}/${redirectGateway.name}`],
        // read by the gateway in its own namespace only
        exportTo: ['.'],
        http: [{
          name: 'https-redirect',
          redirect: { scheme: 'https', derivePort: VirtualServiceSpecHttpRedirectDerivePort.FROM_UNDERSCORE_PROTOCOL_UNDERSCORE_DEFAULT, redirectCode: HTTPS_REDIRECT_CODE },
        }],
      },
    });
    return {
      host: o.host,
      // Gateway selectors match pods cluster-wide: hosts are unique per selector, whatever the namespace
      uniquenessKey: `istio-gateway/${Object.entries(gw.selector ?? {}).sort().map(([k, v]) => `${k}=${v}`).join(',')}`,
      meshPrincipals: [controllerPrincipal(controller)],
      sources: [{ namespace: gw.namespace, podLabels: { ...gw.selector } }],
      apiObjects: [gateway as ApiObject, redirectGateway, redirect],
      gateway: `${gw.namespace}/${gateway.name}`,
      problems: (): Problem[] => {
        const out = [...edgeOptionProblems(o), ...(tls ? tls.problems() : [])];
        if (o.rateLimit) out.push(problem('edge.rateLimit', 'unset on an Istio gateway edge', o.rateLimit, 'use an NGINX edge for rate limits'));
        if (o.sourceRanges) out.push(problem('edge.sourceRanges', 'unset on an Istio gateway edge', o.sourceRanges, 'use an NGINX edge, or an AuthorizationPolicy on the gateway'));
        if (o.maxBodySize) out.push(problem('edge.maxBodySize', 'unset on an Istio gateway edge', `${o.maxBodySize.toKibibytes({ rounding: SizeRoundingBehavior.NONE })}Ki`, 'the gateway has no body size limit to set'));
        if (o.readTimeout) out.push(problem('edge.readTimeout', 'unset on an Istio gateway edge', `${o.readTimeout.toMilliseconds()}ms`, 'the endpoint\'s timeout applies to the gateway route'));
        if (o.controller) out.push(problem('edge.controller', 'unset on an Istio gateway edge', o.controller, 'the gateway option names the gateway\'s namespace and ServiceAccount'));
        if (!isDnsSubdomain(gw.serviceAccount)) out.push(problem('edge.gateway.serviceAccount', 'a ServiceAccount name', gw.serviceAccount));
        if (!isDnsLabel(gw.namespace)) out.push(problem('edge.gateway.namespace', 'a DNS label', gw.namespace));
        const labels = Object.entries(gw.selector ?? {});
        if (labels.length === 0 || labels.some(([k, v]) => !isLabelKey(k) || !isLabelValue(v))) {
          out.push(problem('edge.gateway.selector', 'non-empty valid labels of the gateway pods', gw.selector));
        }
        return out;
      },
    };
  }
}
