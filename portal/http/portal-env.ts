import type { Language, Messages } from '../i18n/messages.ts';
import type { Session } from '../session/session-store.ts';

/** Per-request values of the portal's Hono context. */
export interface PortalVariables {
  readonly lang: Language;
  readonly t: Messages;
  /** The active session of the request's cookie, if any. */
  session: Session | undefined;
  /** Why the cookie's session is not active, when the request carried one. */
  sessionProblem: 'expired' | 'unknown' | undefined;
  /** The path and query of this page, for the language switch to return to. */
  readonly here: string;
}

/** The portal's Hono environment. */
export interface PortalEnv {
  Variables: PortalVariables;
}
