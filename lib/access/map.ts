/**
 * The access map's renderers: Markdown (a table, one line per
 * {@link AccessMapRow}, then a Mermaid diagram), JSON and Mermaid alone.
 * Pure functions: the same rows in any order give the same bytes, so a pull
 * request diff shows one access change as one table line.
 */
import { createHash } from 'node:crypto';
import { compareStrings, sortStrings } from '../util/names';
import { AccessMapRow } from './map-row';

/** The version of the JSON form; raised when a key changes meaning or goes away. */
export const ACCESS_MAP_SCHEMA_VERSION = 1;

/** Options of {@link accessMapMarkdown}. */
export interface AccessMapMarkdownOptions {
  /**
   * The page's title (a level-1 heading).
   *
   * @default 'Access map'
   */
  readonly title?: string;
  /**
   * One line under the title saying what the map was read from (e.g. the
   * manifests' folder); Markdown, written as given.
   *
   * @default - no such line
   */
  readonly source?: string;
  /**
   * Whether the page ends with the Mermaid diagram of callers, doors and endpoints.
   *
   * @default true
   */
  readonly mermaid?: boolean;
}

/** Options of {@link accessMapJson}. */
export interface AccessMapJsonOptions {
  /**
   * What the map was read from, written as `source` after `schemaVersion`
   * (e.g. `declaration` or the manifests' folder).
   *
   * @default - no `source` key
   */
  readonly source?: string;
}

/** The keys of a row, in the order every form writes them. */
const ROW_KEYS = ['endpoint', 'door', 'caller', 'principal', 'token', 'paths', 'methods', 'azureRole'] as const;

/**
 * The rows in the map's order: by endpoint, door, caller, principal, token,
 * paths, methods (then Azure role), compared by code unit so the order never
 * depends on the locale. Paths and methods are sorted within each row, and a
 * row that repeats another exactly is kept once. Returns new objects.
 */
export function sortAccessMap(rows: readonly AccessMapRow[]): AccessMapRow[] {
  const unique = new Map<string, AccessMapRow>();
  for (const row of rows) {
    const normal = normalize(row);
    unique.set(JSON.stringify(ROW_KEYS.map((k) => normal[k])), normal);
  }
  return [...unique.values()].sort(compareRows);
}

function normalize(row: AccessMapRow): AccessMapRow {
  return {
    endpoint: row.endpoint,
    door: row.door,
    caller: row.caller,
    principal: row.principal,
    token: row.token,
    paths: sortStrings(new Set(row.paths)),
    methods: sortStrings(new Set(row.methods)),
    azureRole: row.azureRole,
  };
}

function compareRows(a: AccessMapRow, b: AccessMapRow): number {
  for (const key of ROW_KEYS) {
    const x = a[key];
    const y = b[key];
    const c = typeof x === 'string' ? compareStrings(x, y as string) : compareLists(x, y as readonly string[]);
    if (c !== 0) return c;
  }
  return 0;
}

function compareLists(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareStrings(a[i], b[i]);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/**
 * The map as a Markdown page: a title, a one-line legend, one table line per
 * row (sorted by {@link sortAccessMap}; empty paths and methods shown as
 * `any`), then the Mermaid diagram in a fenced block. Ends with a newline.
 */
export function accessMapMarkdown(rows: readonly AccessMapRow[], options: AccessMapMarkdownOptions = {}): string {
  const sorted = sortAccessMap(rows);
  const lines = [
    `# ${oneLine(options.title ?? 'Access map')}`,
    '',
    ...(options.source !== undefined ? [oneLine(options.source), ''] : []),
    'One line per caller, endpoint and door. door: `mesh` (from a pod in the mesh), `edge <host>`, or `egress` (out to an Azure ML managed endpoint); principal: the mesh identity '
      + 'the endpoint sees (`*`: any peer); token: what the token must carry beyond a valid token of the endpoint\'s issuers and audiences '
      + '(`any`: nothing more, `none`: no token needed, `azure`: Azure ML checks the token and the role); `any` paths or methods: no restriction; Azure role: `-` when Azure checks none '
      + '(or the map was read from manifests, which do not say).',
    '',
    '| endpoint | door | caller | principal | token | paths | methods | Azure role |',
    '|---|---|---|---|---|---|---|---|',
    ...sorted.map((r) => `| ${[
      r.endpoint, r.door, r.caller, r.principal, r.token, listCell(r.paths), listCell(r.methods), r.azureRole,
    ].map(markdownCell).join(' | ')} |`),
  ];
  if (sorted.length === 0) lines.push('', 'No endpoint found.');
  if (options.mermaid ?? true) lines.push('', '```mermaid', ...mermaidLines(sorted), '```');
  return `${lines.join('\n')}\n`;
}

/**
 * The map as JSON: `{ "schemaVersion": 1, "source"?: ..., "rows": [...] }`,
 * rows sorted by {@link sortAccessMap}, each with the keys endpoint, door,
 * caller, principal, token, paths, methods, azureRole in that order;
 * indented by 2, with a final newline.
 */
export function accessMapJson(rows: readonly AccessMapRow[], options: AccessMapJsonOptions = {}): string {
  const doc = {
    schemaVersion: ACCESS_MAP_SCHEMA_VERSION,
    ...(options.source !== undefined ? { source: options.source } : {}),
    rows: sortAccessMap(rows),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/**
 * The map as a Mermaid `flowchart LR`: caller nodes, then door nodes, then
 * endpoint nodes, then one line per edge (caller to door, labelled with the
 * methods and paths when they are restricted; door to endpoint). A door node
 * stands for one door of one endpoint, so every path through the diagram is
 * a row of the map. Node ids are derived from the names (`mermaidId`),
 * so they do not change when other rows come and go. Ends with a newline.
 *
 * @see https://mermaid.js.org/syntax/flowchart.html
 */
export function accessMapMermaid(rows: readonly AccessMapRow[]): string {
  return `${mermaidLines(sortAccessMap(rows)).join('\n')}\n`;
}

function mermaidLines(sorted: readonly AccessMapRow[]): string[] {
  const callers = new Map<string, string>();
  const doors = new Map<string, string>();
  const endpoints = new Map<string, string>();
  const callerEdges = new Set<string>();
  const doorEdges = new Set<string>();
  // a 40-bit hash prefix collides about never; if it does, the full hash tells the names apart
  const named = new Map<string, string>();
  const id = (prefix: string, name: string): string => {
    let out = `${prefix}_${mermaidId(name)}`;
    if (named.has(out) && named.get(out) !== name) out = `${prefix}_${mermaidId(name, 64)}`;
    named.set(out, name);
    return out;
  };
  for (const r of sorted) {
    const caller = id('caller', r.caller);
    const door = id('door', `${r.door} ${r.endpoint}`);
    const endpoint = id('endpoint', r.endpoint);
    callers.set(caller, r.caller);
    doors.set(door, r.door);
    endpoints.set(endpoint, r.endpoint);
    const operation = [r.methods.join(' '), r.paths.join(' ')].filter((s) => s !== '').join(' ');
    callerEdges.add(`  ${caller} -->${operation ? `|"${mermaidText(operation)}"|` : ''} ${door}`);
    doorEdges.add(`  ${door} --> ${endpoint}`);
  }
  const nodes = (m: Map<string, string>, open: string, close: string) =>
    sortStrings(m.keys()).map((id) => `  ${id}${open}"${mermaidText(m.get(id)!)}"${close}`);
  return [
    'flowchart LR',
    ...nodes(callers, '[', ']'),
    ...nodes(doors, '([', '])'),
    ...nodes(endpoints, '[(', ')]'),
    ...sortStrings(callerEdges),
    ...sortStrings(doorEdges),
  ];
}

/**
 * An id Mermaid reads as one node: the name's ASCII letters and digits (runs
 * of anything else as one `_`, at most 48 characters), then `_` and the
 * first `hashDigits` hex digits of the name's SHA-256, so ids stay readable, do not
 * change when other rows come and go, and two names do not share one.
 * Callers prefix it (`caller_`, ...), which also keeps ids off the word
 * `end` that breaks a flowchart.
 */
export function mermaidId(name: string, hashDigits = 10): string {
  const readable = name.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 48).replace(/_+$/, '');
  const hash = createHash('sha256').update(name, 'utf8').digest('hex').slice(0, hashDigits);
  return readable ? `${readable}_${hash}` : hash;
}

/**
 * Text for a quoted Mermaid label: the characters that end or change a
 * quoted label written as Mermaid entity codes (`#quot;` for `"`, `#35;` for
 * `#` so text never reads as an entity, `#lt;` `#gt;` `#amp;` for HTML
 * labels, `#96;` for the backtick that starts a Markdown string, `#124;`
 * for the `|` that ends an edge label), line breaks as spaces.
 */
export function mermaidText(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/[#"<>&`|]/g, (c) => ({ '#': '#35;', '"': '#quot;', '<': '#lt;', '>': '#gt;', '&': '#amp;', '`': '#96;', '|': '#124;' })[c]!);
}

function listCell(values: readonly string[]): string {
  return values.length === 0 ? 'any' : values.join(', ');
}

/**
 * One Markdown table cell: line breaks as spaces; `\`, `|`, the backtick and
 * the characters that start emphasis, HTML, entities or links escaped with
 * `\`, so the cell renders as the text and never splits the row.
 */
export function markdownCell(text: string): string {
  return oneLine(text).replace(/[\\|`*_<>&[\]]/g, (c) => `\\${c}`);
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}
