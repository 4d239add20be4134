import { Construct } from 'constructs';
import { ProblemCollector, problem } from '../errors';
import { KubeConfigMap } from '../imports/k8s';
import { MeshProfile } from './profile';
import { MeshExtensionProvider, SharedMeshConfig } from './shared-mesh-config';

/** Name of the audit access-log provider in the mesh config (`extensionProviders`). */
export const AUDIT_LOG_PROVIDER = 'cdk8s-azureml-mesh-audit';

/**
 * The audit log's fields (JSON, one line per request), as Envoy access-log
 * command operators: who called (mesh peer and token claims), what (method,
 * path without query, host), and the authorization decision (response code
 * and details: `rbac_access_denied_matched_policy[...]` names the policy that
 * denied). Token claims come from the metadata Istio's authentication filter
 * writes (`istio_authn`); each prints as a JSON list, `-` when absent. No
 * header that carries a token, and no query string, is ever logged.
 *
 * @see https://www.envoyproxy.io/docs/envoy/latest/configuration/observability/access_log/usage#command-operators
 */
export const AUDIT_LOG_FIELDS: Readonly<Record<string, string>> = Object.freeze({
  start_time: '%START_TIME%',
  peer_principal: '%DOWNSTREAM_PEER_URI_SAN%',
  request_principal: '%DYNAMIC_METADATA(istio_authn:request.auth.principal)%',
  token_sub: '%DYNAMIC_METADATA(istio_authn:request.auth.claims:sub)%',
  token_oid: '%DYNAMIC_METADATA(istio_authn:request.auth.claims:oid)%',
  token_azp: '%DYNAMIC_METADATA(istio_authn:request.auth.claims:azp)%',
  token_appid: '%DYNAMIC_METADATA(istio_authn:request.auth.claims:appid)%',
  method: '%REQ(:METHOD)%',
  path: '%REQ_WITHOUT_QUERY(X-ENVOY-ORIGINAL-PATH?:PATH)%',
  authority: '%REQ(:AUTHORITY)%',
  response_code: '%RESPONSE_CODE%',
  response_code_details: '%RESPONSE_CODE_DETAILS%',
  response_flags: '%RESPONSE_FLAGS%',
  upstream_host: '%UPSTREAM_HOST%',
  duration_ms: '%DURATION%',
  request_id: '%REQ(X-REQUEST-ID)%',
});

/**
 * The mesh-config extension provider for the audit log: an Envoy file access
 * log to the proxy's stdout in JSON. Put it in `meshConfig.extensionProviders`
 * (Istio's Helm values or IstioOperator), or let {@link AuditLogMeshConfig}
 * write the AKS Istio add-on's shared ConfigMap.
 *
 * @see https://istio.io/latest/docs/tasks/observability/logs/access-log/
 */
export function auditLogExtensionProvider(): Record<string, unknown> {
  return {
    name: AUDIT_LOG_PROVIDER,
    envoyFileAccessLog: { path: '/dev/stdout', logFormat: { labels: { ...AUDIT_LOG_FIELDS } } },
  };
}

/** Props of {@link AuditLogMeshConfig}. */
export interface AuditLogMeshConfigProps {
  /** The AKS Istio add-on profile (its revision names the ConfigMap). */
  readonly mesh: MeshProfile;
  /**
   * Other mesh-config settings to keep in the same ConfigMap: the ConfigMap
   * holds the whole shared mesh config of the revision, so anything set there
   * by hand must be declared here too.
   *
   * @default - none
   */
  readonly meshConfig?: Record<string, unknown>;
}

/**
 * The AKS Istio add-on's revision-specific mesh config,
 * `istio-shared-configmap-<revision>` in `aks-istio-system`, with the audit
 * log provider in `extensionProviders`. Only for the AKS add-on: with
 * self-managed Istio the mesh config belongs to its installation (Helm
 * values `meshConfig.extensionProviders`, see {@link auditLogExtensionProvider}).
 *
 * @see https://learn.microsoft.com/azure/aks/istio-meshconfig
 */
export class AuditLogMeshConfig extends Construct {
  /** The ConfigMap. */
  public readonly configMap: KubeConfigMap;

  constructor(scope: Construct, id: string, props: AuditLogMeshConfigProps) {
    super(scope, id);
    const problems = new ProblemCollector(this);
    if (!(props.mesh instanceof MeshProfile) || !props.mesh.isAksIstioAddon) {
      problems.add(problem('mesh', 'MeshProfile.aksIstioAddon(...)', props.mesh instanceof MeshProfile ? props.mesh.name : props.mesh,
        'with self-managed Istio put auditLogExtensionProvider() in the installation\'s meshConfig.extensionProviders'));
    } else {
      problems.add(...props.mesh.problems());
    }
    const extra = props.meshConfig ?? {};
    const others = Array.isArray(extra.extensionProviders) ? (extra.extensionProviders as Array<{ name?: string }>) : [];
    if (others.some((p) => p?.name === AUDIT_LOG_PROVIDER)) {
      problems.add(problem('meshConfig.extensionProviders', `providers other than "${AUDIT_LOG_PROVIDER}" (it is added here)`, AUDIT_LOG_PROVIDER));
    }
    const revision = props.mesh instanceof MeshProfile ? props.mesh.revision ?? 'unknown' : 'unknown';
    // one ConfigMap per revision: other features writing the shared mesh config (browser sign-in) merge into it
    const shared = SharedMeshConfig.of(this, revision).write(this, {
      source: this.node.path,
      meshConfig: extra,
      declaredProviders: others as MeshExtensionProvider[],
      featureProviders: () => [auditLogExtensionProvider() as MeshExtensionProvider],
    });
    this.configMap = shared.configMap;
    if (shared.owner) problems.addAppCheck(() => SharedMeshConfig.of(this, revision).problems());
  }
}
