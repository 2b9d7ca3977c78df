import { type ParseArgsConfig, parseArgs } from 'node:util';
import { EinmalError } from '../core/index.ts';

type OptionSpec = NonNullable<ParseArgsConfig['options']>[string] & {
  description: string;
  placeholder?: string;
};

/** What a command receives: its positionals, its options and where to print. */
export interface CommandInput {
  readonly positionals: readonly string[];
  readonly options: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
  readonly print: (line: string) => void;
}

/** One `einmal GROUP NAME` command. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Positional arguments as shown in the usage line, e.g. `DIR`. */
  readonly args?: string;
  readonly options?: Readonly<Record<string, OptionSpec>>;
  /** Returns the process exit code (0 when omitted). Long-running servers resolve when stopped. */
  // biome-ignore lint/suspicious/noConfusingVoidType: a command that just prints returns nothing.
  run(input: CommandInput): Promise<number | undefined | void> | number | undefined | void;
}

/** A folder's commands, e.g. `einmal pki ...`. */
export interface CommandGroup {
  readonly name: string;
  readonly summary: string;
  readonly commands: readonly Command[];
}

/** Usage text of one command, for `einmal GROUP NAME --help`. */
export function commandUsage(group: CommandGroup, command: Command): string {
  const lines = [`Usage: einmal ${group.name} ${command.name}${command.args ? ` ${command.args}` : ''}`, ''];
  lines.push(command.summary);
  const options = Object.entries(command.options ?? {});
  if (options.length > 0) {
    lines.push('', 'Options:');
    for (const [name, spec] of options) {
      const value = spec.type === 'string' ? ` ${spec.placeholder ?? 'VALUE'}` : '';
      lines.push(`  --${name}${value}`.padEnd(32) + spec.description);
    }
  }
  lines.push(`  --help`.padEnd(32) + 'Show this help');
  return lines.join('\n');
}

/** Usage text of a group, for `einmal GROUP --help`. */
export function groupUsage(group: CommandGroup): string {
  const width = Math.max(...group.commands.map((c) => c.name.length)) + 4;
  return [
    `Usage: einmal ${group.name} COMMAND [options]`,
    '',
    group.summary,
    '',
    'Commands:',
    ...group.commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    `Run 'einmal ${group.name} COMMAND --help' for a command's options.`,
  ].join('\n');
}

/** Parses a command's argv strictly; unknown options become one clear usage error. */
export function parseCommandArgs(command: Command, argv: readonly string[]) {
  const options: NonNullable<ParseArgsConfig['options']> = { help: { type: 'boolean' } };
  for (const [name, spec] of Object.entries(command.options ?? {})) {
    const { description: _d, placeholder: _p, ...rest } = spec;
    options[name] = rest;
  }
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new EinmalError('Cli.Usage', {
      message: (error as Error).message.split('\n')[0] ?? 'Invalid arguments',
    });
  }
}

/** A required string option, or a usage error naming it. */
export function requireOption(input: CommandInput, name: string): string {
  const value = input.options[name];
  if (typeof value !== 'string' || value.length === 0) {
    throw new EinmalError('Cli.Usage', { message: `--${name} is required` });
  }
  return value;
}

/** The options of commands that open a gateway's database: PostgreSQL or a PGlite directory. */
export const gatewayDatabaseOptions = {
  'database-url': {
    type: 'string',
    description: 'PostgreSQL URL of the gateway database',
    placeholder: 'URL',
  },
  'data-dir': {
    type: 'string',
    description: 'PGlite data directory of the gateway database',
    placeholder: 'DIR',
  },
} as const satisfies Record<string, OptionSpec>;

/** Where {@link gatewayDatabaseOptions} say the database is, or a usage error when they say nothing. */
export function requireGatewayDatabase(input: CommandInput): { url?: string; dataDir?: string } {
  const url = input.options['database-url'];
  const dataDir = input.options['data-dir'];
  if (typeof url === 'string' && url.length > 0) return { url };
  if (typeof dataDir === 'string' && dataDir.length > 0) return { dataDir };
  throw new EinmalError('Cli.Usage', { message: '--database-url or --data-dir is required' });
}

/** A required positional argument, or a usage error naming it. */
export function requirePositional(input: CommandInput, index: number, name: string): string {
  const value = input.positionals[index];
  if (value === undefined) throw new EinmalError('Cli.Usage', { message: `${name} is required` });
  return value;
}
