import { IngressNginxEdge, IngressNginxEdgeOptions } from './ingress-nginx';
import { IstioGatewayEdge, IstioGatewayEdgeOptions } from './istio-gateway';
import { IstioGatewayApiEdge, IstioGatewayApiEdgeOptions } from './istio-gateway-api';
import { NginxGatewayFabricEdge, NginxGatewayFabricEdgeOptions } from './nginx-gateway-fabric';
import { NginxIngressControllerEdge, NginxIngressControllerEdgeOptions } from './nginx-ingress-controller';
import { IEdge } from './types';

/**
 * The edge in front of an endpoint's mesh: where callers without a mesh
 * identity come in. Every edge terminates TLS, redirects plain HTTP and
 * routes through the backend Service so the mesh applies; the backend
 * admits the edge controller's mesh principal (with a token) and no one else
 * without a mesh identity.
 */
export class Edge {
  /** The community ingress-nginx controller or the AKS application routing add-on. */
  public static ingressNginx(options: IngressNginxEdgeOptions): IEdge {
    return new IngressNginxEdge(options);
  }

  /** The F5 NGINX Ingress Controller (`k8s.nginx.org/v1` VirtualServer and Policies). */
  public static nginxIngressController(options: NginxIngressControllerEdgeOptions): IEdge {
    return new NginxIngressControllerEdge(options);
  }

  /** An Istio ingress gateway (self-managed or the AKS Istio add-on's). */
  public static istioGateway(options: IstioGatewayEdgeOptions): IEdge {
    return new IstioGatewayEdge(options);
  }

  /**
   * NGINX Gateway Fabric 2.6 (Gateway API `HTTPRoute` plus `gateway.nginx.org` policies), its data-plane pods in the mesh.
   */
  public static nginxGatewayFabric(options: NginxGatewayFabricEdgeOptions): IEdge {
    return new NginxGatewayFabricEdge(options);
  }

  /**
   * Istio's Gateway API implementation (GatewayClass `istio`: upstream Istio,
   * or the AKS Istio add-on from asm-1-26 with the managed Gateway API CRDs):
   * a Gateway (or one that exists) and the host's HTTPRoute, with optional
   * token validation and browser sign-in at the gateway.
   */
  public static istioGatewayApi(options: IstioGatewayApiEdgeOptions): IEdge {
    return new IstioGatewayApiEdge(options);
  }

  private constructor() {}
}
