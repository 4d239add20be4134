/**
 * Existing identities that cannot be used fail the deployment with a
 * ResourceError naming the identity and what to check, and get no
 * credential. The deployment runs (under mocks) in a child process:
 * see deploy-failures.ts.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { EXISTING, EXISTING_RESOURCE, SUB } from './fixtures';

const root = path.resolve(__dirname, '../..');

function deploy(scenario: 'missing' | 'mismatch' | 'principal-mismatch' | 'unparsable-id'): {
  resourceError: boolean; message?: string; failures: string[]; credentials: number; roleAssignments: number;
} {
  // the exit status is Pulumi's (non-zero: the deployment failed, registrations were left pending); the result is on stdout
  const run = spawnSync(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), path.join(__dirname, 'deploy-failures.ts'), scenario], { cwd: root });
  const out = run.stdout.toString();
  if (!out.startsWith('{')) throw new Error(`deploy-failures.ts ${scenario} printed no result: ${run.stderr.toString()}`);
  return JSON.parse(out);
}

describe('existing identities the component cannot use', () => {
  test('fails: an identity that is not found is a ResourceError naming it and what to check; its credential is not created', () => {
    const result = deploy('missing');
    const message = 'identity identity:ml-jobs/no-such-identity must be an existing user-assigned identity "no-such-identity" in resource group "ml-jobs", '
      + 'got "ml-jobs/no-such-identity"; the lookup failed (ResourceNotFound: The Resource \'Microsoft.ManagedIdentity/userAssignedIdentities/no-such-identity\' '
      + 'under resource group \'ml-jobs\' was not found); check resourceId or name and resourceGroup, and that the azure-native provider\'s subscription is the identity\'s';
    expect(result.resourceError).toBe(true);
    expect(result.message).toContain(message);
    // the deployment fails with it: the credential (and the component's outputs) wait for the lookup
    expect(result.failures.length).toBeGreaterThan(0);
    for (const f of result.failures) expect(f).toContain(message);
    expect(result.credentials).toBe(0);
  }, 30_000);

  test('fails: declared ids that are not the identity\'s are a ResourceError; no credential is created', () => {
    const result = deploy('mismatch');
    const message = `identity identity:${EXISTING_RESOURCE.resourceGroup}/${EXISTING_RESOURCE.name} must be the clientId of the user-assigned identity `
      + `"${EXISTING_RESOURCE.name}" in resource group "${EXISTING_RESOURCE.resourceGroup}", got "11111111-2222-4333-8444-555555555555"; `
      + `Azure says ${EXISTING.clientId}; fix clientId or the identity's name and resource group`;
    expect(result.resourceError).toBe(true);
    expect(result.message).toContain(message);
    expect(result.failures.length).toBeGreaterThan(0);
    for (const f of result.failures) expect(f).toContain(message);
    expect(result.credentials).toBe(0);
  }, 30_000);

  test('fails: a declared principal id that is not the identity\'s stops its role assignment (the assignment waits for the check)', () => {
    const result = deploy('principal-mismatch');
    const message = 'identity principal:11111111-2222-4333-8444-555555555555 must be the principalId of the user-assigned identity '
      + `"${EXISTING_RESOURCE.name}" in resource group "${EXISTING_RESOURCE.resourceGroup}", got "11111111-2222-4333-8444-555555555555"; `
      + `Azure says ${EXISTING.principalId}; fix principalId or the identity's name and resource group`;
    expect(result.resourceError).toBe(true);
    expect(result.message).toContain(message);
    // no role is ever granted to the mistyped principal
    expect(result.roleAssignments).toBe(0);
    expect(result.credentials).toBe(0);
  }, 30_000);

  test('fails: a declared subscription cannot be checked against an id that does not parse', () => {
    const result = deploy('unparsable-id');
    const message = `identity /subscriptions/${SUB}/resourcegroups/ml-jobs/providers/microsoft.managedidentity/userassignedidentities/odd-identity `
      + `must be found in subscription ${SUB}, got "odd-identity"; Azure returned an id without a subscription, so the identity's subscription cannot be checked`;
    expect(result.resourceError).toBe(true);
    expect(result.message).toContain(message);
    expect(result.roleAssignments).toBe(0);
    expect(result.credentials).toBe(0);
  }, 30_000);
});
