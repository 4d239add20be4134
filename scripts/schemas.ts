/**
 * The vendored schemas in schemas/: checked against schemas/SOURCES.tsv
 * (every file listed, every listed file present, git blob hashes equal), and
 * refreshed from upstream.
 *
 *   tsx scripts/schemas.ts --check              verify schemas/ against SOURCES.tsv (offline; run by npm test)
 *   tsx scripts/schemas.ts --from DIR           copy every listed file from DIR (e.g. a shared copy, or
 *                                               an ASO release's CRDs) and verify the blob hashes
 *   tsx scripts/schemas.ts --fetch              download every fetchable file from raw.githubusercontent.com
 *                                               at the listed commit and verify the blob hashes (network)
 *   add --update to --from/--fetch to accept new hashes (after changing a commit) and rewrite SOURCES.tsv
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const SCHEMAS_DIR = path.resolve(__dirname, '..', 'schemas');
const SOURCES = path.join(SCHEMAS_DIR, 'SOURCES.tsv');
/** Files of schemas/ that are ours, not upstream's. */
const OWN = new Set(['SOURCES.tsv', 'README.md', 'LICENSES/Apache-2.0.txt', 'LICENSES/MIT.txt']);

export interface Source {
  readonly file: string;
  readonly repository: string;
  readonly path: string;
  readonly commit: string;
  blob: string;
  readonly licence: string;
  readonly fetchable: boolean;
}

/** `git hash-object` of a buffer: sha1 of "blob <size>\0" + content. */
export function blobHash(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

export function readSources(file = SOURCES): { header: string[]; sources: Source[] } {
  const header: string[] = [];
  const sources: Source[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('#')) { header.push(line); continue; }
    if (line.trim() === '') continue;
    const [f, repository, p, commit, blob, licence, fetch] = line.split('\t');
    sources.push({ file: f, repository, path: p, commit, blob, licence, fetchable: fetch === 'yes' });
  }
  return { header, sources };
}

function writeSources(header: string[], sources: Source[]): void {
  const rows = sources.map((s) => [s.file, s.repository, s.path, s.commit, s.blob, s.licence, s.fetchable ? 'yes' : 'no'].join('\t'));
  fs.writeFileSync(SOURCES, [...header, ...rows, ''].join('\n'));
}

function listFiles(dir: string, prefix = ''): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]);
}

/** Problems of schemas/ against SOURCES.tsv; empty when they agree. */
export function checkSchemas(dir = SCHEMAS_DIR): string[] {
  const { sources } = readSources(path.join(dir, 'SOURCES.tsv'));
  const listed = new Set(sources.map((s) => s.file));
  const out: string[] = [];
  for (const f of listFiles(dir)) {
    if (!OWN.has(f) && !listed.has(f)) out.push(`${f}: not listed in SOURCES.tsv (remove it, or list its upstream source)`);
  }
  for (const s of sources) {
    const file = path.join(dir, s.file);
    if (!fs.existsSync(file)) { out.push(`${s.file}: listed in SOURCES.tsv but missing`); continue; }
    const blob = blobHash(fs.readFileSync(file));
    if (blob !== s.blob) out.push(`${s.file}: blob ${blob}, SOURCES.tsv says ${s.blob} (${s.repository}@${s.commit.slice(0, 12)}:${s.path})`);
  }
  return out;
}

async function refresh(mode: 'from' | 'fetch', from: string | undefined, update: boolean): Promise<number> {
  const { header, sources } = readSources();
  let failed = 0;
  for (const s of sources) {
    let content: Buffer;
    if (mode === 'from') {
      const src = path.join(from!, s.file);
      if (!fs.existsSync(src)) { console.log(`skip ${s.file}: not in ${from}`); continue; }
      content = fs.readFileSync(src);
    } else {
      if (!s.fetchable) { console.log(`skip ${s.file}: not committed upstream; use --from with a release asset`); continue; }
      const url = `https://raw.githubusercontent.com/${s.repository}/${s.commit}/${s.path}`;
      const res = await fetch(url);
      if (!res.ok) { console.error(`fail ${s.file}: ${url} answered ${res.status}`); failed++; continue; }
      content = Buffer.from(await res.arrayBuffer());
    }
    const blob = blobHash(content);
    if (blob !== s.blob && !update) {
      console.error(`fail ${s.file}: blob ${blob}, expected ${s.blob}; rerun with --update if the commit was changed on purpose`);
      failed++;
      continue;
    }
    fs.mkdirSync(path.dirname(path.join(SCHEMAS_DIR, s.file)), { recursive: true });
    fs.writeFileSync(path.join(SCHEMAS_DIR, s.file), content);
    if (blob !== s.blob) console.log(`new  ${s.file}: ${s.blob} -> ${blob}`);
    else console.log(`ok   ${s.file}`);
    s.blob = blob;
  }
  if (update) writeSources(header, sources);
  return failed;
}

async function main(argv: string[]): Promise<number> {
  const update = argv.includes('--update');
  const fromAt = argv.indexOf('--from');
  if (argv.includes('--fetch')) return refresh('fetch', undefined, update);
  if (fromAt >= 0) {
    if (!argv[fromAt + 1]) { console.error('--from needs a directory'); return 2; }
    return refresh('from', path.resolve(argv[fromAt + 1]), update);
  }
  const problems = checkSchemas();
  for (const p of problems) console.error(p);
  if (problems.length === 0) console.log(`schemas/: ${readSources().sources.length} files match SOURCES.tsv`);
  return problems.length ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (e) => { console.error(e); process.exit(1); });
}
