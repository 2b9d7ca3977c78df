import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Whether HAProxy is on the PATH (Debian package `haproxy`; CI installs it). */
export const haproxyAvailable = (): boolean => spawnSync('haproxy', ['-v'], { stdio: 'ignore' }).status === 0;

/** One TCP frontend and the nodes it balances, each health-checked on its `/readyz`. */
export interface TcpBalance {
  readonly name: string;
  readonly port: number;
  readonly nodes: readonly { readonly name: string; readonly port: number; readonly opsPort: number }[];
}

export interface RunningHaproxy {
  /** What HAProxy wrote so far (server state changes, alerts). */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts HAProxy in TCP mode (TLS passes through to the nodes, as a gateway's peers pin its
 * certificate) with each node checked by `GET /readyz` on its operations listener every 200 ms: a
 * node that dies or is not ready gets no new connections, and a connection refused is dispatched
 * to another node.
 *
 * @example
 * const haproxy = await startHaproxy(dir, [{ name: 'peer', port: 4411, nodes: [...] }]);
 */
export async function startHaproxy(dir: string, balances: readonly TcpBalance[]): Promise<RunningHaproxy> {
  const config = [
    'global',
    '  maxconn 2000',
    'defaults',
    '  mode tcp',
    '  timeout connect 2s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  timeout check 2s',
    '  retries 3',
    '  option redispatch',
    ...balances.flatMap((balance) => [
      `frontend ${balance.name}`,
      `  bind 127.0.0.1:${balance.port}`,
      `  default_backend ${balance.name}_nodes`,
      `backend ${balance.name}_nodes`,
      '  balance roundrobin',
      '  option httpchk GET /readyz',
      '  http-check expect status 200',
      '  default-server inter 200ms fall 1 rise 2',
      ...balance.nodes.map(
        (node) => `  server ${node.name} 127.0.0.1:${node.port} check port ${node.opsPort}`,
      ),
    ]),
    '',
  ].join('\n');
  const file = join(dir, 'haproxy.cfg');
  await writeFile(file, config);
  const check = spawnSync('haproxy', ['-c', '-f', file], { encoding: 'utf8' });
  if (check.status !== 0)
    throw new Error(`haproxy refuses its configuration:\n${check.stdout}${check.stderr}`);
  const child: ChildProcess = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr!.on('data', (chunk) => {
    errors += chunk;
  });
  child.stderr!.pipe(createWriteStream(join(dir, 'haproxy.log')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (const balance of balances) await waitForPort(balance.port, () => errors);
  return {
    log: () => errors,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

async function waitForPort(port: number, errors: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`haproxy did not listen on ${port}: ${errors()}`);
    await sleep(100);
  }
}
