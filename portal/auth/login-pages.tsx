import type { Messages } from '../i18n/messages.ts';
import { CsrfField, Notice, type PageContext } from '../pages/layout.tsx';
import type { Role } from '../session/session-store.ts';

/** The notices a login page may show, named in its `?notice=` parameter. */
export const LOGIN_NOTICES = [
  'expired',
  'invalidSession',
  'loginFailed',
  'cancelled',
  'untrustedIssuer',
  'invalidForm',
  'loggedOut',
  'auditorOnly',
  'noDirectory',
] as const;

/** A notice of the login page. */
export type LoginNotice = (typeof LOGIN_NOTICES)[number];

/** Reads the `?notice=` parameter: only the known names, never text from the URL. */
export function loginNoticeOf(value: string | undefined): LoginNotice | undefined {
  return LOGIN_NOTICES.find((notice) => notice === value);
}

function LoginNoticeText(props: { readonly t: Messages; readonly notice: LoginNotice | undefined }) {
  if (!props.notice) return null;
  const kind = props.notice === 'loggedOut' ? 'info' : props.notice === 'cancelled' ? 'warning' : 'error';
  return <Notice kind={kind}>{props.t.notices[props.notice]}</Notice>;
}

/** The issuers to log in with: a choice when there are several, the one otherwise. */
function LoginForm(props: {
  readonly page: PageContext;
  readonly loginRole: Role;
  readonly issuers: readonly string[];
  readonly button: string;
}) {
  const { t } = props.page;
  if (props.issuers.length === 0) return <Notice kind="error">{t.home.noIssuer}</Notice>;
  return (
    <form method="post" action="/login">
      <CsrfField token={props.page.csrf} />
      <input type="hidden" name="role" value={props.loginRole} />
      {props.issuers.length === 1 ? (
        <input type="hidden" name="issuer" value={props.issuers[0]} />
      ) : (
        <fieldset>
          <legend>{t.home.issuerLegend}</legend>
          {props.issuers.map((issuer, i) => (
            <label class="choice">
              <input type="radio" name="issuer" value={issuer} checked={i === 0} /> {new URL(issuer).host}
            </label>
          ))}
        </fieldset>
      )}
      <button type="submit">{props.button}</button>
    </form>
  );
}

/** The start page: what the portal is for, and the citizens' eID login. */
export function HomePage(props: {
  readonly page: PageContext;
  readonly issuers: readonly string[];
  readonly notice: LoginNotice | undefined;
}) {
  const { t } = props.page;
  return (
    <>
      <h1>{t.home.title}</h1>
      <LoginNoticeText t={t} notice={props.notice} />
      <p>{t.home.intro}</p>
      <LoginForm page={props.page} loginRole="citizen" issuers={props.issuers} button={t.home.loginButton} />
      <p>
        <a href="/auditor/login">{t.home.auditorLink}</a>
      </p>
    </>
  );
}

/** The auditors' login page: a staff login at an issuer trusted to assert the auditor role. */
export function AuditorLoginPage(props: {
  readonly page: PageContext;
  readonly issuers: readonly string[];
  readonly notice: LoginNotice | undefined;
}) {
  const { t } = props.page;
  return (
    <>
      <h1>{t.auditorLogin.title}</h1>
      <LoginNoticeText t={t} notice={props.notice} />
      <p>{t.auditorLogin.intro}</p>
      <LoginForm
        page={props.page}
        loginRole="auditor"
        issuers={props.issuers}
        button={t.auditorLogin.button}
      />
      <p>
        <a href="/">{t.auditorLogin.citizenLink}</a>
      </p>
    </>
  );
}
