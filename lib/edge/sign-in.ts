import * as kplus from 'cdk8s-plus-28';
import { ApiObject, Size } from 'cdk8s';
import { Problem, problem } from '../errors';
import { MeshIdentityBinding } from '../identity/binding';
import { isDnsSubdomain } from '../util/names';
import { ingressObject } from './common';
import { EdgeBindContext } from './types';

/** The oauth2-proxy image used by default. */
/** The entra-id provider and --entra-id-federated-token-auth need oauth2-proxy 7.8.0 or later; pin a current release. */
export const DEFAULT_OAUTH2_PROXY_IMAGE = 'quay.io/oauth2-proxy/oauth2-proxy:v7.8.0';
const PORT = 4180;

/** Browser sign-in at the edge with oauth2-proxy and Microsoft Entra ID. */
export interface BrowserSignInOptions {
  /**
   * The workload identity oauth2-proxy runs as (`--entra-id-federated-token-auth`:
   * no client secret). Its client id is oauth2-proxy's `--client-id`, so it must
   * be the app registration users sign in to, federated with this
   * ServiceAccount, and listed in the endpoint's `audiences` (the ID token it
   * forwards carries it as `aud`). It must be in the endpoint's namespace.
   */
  readonly binding: MeshIdentityBinding;
  /**
   * The Secret and key holding oauth2-proxy's cookie secret (32 random bytes,
   * base64). The library only references it: no secret is ever written.
   */
  readonly cookieSecret: { readonly secretName: string; readonly key: string };
  /**
   * E-mail domains allowed to sign in.
   *
   * @default ['*'] - any account of the tenant; the mesh still checks callers
   */
  readonly emailDomains?: string[];
  /**
   * oauth2-proxy image.
   *
   * @default DEFAULT_OAUTH2_PROXY_IMAGE
   */
  readonly image?: string;
}

/** What the Ingress needs from the sign-in proxy. */
export interface BoundSignIn {
  /** Annotations for the protected Ingress. */
  readonly annotations: Record<string, string>;
  readonly apiObjects: ApiObject[];
  problems(): Problem[];
}

/**
 * Deploys oauth2-proxy (Entra ID provider, workload identity) next to the
 * endpoint and wires ingress-nginx's external auth to it. Machine callers
 * with a bearer token of the tenant for the endpoint's audiences skip it
 * (`--skip-jwt-bearer-tokens`, `--extra-jwt-issuers=<issuer>=<audience>`);
 * the mesh validates every token either way.
 *
 * @see https://oauth2-proxy.github.io/oauth2-proxy/configuration/providers/ms_entra_id
 */
export function bindSignIn(
  options: BrowserSignInOptions,
  ctx: EdgeBindContext,
  host: string,
  tlsSecretName: string | undefined,
  className: string,
  annotations: Record<string, string>,
): BoundSignIn {
  const b = options.binding;
  const clientId = b instanceof MeshIdentityBinding ? b.ids?.clientId : undefined;
  const v2 = ctx.tenant.issuers.find((i) => i.version === 'v2') ?? ctx.tenant.issuers[0];
  const extraIssuers = ctx.tenant.issuers.flatMap((i) => [...ctx.audiences].sort().map((aud) => `--extra-jwt-issuers=${i.issuer}=${aud}`));
  const args = [
    '--provider=entra-id',
    `--oidc-issuer-url=${ctx.tenant.v2Issuer}`,
    ...(clientId ? [`--client-id=${clientId}`] : []),
    '--entra-id-federated-token-auth=true',
    `--http-address=0.0.0.0:${PORT}`,
    '--reverse-proxy=true',
    '--upstream=static://202',
    '--set-xauthrequest=true',
    '--set-authorization-header=true',
    '--cookie-secure=true',
    '--skip-jwt-bearer-tokens=true',
    ...extraIssuers,
    ...(options.emailDomains ?? ['*']).map((d) => `--email-domain=${d}`),
  ];
  const deployment = new kplus.Deployment(ctx.scope, 'SignIn', {
    metadata: { namespace: ctx.namespace, labels: { ...ctx.labels } },
    replicas: 2,
    containers: [{
      name: 'oauth2-proxy',
      image: options.image ?? DEFAULT_OAUTH2_PROXY_IMAGE,
      args,
      ports: [{ number: PORT, name: 'http' }],
      resources: {
        cpu: { request: kplus.Cpu.millis(20), limit: kplus.Cpu.millis(200) },
        memory: { request: Size.mebibytes(32), limit: Size.mebibytes(128) },
      },
      envVariables: {
        OAUTH2_PROXY_COOKIE_SECRET: kplus.EnvValue.fromSecretValue({
          secret: kplus.Secret.fromSecretName(ctx.scope, 'CookieSecret', options.cookieSecret.secretName),
          key: options.cookieSecret.key,
        }),
      },
    }],
  });
  if (b instanceof MeshIdentityBinding) b.applyTo(deployment);
  const service = deployment.exposeViaService({ ports: [{ name: 'http', port: PORT, targetPort: PORT }] });
  // the proxy's own paths (/oauth2/start, /oauth2/callback) on the same host, without external auth
  const ingress = ingressObject(ctx.scope, 'SignInIngress', {
    metadata: {
      namespace: ctx.namespace,
      labels: { ...ctx.labels },
      // the edge's protections, routed (through the controller's sidecar) to the sign-in proxy's own Service
      annotations: { ...annotations, 'nginx.ingress.kubernetes.io/upstream-vhost': `${service.name}.${ctx.namespace}.svc.cluster.local` },
    },
    spec: {
      ingressClassName: className,
      tls: tlsSecretName ? [{ hosts: [host], secretName: tlsSecretName }] : [],
      rules: [{ host, http: { paths: [{ path: '/oauth2', pathType: 'Prefix', backend: { service: { name: service.name, port: { number: PORT } } } }] } }],
    },
  });
  return {
    annotations: {
      'nginx.ingress.kubernetes.io/auth-url': `http://${service.name}.${ctx.namespace}.svc.cluster.local:${PORT}/oauth2/auth`,
      'nginx.ingress.kubernetes.io/auth-signin': `https://${host}/oauth2/start?rd=$escaped_request_uri`,
      'nginx.ingress.kubernetes.io/auth-response-headers': 'Authorization,X-Auth-Request-User,X-Auth-Request-Email',
    },
    apiObjects: [ApiObject.of(deployment), ApiObject.of(service), ingress],
    problems: () => {
      const out: Problem[] = [];
      if (!(b instanceof MeshIdentityBinding)) {
        out.push(problem('edge.browserSignIn.binding', 'a MeshIdentityBinding (oauth2-proxy signs in with workload identity, no client secret)', b));
        return out;
      }
      if (b.namespace !== ctx.namespace) {
        out.push(problem('edge.browserSignIn.binding', `a binding in the endpoint's namespace "${ctx.namespace}"`, b.namespace, 'oauth2-proxy runs next to the endpoint as the binding\'s ServiceAccount'));
      }
      if (clientId !== undefined && !ctx.audiences.map((a) => a.toLowerCase()).includes(clientId.toLowerCase())) {
        out.push(problem('edge.browserSignIn.binding', `an identity whose client id is one of the endpoint's audiences (${[...ctx.audiences].join(', ')})`, clientId,
          'oauth2-proxy forwards the ID token it got for its own client id; add it to audiences'));
      }
      if (v2 === undefined || v2.version !== 'v2') {
        out.push(problem('edge.browserSignIn', 'used with a tenant that accepts v2 tokens', ctx.tenant.tokenVersion, 'oauth2-proxy\'s entra-id provider signs users in with the v2 endpoint'));
      }
      if (!isDnsSubdomain(options.cookieSecret?.secretName)) {
        out.push(problem('edge.browserSignIn.cookieSecret.secretName', 'the name of an existing Secret', options.cookieSecret?.secretName));
      }
      if (typeof options.cookieSecret?.key !== 'string' || !/^[-._a-zA-Z0-9]+$/.test(options.cookieSecret.key)) {
        out.push(problem('edge.browserSignIn.cookieSecret.key', 'a Secret key', options.cookieSecret?.key));
      }
      (options.emailDomains ?? []).forEach((d, i) => {
        if (typeof d !== 'string' || !/^(\*|[a-z0-9.-]+)$/.test(d)) out.push(problem(`edge.browserSignIn.emailDomains[${i}]`, 'a domain or "*"', d));
      });
      return out;
    },
  };
}
