import { type ChildProcess, fork } from 'node:child_process';
import { openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type ComponentMessage, type ComponentSpec, componentMessageSchema } from './component-worker.ts';

const WORKER = fileURLToPath(new URL('./component-worker.ts', import.meta.url));

export interface ComponentProcess {
  readonly name: string;
  readonly pid: number;
  /** The port it serves on (a gateway's client API port). */
  readonly port: number;
  /** Resident set size in bytes, from /proc/PID/status (VmRSS); undefined where /proc is absent. */
  rss(): Promise<number | undefined>;
  /** Asks the process to close and waits for it to exit (killed after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

export interface ForkComponentOptions {
  readonly name: string;
  readonly spec: ComponentSpec;
  /** stdout and stderr of the process go here. */
  readonly logFile: string;
  /** When set, the process runs with `--cpu-prof` and writes its profile into this folder. */
  readonly cpuProfileDir?: string;
  readonly startTimeoutMs?: number;
}

/**
 * Starts one benchmark component in its own Node process (TypeScript via tsx) and waits until it
 * reports that it listens.
 */
export function forkComponent(options: ForkComponentOptions): Promise<ComponentProcess> {
  const log = openSync(options.logFile, 'a');
  const execArgv = ['--import', 'tsx'];
  if (options.cpuProfileDir) {
    execArgv.push(
      '--cpu-prof',
      `--cpu-prof-dir=${options.cpuProfileDir}`,
      `--cpu-prof-name=${options.name}.cpuprofile`,
    );
  }
  const child = fork(WORKER, [], { execArgv, stdio: ['ignore', log, log, 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${options.name} did not start within ${options.startTimeoutMs ?? 60_000} ms`));
    }, options.startTimeoutMs ?? 60_000);
    const exitedEarly = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${options.name} exited with ${code} before it was ready (see ${options.logFile})`));
    };
    child.once('exit', exitedEarly);
    child.on('message', (raw: unknown) => {
      const message = componentMessageSchema.safeParse(raw);
      if (!message.success) return;
      if (message.data.type === 'failed') {
        clearTimeout(timer);
        reject(new Error(`${options.name} failed to start: ${message.data.message}`));
      } else if (message.data.type === 'ready') {
        clearTimeout(timer);
        child.off('exit', exitedEarly);
        resolve(handle(options.name, child, message.data.port, exited));
      }
    });
    child.send({ type: 'start', spec: options.spec } satisfies ComponentMessage);
  });
}

function handle(name: string, child: ChildProcess, port: number, exited: Promise<void>): ComponentProcess {
  const pid = child.pid!;
  return {
    name,
    pid,
    port,
    rss: () => readRss(pid),
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send({ type: 'stop' } satisfies ComponentMessage);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** VmRSS of a process in bytes, read from /proc. */
export async function readRss(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
