import type { CommandGroup } from '../cli/command.ts';
import { createLogger } from '../core/index.ts';

/** `einmal portal ...`: the citizens' and auditors' web application. */
export const portalCommands: CommandGroup = {
  name: 'portal',
  summary: 'The portal: citizens see who used their data, auditors search and verify the logs',
  commands: [
    {
      name: 'serve',
      summary: 'Run the portal configured by PORTAL_* environment variables',
      async run(input) {
        // Loaded on use: the portal pulls in openid-client and the JSX pages, which other commands never need.
        const { readPortalConfig, startPortal } = await import('./server.ts');
        const config = readPortalConfig(process.env);
        const running = await startPortal(
          config,
          createLogger({ name: 'portal', level: config.PORTAL_LOG_LEVEL }),
        );
        input.print(`portal listening at ${running.url}`);
        await new Promise<void>((resolve) => {
          for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
        });
        await running.close();
        return 0;
      },
    },
  ],
};
