import { Construct, IConstruct } from 'constructs';
import { Problem, ProblemCollector, problem } from '../errors';
import { KubeConfigMap } from '../imports/k8s';
import { canonicalJson, compareStrings } from '../util/names';
import { MeshProfile } from './profile';
import { MeshExtensionProvider, SharedMeshConfig } from './shared-mesh-config';

/** The oauth2-proxy service an Istio external authorization provider calls, for {@link oauth2ProxyExtAuthzProvider}. */
export interface Oauth2ProxyExtAuthzProviderOptions {
  /** The provider's name, which the `CUSTOM` AuthorizationPolicy names (`provider.name`). */
  readonly name: string;
  /** oauth2-proxy's Service host, `<service>.<namespace>.svc.cluster.local`. */
  readonly service: string;
  /** oauth2-proxy's Service port. */
  readonly port: number;
}

/**
 * The mesh-config extension provider that makes oauth2-proxy Envoy's HTTP
 * external authorization service (`envoyExtAuthzHttp`):
 *
 * - the check carries the request's `cookie` (oauth2-proxy's session) and
 *   `x-forwarded-proto` (Host, Method, Path and Content-Length always go);
 * - on allow, only `authorization` goes upstream: the ID token oauth2-proxy
 *   puts there (`--set-authorization-header`), which the gateway's and the
 *   backend's RequestAuthentication validate like any bearer token; a
 *   refreshed session cookie goes back to the browser (`set-cookie`);
 * - on deny, oauth2-proxy's answer goes to the browser (its 302 to Entra ID
 *   with `location`, always passed, and the CSRF cookie).
 *
 * Put it in the mesh config's `extensionProviders`: with self-managed Istio,
 * the installation's `meshConfig.extensionProviders` (see
 * {@link extAuthzExtensionProviders}); on the AKS Istio add-on,
 * {@link ExtAuthzMeshConfig} writes it to `istio-shared-configmap-<revision>`.
 *
 * @see https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/#MeshConfig-ExtensionProvider-EnvoyExternalAuthorizationHttpProvider
 * @see https://istio.io/latest/docs/tasks/security/authorization/authz-custom/
 */
export function oauth2ProxyExtAuthzProvider(options: Oauth2ProxyExtAuthzProviderOptions): MeshExtensionProvider {
  return {
    name: options.name,
    envoyExtAuthzHttp: {
      service: options.service,
      port: options.port,
      includeRequestHeadersInCheck: ['cookie', 'x-forwarded-proto'],
      headersToUpstreamOnAllow: ['authorization'],
      headersToDownstreamOnAllow: ['set-cookie'],
      headersToDownstreamOnDeny: ['content-type', 'set-cookie'],
    },
  };
}

/** A provider as one construct registered it. */
interface Registration {
  readonly provider: MeshExtensionProvider;
  /** The registering construct's path (the endpoint), for messages. */
  readonly source: string;
  readonly json: string;
}

const PROVIDERS = new WeakMap<IConstruct, Map<string, Registration[]>>();

/**
 * Records an external authorization provider an edge of the app needs in the
 * mesh config, and returns the problems of the registration (checked at
 * synth, once every endpoint is declared): Istio keeps one provider per name,
 * so a second registration of the name with other settings is an error,
 * reported by every registrant but the first and naming it. A registration
 * with the same settings is not (granting twice is idempotent).
 */
export function registerExtAuthzProvider(scope: IConstruct, provider: MeshExtensionProvider): () => Problem[] {
  const root = scope.node.root;
  let providers = PROVIDERS.get(root);
  if (!providers) {
    providers = new Map();
    PROVIDERS.set(root, providers);
  }
  const mine: Registration = { provider, source: scope.node.path, json: canonicalJson(provider) };
  providers.set(provider.name, [...(providers.get(provider.name) ?? []), mine]);
  return () => {
    const first = registrations(root, provider.name)[0];
    if (first === undefined || first === mine || first.json === mine.json) return [];
    return [problem('edge.browserSignIn', `an external authorization provider that no other endpoint registers with other settings (${first.source} registers "${provider.name}" `
      + `for ${describeProvider(first.provider)})`, `${provider.name} for ${describeProvider(provider)}`,
    'the mesh config keeps one provider per name, so one endpoint\'s gateway would send its users\' session cookies to the other endpoint\'s oauth2-proxy; '
      + 'put the endpoints\' Services in different namespaces or give them different names')];
  };
}

/** The registrations of one name, by construct path (the first names the provider the mesh config gets). */
function registrations(root: IConstruct, name: string): Registration[] {
  return [...(PROVIDERS.get(root)?.get(name) ?? [])].sort((a, b) => compareStrings(a.source, b.source));
}

/** `<service>:<port>` of an HTTP external authorization provider, else its settings. */
function describeProvider(provider: MeshExtensionProvider): string {
  const http = provider.envoyExtAuthzHttp as { service?: unknown; port?: unknown } | undefined;
  return http && typeof http.service === 'string' ? `${http.service}:${String(http.port)}` : canonicalJson(provider);
}

/**
 * The external authorization providers (oauth2-proxy, for browser sign-in
 * on `Edge.istioGatewayApi`) the app of `scope` needs in the mesh config, by
 * name. Call it once the endpoints are declared; with self-managed Istio put
 * them in the installation's `meshConfig.extensionProviders` (Helm values of
 * `istiod`, or IstioOperator), e.g. by writing them to a values file.
 */
export function extAuthzExtensionProviders(scope: IConstruct): MeshExtensionProvider[] {
  // one per name: the first registration by construct path (one with other settings is an error of its registrant)
  const root = scope.node.root;
  return [...(PROVIDERS.get(root)?.keys() ?? [])].map((name) => registrations(root, name)[0].provider).sort((a, b) => compareStrings(a.name, b.name));
}

/** Props of {@link ExtAuthzMeshConfig}. */
export interface ExtAuthzMeshConfigProps {
  /** The AKS Istio add-on profile (its revision names the ConfigMap). */
  readonly mesh: MeshProfile;
  /**
   * Other mesh-config settings to keep in the same ConfigMap (it holds the
   * revision's whole shared mesh config), merged with those of any other
   * construct that writes it (e.g. `AuditLogMeshConfig`).
   *
   * @default - none
   */
  readonly meshConfig?: Record<string, unknown>;
}

/**
 * The AKS Istio add-on's shared mesh config of a revision,
 * `istio-shared-configmap-<revision>` in `aks-istio-system`, with the
 * external authorization providers of the app's browser sign-ins
 * ({@link extAuthzExtensionProviders}, read at synth) in `extensionProviders`.
 * It writes one ConfigMap with `AuditLogMeshConfig` when both are declared
 * for the revision. For a canary upgrade, declare one for each revision
 * before upgrading. Extension providers are allowed by the add-on but are
 * outside its support scope.
 *
 * @see https://learn.microsoft.com/azure/aks/istio-meshconfig
 */
export class ExtAuthzMeshConfig extends Construct {
  /** The ConfigMap (shared with the other constructs that write the revision's mesh config). */
  public readonly configMap: KubeConfigMap;

  constructor(scope: Construct, id: string, props: ExtAuthzMeshConfigProps) {
    super(scope, id);
    const problems = new ProblemCollector(this);
    if (!(props.mesh instanceof MeshProfile) || !props.mesh.isAksIstioAddon) {
      problems.add(problem('mesh', 'MeshProfile.aksIstioAddon(...)', props.mesh instanceof MeshProfile ? props.mesh.name : props.mesh,
        'with self-managed Istio put extAuthzExtensionProviders(app) in the installation\'s meshConfig.extensionProviders'));
    } else {
      problems.add(...props.mesh.problems());
    }
    const extra = props.meshConfig ?? {};
    const declared = Array.isArray(extra.extensionProviders) ? (extra.extensionProviders as MeshExtensionProvider[]) : [];
    const revision = props.mesh instanceof MeshProfile ? props.mesh.revision ?? 'unknown' : 'unknown';
    const shared = SharedMeshConfig.of(this, revision).write(this, {
      source: this.node.path,
      meshConfig: extra,
      declaredProviders: declared,
      featureProviders: () => extAuthzExtensionProviders(this),
    });
    this.configMap = shared.configMap;
    if (shared.owner) problems.addAppCheck(() => SharedMeshConfig.of(this, revision).problems());
  }
}
