import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { LaunchedGateway } from '../../dev/federation-runtime.ts';
import type { GatewayConfig } from '../../gateway/index.ts';

const CLI = fileURLToPath(new URL('../../bin/einmal.js', import.meta.url));

/** A gateway in a process of its own, started as an operator starts one. */
export interface GatewayProcess extends LaunchedGateway {
  readonly pid: number;
  /** `kill -9`: no shutdown, no flush; resolves once the process is gone. */
  kill(): Promise<void>;
}

/** The environment `einmal gateway serve` reads, from a parsed configuration. */
export function gatewayEnvironment(config: GatewayConfig): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(config)) {
    if (value === undefined) continue;
    env[name] = typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return env;
}

/**
 * Starts `einmal gateway serve` with `config` (its database at `databaseUrl`) and resolves once
 * it listens. Its log lines go to `logFile`; `close` stops it with SIGTERM, `kill` with SIGKILL.
 *
 * @example
 * const gateway = await spawnGateway({ config, databaseUrl, logFile: 'gw.log' });
 * await gateway.kill();
 */
export function spawnGateway(options: {
  config: GatewayConfig;
  databaseUrl: string;
  logFile: string;
  startTimeoutMs?: number;
}): Promise<GatewayProcess> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of Object.keys(options.config)) delete env[name];
  Object.assign(env, gatewayEnvironment(options.config), { DATABASE_URL: options.databaseUrl });
  const child = spawn(process.execPath, [CLI, 'gateway', 'serve'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const file = createWriteStream(options.logFile, { flags: 'a' });
  child.stderr!.pipe(file, { end: false });
  child.once('close', () => file.end());
  const recent: string[] = [];
  const timeoutMs = options.startTimeoutMs ?? 60_000;

  return new Promise((resolve, reject) => {
    let ready = false;
    const fail = (reason: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(
        new Error(`${options.config.GATEWAY_ID} ${reason} (see ${options.logFile}):\n${recent.join('\n')}`),
      );
    };
    const timer = setTimeout(() => fail(`did not listen within ${timeoutMs} ms`), timeoutMs);
    child.once('exit', (code, signal) => {
      if (!ready) fail(`exited with ${code ?? signal} before it listened`);
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      file.write(`${line}\n`);
      recent.push(line);
      if (recent.length > 20) recent.shift();
      if (!ready && line.includes('"msg":"gateway listening"')) {
        ready = true;
        clearTimeout(timer);
        resolve(handle(child, options.config, exited));
      }
    });
  });
}

function handle(child: ChildProcess, config: GatewayConfig, exited: Promise<void>): GatewayProcess {
  const stop = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return {
    pid: child.pid!,
    ports: {
      peer: config.GATEWAY_PEER_PORT,
      client: config.GATEWAY_CLIENT_PORT,
      admin: config.GATEWAY_ADMIN_PORT,
      public: config.GATEWAY_PUBLIC_PORT,
      ops: config.GATEWAY_OPS_PORT,
    },
    kill: () => stop('SIGKILL'),
    async close() {
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await stop('SIGTERM');
      clearTimeout(timer);
    },
  };
}
