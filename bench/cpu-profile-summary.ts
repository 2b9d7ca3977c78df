import { z } from 'zod';

/** The fields of a V8 `.cpuprofile` (written by `node --cpu-prof`) that the summary reads. */
const cpuProfileSchema = z.object({
  nodes: z.array(
    z.object({
      id: z.int(),
      callFrame: z.object({
        functionName: z.string(),
        url: z.string(),
        lineNumber: z.int(),
      }),
    }),
  ),
  samples: z.array(z.int()),
  timeDeltas: z.array(z.number()),
});

/** Self time of one function or one code area, in milliseconds and as a share of the busy samples. */
export interface ProfileCost {
  readonly name: string;
  readonly selfMs: number;
  readonly share: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  /** Share of the profile spent idle (waiting for I/O): `(idle)` samples. */
  readonly idleShare: number;
  /** Functions by self time, busiest first (idle left out). */
  readonly functions: readonly ProfileCost[];
  /** Self time per package (`node_modules/NAME`), project folder, or Node internals. */
  readonly areas: readonly ProfileCost[];
}

/** Where a frame's code lives: an npm package, a project folder, Node itself, or V8. */
export function codeArea(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [first, second] = url.slice(modules + 14).split('/');
    return first?.startsWith('@') ? `${first}/${second}` : (first ?? url);
  }
  const project =
    /\/(adapters|audit|bench|certs|cli|core|dev|gateway|portal|protocol|registry|schemas)\/(?:([^/]+)\/)?/.exec(
      url,
    );
  if (project) return project[2] && !project[2].includes('.') ? `${project[1]}/${project[2]}` : project[1]!;
  return url;
}

/** A frame's file, from `node_modules/` or from the project folder on. */
function shortUrl(url: string): string {
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) return url.slice(modules + 14);
  const project =
    /\/((?:adapters|audit|bench|certs|cli|core|dev|gateway|portal|protocol|registry|schemas)\/.*)$/.exec(url);
  return project ? project[1]! : url;
}

/**
 * Reads a `.cpuprofile` and adds up self time per function and per code area, so the hot path's
 * top costs can be reported with numbers.
 * @throws TypeError when the text is not a V8 CPU profile
 */
export function summarizeCpuProfile(text: string, top = 15): ProfileSummary {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new TypeError('not a CPU profile: not JSON');
  }
  const parsed = cpuProfileSchema.safeParse(json);
  if (!parsed.success) throw new TypeError('not a CPU profile: missing nodes, samples or timeDeltas');
  const profile = parsed.data;
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const perFunction = new Map<string, number>();
  const perArea = new Map<string, number>();
  let total = 0;
  let idle = 0;
  profile.samples.forEach((nodeId, i) => {
    const micros = profile.timeDeltas[i] ?? 0;
    const frame = frames.get(nodeId);
    if (!frame) return;
    total += micros;
    if (frame.functionName === '(idle)') idle += micros;
    const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '';
    const name = `${frame.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    perFunction.set(name, (perFunction.get(name) ?? 0) + micros);
    const area = codeArea(frame.url, frame.functionName);
    perArea.set(area, (perArea.get(area) ?? 0) + micros);
  });
  // Shares are of the busy time: what the process spent its CPU on, not how long it waited.
  const busy = total - idle;
  const ranked = (costs: Map<string, number>) =>
    [...costs]
      .filter(([name]) => name !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => ({ name, selfMs: micros / 1000, share: busy > 0 ? micros / busy : 0 }));
  return {
    totalMs: total / 1000,
    idleShare: total > 0 ? idle / total : 0,
    functions: ranked(perFunction),
    areas: ranked(perArea),
  };
}

/** The summary as text: busiest areas and functions with their share of the profile. */
export function formatProfileSummary(name: string, summary: ProfileSummary): string {
  const line = (cost: ProfileCost) =>
    `  ${(cost.share * 100).toFixed(1).padStart(5)}%  ${cost.selfMs.toFixed(0).padStart(7)} ms  ${cost.name}`;
  return [
    `${name}: ${summary.totalMs.toFixed(0)} ms sampled, ${(summary.idleShare * 100).toFixed(1)}% idle; shares of busy time`,
    ' by area (self time):',
    ...summary.areas.map(line),
    ' by function (self time):',
    ...summary.functions.map(line),
  ].join('\n');
}
