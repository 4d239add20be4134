import * as pulumi from '@pulumi/pulumi';
import { v5 as uuidv5 } from 'uuid';
import { MESH_UUID_NAMESPACE } from '../azure/role';
import { IdentityIds } from '../identity/managed-identity';

/** UUID v5 namespace of the placeholders (no real id is derived from it). */
const PLACEHOLDER_NAMESPACE = uuidv5('pulumi/identity-placeholder', MESH_UUID_NAMESPACE);

/** Which id of which identity a placeholder stands for. */
export interface PlaceholderTarget {
  readonly ref: string;
  readonly field: keyof IdentityIds;
}

/**
 * Stand-ins for ids known only at deploy time. The app is synthesized once,
 * with one unique GUID per identity and id (UUID v5 of the identity's plan
 * reference, so the same declaration gives the same placeholders); the
 * strings that carry a placeholder are then replaced by the identity's
 * Outputs, so nothing waits for the ids to be known before the resources are
 * declared, and no placeholder reaches Azure or the cluster.
 */
export class IdentityPlaceholders {
  private readonly byRef = new Map<string, IdentityIds>();
  private readonly targets = new Map<string, PlaceholderTarget>();
  private pattern?: RegExp;

  /**
   * The resolver to put under `RESOLVED_IDENTITIES_CONTEXT`: a placeholder
   * pair for every identity the app asks about.
   */
  public readonly resolve = (ref: string): IdentityIds => {
    let ids = this.byRef.get(ref);
    if (!ids) {
      ids = { clientId: uuidv5(`${ref}|clientId`, PLACEHOLDER_NAMESPACE), principalId: uuidv5(`${ref}|principalId`, PLACEHOLDER_NAMESPACE) };
      this.byRef.set(ref, ids);
      this.targets.set(ids.clientId, { ref, field: 'clientId' });
      this.targets.set(ids.principalId, { ref, field: 'principalId' });
      this.pattern = undefined;
    }
    return ids;
  };

  /** What `value` stands for, when it is a placeholder. */
  private targetOf(value: unknown): PlaceholderTarget | undefined {
    return typeof value === 'string' ? this.targets.get(value) : undefined;
  }

  /** True when `text` carries a placeholder. */
  private occursIn(text: string): boolean {
    const re = this.regex();
    return re !== undefined && new RegExp(re.source).test(text);
  }

  /**
   * `value` as the declaration says before the ids are known: without any
   * property whose value is a placeholder, and strings without the
   * placeholders they carry (with the `|` that joins one, as in a workload
   * caller's `<mesh principal>|<oid>`).
   */
  public strip<T>(value: T): T {
    if (typeof value === 'string') {
      const re = this.regex();
      return (re === undefined ? value : value.replace(new RegExp(`\\|?(?:${re.source})`, 'g'), '')) as unknown as T;
    }
    if (Array.isArray(value)) return value.map((v) => this.strip(v)) as unknown as T;
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value)
        .filter(([, v]) => this.targetOf(v) === undefined)
        .map(([k, v]) => [k, this.strip(v)])) as T;
    }
    return value;
  }

  /**
   * `value` with every string that carries a placeholder turned into an
   * Output of the string with the real id (a deep walk: arrays and objects
   * are copied, other values kept).
   */
  public substitute(value: unknown, ids: (target: PlaceholderTarget) => pulumi.Output<string>): unknown {
    if (typeof value === 'string') return this.substituteText(value, ids);
    if (Array.isArray(value)) return value.map((v) => this.substitute(v, ids));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => {
        if (this.occursIn(k)) throw new Error(`an identity id is used as the key "${k}": only values can wait for an id known at deploy time`);
        return [k, this.substitute(v, ids)];
      }));
    }
    return value;
  }

  /** `text` itself when it carries no placeholder, else an Output of it with the real ids. */
  public substituteText(text: string, ids: (target: PlaceholderTarget) => pulumi.Output<string>): string | pulumi.Output<string> {
    const re = this.regex();
    if (re === undefined) return text;
    const parts: Array<string | pulumi.Output<string>> = [];
    let last = 0;
    for (const m of text.matchAll(re)) {
      if (m.index > last) parts.push(text.slice(last, m.index));
      parts.push(ids(this.targets.get(m[0])!));
      last = m.index + m[0].length;
    }
    if (last === 0) return text;
    if (last < text.length) parts.push(text.slice(last));
    return parts.length === 1 ? (parts[0] as pulumi.Output<string>) : pulumi.concat(...parts);
  }

  private regex(): RegExp | undefined {
    if (this.targets.size === 0) return undefined;
    // GUIDs hold no regex metacharacter
    this.pattern ??= new RegExp([...this.targets.keys()].join('|'), 'g');
    return this.pattern;
  }
}
