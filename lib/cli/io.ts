/** Where a CLI command writes, and where it resolves relative paths: the process's by default, a buffer in tests. */
export interface CliIo {
  /** Writes to standard output (the text is written as given; add the newline). */
  stdout(text: string): void;
  /** Writes to standard error. */
  stderr(text: string): void;
}

/** Exit statuses shared by the commands. */
export enum ExitCode {
  /** lint: no findings; explain: ALLOW; anything else: success. */
  OK = 0,
  /** lint: findings. */
  FINDINGS = 1,
  /** A usage error, or manifests that cannot be read. */
  USAGE = 2,
  /** explain: DENY. */
  DENY = 3,
}

/** A command: its arguments (after the command name) and where to write; returns the exit status. */
export type CliCommand = (args: readonly string[], io: CliIo) => number;

/** The process's standard streams. */
export const PROCESS_IO: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};
