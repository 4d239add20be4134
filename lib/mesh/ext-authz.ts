import { Construct, IConstruct } from 'constructs';
import { ProblemCollector, problem } from '../errors';
import { KubeConfigMap } from '../imports/k8s';
import { compareStrings } from '../util/names';
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

const PROVIDERS = new WeakMap<IConstruct, Map<string, MeshExtensionProvider>>();

/** Records an external authorization provider an edge of the app needs in the mesh config. */
export function registerExtAuthzProvider(scope: IConstruct, provider: MeshExtensionProvider): void {
  const root = scope.node.root;
  let providers = PROVIDERS.get(root);
  if (!providers) {
    providers = new Map();
    PROVIDERS.set(root, providers);
  }
  providers.set(provider.name, provider);
}

/**
 * The external authorization providers (oauth2-proxy, for browser sign-in
 * on `Edge.istioGatewayApi`) the app of `scope` needs in the mesh config, by
 * name. Call it once the endpoints are declared; with self-managed Istio put
 * them in the installation's `meshConfig.extensionProviders` (Helm values of
 * `istiod`, or IstioOperator), e.g. by writing them to a values file.
 */
export function extAuthzExtensionProviders(scope: IConstruct): MeshExtensionProvider[] {
  return [...(PROVIDERS.get(scope.node.root)?.values() ?? [])].sort((a, b) => compareStrings(a.name, b.name));
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
