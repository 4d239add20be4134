import { CliIo, ExitCode } from './io';

/** `cdk8s-azureml-mesh lint`: placeholder until the command lands. */
export function lintCommand(_args: readonly string[], io: CliIo): number {
  io.stderr('cdk8s-azureml-mesh: lint is not built yet\n');
  return ExitCode.USAGE;
}

/** The command's `--help` text. */
export const lintHelp = 'usage: cdk8s-azureml-mesh lint ...\n';
