import * as fs from 'node:fs';
import * as path from 'node:path';

/** The Pulumi packages the component loads, each with the modules it requires. */
const PULUMI_PEERS: ReadonlyArray<{ readonly name: string; readonly modules: readonly string[] }> = [
  { name: '@pulumi/pulumi', modules: ['@pulumi/pulumi'] },
  { name: '@pulumi/azure-native', modules: ['@pulumi/azure-native/authorization', '@pulumi/azure-native/managedidentity'] },
  { name: '@pulumi/kubernetes', modules: ['@pulumi/kubernetes/apiextensions', '@pulumi/kubernetes/core/v1'] },
];

/** Thrown by `cdk8s-azureml-mesh/pulumi` when a Pulumi peer dependency is not installed. */
export class MissingPeerDependencyError extends Error {
  /** The missing packages, each with the version range this package accepts. */
  public readonly missing: ReadonlyArray<{ readonly name: string; readonly range?: string }>;

  constructor(missing: ReadonlyArray<{ readonly name: string; readonly range?: string }>) {
    const listed = missing.map((m) => (m.range ? `${m.name} (${m.range})` : m.name)).join(', ');
    const install = missing.map((m) => (m.range ? `"${m.name}@${m.range}"` : m.name)).join(' ');
    super(`cdk8s-azureml-mesh/pulumi: ${missing.length > 1 ? 'peer dependencies' : 'peer dependency'} ${listed} must be installed, got none; `
      + `run npm install ${install} (apps that only synthesize with cdk8s import "cdk8s-azureml-mesh", which loads no Pulumi package)`);
    this.name = 'MissingPeerDependencyError';
    this.missing = missing;
  }
}

/**
 * Loads every module of every Pulumi peer before the component does, and
 * throws one {@link MissingPeerDependencyError} naming each package that is
 * not installed, with the range of this package's `peerDependencies`. Other
 * load errors (a broken install of the peer itself) are rethrown as they are.
 *
 * @param load the `require` to use (tests pass one that fails)
 */
export function assertPulumiPeers(load: (id: string) => unknown = require): void {
  const missing: string[] = [];
  for (const peer of PULUMI_PEERS) {
    for (const id of peer.modules) {
      try {
        load(id);
      } catch (e) {
        if (!isMissing(e, peer.name)) throw e;
        missing.push(peer.name);
        break;
      }
    }
  }
  if (missing.length === 0) return;
  const ranges = peerRanges();
  throw new MissingPeerDependencyError(missing.map((name) => ({ name, ...(ranges[name] ? { range: ranges[name] } : {}) })));
}

/** True when `error` says that `name` (or a module inside it) cannot be found. */
function isMissing(error: unknown, name: string): boolean {
  const e = error as { code?: string; message?: string } | undefined;
  if (e?.code !== 'MODULE_NOT_FOUND' && e?.code !== 'ERR_MODULE_NOT_FOUND') return false;
  const quoted = /Cannot find (?:module|package) '([^']+)'/.exec(e.message ?? '')?.[1];
  return quoted !== undefined && (quoted === name || quoted.startsWith(`${name}/`));
}

/** `peerDependencies` of this package, read from its package.json (empty when it cannot be found). */
function peerRanges(): Record<string, string> {
  // lib/pulumi (sources) and build/lib/pulumi (compiled) sit at different depths
  for (let dir = __dirname, i = 0; i < 5; i++, dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (!fs.existsSync(file)) continue;
    try {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; peerDependencies?: Record<string, string> };
      if (pkg.name === 'cdk8s-azureml-mesh') return pkg.peerDependencies ?? {};
    } catch {
      return {};
    }
  }
  return {};
}
