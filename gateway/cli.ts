import type { CommandGroup } from '../cli/command.ts';
import { gatewayAdminCommands } from './admin/admin-commands.ts';
import { pruneCommand } from './audit/prune-command.ts';
import type { FederationFolder } from './registration/index.ts';
import { gatewayRegistrationCommands } from './registration/registration-commands.ts';

/**
 * `einmal gateway ...`: set up, register, run and administer a security gateway. `federationFolder`
 * lets `init` and `register` read credentials from a folder such as `einmal dev init` writes.
 */
export function gatewayCommands(options: { federationFolder?: FederationFolder } = {}): CommandGroup {
  return {
    name: 'gateway',
    summary: 'Security gateway: init and register, serve, access rules, information-system certificates',
    commands: [
      ...gatewayRegistrationCommands(options.federationFolder),
      ...gatewayAdminCommands,
      pruneCommand,
    ],
  };
}
