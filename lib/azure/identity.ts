import type { IConstruct } from 'constructs';

/** Ids of an identity known at synth. */
export interface IdentityIds {
  /** The Application (client) ID, for the ServiceAccount annotation. */
  readonly clientId: string;
  /** The Object (principal) ID, for `oid` conditions and role assignments. */
  readonly principalId: string;
}

/** A user-assigned managed identity that the deployment tool creates. */
export interface NewIdentityProps {
  /** Identity name (3-128 letters, digits, `-`, `_`). */
  readonly name: string;
  /** Resource group to create it in. */
  readonly resourceGroup: string;
  /** Subscription id (GUID). */
  readonly subscriptionId: string;
  /** Azure region, e.g. `westeurope`. */
  readonly location: string;
}

/** Where a user-assigned identity is in Azure. */
export interface IdentityResource {
  /** Its name. */
  readonly name: string;
  /** Its resource group. */
  readonly resourceGroup: string;
  /**
   * Its subscription (lower-case).
   *
   * @default - not declared: the deployment tool's subscription
   */
  readonly subscriptionId?: string;
}

/**
 * A user-assigned managed identity as the Azure plan sees it: a principal
 * that role assignments and federated credentials are made for, with what
 * locates or creates it. The plan knows principals, not the constructs that
 * declare them: `ManagedIdentity` implements it.
 */
export interface IAzureIdentity {
  /** The plan reference: the resource id when known, else a name-based reference. */
  readonly ref: string;
  /** True when the plan creates the identity. */
  readonly isNew: boolean;
  /** True when the ids are known only once deployed (the Pulumi component resolves them). */
  readonly idsResolvedAtDeploy: boolean;
  /** False when federated credentials are created elsewhere. */
  readonly createsFederatedCredentials: boolean;
  /** The ARM resource id, when declared. */
  readonly resourceId: string | undefined;
  /** Where the identity is in Azure, when the declaration says. */
  readonly resource: IdentityResource | undefined;
  /** What to create (a new identity). */
  readonly toCreate: NewIdentityProps | undefined;
  /** The declaration as given, for comparing two declarations of one identity. */
  readonly declaration: Record<string, unknown>;
  /** The ids known at synth for the app `scope` belongs to (declared or resolved), or undefined. */
  ids(scope: IConstruct): IdentityIds | undefined;
  /** Whatever ids are known at synth (declared or resolved), possibly only one. */
  knownIds(scope: IConstruct): Partial<IdentityIds>;
}
