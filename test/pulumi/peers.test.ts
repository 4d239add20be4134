/**
 * `cdk8s-azureml-mesh/pulumi` checks its Pulumi peers before it loads them:
 * a missing one is one error naming each package to install with the range
 * of package.json's peerDependencies, not a raw `Cannot find module`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { peerDependencies: Record<string, string> };

/** What Node throws for a module that is not installed. */
function notFound(id: string): Error {
  return Object.assign(new Error(`Cannot find module '${id}'\nRequire stack:\n- ${__filename}`), { code: 'MODULE_NOT_FOUND' });
}

/** Loads the pulumi entry with `mocks` (module id → what requiring it throws) in a fresh module registry. */
function loadEntry(mocks: Record<string, Error>): unknown {
  let error: unknown;
  jest.isolateModules(() => {
    for (const [id, e] of Object.entries(mocks)) jest.doMock(id, () => { throw e; });
    try {
      require('../../lib/pulumi');
    } catch (e) {
      error = e;
    } finally {
      for (const id of Object.keys(mocks)) jest.dontMock(id);
    }
  });
  return error;
}

describe('the pulumi entry checks its peers', () => {
  afterEach(() => jest.resetModules());

  test('fails: a missing @pulumi/azure-native is named with its range and the command to install it', () => {
    const error = loadEntry({ '@pulumi/azure-native/managedidentity': notFound('@pulumi/azure-native/managedidentity') }) as Error;
    const range = pkg.peerDependencies['@pulumi/azure-native'];
    expect(range).toBeDefined();
    expect(error.name).toBe('MissingPeerDependencyError');
    expect(error.message).toBe(`cdk8s-azureml-mesh/pulumi: peer dependency @pulumi/azure-native (${range}) must be installed, got none; `
      + `run npm install "@pulumi/azure-native@${range}" (apps that only synthesize with cdk8s import "cdk8s-azureml-mesh", which loads no Pulumi package)`);
    expect(error.message).not.toMatch(/Cannot find module/);
    expect((error as unknown as { missing: unknown }).missing).toEqual([{ name: '@pulumi/azure-native', range }]);
  });

  test('fails: every missing peer is named in one error', () => {
    const error = loadEntry({
      '@pulumi/azure-native/authorization': notFound('@pulumi/azure-native/authorization'),
      '@pulumi/kubernetes/apiextensions': notFound('@pulumi/kubernetes/apiextensions'),
    }) as Error;
    const [native, k8s] = [pkg.peerDependencies['@pulumi/azure-native'], pkg.peerDependencies['@pulumi/kubernetes']];
    expect(error.message).toMatch(`peer dependencies @pulumi/azure-native (${native}), @pulumi/kubernetes (${k8s}) must be installed, got none; `
      + `run npm install "@pulumi/azure-native@${native}" "@pulumi/kubernetes@${k8s}"`);
  });

  test('a peer that fails to load for another reason keeps its own error', () => {
    const broken = new Error('boom: grpc binary for this platform');
    expect(loadEntry({ '@pulumi/pulumi': broken })).toBe(broken);
    // a module the peer itself needs is not the peer
    const inner = notFound('@grpc/grpc-js');
    expect(loadEntry({ '@pulumi/kubernetes/core/v1': inner })).toBe(inner);
  });

  test('with every peer installed the entry loads', () => {
    expect(loadEntry({})).toBeUndefined();
  });
});
