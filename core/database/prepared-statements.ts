/**
 * Statements sent to a PostgreSQL server as named, server-side prepared statements: the server
 * parses and plans such a statement once per connection instead of on every execution. For the
 * statements of the exchange path that is about a fifth of each commit's time when every exchange
 * commits alone (`npm run bench:audit-writer`, one writer, paired runs: 1,288 → 1,721 and
 * 1,321 → 1,570 records/s).
 *
 * Only statements registered here are prepared, so the server holds a few per connection, not one
 * per text ever sent. The embedded PGlite database ignores the registry.
 *
 * @example
 * prepareOnServer(compiled.sql);
 */
export function prepareOnServer(text: string): void {
  if (!names.has(text)) names.set(text, `einmal_${names.size + 1}`);
}

/** The name a registered statement is prepared under; `undefined` for any other text. */
export function preparedStatementName(text: string): string | undefined {
  return names.get(text);
}

const names = new Map<string, string>();
