import type { Command } from '../cli/command.ts';
import { EinmalError } from '../core/index.ts';

/** `einmal dev demo`: the whole federation on embedded databases, with the parking-permit story. */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'Start the local federation, play the parking-permit story, keep running (--smoke: exit after)',
  options: {
    home: {
      type: 'string',
      description: 'Folder for federation files and data (default .einmal)',
      placeholder: 'DIR',
    },
    smoke: { type: 'boolean', description: 'Play the story once and exit 0 on success, 1 on failure' },
    'database-url': {
      type: 'string',
      description: 'Use this PostgreSQL server instead of the embedded database',
      placeholder: 'URL',
    },
    'log-level': {
      type: 'string',
      description: 'Log level of the components (default warn)',
      placeholder: 'LEVEL',
    },
  },
  async run(input) {
    // Loaded on use: the eID provider it starts pulls in oidc-provider, which other commands never need.
    // The installed package leaves the demo out: it ships with the source repository.
    const { startDemo } = await import('./demo.ts').catch((error: { code?: string; message?: string }) => {
      if (error?.code === 'ERR_MODULE_NOT_FOUND' && /[/\\]dev[/\\]demo\.js/.test(error.message ?? '')) {
        throw new EinmalError('Cli.Usage', {
          message:
            'The demo federation ships with the einmal source repository, not the package: run `npm run demo` in a checkout',
        });
      }
      throw error;
    });
    const demo = await startDemo({
      home: (input.options.home as string | undefined) ?? '.einmal',
      databaseUrl: input.options['database-url'] as string | undefined,
      logLevel: input.options['log-level'] as string | undefined,
      print: input.print,
    });
    if (input.options.smoke) {
      await demo.close();
      input.print(demo.ok ? 'Smoke test passed.' : 'Smoke test FAILED.');
      return demo.ok ? 0 : 1;
    }
    input.print('\nThe federation keeps running; press Ctrl+C to stop.');
    await new Promise<void>((resolve) => {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
    });
    await demo.close();
    return 0;
  },
};
