import { timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { EinmalError, errorHandlers, type Logger } from '../../core/index.ts';
import { printedClientIdSchema, printedServiceIdSchema, sha256HexSchema } from '../../schemas/index.ts';
import {
  type AccessRuleCache,
  addAccessRule,
  addLocalGroupMember,
  listAccessRules,
  listLocalGroups,
  removeAccessRule,
  removeLocalGroupMember,
} from '../access/access-rule-store.ts';
import {
  type IsAuthenticator,
  listIsCertificates,
  registerIsCertificate,
  removeIsCertificate,
} from '../consumer/information-systems.ts';
import type { GatewayDb } from '../db/tables.ts';

const groupCode = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/);
/** An access rule's id: a positive PostgreSQL `serial`. */
const ruleId = z.coerce.number().int().positive().max(2_147_483_647);
const aclSubject = z.union([
  printedClientIdSchema,
  z.string().regex(/^group:[A-Za-z0-9._-]{1,64}\/[A-Za-z0-9._-]{1,64}$/),
  z.string().regex(/^local:[A-Za-z0-9._-]{1,64}$/),
]);

/** Body of `POST /acl`: grant a client, global group or local group one service. */
export const accessRuleInputSchema = z.strictObject({
  subject: aclSubject,
  service: printedServiceIdSchema,
  method: z
    .string()
    .regex(/^[A-Z]{1,16}$/)
    .nullable()
    .optional(),
  pathPattern: z
    .string()
    .regex(/^\/[A-Za-z0-9._~%*/-]*$/)
    .max(512)
    .nullable()
    .optional(),
  /** Also grant hiding these accesses from their subject for a while (`Einmal-Hidden-Until`). */
  mayHide: z.boolean().optional(),
});

const isCertificateInputSchema = z.strictObject({
  client: printedClientIdSchema,
  fingerprint: sha256HexSchema,
});
const groupMemberInputSchema = z.strictObject({ member: printedClientIdSchema });

export interface AdminAppDeps {
  readonly db: Kysely<GatewayDb>;
  readonly log: Logger;
  /** Bearer token of the gateway operator; without one the admin API refuses every change. */
  readonly token: string | undefined;
  readonly accessRules: AccessRuleCache;
  readonly informationSystems: IsAuthenticator;
}

async function parseJson<S extends z.ZodType>(request: Request, schema: S): Promise<z.output<S>> {
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    throw new EinmalError('Client.InvalidBody', { message: 'The body must be JSON' });
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new EinmalError('Client.InvalidBody', {
      message: `${issue?.path.join('.') || 'body'}: ${issue?.message}`,
    });
  }
  return parsed.data;
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The gateway operator's API: access rules, local groups and information-system certificates. Health,
 * readiness and metrics are on the operations listener (`GATEWAY_OPS_PORT`, core/ops).
 */
export function createAdminApp(deps: AdminAppDeps): Hono {
  const app = new Hono();
  app.onError(errorHandlers({ log: deps.log }).onError);

  const admin = new Hono();
  admin.use('*', async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    if (!deps.token || !sameToken(given, deps.token)) throw new EinmalError('Client.Unauthenticated');
    await next();
  });

  admin.get('/acl', async (c) => c.json(await listAccessRules(deps.db)));
  admin.post('/acl', async (c) => {
    const input = await parseJson(c.req.raw, accessRuleInputSchema);
    const rule = await addAccessRule(deps.db, input);
    deps.accessRules.invalidate();
    return c.json(rule, 201);
  });
  admin.delete('/acl/:id', async (c) => {
    const id = ruleId.safeParse(c.req.param('id'));
    if (!id.success || !(await removeAccessRule(deps.db, id.data))) throw new EinmalError('Client.NotFound');
    deps.accessRules.invalidate();
    return c.body(null, 204);
  });

  admin.get('/local-groups', async (c) => c.json(await listLocalGroups(deps.db)));
  admin.post('/local-groups/:code/members', async (c) => {
    const code = groupCode.safeParse(c.req.param('code'));
    if (!code.success) throw new EinmalError('Client.InvalidIdentifier');
    const { member } = await parseJson(c.req.raw, groupMemberInputSchema);
    await addLocalGroupMember(deps.db, code.data, member);
    deps.accessRules.invalidate();
    return c.json({ code: code.data, member }, 201);
  });
  admin.delete('/local-groups/:code/members/:member{.+}', async (c) => {
    const code = groupCode.safeParse(c.req.param('code'));
    const member = printedClientIdSchema.safeParse(c.req.param('member'));
    if (!code.success || !member.success) throw new EinmalError('Client.InvalidIdentifier');
    const removed = await removeLocalGroupMember(deps.db, code.data, member.data);
    if (!removed) throw new EinmalError('Client.NotFound');
    deps.accessRules.invalidate();
    return c.body(null, 204);
  });

  admin.get('/is-certificates', async (c) => c.json(await listIsCertificates(deps.db)));
  admin.post('/is-certificates', async (c) => {
    const input = await parseJson(c.req.raw, isCertificateInputSchema);
    await registerIsCertificate(deps.db, input.client, input.fingerprint);
    deps.informationSystems.invalidate();
    return c.json(input, 201);
  });
  admin.delete('/is-certificates/:fingerprint', async (c) => {
    const fingerprint = sha256HexSchema.safeParse(c.req.param('fingerprint'));
    if (!fingerprint.success || !(await removeIsCertificate(deps.db, fingerprint.data)))
      throw new EinmalError('Client.NotFound');
    deps.informationSystems.invalidate();
    return c.body(null, 204);
  });

  app.route('/admin', admin);
  app.notFound(errorHandlers({ log: deps.log }).notFound);
  return app;
}
