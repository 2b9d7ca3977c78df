import { type Compilable, CompiledQuery, type Kysely, type QueryResult } from 'kysely';
import { prepareOnServer } from '../../core/database/index.ts';

/**
 * A statement of the exchange path, built and compiled once: building and compiling a kysely
 * statement for every execution costs more than the rest of the work around it. The statement is
 * compiled with a marker in place of each named value; each execution only puts its values where
 * the markers were. On a PostgreSQL server it is a prepared statement, parsed and planned once per
 * connection.
 *
 * @example
 * const claim = compileStatement(db, ['ids'], (v) => db.insertInto('t').columns(['id']).expression(sql`select unnest(${v.ids}::uuid[])`));
 * await claim({ ids: ['…'] });
 */
export function compileStatement<Db, Key extends string, Row>(
  db: Kysely<Db>,
  keys: readonly Key[],
  build: (markers: Readonly<Record<Key, string>>) => Compilable<Row>,
): (values: Readonly<Record<Key, unknown>>) => Promise<QueryResult<Row>> {
  const markers = {} as Record<Key, string>;
  for (const key of keys) markers[key] = `\u0000${key}`;
  const compiled = build(markers).compile();
  // Run on every exchange: the server parses and plans it once per connection.
  prepareOnServer(compiled.sql);
  const byMarker = new Map(keys.map((key) => [markers[key], key]));
  const order = compiled.parameters.map((parameter) => {
    const key = byMarker.get(parameter as string);
    if (key === undefined) throw new TypeError('the statement has a value that is not a marker');
    return key;
  });
  return (values) =>
    db.executeQuery<Row>(
      CompiledQuery.raw(
        compiled.sql,
        order.map((key) => values[key]),
      ),
    );
}
