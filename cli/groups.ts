import { adapterCommands } from '../adapters/cli.ts';
import { auditCommands } from '../audit/cli.ts';
import { pkiCommands } from '../certs/cli.ts';
import { devCommands } from '../dev/cli.ts';
import { gatewayCommands } from '../gateway/cli.ts';
import { portalCommands } from '../portal/cli.ts';
import { registryCommands } from '../registry/cli.ts';
import type { CommandGroup } from './command.ts';

/**
 * Every command group of the einmal CLI, each module contributing its own. `einmal dev` (the demo
 * and its development eID provider) is one more group here; no other command reads what it writes.
 */
export const commandGroups: readonly CommandGroup[] = [
  pkiCommands,
  registryCommands,
  gatewayCommands,
  adapterCommands,
  auditCommands,
  portalCommands,
  devCommands,
];
