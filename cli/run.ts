import { isEinmalError } from '../core/index.ts';
import { type CommandGroup, commandUsage, groupUsage, parseCommandArgs } from './command.ts';

export interface CliOutput {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

export function cliUsage(groups: readonly CommandGroup[]): string {
  const width = Math.max(...groups.map((g) => g.name.length)) + 4;
  return [
    'Usage: einmal GROUP COMMAND [options]',
    '',
    'einmal: once-only data exchange between public registries.',
    '',
    'Command groups:',
    ...groups.map((g) => `  ${g.name.padEnd(width)}${g.summary}`),
    '',
    "Run 'einmal GROUP --help' for a group's commands.",
  ].join('\n');
}

/**
 * Dispatches `einmal GROUP COMMAND ...`. Every failure prints one line, `einmal: CODE: message`
 * (a config error lists each problem on its own indented line), never a stack trace.
 */
export async function runCli(
  argv: readonly string[],
  groups: readonly CommandGroup[],
  output: CliOutput,
): Promise<number | undefined> {
  const [groupName, commandName, ...rest] = argv;
  if (!groupName || groupName === '--help' || groupName === '-h' || groupName === 'help') {
    output.out(cliUsage(groups));
    return groupName ? 0 : 2;
  }
  const group = groups.find((g) => g.name === groupName);
  if (!group) {
    output.err(`einmal: unknown command group '${groupName}'. Run 'einmal --help'.`);
    return 2;
  }
  if (!commandName || commandName === '--help' || commandName === '-h') {
    output.out(groupUsage(group));
    return commandName ? 0 : 2;
  }
  const command = group.commands.find((c) => c.name === commandName);
  if (!command) {
    output.err(`einmal: unknown command '${group.name} ${commandName}'. Run 'einmal ${group.name} --help'.`);
    return 2;
  }
  try {
    const { values, positionals } = parseCommandArgs(command, rest);
    if (values.help) {
      output.out(commandUsage(group, command));
      return 0;
    }
    return (await command.run({ positionals, options: values, print: output.out })) ?? 0;
  } catch (error) {
    if (isEinmalError(error)) {
      output.err(`einmal: ${error.code}: ${error.message}`);
      return error.code === 'Cli.Usage' ? 2 : 1;
    }
    output.err(`einmal: internal error: ${error instanceof Error ? error.message : String(error)}`);
    if (process.env.EINMAL_DEBUG) output.err(String((error as Error)?.stack));
    return 1;
  }
}
