import { CliIo, ExitCode } from './io';

/** `cdk8s-azureml-mesh explain`: placeholder until the command lands. */
export function explainCommand(_args: readonly string[], io: CliIo): number {
  io.stderr('cdk8s-azureml-mesh: explain is not built yet\n');
  return ExitCode.USAGE;
}

/** The command's `--help` text. */
export const explainHelp = 'usage: cdk8s-azureml-mesh explain ...\n';
