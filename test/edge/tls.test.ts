import { App, Chart, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { parse } from 'yaml';
import {
  AzurePlan,
  AzureScope,
  BoundKeyVaultCertificate,
  KeyVaultCertificateOptions,
  ManagedIdentity,
  MeshIdentityBinding,
  MeshValidationError,
  RESOLVED_IDENTITIES_CONTEXT,
  TlsCertificate,
} from '../../lib';
import { sharedValidator } from '../conformance/validator';
import { Manifest, ofKind, one } from '../util';

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const SUB = '6c2f4e1a-9b8d-4c7e-a5f3-2d1b0e9c8a7f';
const ISSUER = `https://westeurope.oic.prod-aks.azure.com/${TID}/1b2c3d4e-5f60-4a1b-9c2d-3e4f5a6b7c8d/`;
const IDS = { clientId: '5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d', principalId: '9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b' };
const KEY_VAULT_SECRETS_USER = '4633458b-17de-408a-b874-0445c86b69e6';
const VAULT = AzureScope.keyVault({ subscriptionId: SUB, resourceGroup: 'edge-prod', vault: 'kv-edge-prod' });
const LABELS = { 'app.kubernetes.io/managed-by': 'cdk8s-azureml-mesh', 'app.kubernetes.io/name': 'fraud' };

function fraudChart(app: App = Testing.app()): Chart {
  return new Chart(app, 'x', { namespace: 'fraud' });
}

function edgeBinding(chart: Chart, identity = ManagedIdentity.existing(IDS)): MeshIdentityBinding {
  return new MeshIdentityBinding(chart, 'EdgeCerts', { identity, oidcIssuerUrl: ISSUER, serviceAccountName: 'edge-certs' });
}

function keyVaultOptions(binding: MeshIdentityBinding, overrides: Partial<KeyVaultCertificateOptions> = {}): KeyVaultCertificateOptions {
  return { vault: VAULT, certificateName: 'fraud-contoso-com', binding, tenantId: TID, ...overrides };
}

function messages(bound: { problems(): Array<{ message: string }> }): string[] {
  return bound.problems().map((p) => p.message);
}

function keyVaultRoleAssignments(chart: Chart) {
  return AzurePlan.of(chart).toJson().roleAssignments.filter((a) => a.roleDefinitionId.endsWith(`/${KEY_VAULT_SECRETS_USER}`));
}

describe('TlsCertificate.fromKeyVault', () => {
  test('renders a SecretProviderClass that syncs the certificate into a kubernetes.io/tls Secret with workload identity', () => {
    // GIVEN
    const chart = fraudChart();
    const binding = edgeBinding(chart);
    // WHEN
    const bound = TlsCertificate.fromKeyVault(keyVaultOptions(binding)).bind(chart, 'fraud', LABELS) as BoundKeyVaultCertificate;
    // THEN
    const manifests = Testing.synth(chart) as Manifest[];
    expect(manifests).toMatchSnapshot();
    // the sync pod serves nothing: a NetworkPolicy admits no ingress to it; it runs as the pause image's user
    const sync = one(manifests, 'Deployment');
    expect(one(manifests, 'NetworkPolicy').spec).toEqual({
      podSelector: { matchLabels: sync.spec.selector.matchLabels }, policyTypes: ['Ingress'], ingress: [],
    });
    expect(sync.spec.template.spec.containers[0].securityContext).toMatchObject({ runAsUser: 65535, runAsGroup: 65535, runAsNonRoot: true });
    expect(sync.spec.template.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'keyvault-certificate-sync', 'app.kubernetes.io/version': '3.9' });
    const spc = one(manifests, 'SecretProviderClass');
    expect(spc.apiVersion).toBe('secrets-store.csi.x-k8s.io/v1');
    expect(spc.metadata.namespace).toBe('fraud');
    expect(spc.metadata.labels).toEqual(LABELS);
    expect(spc.metadata.name).toBe(bound.secretProviderClassName);
    expect(spc.spec.provider).toBe('azure');
    expect(spc.spec.parameters).toEqual({
      usePodIdentity: 'false',
      useVMManagedIdentity: 'false',
      clientID: IDS.clientId,
      keyvaultName: 'kv-edge-prod',
      tenantId: TID,
      objects: 'array:\n  - |\n    objectName: fraud-contoso-com\n    objectType: secret\n',
    });
    // the Azure provider reads a map of strings
    expect(Object.values(spc.spec.parameters).every((v) => typeof v === 'string')).toBe(true);
    expect(spc.spec.secretObjects).toEqual([{
      secretName: 'fraud-contoso-com-tls',
      type: 'kubernetes.io/tls',
      data: [
        { objectName: 'fraud-contoso-com', key: 'tls.key' },
        { objectName: 'fraud-contoso-com', key: 'tls.crt' },
      ],
    }]);
    expect(bound.secretName).toBe('fraud-contoso-com-tls');
    expect(bound.problems()).toEqual([]);
  });

  test('keeps the Secret synced with a pause Deployment that mounts the class as the binding ServiceAccount', () => {
    const chart = fraudChart();
    const binding = edgeBinding(chart);
    const bound = TlsCertificate.fromKeyVault(keyVaultOptions(binding)).bind(chart, 'fraud', LABELS) as BoundKeyVaultCertificate;
    const deployment = one(Testing.synth(chart) as Manifest[], 'Deployment');
    const pod = deployment.spec.template;
    expect(deployment.metadata.namespace).toBe('fraud');
    expect(pod.spec.serviceAccountName).toBe(binding.serviceAccountName);
    expect(pod.metadata.labels['azure.workload.identity/use']).toBe('true');
    expect(pod.spec.volumes).toEqual([{
      name: 'certificate',
      csi: { driver: 'secrets-store.csi.k8s.io', readOnly: true, volumeAttributes: { secretProviderClass: bound.secretProviderClassName } },
    }]);
    expect(pod.spec.containers[0].image).toBe('mcr.microsoft.com/oss/kubernetes/pause:3.9');
    expect(pod.spec.containers[0].volumeMounts).toEqual([{ mountPath: '/mnt/secrets-store', name: 'certificate', readOnly: true }]);
  });

  test('no sync Deployment when a workload of yours mounts the class', () => {
    const chart = fraudChart();
    TlsCertificate.fromKeyVault({ ...keyVaultOptions(edgeBinding(chart)), syncDeployment: false }).bind(chart, 'fraud', LABELS);
    expect((Testing.synth(chart) as Manifest[]).filter((m) => m.kind === 'Deployment')).toEqual([]);
  });

  test('the objects parameter parses as the provider parses it: one object of type secret (private key and chain as PEM)', () => {
    const chart = fraudChart();
    TlsCertificate.fromKeyVault(keyVaultOptions(edgeBinding(chart))).bind(chart, 'fraud', {});
    const spc = one(Testing.synth(chart) as Manifest[], 'SecretProviderClass');
    const outer = parse(spc.spec.parameters.objects) as { array: string[] };
    expect(outer.array).toHaveLength(1);
    expect(parse(outer.array[0])).toEqual({ objectName: 'fraud-contoso-com', objectType: 'secret' });
  });

  test('grants Key Vault Secrets User on the certificate\'s secret only (not the vault) to the binding identity, as a service principal', () => {
    const chart = fraudChart();
    const binding = edgeBinding(chart);
    TlsCertificate.fromKeyVault(keyVaultOptions(binding)).bind(chart, 'fraud', LABELS);
    const assignments = keyVaultRoleAssignments(chart);
    expect(assignments).toHaveLength(1);
    expect(assignments[0]).toMatchObject({
      // the secret behind the certificate (same name): the only object the provider reads
      scope: `/subscriptions/${SUB}/resourceGroups/edge-prod/providers/Microsoft.KeyVault/vaults/kv-edge-prod/secrets/fraud-contoso-com`,
      roleDefinitionId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${KEY_VAULT_SECRETS_USER}`,
      roleName: 'Key Vault Secrets User',
      principalType: 'ServicePrincipal',
      principalId: IDS.principalId,
      requestedBy: [binding.node.path],
    });
    // nothing on the vault itself, nothing wider
    expect(AzurePlan.of(chart).toJson().roleAssignments.map((a) => a.scope)).toEqual([
      `/subscriptions/${SUB}/resourceGroups/edge-prod/providers/Microsoft.KeyVault/vaults/kv-edge-prod/secrets/fraud-contoso-com`,
    ]);
  });

  test('validates against the official SecretProviderClass CRD', () => {
    const chart = fraudChart();
    TlsCertificate.fromKeyVault(keyVaultOptions(edgeBinding(chart))).bind(chart, 'fraud', LABELS);
    const objects = ofKind(Testing.synth(chart) as Manifest[], 'SecretProviderClass');
    expect(objects).toHaveLength(1);
    expect(sharedValidator().validateAll(objects)).toEqual([]);
  });

  test('a given secretName names the synced Secret; upper-case certificate names default to a lower-case Secret name', () => {
    const chart = fraudChart();
    const binding = edgeBinding(chart);
    const custom = TlsCertificate.fromKeyVault(keyVaultOptions(binding, { secretName: 'fraud-edge-tls' })).bind(chart, 'fraud', {});
    const defaulted = TlsCertificate.fromKeyVault(keyVaultOptions(binding, { certificateName: 'Fraud-Contoso-Com' })).bind(new Construct(chart, 'second'), 'fraud', {});
    expect(custom.secretName).toBe('fraud-edge-tls');
    expect(defaulted.secretName).toBe('fraud-contoso-com-tls');
    const spcs = ofKind(Testing.synth(chart) as Manifest[], 'SecretProviderClass');
    expect(spcs.map((s) => s.spec.secretObjects[0].secretName).sort()).toEqual(['fraud-contoso-com-tls', 'fraud-edge-tls']);
    // the vault object keeps its own name (Key Vault names compare case-insensitively)
    expect(spcs.map((s) => s.spec.secretObjects[0].data[0].objectName).sort()).toEqual(['Fraud-Contoso-Com', 'fraud-contoso-com']);
    expect([...custom.problems(), ...defaulted.problems()]).toEqual([]);
  });

  test('one SecretProviderClass per edge, and one role assignment however many edges use the certificate', () => {
    const chart = fraudChart();
    const binding = edgeBinding(chart);
    const certificate = TlsCertificate.fromKeyVault(keyVaultOptions(binding));
    certificate.bind(new Construct(chart, 'EdgeA'), 'fraud', {});
    certificate.bind(new Construct(chart, 'EdgeB'), 'fraud', {});
    expect(ofKind(Testing.synth(chart) as Manifest[], 'SecretProviderClass')).toHaveLength(2);
    expect(keyVaultRoleAssignments(chart)).toHaveLength(1);
    const scope = new Construct(chart, 'EdgeC');
    certificate.bind(scope, 'fraud', {});
    expect(() => certificate.bind(scope, 'fraud', {})).toThrow(/TlsCertificate/);
  });

  test('a created identity whose ids are not resolved: no clientID (the mount fails closed), role assignment by principalRef', () => {
    const chart = fraudChart();
    const identity = ManagedIdentity.create({ name: 'edge-certs', resourceGroup: 'edge-prod', subscriptionId: SUB, location: 'westeurope' });
    TlsCertificate.fromKeyVault(keyVaultOptions(edgeBinding(chart, identity))).bind(chart, 'fraud', {});
    const spc = one(Testing.synth(chart) as Manifest[], 'SecretProviderClass');
    expect(spc.spec.parameters).not.toHaveProperty('clientID');
    // never the node's or another identity
    expect(spc.spec.parameters.usePodIdentity).toBe('false');
    expect(spc.spec.parameters.useVMManagedIdentity).toBe('false');
    expect(spc.spec.parameters).not.toHaveProperty('userAssignedIdentityID');
    const [assignment] = keyVaultRoleAssignments(chart);
    expect(assignment.principalRef).toBe(identity.ref);
    expect(assignment.principalId).toBeUndefined();
    expect(assignment.principalType).toBe('ServicePrincipal');
  });

  test('a created identity resolved by the deployment tool: clientID is its client id', () => {
    const app = Testing.app();
    const identity = ManagedIdentity.create({ name: 'edge-certs', resourceGroup: 'edge-prod', subscriptionId: SUB, location: 'westeurope' });
    app.node.setContext(RESOLVED_IDENTITIES_CONTEXT, { [identity.ref]: IDS });
    const chart = fraudChart(app);
    TlsCertificate.fromKeyVault(keyVaultOptions(edgeBinding(chart, identity))).bind(chart, 'fraud', {});
    expect(one(Testing.synth(chart) as Manifest[], 'SecretProviderClass').spec.parameters.clientID).toBe(IDS.clientId);
    expect(keyVaultRoleAssignments(chart)[0].principalId).toBe(IDS.principalId);
  });

  test('tenantId is written in lower case', () => {
    const chart = fraudChart();
    TlsCertificate.fromKeyVault(keyVaultOptions(edgeBinding(chart), { tenantId: TID.toUpperCase() })).bind(chart, 'fraud', {});
    expect(one(Testing.synth(chart) as Manifest[], 'SecretProviderClass').spec.parameters.tenantId).toBe(TID);
  });

  test('fails for a vault scope that is not a Key Vault, and grants nothing', () => {
    const chart = fraudChart();
    const vault = AzureScope.resourceGroup(SUB, 'edge-prod');
    const bound = TlsCertificate.fromKeyVault(keyVaultOptions(edgeBinding(chart), { vault })).bind(chart, 'fraud', {});
    expect(messages(bound)).toEqual([
      `edge.tls.vault must be a Key Vault scope, got "/subscriptions/${SUB}/resourceGroups/edge-prod"; use AzureScope.keyVault({ subscriptionId, resourceGroup, vault }); Key Vault Secrets User is granted on the certificate's secret in that vault only`,
    ]);
    expect(keyVaultRoleAssignments(chart)).toEqual([]);
  });

  test('fails for a malformed vault name, and grants nothing', () => {
    const chart = fraudChart();
    const vault = AzureScope.keyVault({ subscriptionId: SUB, resourceGroup: 'edge-prod', vault: 'kv_edge' });
    const bound = TlsCertificate.fromKeyVault(keyVaultOptions(edgeBinding(chart), { vault })).bind(chart, 'fraud', {});
    expect(messages(bound)).toHaveLength(1);
    expect(messages(bound)[0]).toMatch(/^edge\.tls\.vault key vault segment must be 3-24 letters, digits or "-".*, got "kv_edge"; in \/subscriptions\//);
    expect(keyVaultRoleAssignments(chart)).toEqual([]);
  });

  test('fails for certificate names Key Vault rejects', () => {
    const chart = fraudChart();
    const binding = edgeBinding(chart);
    const dotted = TlsCertificate.fromKeyVault(keyVaultOptions(binding, { certificateName: 'fraud.contoso.com', secretName: 'fraud-tls' })).bind(new Construct(chart, 'a'), 'fraud', {});
    const long = TlsCertificate.fromKeyVault(keyVaultOptions(binding, { certificateName: 'c'.repeat(128), secretName: 'fraud-tls' })).bind(new Construct(chart, 'b'), 'fraud', {});
    expect(messages(dotted)).toEqual([
      'edge.tls.certificateName must be a Key Vault certificate name (1-127 letters, digits or "-"), got "fraud.contoso.com"; the name of the certificate in the vault, not its id or URL',
    ]);
    expect(messages(long)).toEqual([expect.stringMatching(/^edge\.tls\.certificateName must be a Key Vault certificate name \(1-127 letters, digits or "-"\), got "c{128}"/)]);
  });

  test('fails for a Secret name that is not a DNS subdomain, given or defaulted', () => {
    const chart = fraudChart();
    const binding = edgeBinding(chart);
    const given = TlsCertificate.fromKeyVault(keyVaultOptions(binding, { secretName: 'Fraud_TLS' })).bind(new Construct(chart, 'a'), 'fraud', {});
    const defaulted = TlsCertificate.fromKeyVault(keyVaultOptions(binding, { certificateName: '-fraud' })).bind(new Construct(chart, 'b'), 'fraud', {});
    expect(messages(given)).toEqual([
      'edge.tls.secretName must be a DNS subdomain (lowercase letters, digits, "-", ".", at most 253), got "Fraud_TLS"; the name of the Secret the driver syncs',
    ]);
    expect(messages(defaulted)).toEqual([
      'edge.tls.secretName must be a DNS subdomain (lowercase letters, digits, "-", ".", at most 253), got "-fraud-tls"; it defaults to "<certificateName>-tls"; set secretName',
    ]);
  });

  test('fails for a tenantId that is not a GUID', () => {
    const chart = fraudChart();
    const bound = TlsCertificate.fromKeyVault(keyVaultOptions(edgeBinding(chart), { tenantId: 'contoso.onmicrosoft.com' })).bind(chart, 'fraud', {});
    expect(messages(bound)).toEqual([
      'edge.tls.tenantId must be a GUID, got "contoso.onmicrosoft.com"; use the Directory (tenant) ID of the vault\'s tenant',
    ]);
  });

  test('fails for a binding in another namespace than the edge: pods of the edge namespace could not mount the class', () => {
    const app = Testing.app();
    const binding = edgeBinding(new Chart(app, 'certs', { namespace: 'certs' }));
    const chart = fraudChart(app);
    const bound = TlsCertificate.fromKeyVault(keyVaultOptions(binding)).bind(chart, 'fraud', {});
    expect(messages(bound)).toEqual([
      'edge.tls.binding.namespace must be the edge\'s namespace "fraud", got "certs"; a SecretProviderClass can only be mounted by pods of its own namespace, '
        + 'and the pod that mounts it must run as the binding\'s ServiceAccount; bind an identity in that namespace',
    ]);
  });

  test('fails without a MeshIdentityBinding', () => {
    const chart = fraudChart();
    const bound = TlsCertificate.fromKeyVault({ vault: VAULT, certificateName: 'fraud-contoso-com', tenantId: TID } as unknown as KeyVaultCertificateOptions)
      .bind(chart, 'fraud', {});
    expect(messages(bound)).toEqual(['edge.tls.binding must be a MeshIdentityBinding, got undefined; the workload identity that reads the vault']);
  });

  test('fails closed: a bad declaration never renders its SecretProviderClass', () => {
    const chart = fraudChart();
    TlsCertificate.fromKeyVault(keyVaultOptions(edgeBinding(chart), { tenantId: 'contoso.com' })).bind(chart, 'fraud', {});
    expect(() => chart.toJson()).toThrow(MeshValidationError);
    expect(() => chart.toJson()).toThrow(/x\/TlsCertificate: edge\.tls\.tenantId must be a GUID, got "contoso\.com"/);
  });
});

describe('TlsCertificate.fromSecret', () => {
  test('names an existing Secret and creates nothing', () => {
    const chart = fraudChart();
    const bound = TlsCertificate.fromSecret('fraud-contoso-com-tls').bind(chart, 'fraud', LABELS);
    expect(bound.secretName).toBe('fraud-contoso-com-tls');
    expect(bound.problems()).toEqual([]);
    expect(Testing.synth(chart)).toEqual([]);
    expect(AzurePlan.of(chart).toJson().roleAssignments).toEqual([]);
  });

  test('fails for a Secret name that is not a DNS subdomain', () => {
    const bound = TlsCertificate.fromSecret('Fraud_TLS').bind(fraudChart(), 'fraud', {});
    expect(messages(bound)).toEqual([
      'edge.tls.secretName must be a DNS subdomain (lowercase letters, digits, "-", ".", at most 253), got "Fraud_TLS"; the name of an existing kubernetes.io/tls Secret in the edge\'s namespace',
    ]);
  });
});
