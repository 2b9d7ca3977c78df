import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storyCitizen } from '../../adapters/index.ts';
import { type Database, openDatabase } from '../../core/database/index.ts';
import { createLogger, type Logger } from '../../core/index.ts';
import { obtainCitizenToken } from '../../dev/eid/index.ts';
import { writeDevelopmentFederation } from '../../dev/federation-files.ts';
import {
  type GatewayLauncher,
  type RunningFederation,
  startFederation,
} from '../../dev/federation-runtime.ts';
import { createTestDatabase } from './database.ts';

export interface TestFederation extends RunningFederation {
  readonly dir: string;
  readonly database: Database;
  /** Log lines written by every component, parsed. */
  readonly logLines: () => Record<string, unknown>[];
  /** An eID token from the federation's eID provider for `citizen` (Anna by default) with `scope`. */
  citizenToken(scope: string, citizen?: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * A complete federation for one test file: fresh PKI from `dev init` in a temporary folder, one
 * fresh database (PGlite, or a new PostgreSQL database when DATABASE_URL is set), every component
 * on free ports. The components' log lines are kept for assertions. With `databaseUrl`, the
 * federation uses that PostgreSQL database as it is (e.g. a test's private server) instead;
 * `launchGateway` may start some gateways elsewhere, e.g. in processes of their own.
 */
export async function startTestFederation(
  options: {
    directoryTtlSeconds?: number;
    portalSessionIdleSeconds?: number;
    databaseUrl?: string;
    launchGateway?: GatewayLauncher;
  } = {},
): Promise<TestFederation> {
  const { databaseUrl, ...federationOptions } = options;
  const dir = await mkdtemp(join(tmpdir(), 'einmal-federation-'));
  await writeDevelopmentFederation({ dir, force: false });
  const database = databaseUrl
    ? await openDatabase({ url: databaseUrl, poolSize: 10 })
    : await createTestDatabase();
  const lines: string[] = [];
  const log: Logger = createLogger({
    name: 'test',
    level: 'info',
    destination: { write: (line: string) => void lines.push(line) },
  });
  const federation = await startFederation({ dir, database, log, ports: 'ephemeral', ...federationOptions });
  return {
    ...federation,
    dir,
    database,
    logLines: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    citizenToken: (scope, citizen = storyCitizen.id) =>
      obtainCitizenToken({ issuer: federation.endpoints.eid.issuer, citizen, scope }),
    async close() {
      await federation.stop();
      await database.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
