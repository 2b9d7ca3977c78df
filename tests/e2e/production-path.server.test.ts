import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { findFreePorts } from '../../dev/free-ports.ts';
import { parseServiceId, printServiceId } from '../../schemas/index.ts';
import { type DocBlock, docBlocks } from '../support/doc-blocks.ts';

/*
 * docs/operations.md's production path, run as written: every `sh` block of its marked section, in
 * order, in one bash session in an empty folder, with `einmal` on the PATH as an operator has it.
 * Services (blocks that run until stopped) run in the background. Only the settings the guide says
 * may be overridden are: free ports, and the PostgreSQL server with a database prefix of its own.
 */

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const GUIDE = join(REPO, 'docs/operations.md');
const SERVER = (process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres').replace(
  /\/[^/]*$/,
  '',
);
const PREFIX = `einmal_test_ops_${randomBytes(4).toString('hex')}`;
const DATABASES = ['registry', 'gw_munich', 'gw_residents', 'population'];

let work: string;
let session: ChildProcess | undefined;

afterAll(async () => {
  if (session?.pid) {
    try {
      process.kill(-session.pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    try {
      process.kill(-session.pid, 'SIGKILL');
    } catch {
      // Stopped in time.
    }
  }
  const admin = new pg.Client({ connectionString: `${SERVER}/postgres` });
  await admin.connect();
  for (const name of DATABASES) await admin.query(`drop database if exists ${PREFIX}_${name} with (force)`);
  await admin.end();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The session script: each block's output in its own file, services in the background. */
function script(blocks: readonly DocBlock[]): string {
  const parts = ['set -eo pipefail'];
  blocks.forEach((block, i) => {
    parts.push(`echo "::block ${i}"`);
    parts.push(
      block.service ? `{\n${block.text}\n} > out/${i}.log 2>&1 &` : `{\n${block.text}\n} > out/${i}.log 2>&1`,
    );
  });
  parts.push('echo "::done"', 'wait');
  return parts.join('\n');
}

/** Resolves with the session's progress once it printed `::done`; rejects with the failing block. */
function runSession(blocks: readonly DocBlock[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script(blocks)], { cwd: work, env, detached: true });
    session = child;
    let current = -1;
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
    });
    child.stdout.on('data', (chunk) => {
      for (const line of String(chunk).split('\n')) {
        const block = /^::block (\d+)$/.exec(line);
        if (block) current = Number(block[1]);
        if (line === '::done') resolve();
      }
    });
    child.on('exit', async (code) => {
      const failed = blocks[current];
      const log = await readFile(join(work, 'out', `${current}.log`), 'utf8').catch(() => '');
      const services = await serviceLogs(blocks);
      reject(
        new Error(
          `The session ended (${code}) in the block at docs/operations.md:${failed?.line}:\n${failed?.text}\n--- its output:\n${log}\n${stderr}\n${services}`,
        ),
      );
    });
  });
}

async function serviceLogs(blocks: readonly DocBlock[]): Promise<string> {
  const files = await readdir(join(work, 'out')).catch(() => [] as string[]);
  const logs: string[] = [];
  for (const [i, block] of blocks.entries()) {
    if (!block.service || !files.includes(`${i}.log`)) continue;
    const text = await readFile(join(work, 'out', `${i}.log`), 'utf8');
    logs.push(`--- service at docs/operations.md:${block.line}:\n${text.split('\n').slice(-15).join('\n')}`);
  }
  return logs.join('\n');
}

const outputOf = async (blocks: readonly DocBlock[], contains: string) => {
  const index = blocks.findIndex((block) => block.text.includes(contains));
  expect(index, `a block with ${contains}`).toBeGreaterThanOrEqual(0);
  return readFile(join(work, 'out', `${index}.log`), 'utf8');
};

describe('docs/operations.md, the production path', () => {
  it('builds a federation from the documented commands alone and ends in an exchange the citizen sees', async () => {
    const blocks = docBlocks(GUIDE, 'production-path');
    expect(blocks.filter((block) => block.service).length).toBeGreaterThanOrEqual(5);
    // Nothing in the path reads what `einmal dev init` writes or plays the demo.
    for (const block of blocks) expect(block.text).not.toMatch(/dev (init|demo|seed)|\.einmal|DEMO/);

    work = await mkdtemp(join(tmpdir(), 'einmal-ops-'));
    await mkdir(join(work, 'out'));
    const bin = join(work, '.bin');
    await mkdir(bin);
    await writeFile(join(bin, 'einmal'), `#!/bin/sh\nexec node ${join(REPO, 'bin/einmal.js')} "$@"\n`);
    await chmod(join(bin, 'einmal'), 0o755);
    const ports = await findFreePorts(15);
    const env = {
      ...process.env,
      DATABASE_URL: undefined,
      PATH: `${bin}:${process.env.PATH}`,
      FED_PG: SERVER,
      FED_DB_PREFIX: PREFIX,
      FED_REGISTRY_PORT: String(ports[0]),
      FED_REGISTRY_ADMIN_PORT: String(ports[1]),
      FED_EID_PORT: String(ports[2]),
      FED_PORTAL_PORT: String(ports[3]),
      FED_MUNICH_PORTS: ports.slice(4, 9).join(' '),
      FED_RESIDENTS_PORTS: ports.slice(9, 14).join(' '),
      FED_ADAPTER_PORT: String(ports[14]),
    };
    await runSession(blocks, env);

    // The service as the guide registers it, in the identifier toolkit's printed form.
    const added = /service-add \$OPERATOR --id "\$RESIDENTS\/([^"]+)"/.exec(
      blocks.map((b) => b.text).join('\n'),
    );
    const service = printServiceId(parseServiceId(`EXAMPLE/GOV/residents-office/${added![1]}`));

    // Both gateways said they were ready, with no failing check.
    expect((await outputOf(blocks, '/readyz')).match(/\{"status":"ready","failing":\[\]\}/g)).toHaveLength(2);

    // The permit system got the citizen's address through both gateways.
    const answer = JSON.parse(await outputOf(blocks, '/r1/'));
    expect(answer).toMatchObject({ subject: 'DE65402138797', address: { city: 'München' } });

    // The citizen sees the access in Munich's log, with its proof.
    const log = JSON.parse(await outputOf(blocks, '/citizen/v1/records'));
    expect(log.records).toHaveLength(1);
    expect(log.records[0]).toMatchObject({
      side: 'consumer',
      agency: { member: 'EXAMPLE/GOV/munich', client: 'EXAMPLE/GOV/munich/parking-permits' },
      data: { service, title: 'Registered address' },
    });

    // Both gateways hold the record in their own databases.
    for (const gateway of ['gw_munich', 'gw_residents']) {
      const client = new pg.Client({ connectionString: `${SERVER}/${PREFIX}_${gateway}` });
      await client.connect();
      const { rows } = await client.query(
        'select side, service, outcome from gateway.audit_record order by idx',
      );
      await client.end();
      expect(rows).toEqual([
        {
          side: gateway === 'gw_munich' ? 'consumer' : 'provider',
          service,
          outcome: 'ok',
        },
      ]);
    }
  }, 420_000);
});
