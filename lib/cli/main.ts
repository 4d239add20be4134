import { accessMapCommand, accessMapHelp } from './access-map-command';
import { explainCommand, explainHelp } from './explain-command';
import { CliCommand, CliIo, ExitCode, PROCESS_IO } from './io';
import { lintCommand, lintHelp } from './lint-command';

const COMMANDS: Record<string, { run: CliCommand; help: string; summary: string }> = {
  'lint': { run: lintCommand, help: lintHelp, summary: 'check Kubernetes manifests against the zero-trust invariants (text, JSON or SARIF)' },
  'explain': { run: explainCommand, help: explainHelp, summary: 'say whether a request is allowed, and by which policy, over synthesized manifests' },
  'access-map': { run: accessMapCommand, help: accessMapHelp, summary: 'who can call which endpoint, through which door, from manifests alone' },
};

/** The top-level `--help` text. */
export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    'usage: cdk8s-azureml-mesh <command> [options] PATH...',
    '',
    'commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    '`cdk8s-azureml-mesh <command> --help` prints the options of a command.',
    'exit status: 0 success (lint clean, explain ALLOW), 1 lint findings, 2 usage or unreadable manifests, 3 explain DENY',
    '',
  ].join('\n');
}

/**
 * Runs the CLI: `argv` without the node and script arguments. Returns the
 * exit status; writes only through `io`.
 */
export function main(argv: readonly string[], io: CliIo = PROCESS_IO): number {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout)(usage());
    return name === undefined ? ExitCode.USAGE : ExitCode.OK;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr(`cdk8s-azureml-mesh: unknown command "${name}"; expected one of ${Object.keys(COMMANDS).join(', ')}\n\n${usage()}`);
    return ExitCode.USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(command.help);
    return ExitCode.OK;
  }
  return command.run(rest, io);
}
