import { Problem, problem } from '../errors';
import { isGuid, isHostname } from '../util/names';

/**
 * Which access-token versions the endpoint accepts.
 *
 * The version of a token is chosen by the **resource** (the API the audience
 * names), not the caller: the app registration's manifest
 * `requestedAccessTokenVersion` (`accessTokenAcceptedVersion` in the legacy
 * manifest) is `null`/`1` for v1 tokens and `2` for v2 tokens.
 *
 * @see https://learn.microsoft.com/entra/identity-platform/access-tokens#token-formats
 */
export enum TokenVersion {
  /** v1.0 tokens: issuer `https://sts.windows.net/{tid}/`, client app in `appid`. */
  V1 = 'v1',
  /** v2.0 tokens: issuer `https://login.microsoftonline.com/{tid}/v2.0`, client app in `azp`. */
  V2 = 'v2',
  /** Accept both (one jwtRule per version), e.g. while migrating an app registration. */
  BOTH = 'both',
}

/** Options for a sovereign or custom cloud. */
export interface EntraCloudOptions {
  /**
   * Host of the Entra login endpoint: issuer of v2.0 tokens and host of the JWKS.
   * E.g. `login.microsoftonline.us` (Azure US Government), `login.partner.microsoftonline.cn` (Azure China).
   */
  readonly loginHost: string;
  /**
   * Host in the issuer of v1.0 tokens (`https://<host>/{tid}/`).
   * E.g. `sts.windows.net` (public), `sts.chinacloudapi.cn` (Azure China).
   */
  readonly v1IssuerHost: string;
}

/**
 * The Microsoft Entra cloud a tenant lives in: which hosts issue and sign tokens.
 *
 * @see https://learn.microsoft.com/entra/identity-platform/authentication-national-cloud
 */
export class EntraCloud {
  /** Azure public cloud. */
  public static readonly PUBLIC = new EntraCloud('public', 'login.microsoftonline.com', 'sts.windows.net');
  /**
   * Azure US Government. The v1 issuer host is `sts.windows.net` per
   * Microsoft's answer on sovereign-cloud issuers; if your v1 tokens carry
   * `https://login.microsoftonline.us/{tid}/`, use {@link EntraCloud.custom}.
   */
  public static readonly US_GOVERNMENT = new EntraCloud('usgov', 'login.microsoftonline.us', 'sts.windows.net');
  /** Azure operated by 21Vianet (China). */
  public static readonly CHINA = new EntraCloud('china', 'login.partner.microsoftonline.cn', 'sts.chinacloudapi.cn');

  /** Any other cloud, by its hosts. */
  public static custom(options: EntraCloudOptions): EntraCloud {
    return new EntraCloud('custom', options.loginHost, options.v1IssuerHost);
  }

  private constructor(
    /** Short name used in messages. */
    public readonly name: string,
    /** Host of the login endpoint (v2 issuer, JWKS). */
    public readonly loginHost: string,
    /** Host in v1 issuers. */
    public readonly v1IssuerHost: string,
  ) {}

  /** Problems with a custom cloud's hosts; empty for the built-in clouds. */
  public problems(): Problem[] {
    const out: Problem[] = [];
    if (!isHostname(this.loginHost)) {
      out.push(problem('cloud.loginHost', 'a hostname without scheme or path', this.loginHost, 'e.g. "login.microsoftonline.us"'));
    }
    if (!isHostname(this.v1IssuerHost)) {
      out.push(problem('cloud.v1IssuerHost', 'a hostname without scheme or path', this.v1IssuerHost, 'e.g. "sts.windows.net"'));
    }
    return out;
  }
}

/** One accepted token issuer: what a jwtRule needs, and the claim names that differ by version. */
export interface TokenIssuer {
  /** `v1` or `v2`. */
  readonly version: TokenVersion.V1 | TokenVersion.V2;
  /** The exact `iss` value. */
  readonly issuer: string;
  /** Where the signing keys are published. */
  readonly jwksUri: string;
  /**
   * The Istio attribute that carries the client application id:
   * `request.auth.claims[appid]` (v1) or `request.auth.presenter` (v2, the `azp` claim).
   */
  readonly clientAppAttribute: string;
  /** The claim that carries the client application id: `appid` (v1) or `azp` (v2). */
  readonly clientAppClaim: 'appid' | 'azp';
}

/** Props of {@link EntraTenant}. */
export interface EntraTenantProps {
  /**
   * The Directory (tenant) ID, a GUID. Found under Entra ID > Overview >
   * Properties in the Microsoft Entra admin center, or as `tenantId` in the
   * output of `az account list`.
   * Domain names (`contoso.com`) are not accepted: token issuers carry the GUID.
   */
  readonly tenantId: string;

  /**
   * Access-token versions to accept.
   *
   * @default TokenVersion.V2 - set `requestedAccessTokenVersion: 2` in the API's app manifest
   */
  readonly tokenVersion?: TokenVersion;

  /**
   * The cloud the tenant lives in.
   *
   * @default EntraCloud.PUBLIC
   */
  readonly cloud?: EntraCloud;
}

/**
 * A Microsoft Entra ID tenant as a token issuer: exact issuer strings, JWKS
 * URIs and version-dependent claim names.
 *
 * Invalid input is not thrown here: the endpoint that uses the tenant reports
 * it with its construct path, together with every other problem of the app.
 *
 * @example
 * const tenant = new EntraTenant({ tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47' });
 * tenant.issuers[0].issuer; // https://login.microsoftonline.com/72f988bf-.../v2.0
 */
export class EntraTenant {
  /** The Directory (tenant) ID, lower-cased. */
  public readonly tenantId: string;
  /** Accepted token versions. */
  public readonly tokenVersion: TokenVersion;
  /** The cloud. */
  public readonly cloud: EntraCloud;
  private readonly rawTenantId: unknown;
  private issuerList?: readonly TokenIssuer[];

  constructor(props: EntraTenantProps) {
    this.rawTenantId = props.tenantId;
    this.tenantId = typeof props.tenantId === 'string' ? props.tenantId.toLowerCase() : String(props.tenantId);
    this.tokenVersion = props.tokenVersion ?? TokenVersion.V2;
    this.cloud = props.cloud ?? EntraCloud.PUBLIC;
  }

  /** The v1.0 issuer, `https://sts.windows.net/{tid}/` (with the trailing slash). */
  public get v1Issuer(): string {
    return `https://${this.cloud.v1IssuerHost}/${this.tenantId}/`;
  }

  /** The v2.0 issuer, `https://login.microsoftonline.com/{tid}/v2.0`. */
  public get v2Issuer(): string {
    return `https://${this.cloud.loginHost}/${this.tenantId}/v2.0`;
  }

  /** JWKS URI of v1.0 tokens (`/discovery/keys`). */
  public get v1JwksUri(): string {
    return `https://${this.cloud.loginHost}/${this.tenantId}/discovery/keys`;
  }

  /** JWKS URI of v2.0 tokens (`/discovery/v2.0/keys`). */
  public get v2JwksUri(): string {
    return `https://${this.cloud.loginHost}/${this.tenantId}/discovery/v2.0/keys`;
  }

  /** The accepted issuers, v1 before v2 (computed once: the tenant is immutable). */
  public get issuers(): readonly TokenIssuer[] {
    this.issuerList ??= Object.freeze(this.buildIssuers().map((issuer) => Object.freeze(issuer)));
    return this.issuerList;
  }

  /** Problems with this declaration (empty when valid); fields are relative to the tenant. */
  public problems(): Problem[] {
    const out: Problem[] = [];
    if (!isGuid(this.rawTenantId)) {
      out.push(
        problem(
          'tenantId',
          'a GUID',
          this.rawTenantId,
          'use the Tenant ID from Entra ID > Overview > Properties in the Microsoft Entra admin center, or the tenantId of `az account list`',
        ),
      );
    }
    if (!Object.values(TokenVersion).includes(this.tokenVersion)) {
      out.push(problem('tokenVersion', 'one of "v1", "v2", "both"', this.tokenVersion));
    }
    out.push(...this.cloud.problems());
    return out;
  }

  private buildIssuers(): TokenIssuer[] {
    const out: TokenIssuer[] = [];
    if (this.tokenVersion === TokenVersion.V1 || this.tokenVersion === TokenVersion.BOTH) {
      out.push({
        version: TokenVersion.V1,
        issuer: this.v1Issuer,
        jwksUri: this.v1JwksUri,
        clientAppClaim: 'appid',
        clientAppAttribute: 'request.auth.claims[appid]',
      });
    }
    if (this.tokenVersion === TokenVersion.V2 || this.tokenVersion === TokenVersion.BOTH) {
      out.push({
        version: TokenVersion.V2,
        issuer: this.v2Issuer,
        jwksUri: this.v2JwksUri,
        clientAppClaim: 'azp',
        clientAppAttribute: 'request.auth.presenter',
      });
    }
    return out;
  }
}
