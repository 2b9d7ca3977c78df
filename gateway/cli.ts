import type { CommandGroup } from '../cli/command.ts';
import { gatewayAdminCommands } from './admin/admin-commands.ts';
import { pruneCommand } from './audit/prune-command.ts';
import { gatewayRegistrationCommands } from './registration/registration-commands.ts';

/** `einmal gateway ...`: set up, register, run and administer a security gateway. */
export const gatewayCommands: CommandGroup = {
  name: 'gateway',
  summary: 'Security gateway: init and register, serve, access rules, information-system certificates',
  commands: [...gatewayRegistrationCommands(), ...gatewayAdminCommands, pruneCommand],
};
