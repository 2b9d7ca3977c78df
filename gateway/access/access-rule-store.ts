import type { Kysely } from 'kysely';
import type { GatewayDb } from '../db/tables.ts';
import type { AccessRule } from './access-rule.ts';

export interface NewAccessRule {
  readonly subject: string;
  readonly service: string;
  readonly method?: string | null;
  readonly pathPattern?: string | null;
  readonly mayHide?: boolean;
}

export async function addAccessRule(db: Kysely<GatewayDb>, rule: NewAccessRule): Promise<AccessRule> {
  const row = await db
    .insertInto('access_rule')
    .values({
      subject: rule.subject,
      service: rule.service,
      method: rule.method ?? null,
      path_pattern: rule.pathPattern ?? null,
      may_hide: rule.mayHide ?? false,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toAccessRule(row);
}

export async function listAccessRules(db: Kysely<GatewayDb>): Promise<AccessRule[]> {
  const rows = await db.selectFrom('access_rule').selectAll().orderBy('id').execute();
  return rows.map(toAccessRule);
}

/** Removes a rule; returns whether it existed. */
export async function removeAccessRule(db: Kysely<GatewayDb>, id: number): Promise<boolean> {
  const result = await db.deleteFrom('access_rule').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function addLocalGroupMember(
  db: Kysely<GatewayDb>,
  groupCode: string,
  member: string,
): Promise<void> {
  await db
    .insertInto('local_group_member')
    .values({ group_code: groupCode, member })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

export async function removeLocalGroupMember(
  db: Kysely<GatewayDb>,
  groupCode: string,
  member: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom('local_group_member')
    .where('group_code', '=', groupCode)
    .where('member', '=', member)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function listLocalGroups(db: Kysely<GatewayDb>): Promise<{ code: string; members: string[] }[]> {
  const rows = await db
    .selectFrom('local_group_member')
    .selectAll()
    .orderBy('group_code')
    .orderBy('member')
    .execute();
  const groups = new Map<string, string[]>();
  for (const row of rows) groups.set(row.group_code, [...(groups.get(row.group_code) ?? []), row.member]);
  return [...groups].map(([code, members]) => ({ code, members }));
}

const toAccessRule = (row: {
  id: number;
  subject: string;
  service: string;
  method: string | null;
  path_pattern: string | null;
  may_hide: boolean;
}): AccessRule => ({
  id: row.id,
  subject: row.subject,
  service: row.service,
  method: row.method,
  pathPattern: row.path_pattern,
  mayHide: row.may_hide,
});

/**
 * The rules and local groups as the request path sees them: read from the database at most every
 * `maxAgeMs` (so several nodes of one gateway converge quickly), and at once after a local change.
 */
export function createAccessRuleCache(db: Kysely<GatewayDb>, clock: () => number, maxAgeMs = 2_000) {
  let loadedAt = Number.NEGATIVE_INFINITY;
  let loading: Promise<void> | undefined;
  let rules: AccessRule[] = [];
  let localGroups = new Map<string, string[]>();

  async function reload(): Promise<void> {
    const [nextRules, groups] = await Promise.all([listAccessRules(db), listLocalGroups(db)]);
    rules = nextRules;
    localGroups = new Map();
    for (const group of groups) {
      for (const member of group.members)
        localGroups.set(member, [...(localGroups.get(member) ?? []), group.code]);
    }
    loadedAt = clock();
  }

  return {
    /** Rules and the local groups of `client`, fresh within `maxAgeMs`. */
    async current(client: string): Promise<{ rules: readonly AccessRule[]; localGroups: readonly string[] }> {
      if (clock() - loadedAt > maxAgeMs) {
        loading ??= reload().finally(() => {
          loading = undefined;
        });
        await loading;
      }
      return { rules, localGroups: localGroups.get(client) ?? [] };
    },
    invalidate(): void {
      loadedAt = Number.NEGATIVE_INFINITY;
    },
  };
}

export type AccessRuleCache = ReturnType<typeof createAccessRuleCache>;
