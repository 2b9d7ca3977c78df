import { readdir, readFile } from 'node:fs/promises';

/** What the benchmark samples of a process for CPU while it is under load. */
export interface CpuSampledProcess {
  /** CPU time used so far (user + system) in seconds, undefined where /proc is absent. */
  cpuSeconds(): Promise<number | undefined>;
  /** Resident set size in bytes, undefined where /proc is absent; absent where not sampled. */
  rss?(): Promise<number | undefined>;
}

/** A process the benchmark samples for memory and CPU while it is under load. */
export interface SampledProcess extends CpuSampledProcess {
  rss(): Promise<number | undefined>;
}

// Kept apart from component-process.ts, whose worker module answers IPC messages when loaded in any
// forked process (a test worker too).

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

/** Clock ticks per second of /proc/PID/stat times (USER_HZ; 100 on Linux). */
const USER_HZ = 100;

/**
 * User plus system CPU time of a process in seconds, from /proc/PID/stat; with `reapedChildren`,
 * also that of its children that have exited and been waited for.
 */
export async function readCpuSeconds(
  pid: number,
  options: { reapedChildren?: boolean } = {},
): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3; utime and stime
    // are fields 14 and 15, cutime and cstime (children waited for) 16 and 17.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const own = Number(fields[11]) + Number(fields[12]);
    const children = options.reapedChildren ? Number(fields[13]) + Number(fields[14]) : 0;
    return (own + children) / USER_HZ;
  } catch {
    return undefined;
  }
}

/** The number of open file descriptors of a process, from /proc/PID/fd. */
export async function readOpenFiles(pid: number): Promise<number | undefined> {
  try {
    return (await readdir(`/proc/${pid}/fd`)).length;
  } catch {
    return undefined;
  }
}

/**
 * The PostgreSQL server on this machine, all its processes together (backends, WAL writer,
 * checkpointer), sampled for CPU only (its shared memory would be counted once per process): what
 * the audit log costs the database. Undefined where /proc is absent or no process is named
 * `postgres`. A backend that exits during the run still counts, through the postmaster.
 */
export function localPostgresServer(): CpuSampledProcess {
  return {
    async cpuSeconds() {
      let pids: string[];
      try {
        pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
      } catch {
        return undefined;
      }
      let total: number | undefined;
      for (const pid of pids) {
        const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
        if (comm.trim() !== 'postgres') continue;
        // A backend that exits (a pool closing an idle connection) leaves its CPU to the
        // postmaster, which waits for it: counted there, the server's total never drops.
        total = (total ?? 0) + ((await readCpuSeconds(Number(pid), { reapedChildren: true })) ?? 0);
      }
      return total;
    },
  };
}
