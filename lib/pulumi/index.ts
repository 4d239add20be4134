// Checks the Pulumi peers before the component loads them: a missing one is
// one error naming the packages to install, not a raw "Cannot find module".
import { assertPulumiPeers } from './peers';

assertPulumiPeers();

export { MissingPeerDependencyError } from './peers';
export * from './component';
