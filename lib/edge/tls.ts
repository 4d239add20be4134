import { Construct } from 'constructs';
import { AzureRole } from '../azure/role';
import { AzureScope, ScopeKind } from '../azure/scope';
import { MeshValidationError, Problem, problem } from '../errors';
import { MeshIdentityBinding } from '../identity/binding';
import * as k8s from '../imports/k8s';
import { SecretProviderClass, SecretProviderClassProps } from '../imports/secrets-store.csi.x-k8s.io';
import { OwnDeployment, imageVersionLabel, ownContainer } from '../util/kube-objects';
import { isDnsSubdomain, isGuid } from '../util/names';
import { BoundTlsCertificate, ITlsCertificate } from './types';

/** Provider name of the Azure Key Vault provider for the Secrets Store CSI driver. */
export const AZURE_KEY_VAULT_PROVIDER = 'azure';
/** The CSI driver name a pod's volume names to mount a SecretProviderClass. */
export const SECRETS_STORE_CSI_DRIVER = 'secrets-store.csi.k8s.io';

/** A Key Vault object name: 1-127 letters, digits and `-`. */
const KEY_VAULT_OBJECT_NAME = /^[a-zA-Z0-9-]{1,127}$/;
const DNS_SUBDOMAIN_RULE = 'a DNS subdomain (lowercase letters, digits, "-", ".", at most 253)';

/** Options of {@link TlsCertificate.fromKeyVault}. */
export interface KeyVaultCertificateOptions {
  /** The vault, as a typed scope: `AzureScope.keyVault({ subscriptionId, resourceGroup, vault })`. */
  readonly vault: AzureScope;

  /**
   * Name of the certificate in the vault (1-127 letters, digits or `-`).
   * The Key Vault secret of the same name holds the private key and the
   * certificate chain.
   */
  readonly certificateName: string;

  /**
   * The workload identity that reads the vault: it gets Key Vault Secrets
   * User on the certificate's secret only
   * (`<vault id>/secrets/<certificateName>`), not on the vault. It must be in
   * the edge's namespace, and the pod that
   * mounts the SecretProviderClass must run as its ServiceAccount
   * (`binding.applyTo(workload)`).
   */
  readonly binding: MeshIdentityBinding;

  /**
   * Name of the synced `kubernetes.io/tls` Secret.
   *
   * @default - `<certificateName>-tls`, in lower case
   */
  readonly secretName?: string;

  /**
   * Directory (tenant) ID of the vault, a GUID. The Azure provider needs it to
   * request a token; it is not read from the binding.
   */
  readonly tenantId: string;

  /**
   * Create a minimal Deployment (one `pause` container, running as the
   * binding's ServiceAccount) that mounts the SecretProviderClass, so the
   * driver creates and keeps syncing the Secret. Turn it off when a workload
   * of yours already mounts the class (`secretProviderClassName`).
   *
   * @default true
   */
  readonly syncDeployment?: boolean;

  /**
   * Image of the sync Deployment's container.
   *
   * @default 'mcr.microsoft.com/oss/kubernetes/pause:3.9'
   */
  readonly syncImage?: string;
}

/** The image of the Deployment that keeps a Key Vault certificate synced. */
export const DEFAULT_SYNC_IMAGE = 'mcr.microsoft.com/oss/kubernetes/pause:3.9';

/** What {@link TlsCertificate.fromKeyVault} gives the edge, beyond the Secret name. */
export interface BoundKeyVaultCertificate extends BoundTlsCertificate {
  /**
   * Name of the SecretProviderClass: the pod that mounts it names it in its
   * CSI volume (`volumeAttributes.secretProviderClass`).
   */
  readonly secretProviderClassName: string;
}

/**
 * Where an edge's TLS certificate comes from: an existing `kubernetes.io/tls`
 * Secret, or a certificate in Azure Key Vault synced into a Secret by the
 * Secrets Store CSI driver with workload identity.
 *
 * @example
 * TlsCertificate.fromSecret('fraud-contoso-com-tls')
 * TlsCertificate.fromKeyVault({ vault, certificateName: 'fraud-contoso-com', binding, tenantId })
 */
export abstract class TlsCertificate implements ITlsCertificate {
  /**
   * An existing `kubernetes.io/tls` Secret in the edge's namespace (e.g.
   * issued by cert-manager). The library does not create or read it.
   */
  public static fromSecret(secretName: string): TlsCertificate {
    return new SecretTlsCertificate(secretName);
  }

  /**
   * A certificate in Azure Key Vault, synced into a `kubernetes.io/tls`
   * Secret by the Secrets Store CSI driver and its Azure provider, read with
   * workload identity.
   *
   * Binding it to an edge creates, in the edge's namespace, a
   * `secrets-store.csi.x-k8s.io/v1` SecretProviderClass that fetches the Key
   * Vault secret behind the certificate (`objectType: secret`, which returns
   * the private key and the whole chain as PEM) and syncs it into the Secret
   * as `tls.key` and `tls.crt`; and it grants the binding's identity Key Vault
   * Secrets User on that one secret, `<vault id>/secrets/<certificateName>`
   * (a role assignment in the app's Azure plan; the vault must use Azure
   * RBAC, not access policies). The provider reads only that secret, so the
   * secret scope is enough; the identity can read no other secret of the vault.
   *
   * Remarks:
   *
   * - The Secret exists only while at least one pod mounts the class. The
   *   driver creates it when a pod mounts a CSI volume
   *   (`driver: secrets-store.csi.k8s.io`, `volumeAttributes.secretProviderClass`)
   *   naming this class, and deletes it when the last such pod is gone. That
   *   pod must run in the edge's namespace as the binding's ServiceAccount:
   *   the driver exchanges that pod's token for the identity's. Until then the
   *   edge has no certificate.
   * - Rotation: with secret rotation enabled, the driver polls the vault and
   *   updates the mount and the Secret every rotation poll interval (2 minutes
   *   by default). Rotation is off unless enabled: on AKS, the add-on's
   *   `enableSecretRotation` (`az aks addon update -a
   *   azure-keyvault-secrets-provider --enable-secret-rotation`, interval
   *   `--rotation-poll-interval`); with Helm, `enableSecretRotation` and
   *   `rotationPollInterval`. Without rotation the Secret keeps the
   *   version fetched at mount time. The driver never restarts pods.
   * - The edge controller reads the synced Secret through the API, as it reads
   *   any TLS Secret; it does not mount the class.
   * - Syncing into Secrets must be enabled on a driver installed with Helm
   *   (`secrets-store-csi-driver.syncSecret.enabled=true`).
   *
   * @see https://azure.github.io/secrets-store-csi-driver-provider-azure/docs/configurations/getting-certs-and-keys/
   * @see https://azure.github.io/secrets-store-csi-driver-provider-azure/docs/configurations/sync-with-k8s-secrets/
   * @see https://secrets-store-csi-driver.sigs.k8s.io/topics/secret-auto-rotation
   * @see https://learn.microsoft.com/azure/aks/csi-secrets-store-configuration-options
   */
  public static fromKeyVault(options: KeyVaultCertificateOptions): TlsCertificate {
    return new KeyVaultTlsCertificate(options);
  }

  /**
   * Makes the certificate available as a Secret in `namespace`; may create
   * objects in `scope` (id `TlsCertificate`, so one per edge) and record role
   * assignments. The caller reports the returned problems.
   */
  public abstract bind(scope: Construct, namespace: string, labels: Record<string, string>): BoundTlsCertificate;
}

/** An existing Secret. */
class SecretTlsCertificate extends TlsCertificate {
  constructor(private readonly secretName: string) {
    super();
  }

  public bind(_scope: Construct, _namespace: string, _labels: Record<string, string>): BoundTlsCertificate {
    const secretName = this.secretName;
    const problems = isDnsSubdomain(secretName)
      ? []
      : [problem('edge.tls.secretName', DNS_SUBDOMAIN_RULE, secretName, 'the name of an existing kubernetes.io/tls Secret in the edge\'s namespace')];
    return { secretName, problems: () => [...problems] };
  }
}

/** A Key Vault certificate synced by the Secrets Store CSI driver. */
class KeyVaultTlsCertificate extends TlsCertificate {
  private readonly secretName: string;
  /** Problems of the options alone, found when the certificate is declared. */
  private readonly optionProblems: Problem[];

  constructor(private readonly options: KeyVaultCertificateOptions) {
    super();
    const name = options.certificateName;
    this.secretName = options.secretName ?? (typeof name === 'string' ? `${name.toLowerCase()}-tls` : '');
    this.optionProblems = this.validate();
  }

  public bind(scope: Construct, namespace: string, labels: Record<string, string>): BoundKeyVaultCertificate {
    const { vault, certificateName, binding } = this.options;
    const isBinding = binding instanceof MeshIdentityBinding;
    const problems: Problem[] = [...this.optionProblems];
    if (isBinding && binding.namespace !== namespace) {
      problems.push(problem('edge.tls.binding.namespace', `the edge's namespace "${namespace}"`, binding.namespace,
        'a SecretProviderClass can only be mounted by pods of its own namespace, and the pod that mounts it must run as the binding\'s ServiceAccount; bind an identity in that namespace'));
    }

    // Workload identity: the driver exchanges the mounting pod's ServiceAccount
    // token for the identity named by clientID. While the identity is created at
    // deploy time and its ids are not resolved yet, clientID is left out, as the
    // binding leaves out its ServiceAccount annotation: the deployment tool (the
    // Pulumi component) builds the app again with the ids in
    // RESOLVED_IDENTITIES_CONTEXT before it applies any manifest. This fails
    // closed: without clientID, pod identity or VM identity (both "false" here)
    // the provider falls back to service-principal mode, finds no
    // nodePublishSecretRef and refuses the mount; it never reads the vault with
    // another identity. Reporting a problem instead would also stop the first
    // synth, the one that writes the plan that creates the identity.
    const clientId = isBinding ? binding.ids?.clientId : undefined;
    const parameters: Record<string, string> = {
      usePodIdentity: 'false',
      useVMManagedIdentity: 'false',
      ...(clientId !== undefined ? { clientID: clientId } : {}),
      keyvaultName: vault instanceof AzureScope ? vault.name : '',
      tenantId: typeof this.options.tenantId === 'string' ? this.options.tenantId.toLowerCase() : '',
      objects: objectsParameter(certificateName),
    };
    const props: SecretProviderClassProps = {
      metadata: { namespace, labels: { ...labels } },
      spec: {
        provider: AZURE_KEY_VAULT_PROVIDER,
        parameters,
        secretObjects: [{
          secretName: this.secretName,
          type: 'kubernetes.io/tls',
          data: [
            { objectName: certificateName, key: 'tls.key' },
            { objectName: certificateName, key: 'tls.crt' },
          ],
        }],
      },
    };
    const spc = new GuardedSecretProviderClass(scope, 'TlsCertificate', props, () => problems);

    // Only a valid vault scope is granted: a scope of another kind (say a
    // subscription) would grant Key Vault Secrets User far wider than asked.
    // Scoped to the certificate's secret, not the vault: the provider reads only
    // that secret (objectType: secret), and a role on the vault would let the
    // identity read every secret in it (invariant 13).
    const vaultIsValid = vault instanceof AzureScope && vault.kind === ScopeKind.KEY_VAULT && vault.problems().length === 0;
    const nameIsValid = typeof certificateName === 'string' && KEY_VAULT_OBJECT_NAME.test(certificateName);
    if (isBinding && vaultIsValid && nameIsValid) binding.grantRole(AzureRole.KEY_VAULT_SECRETS_USER, vault.secret(certificateName));

    if (isBinding && (this.options.syncDeployment ?? true)) {
      // the driver creates the Secret only while a pod mounts the class: keep one running
      const image = this.options.syncImage ?? DEFAULT_SYNC_IMAGE;
      const sync = new OwnDeployment(scope, 'CertificateSync', {
        metadata: { namespace, labels: { ...labels } },
        replicas: 1,
        podMetadata: {
          labels: {
            'app.kubernetes.io/name': 'keyvault-certificate-sync',
            ...imageVersionLabel(image),
          },
        },
        containers: [ownContainer({
          name: 'sync',
          image,
          // the pause image runs as 65535: saying so lets the kubelet check non-root without image metadata
          runAs: { user: 65535, group: 65535 },
          resources: { cpu: { request: '5m', limit: '50m' }, memory: { request: '8Mi', limit: '32Mi' } },
          volumeMounts: [{ name: 'certificate', mountPath: '/mnt/secrets-store', readOnly: true }],
        })],
        volumes: [{
          name: 'certificate',
          csi: { driver: SECRETS_STORE_CSI_DRIVER, readOnly: true, volumeAttributes: { secretProviderClass: spc.name } },
        }],
      });
      binding.applyTo(sync);
      // the sync pod serves nothing: no ingress at all
      new k8s.KubeNetworkPolicy(scope, 'CertificateSyncNetworkPolicy', {
        metadata: { namespace, labels: { ...labels } },
        spec: { podSelector: { matchLabels: sync.podSelector }, policyTypes: ['Ingress'], ingress: [] },
      });
    }

    return { secretName: this.secretName, secretProviderClassName: spc.name, problems: () => [...problems] };
  }

  private validate(): Problem[] {
    const o = this.options;
    const out: Problem[] = [];
    if (!(o.vault instanceof AzureScope)) {
      out.push(problem('edge.tls.vault', 'a Key Vault scope', o.vault, 'use AzureScope.keyVault({ subscriptionId, resourceGroup, vault })'));
    } else if (o.vault.kind !== ScopeKind.KEY_VAULT) {
      out.push(problem('edge.tls.vault', 'a Key Vault scope', o.vault.id, 'use AzureScope.keyVault({ subscriptionId, resourceGroup, vault }); Key Vault Secrets User is granted on the certificate\'s secret in that vault only'));
    } else {
      out.push(...o.vault.problems('edge.tls.vault'));
    }
    if (typeof o.certificateName !== 'string' || !KEY_VAULT_OBJECT_NAME.test(o.certificateName)) {
      out.push(problem('edge.tls.certificateName', 'a Key Vault certificate name (1-127 letters, digits or "-")', o.certificateName,
        'the name of the certificate in the vault, not its id or URL'));
    }
    if (!isDnsSubdomain(this.secretName)) {
      out.push(problem('edge.tls.secretName', DNS_SUBDOMAIN_RULE, this.secretName,
        o.secretName === undefined ? 'it defaults to "<certificateName>-tls"; set secretName' : 'the name of the Secret the driver syncs'));
    }
    if (!isGuid(o.tenantId)) {
      out.push(problem('edge.tls.tenantId', 'a GUID', o.tenantId, 'use the Directory (tenant) ID of the vault\'s tenant'));
    }
    if (!(o.binding instanceof MeshIdentityBinding)) {
      const got: unknown = o.binding;
      out.push(problem('edge.tls.binding', 'a MeshIdentityBinding', got === null || typeof got !== 'object' ? got : `a ${got.constructor?.name ?? 'object'}`,
        'the workload identity that reads the vault'));
    }
    return out;
  }
}

/**
 * The provider's `objects` parameter: a YAML document whose `array` holds one
 * YAML string per object. `objectType: secret` returns the private key and
 * the certificate chain as PEM (`cert` would return the certificate only).
 */
function objectsParameter(certificateName: string): string {
  return `array:\n  - |\n    objectName: ${certificateName}\n    objectType: secret\n`;
}

/** A SecretProviderClass that never renders from a bad declaration. */
class GuardedSecretProviderClass extends SecretProviderClass {
  constructor(scope: Construct, id: string, props: SecretProviderClassProps, private readonly check: () => Problem[]) {
    super(scope, id, props);
  }

  public override toJson(): any {
    const problems = this.check();
    if (problems.length > 0) throw new MeshValidationError(problems.map((p) => `${this.node.path}: ${p.message}`));
    return super.toJson();
  }
}
