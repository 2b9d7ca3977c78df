import 'reflect-metadata';
import { isEinmalError } from '../core/index.ts';
import { commandGroups } from './groups.ts';
import { runCli } from './run.ts';

const code = await runCli(process.argv.slice(2), commandGroups, {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
if (code !== undefined) process.exitCode = code;

process.on('unhandledRejection', (error) => {
  process.stderr.write(
    `einmal: ${isEinmalError(error) ? `${error.code}: ${error.message}` : String(error)}\n`,
  );
  process.exit(1);
});
