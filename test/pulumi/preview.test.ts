/**
 * `pulumi preview` of the component under mocks (`setMocks(..., preview =
 * true)`): the identity created here has no ids yet (the mocks leave them
 * out, so they are unknown), and the Kubernetes resources are registered
 * all the same, each with its kind and name; the values that wait for the
 * identity's ids are unknown. component.test.ts deploys the same app.
 */
import * as pulumi from '@pulumi/pulumi';
import { CREATED_IDS, EXISTING, build, installMocks, registered } from './fixtures';

installMocks(true);

/* eslint-disable @typescript-eslint/no-require-imports */
const { AzureMlMesh } = require('../../lib/pulumi') as typeof import('../../lib/pulumi');
const { Provider } = require('@pulumi/kubernetes/provider') as typeof import('@pulumi/kubernetes/provider');
const { IdentityPlaceholders } = require('../../lib/pulumi/placeholders') as typeof import('../../lib/pulumi/placeholders');
/* eslint-enable @typescript-eslint/no-require-imports */

/** Whether an output is known (in a preview, ids of resources to create are not). */
const isKnown = (output: pulumi.Output<unknown>): Promise<boolean> => (output as unknown as { isKnown: Promise<boolean> }).isKnown;
const ofType = (type: string) => registered.filter((c) => c.type === type);

describe('AzureMlMesh in pulumi preview', () => {
  test('lists every Kubernetes object while the created identity\'s ids are unknown', async () => {
    const mesh = new AzureMlMesh('preview', { build: (app) => build(app), kubernetesProvider: new Provider('aks', {}) });
    await (pulumi.all(mesh.kubernetesResources.map((r) => r.urn)) as unknown as { promise(): Promise<string[]> }).promise();
    const ref = mesh.plan.identities.find((i) => i.create)!.ref;

    // the identity is to be created: its ids, and so the manifests text, are unknown
    expect(await isKnown(mesh.identities[ref].clientId)).toBe(false);
    expect(await isKnown(mesh.identities[ref].principalId)).toBe(false);
    expect(await isKnown(mesh.manifests)).toBe(false);

    // every object is registered all the same, by kind, namespace and name
    const k8s = registered.filter((c) => c.type.startsWith('kubernetes:') && c.type !== 'pulumi:providers:kubernetes');
    expect(k8s).toHaveLength(mesh.kubernetesResources.length);
    const names = k8s.map((c) => `${c.type} ${c.name}`);
    expect(names).toEqual(expect.arrayContaining([
      'kubernetes:core/v1:ServiceAccount preview/ServiceAccount/batch/features-0',
      'kubernetes:core/v1:ServiceAccount preview/ServiceAccount/batch/features-1',
      'kubernetes:core/v1:ServiceAccount preview/ServiceAccount/batch/scorer',
      expect.stringMatching(/^kubernetes:apps\/v1:Deployment preview\/Deployment\/batch\//),
      expect.stringMatching(/^kubernetes:security\.istio\.io\/v1:AuthorizationPolicy preview\/AuthorizationPolicy\/fraud\//),
      expect.stringMatching(/^kubernetes:security\.istio\.io\/v1:RequestAuthentication preview\/RequestAuthentication\/fraud\//),
      expect.stringMatching(/^kubernetes:security\.istio\.io\/v1:PeerAuthentication preview\/PeerAuthentication\/fraud\//),
    ]));
    for (const c of k8s) expect(c.inputs.kind).toBe(c.name.split('/')[1]);

    // what waits for the created identity is unknown, nothing else is
    const sa = new Map(ofType('kubernetes:core/v1:ServiceAccount').map((c) => [c.name, c.inputs.metadata]));
    const annotation = (name: string) => (sa.get(name)!.annotations as Record<string, unknown>)['azure.workload.identity/client-id'];
    expect(pulumi.isUnknown(annotation('preview/ServiceAccount/batch/features-0'))).toBe(true);
    expect(pulumi.isUnknown(annotation('preview/ServiceAccount/batch/features-1'))).toBe(true);
    expect(annotation('preview/ServiceAccount/batch/scorer')).toBe(EXISTING.clientId);
    const text = JSON.stringify(k8s.map((c) => c.inputs));
    expect(text).not.toContain(CREATED_IDS['feature-svc'].clientId);
    // no placeholder reaches a resource (they are derived from the plan reference, so they can be recomputed)
    const placeholders = new IdentityPlaceholders().resolve(ref);
    expect(text).not.toContain(placeholders.clientId);
    expect(text).not.toContain(placeholders.principalId);
    expect(JSON.stringify(registered.map((c) => c.inputs))).not.toContain(placeholders.principalId);

    // the Azure side is in the preview too: the identity, its credentials, the assignments
    expect(ofType('azure-native:managedidentity:UserAssignedIdentity')).toHaveLength(1);
    expect(ofType('azure-native:managedidentity:FederatedIdentityCredential')).toHaveLength(3);
    expect(ofType('azure-native:authorization:RoleAssignment')).toHaveLength(mesh.plan.roleAssignments.length);
  });
});
