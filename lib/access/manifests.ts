import * as fs from 'node:fs';
import * as path from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';

/** The metadata of a Kubernetes object, as far as the analyses read it. */
export interface ManifestMetadata {
  readonly name?: string;
  readonly namespace?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
  readonly [key: string]: unknown;
}

/** A Kubernetes object as read from YAML or JSON (any kind, untyped below `metadata`). */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ManifestMetadata;
  readonly spec?: any;
  readonly [key: string]: unknown;
}

/** Where an object was read from. */
export interface ManifestSource {
  /** The file, as given (relative paths stay relative), or `<memory>` for objects passed in. */
  readonly file: string;
  /** The YAML document's index in the file (0-based; 0 for JSON). */
  readonly document: number;
  /** The 1-based line of the document's first line (1 for JSON and objects passed in). */
  readonly line: number;
}

/** One object with where it came from. */
export interface ManifestEntry {
  readonly object: KubeObject;
  readonly source: ManifestSource;
}

/** A workload's pod template, read from any kind that has one. */
export interface PodTemplateInfo {
  /** The entry of the object that holds the template (a Deployment, a Pod, ...). */
  readonly entry: ManifestEntry;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  /** The pod template's labels (a Pod's own labels). */
  readonly labels: Record<string, string>;
  /** The pod template's annotations. */
  readonly annotations: Record<string, string>;
  /** `spec.serviceAccountName`, `default` when unset (Kubernetes' default). */
  readonly serviceAccount: string;
  /** The field path of the pod template within the object, e.g. `spec.template`. */
  readonly templatePath: string;
}

/** A file that cannot be read, or YAML that is not Kubernetes objects (the CLI exits 2 on it). */
export class ManifestError extends Error {
  constructor(message: string, public readonly file?: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

/**
 * The root namespaces the analyses assume when none are given
 * (`meshConfig.rootNamespace`): upstream Istio's `istio-system` and the AKS
 * Istio add-on's `aks-istio-system`. Policies there without a selector apply
 * to the whole mesh, with a selector to matching pods of every namespace.
 */
export const DEFAULT_ROOT_NAMESPACES: readonly string[] = ['istio-system', 'aks-istio-system'];

/**
 * Why `--root-namespace` values are not namespace names (DNS labels), or
 * undefined when they all are: the check every command applies.
 */
export function rootNamespaceProblem(values: readonly string[] | undefined): string | undefined {
  const bad = (values ?? []).find((ns) => !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns) || ns.length > 63);
  return bad === undefined ? undefined : `--root-namespace must be a namespace name (a DNS label), got "${bad}"`;
}

/** Kinds that are not namespaced (everything else is read as namespaced, `default` when unset). */
const CLUSTER_SCOPED = new Set([
  'Namespace', 'Node', 'PersistentVolume', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition',
  'StorageClass', 'PriorityClass', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration',
  'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding', 'GatewayClass', 'APIService', 'IngressClass',
  'RuntimeClass', 'CSIDriver', 'VolumeAttachment',
]);

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/**
 * A set of Kubernetes objects read from files, folders (recursively: every
 * `.yaml`, `.yml` and `.json` file, in sorted order) or memory, with the
 * indexes that `explain`, `lint` and the access map read. `List` objects are
 * flattened into their items; empty documents are skipped.
 */
export class ManifestSet {
  /**
   * Reads files and folders. Throws {@link ManifestError} for a path that does
   * not exist, YAML that does not parse, or a document that is not an object
   * with `apiVersion` and `kind`.
   */
  public static load(paths: readonly string[]): ManifestSet {
    if (paths.length === 0) throw new ManifestError('no manifest paths given; pass files or folders of YAML');
    const entries: ManifestEntry[] = [];
    for (const p of paths) {
      for (const file of manifestFiles(p)) entries.push(...parseFile(file));
    }
    return new ManifestSet(entries);
  }

  /** Objects already in memory (e.g. `Testing.synth(chart)`), all from `file`. */
  public static fromObjects(objects: readonly unknown[], file = '<memory>'): ManifestSet {
    const entries: ManifestEntry[] = [];
    objects.forEach((o, i) => entries.push(...toEntries(o, { file, document: i, line: 1 })));
    return new ManifestSet(entries);
  }

  /** Parses YAML text (one or more documents) as if read from `file`. */
  public static parse(text: string, file = '<memory>'): ManifestSet {
    return new ManifestSet(parseText(text, file));
  }

  private readonly byKind = new Map<string, ManifestEntry[]>();

  private constructor(
    /** Every object, in file order. */
    public readonly entries: readonly ManifestEntry[],
  ) {
    for (const e of entries) {
      const list = this.byKind.get(e.object.kind) ?? [];
      list.push(e);
      this.byKind.set(e.object.kind, list);
    }
  }

  /** The objects of `kind`, optionally only of an API group (`security.istio.io`; `''` for the core group). */
  public ofKind(kind: string, group?: string): ManifestEntry[] {
    const all = this.byKind.get(kind) ?? [];
    return group === undefined ? [...all] : all.filter((e) => apiGroup(e.object) === group);
  }

  /** Every object with a pod template (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod). */
  public podTemplates(): PodTemplateInfo[] {
    const out: PodTemplateInfo[] = [];
    for (const e of this.entries) {
      const t = podTemplateOf(e.object);
      if (!t) continue;
      const meta = (t.template.metadata ?? {}) as ManifestMetadata;
      out.push({
        entry: e,
        kind: e.object.kind,
        name: e.object.metadata?.name ?? '',
        namespace: namespaceOf(e.object),
        labels: { ...(meta.labels ?? {}) },
        annotations: { ...(meta.annotations ?? {}) },
        serviceAccount: t.template.spec?.serviceAccountName ?? t.template.spec?.serviceAccount ?? 'default',
        templatePath: t.path,
      });
    }
    return out;
  }

  /** The Namespace object named `name`, when the set has one. */
  public namespace(name: string): ManifestEntry | undefined {
    return (this.byKind.get('Namespace') ?? []).find((e) => e.object.metadata?.name === name);
  }
}

/** The API group of an object (`''` for the core group `v1`). */
export function apiGroup(object: KubeObject): string {
  const v = object.apiVersion ?? '';
  return v.includes('/') ? v.slice(0, v.indexOf('/')) : '';
}

/** The namespace an object lives in: its own, `default` when unset, `''` for cluster-scoped kinds. */
export function namespaceOf(object: KubeObject): string {
  if (CLUSTER_SCOPED.has(object.kind)) return '';
  return object.metadata?.namespace || 'default';
}

/** `<Kind> <namespace>/<name>` (or `<Kind> <name>` when cluster-scoped), as messages name objects. */
export function objectRef(object: KubeObject): string {
  const ns = namespaceOf(object);
  return `${object.kind} ${ns ? `${ns}/` : ''}${object.metadata?.name ?? '<unnamed>'}`;
}

/** True when every label of `selector` is in `labels` with the same value (an empty selector selects everything). */
export function matchesLabels(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}

function podTemplateOf(object: KubeObject): { template: any; path: string } | undefined {
  switch (object.kind) {
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Job':
      return object.spec?.template ? { template: object.spec.template, path: 'spec.template' } : undefined;
    case 'CronJob':
      return object.spec?.jobTemplate?.spec?.template
        ? { template: object.spec.jobTemplate.spec.template, path: 'spec.jobTemplate.spec.template' }
        : undefined;
    case 'Pod':
      return { template: { metadata: object.metadata, spec: object.spec }, path: '' };
    default:
      return undefined;
  }
}

function manifestFiles(p: string): string[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(p);
  } catch {
    throw new ManifestError(`${p}: no such file or folder`, p);
  }
  if (stat.isFile()) return [p];
  if (!stat.isDirectory()) throw new ManifestError(`${p}: not a file or folder`, p);
  const out: string[] = [];
  for (const name of fs.readdirSync(p).sort()) {
    const child = path.join(p, name);
    const s = fs.statSync(child);
    if (s.isDirectory()) out.push(...manifestFiles(child));
    else if (MANIFEST_EXTENSIONS.has(path.extname(name).toLowerCase())) out.push(child);
  }
  return out;
}

function parseFile(file: string): ManifestEntry[] {
  const text = fs.readFileSync(file, 'utf8');
  if (path.extname(file).toLowerCase() === '.json') {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new ManifestError(`${file}: not valid JSON (${(e as Error).message})`, file);
    }
    return toEntries(value, { file, document: 0, line: 1 });
  }
  return parseText(text, file);
}

function parseText(text: string, file: string): ManifestEntry[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter });
  if (!Array.isArray(docs)) throw new ManifestError(`${file}: not YAML documents`, file);
  const out: ManifestEntry[] = [];
  docs.forEach((doc, i) => {
    if (doc.errors.length > 0) {
      const err = doc.errors[0];
      const pos = err.linePos?.[0];
      throw new ManifestError(`${file}${pos ? `:${pos.line}:${pos.col}` : ''}: YAML does not parse (${err.message.split('\n')[0]})`, file);
    }
    const value = doc.toJS({ maxAliasCount: 1000 });
    if (value === null || value === undefined) return;
    const start = doc.contents?.range?.[0] ?? 0;
    out.push(...toEntries(value, { file, document: i, line: lineCounter.linePos(start).line }));
  });
  return out;
}

function toEntries(value: unknown, source: ManifestSource): ManifestEntry[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ManifestError(`${source.file}:${source.line}: document ${source.document} is not a Kubernetes object (got ${Array.isArray(value) ? 'a list' : typeof value})`, source.file);
  }
  const o = value as Record<string, unknown>;
  if (typeof o.kind === 'string' && o.kind.endsWith('List') && Array.isArray(o.items)) {
    return o.items.flatMap((item) => toEntries(item, source));
  }
  if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string') {
    throw new ManifestError(`${source.file}:${source.line}: document ${source.document} has no apiVersion and kind; only Kubernetes objects are read`, source.file);
  }
  const metadata = (typeof o.metadata === 'object' && o.metadata !== null ? o.metadata : {}) as ManifestMetadata;
  return [{ object: { ...o, metadata } as KubeObject, source }];
}
