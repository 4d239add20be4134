/**
 * The public API of `cdk8s-azureml-mesh` (the package root). Every name is
 * listed in api/cdk8s-azureml-mesh.api.md (`npm run api:check` fails when the
 * surface drifts); helpers the modules share stay unexported here.
 */
export { Diagnostics, DiagnosticSeverity, MeshValidationError, PRINT_WARNINGS_CONTEXT, STRICT_CONTEXT } from './errors';
export type { Diagnostic } from './errors';
export type { Problem } from './errors';
export * from './entra/tenant';
export * from './entra/application';
export { Caller, CallerKind } from './callers/caller';
export type { CallerIdentity, ClaimCondition, IMeshWorkload } from './callers/caller';
export * from './endpoint/backend';
export * from './endpoint/secure-ml-endpoint';
export { LIST_CLAIMS } from './mesh/security';
export type { ClaimToHeader } from './mesh/security';
export { DEFAULT_CONNECTION_POOL, DEFAULT_OUTLIER_DETECTION } from './mesh/traffic';
export type { ModelDeployment, RetryOptions } from './mesh/traffic';
export { CallerSidecar } from './mesh/caller-sidecar';
export type { CallerSidecarProps } from './mesh/caller-sidecar';
export * from './azure/scope';
export * from './azure/role';
export * from './azure/plan';
export type { IAzureIdentity } from './azure/identity';
export * from './identity/managed-identity';
export { CLIENT_ID_ANNOTATION, HOLD_UNTIL_PROXY_STARTS, MeshIdentityBinding, PROXY_CONFIG_ANNOTATION, TENANT_ID_ANNOTATION, USE_LABEL } from './identity/binding';
export type { IMeshGrantee, MeshIdentityBindingProps } from './identity/binding';
export * from './identity/principal';
export { AccessModel, accessRows, resolveGrant } from './access/model';
export type {
  AccessDoor, AccessDoorKind, AccessEndpoint, AccessEndpointKind, AccessGrant, AccessModelDocument, AccessOperation, AccessRequirement, GrantContext,
} from './access/model';
export type { AccessMapRow } from './access/map-row';
export { ACCESS_MAP_FILES } from './access/model';
export { accessMapJson, accessMapMarkdown, accessMapMermaid, sortAccessMap } from './access/map';
export type { AccessMapJsonOptions, AccessMapMarkdownOptions } from './access/map';
export { accessMapFromManifests } from './access/from-manifests';
export type { AccessMapFromManifestsOptions } from './access/from-manifests';
export { DEFAULT_ROOT_NAMESPACES, ManifestError, ManifestSet } from './access/manifests';
export type { KubeObject, ManifestEntry, ManifestMetadata, ManifestSource, PodTemplateInfo } from './access/manifests';
export { ExplainError, explain, formatExplainResult } from './access/explain';
export type { ExplainDecision, ExplainHop, ExplainOptions, ExplainRequest, ExplainResult, ExplainTarget, ExplainToken } from './access/explain';
export { LINT_RULES, lint } from './cli/lint';
export type { LintFinding, LintLevel, LintOptions, LintRule } from './cli/lint';
export { MANAGED_BY_LABEL } from './util/names';
export * from './edge/types';
export * from './edge/edge';
export * from './edge/ingress-nginx';
export * from './edge/istio-gateway';
export * from './edge/nginx-ingress-controller';
export * from './edge/tls';
export { DEFAULT_MAX_BODY_SIZE } from './edge/common';
export { DEFAULT_OAUTH2_PROXY_IMAGE } from './edge/sign-in';
export type { BrowserSignInOptions } from './edge/sign-in';
export { AKS_ISTIO_ADDON_CONTROL_PLANE, AKS_ISTIO_CONTROL_PLANE_NAMESPACE, ISTIO_CONTROL_PLANE_NAMESPACE, MESH_PROFILE_CONTEXT, UPSTREAM_ISTIO_CONTROL_PLANE } from './egress/mesh-egress';
export type { ControlPlaneProfile } from './egress/mesh-egress';
export { DEPLOYMENT_HEADER, EgressTlsMode, ISTIO_EGRESS_GATEWAY, ManagedOnlineEndpoint, OnlineEndpointAuthMode } from './egress/managed-online-endpoint';
export type { DeploymentPin, EgressGateway, ManagedOnlineEndpointProps } from './egress/managed-online-endpoint';
export { MeshProfile, ISTIO_INJECTION_LABEL, ISTIO_REVISION_LABEL, SIDECAR_INJECT, NATIVE_SIDECAR_ANNOTATION } from './mesh/profile';
export type { IstioProfileOptions } from './mesh/profile';
export { MeshNamespace } from './endpoint/mesh-namespace';
export type { ExistingMeshNamespaceOptions, IMeshNamespace, MeshNamespaceProps } from './endpoint/mesh-namespace';
export { NAMESPACE_NAME_LABEL } from './endpoint/network-policy';
export type { NetworkSource } from './endpoint/network-policy';
export * from './mesh/audit-log';
export { ModelPodsFence } from './endpoint/azureml-model-pods';
export type { IServiceAccountObject, IServiceObject, IServicePortObject, IWorkloadObject, SubjectConfigurationObject } from './util/workload';
export * from './diagnostics';
export type { ModelPodsFenceProps } from './endpoint/azureml-model-pods';
export * from './endpoint/inference-pool';
export * from './edge/nginx-gateway-fabric';
export * from './edge/istio-gateway-api';
export { ExtAuthzMeshConfig, extAuthzExtensionProviders, oauth2ProxyExtAuthzProvider } from './mesh/ext-authz';
export type { ExtAuthzMeshConfigProps, Oauth2ProxyExtAuthzProviderOptions } from './mesh/ext-authz';
export type { MeshExtensionProvider } from './mesh/shared-mesh-config';
export { GATEWAY_NAME_LABEL, HTTPS_LISTENER, HTTP_LISTENER } from './edge/gateway-api';
export type { ExistingGatewayOptions, GatewayApiEdgeOptions, GatewayApiGatewayOptions } from './edge/gateway-api';
