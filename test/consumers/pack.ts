/**
 * The package as npm would install it, without the network: `npm pack` (which
 * builds first, through `prepack`), the tarball unpacked into a consumer's
 * `node_modules/cdk8s-azureml-mesh`, and every other package the consumer
 * needs symlinked from this repository's `node_modules`.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

export const ROOT = path.resolve(__dirname, '../..');
export const PACKAGE_NAME = 'cdk8s-azureml-mesh';

/** `npm pack` into `dest`; returns the tarball's path. */
export function packTarball(dest: string): string {
  fs.mkdirSync(dest, { recursive: true });
  const npm = process.env.npm_execpath;
  // under `npm run`, npm_execpath is npm's own CLI script: run it with this Node
  const [cmd, args] = npm && npm.endsWith('.js') ? [process.execPath, [npm]] : ['npm', []];
  const out = execFileSync(cmd, [...args, 'pack', '--json', '--pack-destination', dest], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' },
  });
  const json = out.slice(out.indexOf('['));
  const [{ filename }] = JSON.parse(json) as Array<{ filename: string }>;
  return path.join(dest, filename);
}

/**
 * Unpacks an npm tarball (gzip, ustar, pax `path` records) into `dest`, with
 * the leading `package/` removed. npm's tarballs hold only files and
 * directories.
 */
export function untar(tarball: string, dest: string): string[] {
  const data = zlib.gunzipSync(fs.readFileSync(tarball));
  const files: string[] = [];
  const text = (buf: Buffer): string => buf.toString('utf8').replace(/\0.*$/s, '');
  let paxPath: string | undefined;
  for (let off = 0; off + 512 <= data.length;) {
    const header = data.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(text(header.subarray(124, 136)).trim() || '0', 8);
    const type = String.fromCharCode(header[156] || 48);
    const body = data.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      for (const rec of body.toString('utf8').split('\n')) {
        const m = /^\d+ path=(.*)$/.exec(rec);
        if (m) paxPath = m[1];
      }
      continue;
    }
    if (type === 'g') continue;
    const prefix = text(header.subarray(345, 500));
    const name = paxPath ?? (prefix ? `${prefix}/${text(header.subarray(0, 100))}` : text(header.subarray(0, 100)));
    paxPath = undefined;
    const rel = name.replace(/^package\//, '');
    const target = path.join(dest, rel);
    if (!target.startsWith(dest + path.sep)) throw new Error(`tarball entry outside the package: ${name}`);
    if (type === '5') {
      fs.mkdirSync(target, { recursive: true });
    } else if (type === '0' || type === '7') {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, body);
      files.push(rel);
    } else {
      throw new Error(`unexpected tarball entry type ${type} for ${name}`);
    }
  }
  return files.sort();
}

/**
 * The cdk8s-plus line the consumers use: $CONSUMER_CDK8S_PLUS, else the newest
 * line this repository declares in devDependencies (node_modules may hold
 * other lines that tools depend on, e.g. cdk8s-cli's).
 */
export function cdk8sPlusLine(): string {
  const installed = (name: string): boolean => fs.existsSync(path.join(ROOT, 'node_modules', name, 'package.json'));
  const fromEnv = process.env.CONSUMER_CDK8S_PLUS;
  if (fromEnv) {
    if (!/^cdk8s-plus-\d+$/.test(fromEnv)) throw new Error(`CONSUMER_CDK8S_PLUS must be a package name like cdk8s-plus-34, got "${fromEnv}"`);
    if (!installed(fromEnv)) throw new Error(`CONSUMER_CDK8S_PLUS must name a package installed in this repository, got "${fromEnv}"; run npm ci`);
    return fromEnv;
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> };
  const lines = Object.keys(pkg.devDependencies ?? {})
    .filter((n) => /^cdk8s-plus-\d+$/.test(n) && installed(n))
    .sort((a, b) => Number(b.slice('cdk8s-plus-'.length)) - Number(a.slice('cdk8s-plus-'.length)));
  if (lines.length === 0) throw new Error('package.json must list a cdk8s-plus-NN in devDependencies, installed, got none; run npm ci');
  return lines[0];
}

/**
 * The packages a consumer resolves besides this one, symlinked from this
 * repository: peers (cdk8s, constructs, cdk8s-plus-*, @pulumi/*), the
 * dependencies (uuid, yaml), TypeScript and the Node types.
 */
export const LINKED = ['cdk8s', 'constructs', 'uuid', 'yaml', 'typescript', '@types/node', '@pulumi/pulumi', '@pulumi/azure-native', '@pulumi/kubernetes'];

/**
 * `dir/node_modules` as `npm install <tarball>` would leave it, offline: the
 * tarball unpacked into `node_modules/cdk8s-azureml-mesh` and the other
 * packages symlinked. Consumers live in subdirectories of `dir` and resolve
 * from there. Returns the unpacked package's files.
 */
export function installInto(dir: string, tarball: string, plusLines: readonly string[]): string[] {
  const nm = path.join(dir, 'node_modules');
  const files = untar(tarball, path.join(nm, PACKAGE_NAME));
  for (const name of [...LINKED, ...plusLines]) {
    const source = path.join(ROOT, 'node_modules', name);
    if (!fs.existsSync(source)) throw new Error(`${name} is not installed in this repository (npm ci)`);
    fs.mkdirSync(path.dirname(path.join(nm, name)), { recursive: true });
    fs.symlinkSync(fs.realpathSync(source), path.join(nm, name), 'dir');
  }
  return files;
}
