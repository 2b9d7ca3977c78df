/**
 * The one error type of einmal. Every failure that can reach a caller, a log or the CLI is an
 * `EinmalError` with a stable `code`. The code doubles as the X-Road error `type`
 * (X-Road pr-rest §4.6: `Client.*` = the client broke the protocol, `Server.ClientProxy.*` = the
 * consumer gateway failed, `Server.ServerProxy.*` = the provider gateway refused or failed).
 * The HTTP status and the safe message come from one exhaustive map, so a security failure never
 * leaks detail to the caller; `detail` is for the log only.
 */

interface ErrorSpec {
  readonly status: number;
  readonly message: string;
}

const spec = (status: number, message: string): ErrorSpec => ({ status, message });

/** Every error code einmal knows, with its HTTP status and the message a caller may see. */
export const ERROR_CODES = {
  // Caller input (400).
  'Client.BadRequest': spec(400, 'The request is malformed'),
  'Client.InvalidIdentifier': spec(400, 'Malformed identifier'),
  'Client.InvalidHeader': spec(400, 'Malformed or forbidden header'),
  'Client.InvalidPath': spec(400, 'Malformed request path'),
  'Client.InvalidBody': spec(400, 'The request body does not match the schema'),
  'Client.InvalidQuery': spec(400, 'The query parameters do not match the service'),
  'Client.BodyTooLarge': spec(413, 'The request body is too large'),
  'Client.UriTooLong': spec(414, 'The request URI is too long'),
  'Client.MissingClient': spec(400, 'The X-Road-Client header is required'),
  'Client.InvalidMessageId': spec(400, 'Malformed message id'),
  'Client.Unauthenticated': spec(401, 'Authentication is required'),
  'Client.Forbidden': spec(403, 'Access denied'),
  'Client.NotFound': spec(404, 'Not found'),
  'Client.MethodNotAllowed': spec(405, 'Method not allowed'),
  'Client.Conflict': spec(409, 'The entry already exists'),
  'Client.UnknownService': spec(404, 'Unknown service'),
  'Client.UnknownClient': spec(403, 'The client is not registered for this information system'),
  'Client.InvalidSubject': spec(400, 'Malformed subject identifier'),
  'Client.SubjectMismatch': spec(400, 'The declared subject differs from the eID token subject'),
  'Client.InvalidHiding': spec(400, 'Records of this service may not be hidden'),
  'Client.DuplicateMessageId': spec(409, 'The X-Road-Id was already used'),
  'Client.RequestNotLoggable': spec(400, 'The request cannot be written to the audit log as signed'),
  'Client.HeadersTooLarge': spec(431, 'The request headers are too large'),
  'Client.RequestTimeout': spec(408, 'The request was not received in time'),

  // Configuration, files and tooling (local, not on the wire).
  'Config.Invalid': spec(500, 'Invalid configuration'),
  'Config.FileExists': spec(409, 'Refusing to overwrite existing files'),
  'Config.FileMissing': spec(500, 'A required file is missing'),
  'Cli.Usage': spec(400, 'Invalid command line'),

  // PKI.
  'Pki.InvalidCsr': spec(400, 'The certificate signing request is invalid'),
  'Pki.InvalidCertificate': spec(400, 'The certificate is invalid'),
  'Pki.UntrustedChain': spec(400, 'The certificate does not chain to a trusted CA'),
  'Pki.Revoked': spec(400, 'The certificate is revoked'),
  'Pki.Expired': spec(400, 'The certificate is expired or not yet valid'),
  'Pki.WrongUsage': spec(400, 'The certificate is not valid for this purpose'),
  'Pki.NoMemberIdentity': spec(400, 'The certificate names no member'),
  'Pki.InvalidCrl': spec(400, 'The CRL is invalid'),
  'Pki.InvalidKey': spec(400, 'The key is invalid'),

  // Directory (signed global configuration).
  'Directory.InvalidSignature': spec(502, 'The directory signature is invalid'),
  'Directory.UntrustedSigner': spec(502, 'The directory signer does not chain to the configuration anchor'),
  'Directory.VersionRollback': spec(502, 'The directory version is older than the one held'),
  'Directory.Expired': spec(502, 'The directory is expired'),
  'Directory.Malformed': spec(502, 'The directory is malformed'),
  'Directory.Unavailable': spec(503, 'No directory is available'),

  // Registry operations.
  'Registry.InvalidRegistration': spec(400, 'The registration request is invalid'),
  'Registry.RegistrationSignature': spec(400, 'The registration request signature is invalid'),
  'Registry.DuplicateRegistration': spec(409, 'The gateway is already registered or pending'),
  'Registry.UnknownReference': spec(409, 'The entry refers to a member, subsystem or client not registered'),
  'Registry.EntryInUse': spec(409, 'The entry is still referenced by other entries'),
  'Registry.NotOperator': spec(403, 'An operator certificate or token is required'),
  'Witness.InvalidCheckpoint': spec(400, 'The checkpoint signature or format is invalid'),
  'Witness.InconsistentCheckpoint': spec(409, 'The checkpoint is not consistent with the witnessed log'),
  'Witness.LogShrunk': spec(409, 'The checkpoint is smaller than the witnessed log'),
  'Witness.Fork': spec(409, 'The checkpoint forks the witnessed log'),
  'Witness.UntrustedSigner': spec(403, 'The checkpoint signing certificate is not trusted'),
  'Witness.ForeignSigner': spec(403, 'The checkpoint is not signed by the member of its gateway'),
  'Witness.UnknownOrigin': spec(404, 'The checkpoint origin is not a registered gateway'),
  'Witness.NotWitnessed': spec(404, 'No checkpoint of this origin has been witnessed'),
  'Witness.NotOriginGateway': spec(
    403,
    "Checkpoints are accepted only over TLS with the origin gateway's authentication certificate",
  ),
  'Witness.TimeWentBack': spec(409, 'The checkpoint is dated before the witnessed one'),

  // Consumer gateway (the client's own gateway).
  'Server.ClientProxy.OutdatedDirectory': spec(500, 'The gateway directory is outdated'),
  'Server.ClientProxy.UnknownService': spec(404, 'The service is not in the directory'),
  'Server.ClientProxy.UnknownMember': spec(404, 'The service provider is not in the directory'),
  'Server.ClientProxy.NetworkError': spec(502, 'The provider gateway could not be reached'),
  'Server.ClientProxy.InvalidResponse': spec(502, 'The provider response failed verification'),
  'Server.ClientProxy.ResponseSignature': spec(502, 'The provider response signature is invalid'),
  'Server.ClientProxy.AuditUnavailable': spec(503, 'The audit log cannot be written'),
  'Server.ClientProxy.NoSigningKey': spec(500, 'The gateway holds no signing key for this client'),
  'Server.ClientProxy.InternalError': spec(500, 'Internal error in the consumer gateway'),

  // Provider gateway: the §5 checks, in order.
  'Server.ServerProxy.OutdatedDirectory': spec(500, 'The provider gateway directory is outdated'),
  'Server.ServerProxy.UnknownGateway': spec(403, 'The calling gateway is not registered'),
  'Server.ServerProxy.UntrustedPeer': spec(403, 'The calling gateway certificate is not trusted'),
  'Server.ServerProxy.MissingSignature': spec(400, 'The request is not signed'),
  'Server.ServerProxy.MalformedSignature': spec(400, 'The request signature is not a well-formed envelope'),
  'Server.ServerProxy.InvalidSignature': spec(403, 'The request signature is invalid'),
  'Server.ServerProxy.InvalidClaims': spec(400, 'The signed request claims do not match the schema'),
  'Server.ServerProxy.UntrustedSigner': spec(403, 'The signing certificate is not trusted'),
  'Server.ServerProxy.RevokedSigner': spec(403, 'The signing certificate is revoked'),
  'Server.ServerProxy.SignerMismatch': spec(403, 'The signer is not the client member'),
  'Server.ServerProxy.ClientNotHosted': spec(403, 'The calling gateway does not host the client'),
  'Server.ServerProxy.NonCanonicalPath': spec(400, 'The request path is not in canonical form'),
  'Server.ServerProxy.BindingMismatch': spec(403, 'The request does not match its signature'),
  'Server.ServerProxy.StaleRequest': spec(403, 'The request time is outside the allowed skew'),
  'Server.ServerProxy.Replay': spec(403, 'The message id was already used'),
  'Server.ServerProxy.AccessDenied': spec(403, 'The client is not allowed to use this service'),
  'Server.ServerProxy.UnknownService': spec(404, 'The service is not provided here'),
  'Server.ServerProxy.InvalidRequest': spec(400, 'The metaservice request is incomplete'),
  'Server.ServerProxy.PurposeRequired': spec(403, 'A purpose from the service list is required'),
  'Server.ServerProxy.PurposeNotAllowed': spec(403, 'The purpose is not allowed for this service'),
  'Server.ServerProxy.LegalBasisNotAllowed': spec(403, 'The legal basis is not allowed for this service'),
  'Server.ServerProxy.AuthorizationRequired': spec(
    403,
    'An eID token or a declared subject with legal basis is required',
  ),
  'Server.ServerProxy.HidingNotAllowed': spec(403, 'Records of this service may not be hidden'),
  'Server.ServerProxy.HidingNotGranted': spec(403, 'The client is not granted hiding its accesses'),
  'Server.ServerProxy.RequestNotLoggable': spec(
    400,
    'The request cannot be written to the audit log as signed',
  ),
  'Server.ServerProxy.TokenInvalid': spec(401, 'The eID token is invalid'),
  'Server.ServerProxy.TokenExpired': spec(401, 'The eID token is expired'),
  'Server.ServerProxy.TokenNotYetValid': spec(401, 'The eID token is not yet valid'),
  'Server.ServerProxy.TokenAudience': spec(401, 'The eID token audience is wrong'),
  'Server.ServerProxy.TokenIssuer': spec(401, 'The eID token issuer is not trusted'),
  'Server.ServerProxy.TokenAlgorithm': spec(401, 'The eID token algorithm is not accepted'),
  'Server.ServerProxy.TokenLevel': spec(403, 'The eID level of assurance is too low'),
  'Server.ServerProxy.TokenScope': spec(403, 'The eID token does not grant this service'),
  'Server.ServerProxy.TokenSubject': spec(401, 'The eID token subject is malformed'),
  'Server.ServerProxy.SubjectMismatch': spec(403, 'The declared subject differs from the eID token subject'),
  'Server.ServerProxy.TokenBinding': spec(403, 'The eID token does not match the signed request'),
  'Server.ServerProxy.TokenIssuerUnavailable': spec(503, 'The eID token issuer keys cannot be fetched'),
  'Server.ServerProxy.AuditUnavailable': spec(503, 'The audit log cannot be written'),
  'Server.ServerProxy.ServiceFailed': spec(502, 'The service adapter failed'),
  'Server.ServerProxy.InternalError': spec(500, 'Internal error in the provider gateway'),

  // Development eID provider.
  'Eid.UnknownCitizen': spec(401, 'No test citizen with this identifier'),
  'Eid.FlowFailed': spec(502, 'The eID provider did not complete the login flow'),

  // Adapters.
  'Adapter.SubjectMismatch': spec(403, 'The adapter only answers about the verified subject'),
  'Adapter.SubjectMissing': spec(400, 'A personal-data service needs a verified subject'),
  'Adapter.ResponseWithheld': spec(500, 'The adapter withheld an answer that named another person'),
  'Adapter.UpstreamUnavailable': spec(503, 'The registry behind the adapter is unavailable'),
  'Adapter.UpstreamInvalid': spec(502, 'The registry behind the adapter answered something unexpected'),
  'Adapter.InvalidResponse': spec(500, 'The adapter produced an invalid response'),
  'Adapter.NotFound': spec(404, 'No record found'),
  'Adapter.NotGateway': spec(403, 'Only the provider gateway may call this adapter'),

  // Audit log.
  'Audit.InvalidProof': spec(400, 'The proof does not verify'),
  'Audit.InvalidCheckpoint': spec(400, 'The checkpoint does not verify'),
  'Audit.InvalidBundle': spec(400, 'The audit bundle is invalid'),
  'Audit.RangeError': spec(400, 'The requested tree size or index is out of range'),
  'Audit.InvalidRecord': spec(400, 'The audit record is not representable as canonical JSON'),
  'Audit.NotAuditor': spec(403, 'An auditor certificate or auditor login is required'),
  'Audit.InvalidEvidence': spec(400, 'The evidence file is invalid'),
  'Audit.NotController': spec(403, 'Only the data controller may disclose records'),
  'Audit.LogBehindWitness': spec(
    503,
    'This log went back behind what the witness cosigned (a database restored from an older backup?)',
  ),

  // Portal (citizens' and auditors' web application).
  'Portal.LoginFailed': spec(401, 'The login could not be completed'),
  'Portal.InvalidForm': spec(403, 'The form is outdated or was not sent from the portal'),

  'Server.InternalError': spec(500, 'Internal error'),
  'Server.Unavailable': spec(503, 'The service is temporarily unavailable'),
} as const satisfies Record<string, ErrorSpec>;

/** A stable error code; also the X-Road error `type`. */
export type ErrorCode = keyof typeof ERROR_CODES;

export interface EinmalErrorOptions {
  /** Extra, possibly sensitive, context for the log. Never sent to a caller. */
  readonly detail?: unknown;
  readonly cause?: unknown;
  /** Replaces the default safe message; must not contain secrets or personal data. */
  readonly message?: string;
}

/**
 * @example
 * throw new EinmalError('Client.InvalidIdentifier', { message: 'part 2 is empty', detail: raw });
 */
export class EinmalError extends Error {
  override readonly name = 'EinmalError';
  readonly code: ErrorCode;
  readonly detail: unknown;

  constructor(code: ErrorCode, options: EinmalErrorOptions = {}) {
    super(options.message ?? ERROR_CODES[code].message, options.cause ? { cause: options.cause } : undefined);
    this.code = code;
    this.detail = options.detail;
  }

  /** HTTP status for this code. */
  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  /** The X-Road error `type` string (X-Road pr-rest §4.6). */
  get type(): string {
    return this.code;
  }
}

export const isEinmalError = (value: unknown): value is EinmalError => value instanceof EinmalError;

export const isErrorCode = (value: string): value is ErrorCode => Object.hasOwn(ERROR_CODES, value);

/**
 * Turns anything thrown into an `EinmalError`; unknown failures become `fallback` with the original
 * as cause, so an unexpected bug still answers with a fixed message and no stack trace.
 */
export function toEinmalError(error: unknown, fallback: ErrorCode = 'Server.InternalError'): EinmalError {
  if (isEinmalError(error)) return error;
  return new EinmalError(fallback, { cause: error });
}
