import { CliIo, ExitCode } from './io';

/** `cdk8s-azureml-mesh access-map`: placeholder until the command lands. */
export function accessMapCommand(_args: readonly string[], io: CliIo): number {
  io.stderr('cdk8s-azureml-mesh: access-map is not built yet\n');
  return ExitCode.USAGE;
}

/** The command's `--help` text. */
export const accessMapHelp = 'usage: cdk8s-azureml-mesh access-map ...\n';
