import { readFileSync } from 'node:fs';

/** One `sh` code block of a guide: its text, and whether it starts a service that runs until stopped. */
export interface DocBlock {
  readonly text: string;
  readonly service: boolean;
  /** 1-based line of the opening fence, for failure messages. */
  readonly line: number;
}

/** The marker line a guide puts first in a block that runs until stopped. */
export const SERVICE_MARKER = '# runs until stopped';

/**
 * The `sh` blocks between `<!-- NAME…-->` and `<!-- /NAME -->` in a Markdown file, in order, so a
 * test can run a guide exactly as written.
 */
export function docBlocks(file: string, name: string): DocBlock[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const start = lines.findIndex((line) => line.startsWith(`<!-- ${name}`));
  const end = lines.findIndex((line) => line.startsWith(`<!-- /${name} -->`));
  if (start < 0 || end < start) throw new Error(`${file} has no <!-- ${name} --> section`);
  const blocks: DocBlock[] = [];
  for (let i = start + 1; i < end; i += 1) {
    if (lines[i] !== '```sh') continue;
    const close = lines.indexOf('```', i + 1);
    if (close < 0 || close > end) throw new Error(`${file}:${i + 1}: unclosed code block`);
    const body = lines.slice(i + 1, close);
    blocks.push({ text: body.join('\n'), service: body[0] === SERVICE_MARKER, line: i + 1 });
    i = close;
  }
  return blocks;
}
