import { Lazy, Yaml } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { Problem, problem } from '../errors';
import { KubeConfigMap } from '../imports/k8s';
import { MANAGED_BY_LABEL, canonicalJson, compareStrings } from '../util/names';
import { AKS_ISTIO_CONTROL_PLANE_NAMESPACE } from './profile';

/** A mesh-config `extensionProviders` entry (its `name` and one provider kind). */
export type MeshExtensionProvider = Record<string, unknown> & { readonly name: string };

/** What one feature puts in a revision's shared mesh config. */
export interface SharedMeshConfigPart {
  /** The construct path of the feature, for messages. */
  readonly source: string;
  /** Mesh-config settings other than `extensionProviders`, as the user declared them. */
  readonly meshConfig?: Record<string, unknown>;
  /** Extension providers the user declared (kept in their order, first). */
  readonly declaredProviders?: readonly MeshExtensionProvider[];
  /** Extension providers the feature adds (sorted by name, after the declared ones); read at synth. */
  readonly featureProviders: () => readonly MeshExtensionProvider[];
}

const REGISTRY = new WeakMap<IConstruct, Map<string, SharedMeshConfig>>();

/**
 * The AKS Istio add-on's shared mesh config of one revision,
 * `istio-shared-configmap-<revision>` in `aks-istio-system`: one ConfigMap
 * per app and revision, whatever the number of features that write it (the
 * audit log's provider, the browser sign-in's ext-authz providers). The first
 * writer holds the ConfigMap; every writer's settings and providers are
 * merged into it at synth, and two writers that set one key differently, or
 * two providers of one name that differ, are errors.
 *
 * @see https://learn.microsoft.com/azure/aks/istio-meshconfig
 */
export class SharedMeshConfig {
  /** The shared mesh config of `revision` in the app of `scope`. */
  public static of(scope: IConstruct, revision: string): SharedMeshConfig {
    const root = scope.node.root;
    let byRevision = REGISTRY.get(root);
    if (!byRevision) {
      byRevision = new Map();
      REGISTRY.set(root, byRevision);
    }
    let shared = byRevision.get(revision);
    if (!shared) {
      shared = new SharedMeshConfig(revision);
      byRevision.set(revision, shared);
    }
    return shared;
  }

  private readonly parts: SharedMeshConfigPart[] = [];
  private configMap?: KubeConfigMap;

  private constructor(
    /** The add-on revision, e.g. `asm-1-28`. */
    public readonly revision: string,
  ) {}

  /** The ConfigMap's name. */
  public get name(): string {
    return `istio-shared-configmap-${this.revision}`;
  }

  /** True once a writer created the ConfigMap. */
  public get written(): boolean {
    return this.configMap !== undefined;
  }

  /**
   * Adds a feature's part and returns the ConfigMap: created under `writer`
   * (id `Resource`) by the first caller, shared by the next ones. The first
   * writer reports the merge problems (see {@link problems}).
   */
  public write(writer: Construct, part: SharedMeshConfigPart): { configMap: KubeConfigMap; owner: boolean } {
    this.parts.push(part);
    if (this.configMap) return { configMap: this.configMap, owner: false };
    this.configMap = new KubeConfigMap(writer, 'Resource', {
      metadata: { name: this.name, namespace: AKS_ISTIO_CONTROL_PLANE_NAMESPACE, labels: { ...MANAGED_BY_LABEL } },
      // rendered at synth: features declared after the writer still count
      data: { mesh: Lazy.any({ produce: () => Yaml.stringify(this.render()) }) as unknown as string },
      immutable: false,
    });
    return { configMap: this.configMap, owner: true };
  }

  /** True when the rendered mesh config carries an extension provider of that name. */
  public hasProvider(name: string): boolean {
    return this.written && this.providers().some((p) => p.name === name);
  }

  /** The merged mesh config: every part's settings, then `extensionProviders` (declared ones first, then the features', by name). */
  public render(): Record<string, unknown> {
    const mesh: Record<string, unknown> = {};
    for (const part of this.parts) {
      for (const [key, value] of Object.entries(part.meshConfig ?? {})) {
        // the key keeps its place; its value is the merged list, set below
        if (key === 'extensionProviders') mesh.extensionProviders = undefined;
        else if (!(key in mesh)) mesh[key] = value;
      }
    }
    mesh.extensionProviders = this.providers();
    return mesh;
  }

  /** Problems of the merge: one key set differently by two writers, two different providers of one name. */
  public problems(): Problem[] {
    const out: Problem[] = [];
    const seen = new Map<string, { value: string; source: string }>();
    for (const part of this.parts) {
      for (const [key, value] of Object.entries(part.meshConfig ?? {})) {
        if (key === 'extensionProviders') continue;
        const prior = seen.get(key);
        if (prior && prior.value !== canonicalJson(value)) {
          out.push(problem(`meshConfig.${key}`, `the value ${prior.source} sets in ${this.name} (one ConfigMap holds the revision's whole shared mesh config)`, value,
            'declare the setting once, in one of the constructs that write it'));
        } else if (!prior) {
          seen.set(key, { value: canonicalJson(value), source: part.source });
        }
      }
    }
    const byName = new Map<string, string>();
    for (const p of this.allProviders()) {
      const prior = byName.get(p.name);
      if (prior !== undefined && prior !== canonicalJson(p)) {
        out.push(problem(`meshConfig.extensionProviders["${p.name}"]`, `one definition per provider name in ${this.name}`, p));
      }
      byName.set(p.name, canonicalJson(p));
    }
    return out;
  }

  private allProviders(): MeshExtensionProvider[] {
    return [...this.parts.flatMap((p) => p.declaredProviders ?? []), ...this.parts.flatMap((p) => p.featureProviders())];
  }

  private providers(): MeshExtensionProvider[] {
    const declared = this.parts.flatMap((p) => p.declaredProviders ?? []);
    const features = this.parts.flatMap((p) => p.featureProviders()).sort((a, b) => compareStrings(a.name, b.name));
    const out: MeshExtensionProvider[] = [];
    const names = new Set<string>();
    for (const p of [...declared, ...features]) {
      if (names.has(p.name)) continue;
      names.add(p.name);
      out.push(p);
    }
    return out;
  }
}
