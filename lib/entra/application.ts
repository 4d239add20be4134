import { Problem, problem } from '../errors';
import { isGuid } from '../util/names';

/** Props of {@link EntraApplication.fromClientId}. */
export interface EntraApplicationOptions {
  /**
   * A name for the app registration in the Azure plan and in messages.
   *
   * @default - the client id
   */
  readonly displayName?: string;
}

/**
 * A Microsoft Entra app registration (an application object), known by its
 * Application (client) ID. Unlike a managed identity it can sign users in
 * (it has redirect URIs and issues ID tokens for its client id), and it can
 * trust a Kubernetes ServiceAccount through a federated credential on the
 * app registration (`az ad app federated-credential create`), so a workload
 * authenticates as it without a client secret.
 *
 * @see https://learn.microsoft.com/graph/api/application-post-federatedidentitycredentials
 */
export class EntraApplication {
  /** An app registration by its Application (client) ID, a GUID. */
  public static fromClientId(clientId: string, options: EntraApplicationOptions = {}): EntraApplication {
    return new EntraApplication(clientId, options.displayName);
  }

  private constructor(
    private readonly rawClientId: string,
    /** Name for the plan and messages. */
    public readonly displayName?: string,
  ) {}

  /** The Application (client) ID, lower-case. */
  public get clientId(): string {
    return typeof this.rawClientId === 'string' ? this.rawClientId.toLowerCase() : '';
  }

  /** Problems with the declaration (empty when valid). */
  public problems(field = 'application'): Problem[] {
    return isGuid(this.rawClientId)
      ? []
      : [problem(`${field}.clientId`, 'a GUID', this.rawClientId, 'use the Application (client) ID on the app registration\'s Overview page')];
  }
}
