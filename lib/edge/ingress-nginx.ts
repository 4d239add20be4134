import { Problem, problem } from '../errors';
import { isDnsSubdomain } from '../util/names';
import { DEFAULT_BURST_MULTIPLIER, controllerPrincipal, edgeOptionProblems, ingressObject, maxBodyMebibytes, meshEnrolmentChecks, readTimeoutSeconds, reportEdgeWarnings } from './common';
import { BrowserSignInOptions, bindSignIn } from './sign-in';
import { BoundEdge, EdgeBindContext, EdgeController, EdgeOptions } from './types';

/** IngressClass of the AKS application routing add-on (managed ingress-nginx). */
export const AKS_APP_ROUTING_CLASS = 'webapprouting.kubernetes.azure.com';
/** The community ingress-nginx controller as its Helm chart installs it. */
export const INGRESS_NGINX_DEFAULT: EdgeController = { namespace: 'ingress-nginx', serviceAccount: 'ingress-nginx' };
/** The AKS application routing add-on's controller. */
export const AKS_APP_ROUTING_DEFAULT: EdgeController = { namespace: 'app-routing-system', serviceAccount: 'nginx' };

const PREFIX = 'nginx.ingress.kubernetes.io/';

/** Options of {@link Edge.ingressNginx}. */
export interface IngressNginxEdgeOptions extends EdgeOptions {
  /**
   * IngressClass of the controller. Use {@link AKS_APP_ROUTING_CLASS} for
   * the AKS application routing add-on (its controller is then the default).
   *
   * @default 'nginx'
   */
  readonly ingressClassName?: string;

  /**
   * Protocol between the controller and the model (through its sidecar):
   * `GRPC` for gRPC model servers such as Triton's gRPC port.
   *
   * @default 'HTTP'
   */
  readonly backendProtocol?: 'HTTP' | 'GRPC';

  /**
   * Declares that the controller's pods run with an Istio sidecar (their
   * namespace is enrolled in the mesh). The backend is STRICT mTLS and admits
   * the edge only through the controller's mesh principal, so a controller
   * without a sidecar is refused on every request. No stock install injects
   * one: label the controller's namespace for injection
   * (`istio.io/rev=<revision>` on the AKS Istio add-on, `istio-injection=enabled`
   * otherwise), set the pod annotation
   * `traffic.sidecar.istio.io/includeInboundPorts: ""` (the clients' traffic
   * stays with NGINX), restart the controller, then set this to `true`.
   *
   * For the AKS application routing add-on (`app-routing-system`), whose
   * managed pods have no sidecar and no documented Istio integration, leaving
   * this out is an error; prefer `Edge.istioGateway` with
   * `AKS_ISTIO_EXTERNAL_GATEWAY` there. For other controllers it is a warning.
   * `false` is always an error.
   *
   * @default - not stated: an error for the AKS application routing add-on, a warning otherwise
   */
  readonly controllerInMesh?: boolean;

  /**
   * Browser sign-in with oauth2-proxy (Entra ID, workload identity) in front
   * of the model; machine callers with a bearer token skip it.
   *
   * @default - no sign-in: callers send their own bearer token
   */
  readonly browserSignIn?: BrowserSignInOptions;
}

/**
 * The community ingress-nginx controller (or the AKS application routing
 * add-on) in front of the mesh: TLS with redirect, routing through the
 * Service (`service-upstream`, `upstream-vhost`) so the controller's sidecar
 * applies the mesh, limits suited to inference, and no snippet annotation.
 *
 * Legacy: ingress-nginx was retired upstream in March 2026 (no more
 * releases or security fixes), and the AKS application routing add-on's
 * managed NGINX is supported by Azure only through November 2026. Prefer an
 * Istio gateway (`Edge.istioGateway`) or the F5 NGINX Ingress Controller.
 *
 * The controller must run with an Istio sidecar (see `controllerInMesh`).
 * Redirects use the controller's `http-redirect-code` (308 by default) and
 * HSTS comes from its ConfigMap (`hsts`, on by default): neither can be set
 * per Ingress without a snippet, and no snippet is ever written.
 *
 * @see https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/
 */
export class IngressNginxEdge {
  constructor(private readonly options: IngressNginxEdgeOptions) {}

  public bind(ctx: EdgeBindContext): BoundEdge {
    const o = this.options;
    const className = o.ingressClassName ?? 'nginx';
    const controller = o.controller ?? (className === AKS_APP_ROUTING_CLASS ? AKS_APP_ROUTING_DEFAULT : INGRESS_NGINX_DEFAULT);
    const tls = o.tls?.bind?.(ctx.scope, ctx.namespace, ctx.labels);
    const annotations: Record<string, string> = {
      [`${PREFIX}ssl-redirect`]: 'true',
      [`${PREFIX}force-ssl-redirect`]: 'true',
      // load-balance to the Service, not pod IPs, and name it: the controller's sidecar then routes and secures it
      [`${PREFIX}service-upstream`]: 'true',
      [`${PREFIX}upstream-vhost`]: ctx.serviceHost,
      [`${PREFIX}backend-protocol`]: o.backendProtocol ?? 'HTTP',
      [`${PREFIX}proxy-body-size`]: `${maxBodyMebibytes(o)}m`,
      [`${PREFIX}proxy-read-timeout`]: String(readTimeoutSeconds(o, ctx)),
      [`${PREFIX}proxy-send-timeout`]: String(readTimeoutSeconds(o, ctx)),
    };
    if (o.rateLimit) {
      // per client IP and per controller replica
      annotations[`${PREFIX}limit-rps`] = String(o.rateLimit.requestsPerSecond);
      annotations[`${PREFIX}limit-burst-multiplier`] = String(o.rateLimit.burstMultiplier ?? DEFAULT_BURST_MULTIPLIER);
      if (o.rateLimit.connections !== undefined) annotations[`${PREFIX}limit-connections`] = String(o.rateLimit.connections);
    }
    if (o.sourceRanges?.length) annotations[`${PREFIX}whitelist-source-range`] = o.sourceRanges.join(',');
    // the sign-in proxy's own paths get the same TLS, redirect, limits and source ranges (minus external auth)
    const signIn = o.browserSignIn ? bindSignIn(o.browserSignIn, ctx, o.host, tls?.secretName, className, { ...annotations, [`${PREFIX}backend-protocol`]: 'HTTP' }, controller.namespace) : undefined;
    Object.assign(annotations, signIn?.annotations ?? {});

    const ingress = ingressObject(ctx.scope, 'Ingress', {
      metadata: { namespace: ctx.namespace, labels: { ...ctx.labels }, annotations },
      spec: {
        ingressClassName: className,
        tls: tls ? [{ hosts: [o.host], secretName: tls.secretName }] : [],
        rules: [{
          host: o.host,
          http: {
            paths: [{
              path: '/',
              pathType: 'Prefix',
              backend: { service: { name: ctx.serviceName, port: { number: ctx.servicePort } } },
            }],
          },
        }],
      },
    });
    const product = controller.namespace === AKS_APP_ROUTING_DEFAULT.namespace ? 'AKS application routing add-on' : 'ingress-nginx';
    const enrolment = meshEnrolmentChecks({ controllerInMesh: o.controllerInMesh, controller, product, managed: product !== 'ingress-nginx' });
    reportEdgeWarnings(ctx.scope, () => enrolment.warnings);
    return {
      host: o.host,
      uniquenessKey: `ingress-nginx/class:${className}`,
      meshPrincipals: [controllerPrincipal(controller)],
      sources: [{ namespace: controller.namespace }],
      backendProtocol: o.backendProtocol,
      apiObjects: [ingress, ...(signIn?.apiObjects ?? [])],
      problems: (): Problem[] => [
        ...edgeOptionProblems(o),
        ...enrolment.problems,
        ...(tls ? tls.problems() : []),
        ...(signIn ? signIn.problems() : []),
        ...(isDnsSubdomain(className) ? [] : [problem('edge.ingressClassName', 'an IngressClass name (DNS subdomain)', className)]),
        ...(o.backendProtocol === undefined || ['HTTP', 'GRPC'].includes(o.backendProtocol) ? [] : [problem('edge.backendProtocol', '"HTTP" or "GRPC"', o.backendProtocol)]),
      ],
    };
  }
}
