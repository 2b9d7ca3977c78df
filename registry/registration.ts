import { randomUUID } from 'node:crypto';
import type { X509Certificate } from '@peculiar/x509';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import {
  type CertificateAuthority,
  certificateFingerprint,
  issueCertificate,
  type RevokedSerial,
  toPem,
} from '../certs/index.ts';
import { type Clock, EinmalError, errorHandlers, type Logger } from '../core/index.ts';
import { verifyRegistrationRequest } from '../protocol/index.ts';
import { gatewayBodySchema } from './admin-schemas.ts';
import { addGateway, addGatewayAuthCertificate, findGateway, type RegistryDb } from './db/index.ts';
import {
  findRegistration,
  insertRegistration,
  listRegistrations,
  markRegistrationApproved,
  type Registration,
} from './registration-store.ts';

export interface RegistrationRoutesDeps {
  readonly db: Kysely<RegistryDb>;
  /** The issuing CA that certifies approved gateways' authentication keys. */
  readonly ca: CertificateAuthority;
  /** The configuration anchor (federation root) members' signing certificates chain to. */
  readonly anchor: X509Certificate;
  /** Approved issuing CAs other than `ca` that may have issued members' signing certificates. */
  readonly intermediates?: readonly X509Certificate[];
  readonly clock: Clock;
  readonly log: Logger;
  /** Revoked certificates known to the registry; a revoked signing certificate cannot register. */
  readonly revokedSerials?: (db: Kysely<RegistryDb>) => Promise<readonly RevokedSerial[]>;
  /** Checks, inside the approval's transaction, that the registry still makes a valid directory. */
  readonly checkDirectory?: (trx: Kysely<RegistryDb>) => Promise<unknown>;
  /** Signs and serves the next directory after an approval. */
  readonly publish?: () => Promise<unknown>;
}

/** The routes for gateways (public listener) and for the operator (admin listener, under `/admin`). */
export interface RegistrationRoutes {
  /** `POST /registrations`, `GET /registrations/:id`, `GET /registrations/:id/certificate`. */
  readonly publicRoutes: Hono;
  /** `GET /admin/registrations`, `POST /admin/registrations/:id/approve`; mount behind operator auth. */
  readonly adminRoutes: Hono;
}

const MAX_BODY_BYTES = 256 * 1024;
const submissionSchema = z.strictObject({ request: z.string().min(1).max(MAX_BODY_BYTES) });
const idSchema = z.uuid();
/** What the operator may decide when approving a gateway the registry does not know yet. */
const approvalSchema = z.strictObject({
  clients: gatewayBodySchema.shape.clients.default([]),
  publicAddress: gatewayBodySchema.shape.publicAddress,
});
const statusQuerySchema = z.strictObject({
  status: z.enum(['pending', 'approved', 'all']).default('pending'),
});

/**
 * Gateway registration as in X-Road (docs/protocol.md §10): a gateway's member submits a request signed
 * by the new authentication key and by the member's signing key; the operator lists and approves
 * it; the CA issues the authentication certificate, and the gateway with that certificate's
 * fingerprint is in the next directory.
 *
 * @example
 * const registration = createRegistrationRoutes({ db, ca: issuingCa, anchor: rootCa, clock, log,
 *   publish: () => publisher.publish() });
 * createPublicApp({ ..., routes: registration.publicRoutes });
 * createAdminApp({ ..., routes: registration.adminRoutes });
 */
export function createRegistrationRoutes(deps: RegistrationRoutesDeps): RegistrationRoutes {
  // The registration table sits next to the registry's tables in the same schema.
  const db = deps.db;
  return { publicRoutes: createPublicRoutes(deps, db), adminRoutes: createAdminRoutes(deps, db) };
}

function createPublicRoutes(deps: RegistrationRoutesDeps, db: Kysely<RegistryDb>): Hono {
  const app = new Hono();
  const errors = errorHandlers({ log: deps.log, pathInLog: (path) => path });
  app.onError(errors.onError);
  app.notFound(errors.notFound);
  app.use(
    '/registrations',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new EinmalError('Client.BodyTooLarge');
      },
    }),
  );

  app.post('/registrations', async (c) => {
    const request = await readSubmission(c.req.header('content-type'), () => c.req.text());
    const now = new Date(deps.clock());
    const verified = await verifyRegistrationRequest(request, {
      anchor: deps.anchor,
      intermediates: [deps.ca.certificate, ...(deps.intermediates ?? [])],
      ...(deps.revokedSerials ? { revokedSerials: await deps.revokedSerials(deps.db) } : {}),
      now,
    });
    const id = randomUUID();
    await insertRegistration(db, {
      id,
      gateway: verified.claims.gateway,
      member: verified.member,
      address: verified.claims.address,
      csr: verified.claims.csr,
      request,
      authKeyFingerprint: verified.authKeyFingerprint,
      submittedAt: now,
    });
    deps.log.info({ registration: id, gateway: verified.claims.gateway }, 'gateway registration submitted');
    return c.json({ id, gateway: verified.claims.gateway, status: 'pending' }, 201);
  });

  app.get('/registrations/:id', async (c) => {
    const registration = await requireRegistration(db, c.req.param('id'));
    return c.json({ id: registration.id, gateway: registration.gateway, status: registration.status });
  });

  app.get('/registrations/:id/certificate', async (c) => {
    const registration = await requireRegistration(db, c.req.param('id'));
    if (!registration.certificate) {
      throw new EinmalError('Client.NotFound', { message: 'The registration is not approved yet' });
    }
    return c.body(registration.certificate + toPem(deps.ca.certificate), 200, {
      'content-type': 'application/pem-certificate-chain',
    });
  });
  return app;
}

function createAdminRoutes(deps: RegistrationRoutesDeps, db: Kysely<RegistryDb>): Hono {
  const app = new Hono();
  const errors = errorHandlers({ log: deps.log, pathInLog: (path) => path });
  app.onError(errors.onError);
  app.notFound(errors.notFound);

  app.get('/admin/registrations', async (c) => {
    const query = statusQuerySchema.safeParse(c.req.query());
    if (!query.success)
      throw new EinmalError('Client.BadRequest', { message: 'status must be pending, approved or all' });
    const status = query.data.status;
    return c.json(await listRegistrations(db, status === 'all' ? {} : { status }));
  });

  app.post('/admin/registrations/:id/approve', async (c) => {
    const id = c.req.param('id');
    const decision = await readApproval(() => c.req.text());
    const approved = await db.transaction().execute(async (registrations) => {
      const trx = registrations;
      const registration = await requireRegistration(registrations, id, { forUpdate: true });
      if (registration.status !== 'pending') {
        throw new EinmalError('Client.Conflict', { message: 'The registration is already approved' });
      }
      const certificate = await issueCertificate({
        ca: deps.ca,
        csrPem: registration.csr,
        profile: 'auth',
        now: new Date(deps.clock()),
      });
      const fingerprint = certificateFingerprint(certificate);
      if (await findGateway(trx, registration.gateway)) {
        if (decision.clients.length > 0 || decision.publicAddress !== undefined) {
          throw new EinmalError('Client.Conflict', {
            message: `Gateway ${registration.gateway} exists: its clients and public address stay as they are`,
          });
        }
        await addGatewayAuthCertificate(trx, registration.gateway, fingerprint);
      } else {
        await addGateway(trx, {
          id: registration.gateway,
          address: registration.address,
          publicAddress: decision.publicAddress,
          authCertificateFingerprints: [fingerprint],
          clients: decision.clients,
        });
      }
      await markRegistrationApproved(registrations, id, {
        certificate: toPem(certificate),
        approvedAt: new Date(deps.clock()),
      });
      await deps.checkDirectory?.(trx);
      return { registration, fingerprint };
    });
    await deps.publish?.();
    deps.log.info(
      { registration: id, gateway: approved.registration.gateway, fingerprint: approved.fingerprint },
      'gateway registration approved',
    );
    const after = await findRegistration(db, id);
    return c.json({ ...toView(after!), certificateFingerprint: approved.fingerprint });
  });
  return app;
}

/** The approval's optional JSON body: `{clients?, publicAddress?}`; none is `{}`. */
async function readApproval(text: () => Promise<string>): Promise<z.output<typeof approvalSchema>> {
  const body = (await text()).trim();
  let json: unknown = {};
  if (body !== '') {
    try {
      json = JSON.parse(body);
    } catch (cause) {
      throw new EinmalError('Client.BadRequest', { message: 'The body is not valid JSON', cause });
    }
  }
  const parsed = approvalSchema.safeParse(json);
  if (!parsed.success) {
    throw new EinmalError('Client.BadRequest', {
      message: `The approval takes {clients?: [client ids], publicAddress?: URL}: ${parsed.error.issues
        .map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`)
        .join('; ')}`,
    });
  }
  return parsed.data;
}

/** The submitted request: `{"request": "<jws>"}` as JSON, or the JWS itself as `application/jose`. */
async function readSubmission(contentType: string | undefined, text: () => Promise<string>): Promise<string> {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  const body = await text();
  if (type === 'application/jose') return body.trim();
  if (type !== 'application/json') {
    throw new EinmalError('Registry.InvalidRegistration', {
      message: 'Send the request as application/json {"request": ...} or application/jose',
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (cause) {
    throw new EinmalError('Registry.InvalidRegistration', { message: 'The body is not valid JSON', cause });
  }
  const parsed = submissionSchema.safeParse(json);
  if (!parsed.success) {
    throw new EinmalError('Registry.InvalidRegistration', {
      message: 'The body must be {"request": "<signed registration request>"}',
    });
  }
  return parsed.data.request;
}

async function requireRegistration(
  db: Kysely<RegistryDb>,
  id: string,
  options: { forUpdate?: boolean } = {},
) {
  if (!idSchema.safeParse(id).success)
    throw new EinmalError('Client.NotFound', { message: 'No such registration' });
  const registration = await findRegistration(db, id, options);
  if (!registration) throw new EinmalError('Client.NotFound', { message: 'No such registration' });
  return registration;
}

function toView(registration: Registration): Registration {
  const { id, gateway, member, address, status, authKeyFingerprint, submittedAt, approvedAt } = registration;
  return { id, gateway, member, address, status, authKeyFingerprint, submittedAt, approvedAt };
}
