import { adapterCommands } from '../adapters/index.ts';
import { auditCommands } from '../audit/cli.ts';
import { pkiCommands } from '../certs/index.ts';
import { devCommands } from '../dev/cli.ts';
import { gatewayCommands } from '../gateway/index.ts';
import { portalCommands } from '../portal/cli.ts';
import { registryCommands } from '../registry/index.ts';
import type { CommandGroup } from './command.ts';

/** Every command group of the einmal CLI; each folder contributes its own. */
export const commandGroups: readonly CommandGroup[] = [
  pkiCommands,
  devCommands,
  adapterCommands,
  registryCommands,
  gatewayCommands,
  auditCommands,
  portalCommands,
];
