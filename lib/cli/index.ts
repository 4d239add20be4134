export { main, usage } from './main';
export type { CliIo, CliCommand } from './io';
export { ExitCode } from './io';
