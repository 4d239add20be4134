import * as fs from 'node:fs';
import { Document, LineCounter, isMap, isNode, isSeq, parseAllDocuments } from 'yaml';
import { ManifestEntry } from '../access/manifests';

interface ParsedFile {
  readonly docs: Document.Parsed[];
  readonly lines: LineCounter;
}

const cache = new Map<string, { mtimeMs: number; size: number; parsed: ParsedFile | undefined }>();

function parsed(file: string): ParsedFile | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return undefined;
  }
  const hit = cache.get(file);
  if (hit && hit.mtimeMs === stat.mtimeMs && hit.size === stat.size) return hit.parsed;
  let value: ParsedFile | undefined;
  try {
    const lines = new LineCounter();
    const docs = parseAllDocuments(fs.readFileSync(file, 'utf8'), { lineCounter: lines });
    value = Array.isArray(docs) ? { docs, lines } : undefined;
  } catch {
    value = undefined;
  }
  cache.set(file, { mtimeMs: stat.mtimeMs, size: stat.size, parsed: value });
  return value;
}

/**
 * The 1-based line of `field` in the object of `entry`, re-reading its file:
 * the line of the nearest present ancestor when the field is missing, the
 * document's first line when the file cannot be read again (objects passed
 * in memory).
 */
export function locateField(entry: ManifestEntry, field: ReadonlyArray<string | number>): number {
  const file = parsed(entry.source.file);
  const doc = file?.docs[entry.source.document];
  if (!file || !doc) return entry.source.line;
  let node: unknown = doc.contents;
  // objects flattened out of a List: find the item
  if (isMap(node) && isSeq(node.get('items', true)) && String(node.get('kind') ?? '').endsWith('List')) {
    const items = node.get('items', true) as any;
    node = items.items.find((item: unknown) => isMap(item)
      && item.get('kind') === entry.object.kind
      && (item.getIn(['metadata', 'name']) ?? undefined) === entry.object.metadata.name
      && (item.getIn(['metadata', 'namespace']) ?? undefined) === entry.object.metadata.namespace) ?? node;
  }
  let best = lineOf(file, node) ?? entry.source.line;
  for (const key of field) {
    let next: unknown;
    if (isMap(node)) next = node.get(key, true);
    else if (isSeq(node) && typeof key === 'number') next = node.get(key, true);
    if (next === undefined || next === null) break;
    if (isMap(node)) {
      const pair = node.items.find((p: any) => (isNode(p.key) ? (p.key as any).value : p.key) === key);
      best = lineOf(file, pair?.key) ?? lineOf(file, next) ?? best;
    } else {
      best = lineOf(file, next) ?? best;
    }
    node = next;
  }
  return best;
}

function lineOf(file: ParsedFile, node: unknown): number | undefined {
  if (!isNode(node) || !node.range) return undefined;
  return file.lines.linePos(node.range[0]).line;
}
