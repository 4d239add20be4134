/**
 * Issue 11 item 15: an audit log of who called what, with the decision,
 * wired as Istio expects (mesh-config provider + Telemetry).
 */
import { Chart, Testing } from 'cdk8s';
import { parse } from 'yaml';
import {
  AUDIT_LOG_FIELDS, AUDIT_LOG_PROVIDER, AuditLogMeshConfig, Caller, EndpointBackend, EntraTenant, MeshProfile, SecureMlEndpoint, auditLogExtensionProvider,
} from '../../lib';
import { formatViolations, sharedValidator } from '../conformance/validator';
import { one, synthApp } from '../util';

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';

describe('audit log', () => {
  test('the format names the caller, the request and the decision, and never a token or query string', () => {
    const fields = Object.keys(AUDIT_LOG_FIELDS);
    expect(fields).toEqual(expect.arrayContaining(['peer_principal', 'request_principal', 'token_sub', 'token_oid', 'token_azp', 'token_appid',
      'method', 'path', 'response_code', 'response_code_details']));
    const all = Object.values(AUDIT_LOG_FIELDS).join(' ');
    expect(all).not.toMatch(/authorization|x-entra|%REQ\(:PATH\)%|%REQ\(X-ENVOY-ORIGINAL-PATH\?:PATH\)%/i);
    expect(AUDIT_LOG_FIELDS.path).toBe('%REQ_WITHOUT_QUERY(X-ENVOY-ORIGINAL-PATH?:PATH)%');
    expect(auditLogExtensionProvider()).toEqual({ name: AUDIT_LOG_PROVIDER, envoyFileAccessLog: { path: '/dev/stdout', logFormat: { labels: AUDIT_LOG_FIELDS } } });
  });

  test('auditLog: true enables the provider in the endpoint\'s Telemetry', () => {
    const { manifests } = synthApp((app) => new SecureMlEndpoint(new Chart(app, 'c', { namespace: 'ml' }), 'E', {
      backend: EndpointBackend.service({ name: 'm', port: 80, selector: { app: 'm' } }),
      tenant: new EntraTenant({ tenantId: TID }), audiences: ['0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5'], callers: [Caller.appRole('A')], auditLog: true,
    }));
    expect(one(manifests, 'Telemetry').spec.accessLogging).toEqual([{ providers: [{ name: AUDIT_LOG_PROVIDER }, { name: 'envoy' }] }]);
  });

  test('AuditLogMeshConfig writes the AKS add-on\'s revision-specific shared ConfigMap, keeping other settings', () => {
    const { manifests } = synthApp((app) => new AuditLogMeshConfig(new Chart(app, 'mesh'), 'Audit', {
      mesh: MeshProfile.aksIstioAddon('asm-1-28'),
      meshConfig: { accessLogFile: '/dev/stdout' },
    }));
    const cm = one(manifests, 'ConfigMap');
    expect(cm.metadata).toMatchObject({ name: 'istio-shared-configmap-asm-1-28', namespace: 'aks-istio-system' });
    const mesh = parse((cm as any).data.mesh) as any;
    expect(mesh.accessLogFile).toBe('/dev/stdout');
    expect(mesh.extensionProviders).toEqual([auditLogExtensionProvider()]);
    const violations = sharedValidator().validateAll(manifests);
    if (violations.length) throw new Error(formatViolations(violations));
  });

  test('fails for self-managed Istio, whose mesh config belongs to its installation', () => {
    const app = Testing.app();
    new AuditLogMeshConfig(new Chart(app, 'mesh'), 'Audit', { mesh: MeshProfile.istio() });
    expect(() => app.synthYaml()).toThrow(/\[mesh\/Audit\] mesh must be MeshProfile\.aksIstioAddon\(\.\.\.\), got "istio"; with self-managed Istio put auditLogExtensionProvider\(\) in/);
  });
});
