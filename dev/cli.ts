import type { Command, CommandGroup } from '../cli/command.ts';
import { requirePositional } from '../cli/command.ts';
import { demoCommand } from './demo-command.ts';
import { eidCommands } from './eid/cli.ts';
import { writeDevelopmentFederation } from './federation-files.ts';
import { devSeedCommand } from './registry-seed.ts';

const init: Command = {
  name: 'init',
  summary: 'Write a development federation (CAs, keys, certificates, federation.json) into DIR',
  args: 'DIR',
  options: { force: { type: 'boolean', description: 'Replace a federation already in DIR' } },
  async run(input) {
    const dir = requirePositional(input, 0, 'DIR');
    const started = Date.now();
    const manifest = await writeDevelopmentFederation({ dir, force: input.options.force === true });
    input.print(
      `Development federation ${manifest.instance} in ${dir}: ${manifest.members.length} members, ` +
        `root CA ${manifest.rootCa}, manifest federation.json (${Date.now() - started} ms)`,
    );
    return 0;
  },
};

/** The `dev` commands; add new ones to this list. */
export const devCommandList: Command[] = [init, devSeedCommand, demoCommand, ...eidCommands];

/** `einmal dev ...`: development federation tooling. */
export const devCommands: CommandGroup = {
  name: 'dev',
  summary: 'Development tools: a ready-made federation for the demo and tests',
  commands: devCommandList,
};
