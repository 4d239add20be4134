/** Label put on every object the library writes. */
export const MANAGED_BY_LABEL: Record<string, string> = { 'app.kubernetes.io/managed-by': 'cdk8s-azureml-mesh' };

/** Validation of Kubernetes and HTTP names; each returns true when valid. */

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** Istio's strict header name rule (ValidateStrictHTTPHeaderName): letters, digits and "-". */
const HEADER_NAME = /^[-A-Za-z0-9]+$/;
const HOSTNAME = /^(?=.{1,253}$)([a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*$/;

/** RFC 1123 label: namespaces, Service names. */
export function isDnsLabel(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 63 && DNS_LABEL.test(value);
}

/** RFC 1123 subdomain: most object names. */
export function isDnsSubdomain(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 253 && DNS_SUBDOMAIN.test(value);
}

/** A hostname such as `login.microsoftonline.us` (no scheme, port or path). */
export function isHostname(value: unknown): value is string {
  return typeof value === 'string' && HOSTNAME.test(value) && value.includes('.');
}

/** A label key (`prefix/name` or `name`) as Kubernetes accepts it. */
export function isLabelKey(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0) return false;
  const parts = value.split('/');
  if (parts.length > 2) return false;
  const name = parts[parts.length - 1];
  if (parts.length === 2 && !(parts[0].length <= 253 && DNS_SUBDOMAIN.test(parts[0]))) return false;
  return name.length <= 63 && LABEL_NAME.test(name);
}

/** A label value as Kubernetes accepts it (may be empty). */
export function isLabelValue(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 63 && LABEL_VALUE.test(value);
}

/** A GUID such as an Entra tenant, object or client id. */
export function isGuid(value: unknown): value is string {
  return typeof value === 'string' && GUID.test(value);
}

/** An HTTP header name Istio accepts in jwtRules. */
export function isHeaderName(value: unknown): value is string {
  return typeof value === 'string' && HEADER_NAME.test(value);
}

/** Compares strings by code unit, so order never depends on the locale. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sorts strings by code unit, so output never depends on the locale. */
export function sortStrings(values: Iterable<string>): string[] {
  // the default sort of strings compares UTF-16 code units: the order of compareStrings, without a callback per comparison
  const out = Array.isArray(values) ? values.slice() : Array.from(values);
  return out.length > 1 ? out.sort() : out;
}

/** Stable JSON with object keys sorted: a canonical key for deduplication and ordering. */
export function canonicalJson(value: unknown): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + (canonicalJson(value[i]) ?? '');
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  let out = '{';
  for (const key of Object.keys(record).sort()) {
    const v = record[key];
    if (v === undefined) continue;
    out += `${out.length > 1 ? ',' : ''}${JSON.stringify(key)}:${canonicalJson(v)}`;
  }
  return `${out}}`;
}
