import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { TestCitizen } from '../../adapters/index.ts';
import type { TestAuditor } from '../auditors.ts';

type Page = HtmlEscapedString | Promise<HtmlEscapedString>;

const layout = (title: string, body: Page): Page => html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${title} · einmal development eID</title>
    <style>
      body { font-family: system-ui, sans-serif; max-width: 36rem; margin: 2rem auto; padding: 0 1rem; }
      label { display: block; padding: .5rem; border: 1px solid #ccc; margin: .25rem 0; border-radius: 4px; }
      code { font-size: 1.05em; }
      .error { color: #a00; border: 1px solid #a00; padding: .5rem; }
      button { padding: .5rem 1.5rem; margin-top: 1rem; }
    </style>
  </head>
  <body>
    <p><small>Development eID provider: test identities only</small></p>
    <h1>${title}</h1>
    ${body}
  </body>
</html>`;

/** The login page: pick one of the test citizens, or with `auditors`, one of the staff accounts. */
export function loginPage(input: {
  readonly uid: string;
  readonly clientId: string;
  readonly citizens: readonly TestCitizen[];
  readonly auditors?: readonly TestAuditor[];
  readonly error?: string;
}): Page {
  if (input.auditors) return staffLoginPage({ ...input, auditors: input.auditors });
  return layout(
    'Log in with your eID',
    html`${input.error ? html`<p class="error" role="alert">${input.error}</p>` : ''}
      <p><code>${input.clientId}</code> asks you to identify yourself.</p>
      <form method="post" action="/interaction/${input.uid}/login">
        ${input.citizens.map(
          (citizen, index) => html`<label>
            <input type="radio" name="citizen" value="${citizen.id}" ${index === 0 ? 'checked' : ''} />
            ${citizen.givenName} ${citizen.familyName}, born ${citizen.birthDate}:
            <code>${citizen.id.slice(2)}</code> (eID level ${citizen.loa})
          </label>`,
        )}
        <button type="submit">Log in</button>
      </form>`,
  );
}

function staffLoginPage(input: {
  readonly uid: string;
  readonly clientId: string;
  readonly auditors: readonly TestAuditor[];
  readonly error?: string;
}): Page {
  return layout(
    'Staff login',
    html`${input.error ? html`<p class="error" role="alert">${input.error}</p>` : ''}
      <p><code>${input.clientId}</code> asks you to log in with your staff account.</p>
      <form method="post" action="/interaction/${input.uid}/login">
        ${input.auditors.map(
          (auditor, index) => html`<label>
            <input type="radio" name="citizen" value="${auditor.id}" ${index === 0 ? 'checked' : ''} />
            ${auditor.givenName} ${auditor.familyName}, auditor: ${auditor.office} (<code>${auditor.id}</code>)
          </label>`,
        )}
        <button type="submit">Log in</button>
      </form>`,
  );
}

/** The consent page: the data categories the client asks the citizen to release. */
export function consentPage(input: {
  readonly uid: string;
  readonly clientId: string;
  readonly citizen: Pick<TestCitizen, 'givenName' | 'familyName'> | undefined;
  readonly scopes: readonly { readonly scope: string; readonly title: string }[];
}): Page {
  return layout(
    'Release your data',
    html`<p>
        ${input.citizen ? html`${input.citizen.givenName} ${input.citizen.familyName}, ` : ''}
        <code>${input.clientId}</code> asks for your agreement that agencies may use:
      </p>
      <ul>
        ${input.scopes.map((s) => html`<li>${s.title} <small>(<code>${s.scope}</code>)</small></li>`)}
      </ul>
      <form method="post" action="/interaction/${input.uid}/confirm">
        <button type="submit">Agree</button>
        <a href="/interaction/${input.uid}/abort">Cancel</a>
      </form>`,
  );
}

/** A page that explains why the interaction cannot go on. */
export function problemPage(message: string): Page {
  return layout('Login not possible', html`<p class="error" role="alert">${message}</p>`);
}
