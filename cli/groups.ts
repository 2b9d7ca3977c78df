import { adapterCommands } from '../adapters/cli.ts';
import { auditCommands } from '../audit/cli.ts';
import { pkiCommands } from '../certs/cli.ts';
import { devCommands } from '../dev/cli.ts';
import { federationFolder } from '../dev/index.ts';
import { gatewayCommands } from '../gateway/cli.ts';
import { portalCommands } from '../portal/cli.ts';
import { registryCommands } from '../registry/cli.ts';
import type { CommandGroup } from './command.ts';

/**
 * Every command group of the einmal CLI. Each module contributes its own; this composition root is
 * the one place that hands the development federation folder (`einmal dev init`) to the gateway's
 * and the registry's commands, which themselves import nothing from dev/.
 */
export const commandGroups: readonly CommandGroup[] = [
  pkiCommands,
  devCommands,
  adapterCommands,
  registryCommands({ federationFolder }),
  gatewayCommands({ federationFolder }),
  auditCommands,
  portalCommands,
];
