import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../tests/support/database.ts';
import { createLogger, type Database, EinmalError } from './index.ts';

const CITIZEN = 'DE65402138797';

/** A logger whose lines the test reads back. */
function capture() {
  const lines: string[] = [];
  const log = createLogger({ name: 'test', destination: { write: (line: string) => void lines.push(line) } });
  return { log, lines, text: () => lines.join('') };
}

/** The error the database driver throws for `statement`. */
async function failure(database: Database, statement: ReturnType<typeof sql>): Promise<unknown> {
  try {
    await statement.execute(database.db);
  } catch (error) {
    return error;
  }
  throw new Error('the statement did not fail');
}

describe('logging database errors', () => {
  let database: Database;
  beforeAll(async () => {
    database = await createTestDatabase();
    await sql`create table note (id int primary key, subject text not null, at timestamptz)`.execute(
      database.db,
    );
    await sql`insert into note values (1, ${CITIZEN}, now())`.execute(database.db);
  });
  afterAll(() => database.close());

  it.each([
    [
      'an out-of-range date',
      () => sql`insert into note values (2, ${CITIZEN}, ${'0000-01-01T00:00:00.000Z'})`,
    ],
    ['a NUL byte in text', () => sql`insert into note values (3, ${`${CITIZEN}\u0000`}, now())`],
    ['a unique violation', () => sql`insert into note values (1, ${CITIZEN}, now())`],
    ['a value of the wrong type', () => sql`select * from note where id = ${CITIZEN}`],
  ])('keeps the SQLSTATE of %s and drops every value bound into the statement', async (_what, statement) => {
    const error = await failure(database, statement());
    const { log, lines, text } = capture();
    log.error({ err: error }, 'write failed');
    // Wrapped as the gateway wraps it, too.
    log.error({ err: new EinmalError('Server.ServerProxy.AuditUnavailable', { cause: error }) }, 'wrapped');
    expect(lines).toHaveLength(2);
    const [direct, wrapped] = lines.map((line) => JSON.parse(line));
    expect(direct.err.code).toMatch(/^[0-9A-Z]{5}$/);
    expect(direct.err.code).toBe((error as { code: string }).code);
    expect(wrapped.err).toMatchObject({
      code: 'Server.ServerProxy.AuditUnavailable',
      cause: { code: direct.err.code },
    });
    expect(text()).not.toContain(CITIZEN);
    expect(text()).not.toContain('0000-01-01');
    expect(text()).not.toMatch(/insert into|select \*/i);
    for (const field of ['query', 'params', 'detail', 'where', 'hint', 'internalQuery', 'stack']) {
      expect(direct.err).not.toHaveProperty(field);
    }
  });

  it('keeps the message, stack and detail of the project’s own errors', () => {
    const { log, lines } = capture();
    log.warn({ err: new EinmalError('Client.InvalidPath', { detail: { segment: 3 } }) }, 'refused');
    const line = JSON.parse(lines[0]!);
    expect(line.err).toMatchObject({
      type: 'EinmalError',
      code: 'Client.InvalidPath',
      message: 'Malformed request path',
      detail: { segment: 3 },
    });
    expect(line.err.stack).toContain('logger.db.test.ts');
  });
});
