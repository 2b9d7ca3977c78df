import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../bin/einmal.js', import.meta.url));

describe('einmal adapter serve --ops-port', () => {
  it('serves health, readiness and metrics on its own plain-HTTP listener', async () => {
    const child = spawn(
      process.execPath,
      [CLI, 'adapter', 'serve', '--registry', 'population', '--plain-http', '--port', '0', '--ops-port', '0'],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    try {
      let ops: string | undefined;
      for await (const line of createInterface({ input: child.stdout! })) {
        ops = /operations listener on (http:\/\/\S+)/.exec(line)?.[1];
        if (ops) break;
      }
      expect(ops).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${ops}/healthz`)).status).toBe(200);
      const ready = await fetch(`${ops}/readyz`);
      expect(await ready.json()).toEqual({ status: 'ready', failing: [] });
      const metrics = await (await fetch(`${ops}/metrics`)).text();
      expect(metrics).toContain('# TYPE einmal_adapter_answers_total counter');
      expect(metrics).toContain('einmal_database_connections_max 1');
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  }, 60_000);
});

describe('einmal adapter serve with TLS files it cannot use', () => {
  it('says which setting is wrong instead of an internal error', async () => {
    const notPem = fileURLToPath(new URL('../package.json', import.meta.url));
    const files = ['--tls-cert', '--tls-key', '--tls-ca', '--gateway-cert'].flatMap((option) => [
      option,
      notPem,
    ]);
    const child = spawn(
      process.execPath,
      [CLI, 'adapter', 'serve', '--registry', 'population', '--port', '0', ...files],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr!.on('data', (chunk) => {
      stderr += chunk;
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(stderr).toMatch(/^einmal: Config\.Invalid: (gatewayCert|tls\.ca) holds no/);
    expect(stderr).not.toContain('internal error');
  }, 60_000);
});
