import { adapterCommands } from '../adapters/index.ts';
import { pkiCommands } from '../certs/index.ts';
import { devCommands } from '../dev/cli.ts';
import type { CommandGroup } from './command.ts';

/** Every command group of the einmal CLI; each folder contributes its own. */
export const commandGroups: readonly CommandGroup[] = [pkiCommands, devCommands, adapterCommands];
