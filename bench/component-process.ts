import { type ChildProcess, fork } from 'node:child_process';
import { openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { siblingModule } from '../core/index.ts';
import { type ComponentMessage, type ComponentSpec, componentMessageSchema } from './component-worker.ts';
import { readCpuSeconds, readOpenFiles, readRss } from './process-stats.ts';

const WORKER = siblingModule(import.meta.url, 'component-worker');

export interface ComponentProcess {
  readonly name: string;
  readonly pid: number;
  /** The port it serves on (a gateway's client API port). */
  readonly port: number;
  /** Resident set size in bytes, from /proc/PID/status (VmRSS); undefined where /proc is absent. */
  rss(): Promise<number | undefined>;
  /** CPU time used so far (user + system), in seconds; undefined where /proc is absent. */
  cpuSeconds(): Promise<number | undefined>;
  /** Event-loop delay (ms) since the previous call, or since start; the histogram then starts over. */
  eventLoopDelay(): Promise<{ p50Ms: number; p99Ms: number; maxMs: number }>;
  /** Open file descriptors (sockets, files) from /proc/PID/fd; undefined where /proc is absent. */
  openFiles(): Promise<number | undefined>;
  /** Starts sampling this process's CPU profile (V8 inspector, 0.5 ms interval). */
  startProfile(): Promise<void>;
  /** Stops the profile and has the process write it (`.cpuprofile` JSON) to `file`. */
  stopProfile(file: string): Promise<void>;
  /** Asks the process to close and waits for it to exit (killed after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

export interface ForkComponentOptions {
  readonly name: string;
  readonly spec: ComponentSpec;
  /** stdout and stderr of the process go here. */
  readonly logFile: string;
  readonly startTimeoutMs?: number;
}

/**
 * Starts one benchmark component in its own Node process and waits until it reports that it
 * listens. The process runs as this one does: compiled JavaScript (`npm run build`, as an operator
 * runs einmal) or the TypeScript sources through tsx.
 */
export function forkComponent(options: ForkComponentOptions): Promise<ComponentProcess> {
  const log = openSync(options.logFile, 'a');
  const execArgv = WORKER.compiled ? [] : ['--import', 'tsx'];
  const child = fork(fileURLToPath(WORKER.url), [], { execArgv, stdio: ['ignore', log, log, 'ipc'] });
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
    cpuSeconds: () => readCpuSeconds(pid),
    openFiles: () => readOpenFiles(pid),
    async eventLoopDelay() {
      const answer = await ask(child, { type: 'loop-delay' }, 'loop-delayed');
      if (answer.type !== 'loop-delayed') throw new TypeError('unexpected answer');
      return { p50Ms: answer.p50Ms, p99Ms: answer.p99Ms, maxMs: answer.maxMs };
    },
    async startProfile() {
      await ask(child, { type: 'profile-start' }, 'profiling');
    },
    async stopProfile(file) {
      await ask(child, { type: 'profile-stop', file }, 'profiled');
    },
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send({ type: 'stop' } satisfies ComponentMessage);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Sends a message and waits for the answer of the given type. */
function ask(
  child: ChildProcess,
  message: ComponentMessage,
  answer: ComponentMessage['type'],
): Promise<ComponentMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`no ${answer} answer within 30 s`));
    }, 30_000);
    function onMessage(raw: unknown) {
      const parsed = componentMessageSchema.safeParse(raw).data;
      if (parsed?.type !== answer) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(parsed);
    }
    child.on('message', onMessage);
    child.send(message);
  });
}
