import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findFreePorts } from '../../dev/free-ports.ts';

const run = promisify(execFile);

/** A PostgreSQL server owned by one test: its own data folder, port and socket. */
export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:PORT/postgres`, trust authentication. */
  readonly url: string;
  readonly port: number;
  /**
   * Stops the server. `immediate` is a crash: backends are killed without a checkpoint, and the next
   * start replays the write-ahead log.
   */
  stop(options?: { mode?: 'smart' | 'fast' | 'immediate' }): Promise<void>;
  /** Starts the server again on the same port and data folder; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops the server if it runs and removes its data folder. */
  destroy(): Promise<void>;
}

/**
 * Starts a private PostgreSQL server for one test file, for tests that must stop and restart the
 * database (the machine's shared server is never touched). Uses the newest installation under
 * `/usr/lib/postgresql/<version>/bin`, or the folder named by `POSTGRES_BIN_DIR`. Durable commits:
 * `fsync` and `synchronous_commit` stay on. As root, the PostgreSQL commands run as the `postgres`
 * operating-system user, since `initdb` refuses to run as root.
 *
 * @example
 * const postgres = await startPrivatePostgres();
 * await postgres.stop({ mode: 'immediate' }); // crash
 * await postgres.start();
 * await postgres.destroy();
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = await findPostgresBin();
  const root = await mkdtemp(join(tmpdir(), 'einmal-postgres-'));
  const dataDir = join(root, 'data');
  const socketDir = join(root, 'socket');
  const logFile = join(root, 'server.log');
  await mkdir(socketDir);
  const asPostgres = process.getuid?.() === 0;
  if (asPostgres) {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    await chown(root, uid, gid);
    await chown(socketDir, uid, gid);
  }
  const pg = async (tool: string, args: string[]) => {
    const command = join(bin, tool);
    try {
      return asPostgres
        ? await run('runuser', ['-u', 'postgres', '--', command, ...args])
        : await run(command, args);
    } catch (error) {
      const log = existsSync(logFile) ? await readFile(logFile, 'utf8').catch(() => '') : '';
      const stderr = (error as { stderr?: string }).stderr ?? '';
      throw new Error(`${tool} ${args.join(' ')} failed: ${stderr}\n${log.slice(-2000)}`, { cause: error });
    }
  };

  const port = (await findFreePorts(1))[0]!;
  // -N only skips syncing initdb's own files; the server itself runs with fsync on.
  await pg('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-N', '-E', 'UTF8']);
  const options = [
    `-p ${port}`,
    `-k ${socketDir}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=on',
    '-c synchronous_commit=on',
    '-c full_page_writes=on',
    '-c max_connections=200',
  ].join(' ');
  let running = false;
  const start = async () => {
    await pg('pg_ctl', ['start', '-w', '-t', '60', '-D', dataDir, '-l', logFile, '-o', options]);
    running = true;
  };
  const stop = async ({ mode = 'fast' }: { mode?: 'smart' | 'fast' | 'immediate' } = {}) => {
    await pg('pg_ctl', ['stop', '-w', '-t', '60', '-D', dataDir, '-m', mode]);
    running = false;
  };
  try {
    await start();
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop,
    start,
    async destroy() {
      if (running) await stop({ mode: 'immediate' }).catch(() => undefined);
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** The newest PostgreSQL installation's `bin` folder; a clear error when there is none. */
async function findPostgresBin(): Promise<string> {
  const configured = process.env.POSTGRES_BIN_DIR;
  if (configured) {
    if (!existsSync(join(configured, 'pg_ctl'))) {
      throw new Error(`POSTGRES_BIN_DIR=${configured} holds no pg_ctl`);
    }
    return configured;
  }
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? await readdir(base) : [];
  const found = versions
    .filter((v) => existsSync(join(base, v, 'bin', 'initdb')) && existsSync(join(base, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  if (found.length === 0) {
    throw new Error(
      'No PostgreSQL server binaries found (looked for /usr/lib/postgresql/<version>/bin/initdb and pg_ctl). ' +
        'Install the PostgreSQL server package or set POSTGRES_BIN_DIR; this test needs a private server ' +
        'it can stop and restart.',
    );
  }
  return join(base, found[0]!, 'bin');
}
