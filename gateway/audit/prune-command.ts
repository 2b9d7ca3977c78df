import { type Command, gatewayDatabaseOptions, requireGatewayDatabase } from '../../cli/command.ts';
import { openDatabase } from '../../core/database/index.ts';
import { EinmalError } from '../../core/index.ts';
import { pruneAuditLog } from './retention.ts';

/**
 * `einmal gateway prune`: applies a retention period now, as the running gateway does daily with
 * `GATEWAY_RETENTION_DAYS`; prints what it removed as JSON.
 */
export const pruneCommand: Command = {
  name: 'prune',
  summary: 'Prune audit records past the retention period to their leaf hashes (proofs keep verifying)',
  options: {
    ...gatewayDatabaseOptions,
    schema: {
      type: 'string',
      description: "The gateway's schema (GATEWAY_DB_SCHEMA, default gateway)",
      placeholder: 'NAME',
    },
    'retention-days': {
      type: 'string',
      description: 'Records older than this many days lose their content (e.g. 730)',
      placeholder: 'DAYS',
    },
  },
  async run(input) {
    const location = requireGatewayDatabase(input);
    const schema = (input.options.schema as string | undefined) ?? 'gateway';
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
      throw new EinmalError('Cli.Usage', { message: '--schema must be a lower-case SQL name' });
    }
    const raw = input.options['retention-days'];
    const days = Number(raw);
    if (typeof raw !== 'string' || !/^\d{1,5}$/.test(raw) || days < 1) {
      throw new EinmalError('Cli.Usage', {
        message: '--retention-days must be a whole number of days, at least 1',
      });
    }
    const database = await openDatabase(location);
    try {
      const result = await pruneAuditLog(database.db, schema, new Date(Date.now() - days * 86_400_000));
      input.print(JSON.stringify(result, null, 2));
    } finally {
      await database.close();
    }
    return 0;
  },
};
