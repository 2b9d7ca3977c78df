import type { PortalGateway } from '../federation/federation-view.ts';
import type { GatewayFailure } from '../federation/gateway-client.ts';
import type { Messages } from '../i18n/messages.ts';
import { CsrfField, Notice, type PageContext } from '../pages/layout.tsx';
import type { AuditCriteria, FoundRecord, SearchNotice } from './audit-search.ts';
import type { LogVerification } from './log-verification.ts';
import type { RecordView } from './record-view.ts';

/** Words for a gateway whose answer is missing. */
export function auditorNoticeText(t: Messages, gateway: PortalGateway, failure: GatewayFailure): string {
  if (failure.kind === 'unreachable') return t.notices.gatewayUnreachable(gateway.agency);
  if (failure.kind === 'invalid') return t.notices.gatewayInvalid(gateway.agency);
  return t.notices.auditorRefused(gateway.agency);
}

/** A link to one record's page. */
export const recordHref = (gateway: string, tree: string, index: number, suffix = '') =>
  `/auditor/record${suffix}?${new URLSearchParams({ gateway, tree, index: String(index) })}`;

function Field(props: {
  readonly label: string;
  readonly name: string;
  readonly value?: string | undefined;
  readonly type?: string;
}) {
  return (
    <label>
      {props.label}
      <input type={props.type ?? 'text'} name={props.name} value={props.value ?? ''} />
    </label>
  );
}

/** The auditor's search: criteria, then the merged results of every gateway. */
export function SearchPage(props: {
  readonly page: PageContext;
  readonly criteria: AuditCriteria | undefined;
  readonly members: readonly { readonly id: string; readonly name: string }[];
  readonly services: readonly { readonly id: string; readonly title: string }[];
  readonly problems: readonly string[];
  readonly results:
    | {
        readonly records: readonly FoundRecord[];
        readonly next: string | null;
        readonly notices: readonly SearchNotice[];
      }
    | undefined;
  readonly format: (iso: string) => string;
}) {
  const { t } = props.page;
  const a = t.auditor;
  const criteria = props.criteria ?? {};
  return (
    <>
      <h1>{a.searchTitle}</h1>
      <p>{a.searchIntro}</p>
      {props.problems.map((problem) => (
        <Notice kind="error">{problem}</Notice>
      ))}
      <form method="post" action="/auditor/search">
        <CsrfField token={props.page.csrf} />
        <fieldset>
          <legend>{a.searchTitle}</legend>
          <div class="fields">
            <label>
              {a.member}
              <select name="member">
                <option value="">{a.any}</option>
                {props.members.map((member) => (
                  <option value={member.id} selected={criteria.member === member.id}>
                    {member.name}
                  </option>
                ))}
              </select>
            </label>
            <Field label={a.client} name="client" value={criteria.client} />
            <label>
              {a.service}
              <select name="service">
                <option value="">{a.any}</option>
                {props.services.map((service) => (
                  <option value={service.id} selected={criteria.service === service.id}>
                    {service.title}
                  </option>
                ))}
              </select>
            </label>
            <Field label={a.subject} name="subject" value={criteria.subject} />
            <Field label={a.from} name="from" type="date" value={criteria.from} />
            <Field label={a.to} name="to" type="date" value={criteria.to} />
            <label>
              {a.outcome}
              <select name="outcome">
                <option value="">{a.any}</option>
                {(['ok', 'rejected', 'failed'] as const).map((outcome) => (
                  <option value={outcome} selected={criteria.outcome === outcome}>
                    {t.outcome[outcome]}
                  </option>
                ))}
              </select>
            </label>
            <Field label={a.errorCode} name="errorCode" value={criteria.errorCode} />
            <button type="submit">{a.search}</button>
          </div>
        </fieldset>
      </form>
      {props.results ? (
        <SearchResults page={props.page} results={props.results} format={props.format} />
      ) : (
        <p>{a.noSearch}</p>
      )}
    </>
  );
}

function SearchResults(props: {
  readonly page: PageContext;
  readonly results: NonNullable<Parameters<typeof SearchPage>[0]['results']>;
  readonly format: (iso: string) => string;
}) {
  const { t } = props.page;
  const a = t.auditor;
  const { records, next, notices } = props.results;
  return (
    <>
      {notices.map((notice) => (
        <Notice>{auditorNoticeText(t, notice.gateway, notice.failure)}</Notice>
      ))}
      {records.length === 0 ? (
        <p role="status">{a.noResults}</p>
      ) : (
        <table>
          <caption>{a.results}</caption>
          <thead>
            <tr>
              <th scope="col">{a.time}</th>
              <th scope="col">{a.gateway}</th>
              <th scope="col">{a.side}</th>
              <th scope="col">{a.client}</th>
              <th scope="col">{a.service}</th>
              <th scope="col">{a.subject}</th>
              <th scope="col">{a.outcome}</th>
              <th scope="col">{a.errorCode}</th>
              <th scope="col">
                <span class="muted">{a.open}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {records.map((found) => (
              <tr>
                <td>
                  <time datetime={found.record.logTime}>{props.format(found.record.logTime)}</time>
                </td>
                <td>{found.gateway.agency}</td>
                <td>{t.side[found.record.side] ?? found.record.side}</td>
                <td>
                  <code>{found.record.client ?? '–'}</code>
                </td>
                <td>
                  <code>{found.record.service ?? '–'}</code>
                </td>
                <td>{found.record.subject ?? '–'}</td>
                <td>
                  {found.record.status} {t.outcome[found.record.outcome]}
                </td>
                <td>{found.record.errorCode ?? '–'}</td>
                <td>
                  <a href={recordHref(found.gateway.id, found.tree, found.leafIndex)}>
                    {a.open}
                    <span class="sr-only"> {found.record.messageId}</span>
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next ? (
        <p class="paging">
          <a href={`/auditor?after=${next}`} rel="next">
            {a.more}
          </a>
        </p>
      ) : null}
    </>
  );
}

function SignerLine(props: {
  readonly t: Messages;
  readonly label: string;
  readonly signer: RecordView['requestSigner'];
}) {
  return (
    <>
      <dt>{props.label}</dt>
      <dd>
        {props.signer
          ? (props.signer.subject ?? props.t.auditor.unreadableSigner)
          : props.t.auditor.noSignature}
      </dd>
    </>
  );
}

/** One record with its signatures and its proof. */
export function RecordPage(props: {
  readonly page: PageContext;
  readonly view: RecordView;
  readonly format: (iso: string) => string;
}) {
  const { t } = props.page;
  const a = t.auditor;
  const { view, format } = props;
  const record = view.record;
  const proofCheck = view.proof ? (view.proof.verified ? 'verified' : 'failed') : 'pending';
  const allGood = view.problems.length === 0 && proofCheck !== 'failed';
  return (
    <>
      <p>
        <a href="/auditor">{t.entry.back}</a>
      </p>
      <h1>{a.recordTitle}</h1>
      <dl class="facts">
        <dt>{a.gateway}</dt>
        <dd>
          {view.gateway.agency} (<code>{view.gateway.id}</code>)
        </dd>
        <dt>{t.entry.leafIndex}</dt>
        <dd>
          <code>{view.tree}</code> #{view.leafIndex}
        </dd>
        {record ? (
          <>
            <dt>{a.time}</dt>
            <dd>
              <time datetime={record.logTime}>{format(record.logTime)}</time>
            </dd>
            <dt>{t.entry.messageId}</dt>
            <dd>
              <code>{record.messageId}</code>
            </dd>
            <dt>{a.side}</dt>
            <dd>{t.side[record.side]}</dd>
            <dt>{a.client}</dt>
            <dd>
              <code>{record.client ?? '–'}</code>
            </dd>
            <dt>{a.service}</dt>
            <dd>
              <code>{record.service ?? '–'}</code>
            </dd>
            <dt>{a.subject}</dt>
            <dd>{record.subject ?? '–'}</dd>
            <dt>{t.timeline.purpose}</dt>
            <dd>{record.purpose ?? '–'}</dd>
            <dt>{t.timeline.legalBasis}</dt>
            <dd>{record.legalBasis ?? '–'}</dd>
            <dt>{a.outcome}</dt>
            <dd>
              {record.status} {t.outcome[record.outcome]}
              {record.errorCode ? (
                <>
                  {' '}
                  (<code>{record.errorCode}</code>)
                </>
              ) : null}
            </dd>
          </>
        ) : null}
        <dt>{t.timeline.check}</dt>
        <dd>
          <span class={`check ${allGood ? proofCheck : 'failed'}`}>
            {t.verification[allGood ? proofCheck : 'failed']}
          </span>
        </dd>
      </dl>
      {view.problems.map((problem) => (
        <Notice kind="error">{problem}</Notice>
      ))}
      <h2>{a.signatures}</h2>
      <dl class="facts">
        <SignerLine t={t} label={a.requestSignature} signer={view.requestSigner} />
        <SignerLine t={t} label={a.responseSignature} signer={view.responseSigner} />
      </dl>
      <p>{a.signaturesOk(view.signaturesVerified)}</p>
      <h2>{a.proofTitle}</h2>
      {view.proof ? (
        <>
          <dl class="facts">
            <dt>{t.entry.leafHash}</dt>
            <dd>
              <code>{view.proof.leafHash}</code>
            </dd>
            <dt>{t.entry.treeSize}</dt>
            <dd>{view.proof.checkpoint.size}</dd>
            <dt>{t.entry.checkpoint}</dt>
            <dd>
              <time datetime={view.proof.checkpoint.time}>{format(view.proof.checkpoint.time)}</time>,{' '}
              {a.root} <code>{view.proof.checkpoint.root}</code>
            </dd>
            <dt>{t.entry.signedBy}</dt>
            <dd>{view.proof.signer ?? '–'}</dd>
            <dt>{t.entry.cosignedBy}</dt>
            <dd>{view.proof.witness ?? '–'}</dd>
            <dt>{a.proofHashes}</dt>
            <dd>
              {view.proof.evidence.inclusionProof.map((hash) => (
                <code class="choice">{hash}</code>
              ))}
            </dd>
          </dl>
          {view.proof.problem ? <Notice kind="error">{view.proof.problem}</Notice> : null}
          <p>
            <a
              class="button secondary"
              href={recordHref(view.gateway.id, view.tree, view.leafIndex, '/evidence')}
              download
            >
              {a.evidenceButton}
            </a>
          </p>
        </>
      ) : (
        <p>{t.verification.pendingText}</p>
      )}
      <h2>{a.canonical}</h2>
      <pre>{view.canonical}</pre>
    </>
  );
}

/** One row of the logs page: a gateway's log tree, or why the gateway's logs are missing. */
export type LogRow =
  | {
      readonly gateway: PortalGateway;
      readonly tree: string;
      readonly size: number;
      readonly witnessed: { readonly size: number; readonly time: string } | null;
    }
  | { readonly gateway: PortalGateway; readonly failure: GatewayFailure };

/** The gateways' logs, each with "verify" and "download export bundle". */
export function LogsPage(props: {
  readonly page: PageContext;
  readonly rows: readonly LogRow[];
  readonly format: (iso: string) => string;
}) {
  const { t } = props.page;
  const a = t.auditor;
  const logs = props.rows.filter((row): row is Extract<LogRow, { tree: string }> => 'tree' in row);
  return (
    <>
      <h1>{a.logsTitle}</h1>
      <p>{a.logsIntro}</p>
      {props.rows.map((row) =>
        'failure' in row ? <Notice>{auditorNoticeText(t, row.gateway, row.failure)}</Notice> : null,
      )}
      <table>
        <caption>{a.logsTitle}</caption>
        <thead>
          <tr>
            <th scope="col">{a.gateway}</th>
            <th scope="col">{a.log}</th>
            <th scope="col">{a.size}</th>
            <th scope="col">{a.witnessed}</th>
            <th scope="col">{a.actions}</th>
          </tr>
        </thead>
        <tbody>
          {logs.map((row) => (
            <tr>
              <td>{row.gateway.agency}</td>
              <td>
                <code>{row.tree}</code>
              </td>
              <td>{row.size}</td>
              <td>
                {row.witnessed ? (
                  <>
                    {row.witnessed.size},{' '}
                    <time datetime={row.witnessed.time}>{props.format(row.witnessed.time)}</time>
                  </>
                ) : (
                  a.none
                )}
              </td>
              <td>
                <form class="inline" method="post" action="/auditor/logs/verify">
                  <CsrfField token={props.page.csrf} />
                  <input type="hidden" name="gateway" value={row.gateway.id} />
                  <input type="hidden" name="tree" value={row.tree} />
                  <button type="submit" aria-label={`${a.verify}: ${row.gateway.agency}`}>
                    {a.verify}
                  </button>
                </form>{' '}
                <a
                  class="button secondary"
                  href={`/auditor/bundle?${new URLSearchParams({ gateway: row.gateway.id, tree: row.tree })}`}
                  aria-label={`${a.bundle}: ${row.gateway.agency}`}
                  download
                >
                  {a.bundle}
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/** How far a verification is, in words and percent (`null` while no total is known). */
export function jobProgress(t: Messages, job: LogVerification): { text: string; percent: number | null } {
  const a = t.auditor;
  const phase = a.phase[job.phase] ?? job.phase;
  if (job.phase === 'download')
    return { text: `${phase}: ${a.bytesDownloaded(Math.round(job.bytes / 1024))}`, percent: null };
  if (job.phase === 'verify' && job.records.total > 0) {
    const percent = Math.round((100 * job.records.done) / job.records.total);
    return { text: `${phase}: ${a.recordsChecked(job.records.done, job.records.total)}`, percent };
  }
  return { text: phase, percent: job.phase === 'done' ? 100 : null };
}

/** A log verification: its progress while it runs, its result when done. */
export function JobPage(props: { readonly page: PageContext; readonly job: LogVerification }) {
  const { t } = props.page;
  const a = t.auditor;
  const { job } = props;
  const progress = jobProgress(t, job);
  return (
    <>
      <p>
        <a href="/auditor/logs">{t.entry.back}</a>
      </p>
      <h1>{a.jobTitle(job.gateway.agency)}</h1>
      <p>
        <code>{job.tree}</code>
      </p>
      {job.result ? (
        job.result.ok ? (
          <Notice kind="info">{a.resultOk(job.result.records, job.result.witnessedSize ?? 0)}</Notice>
        ) : (
          <div class="notice error" role="alert">
            <p>{a.resultFailed}</p>
            <ul>
              {job.result.problems.map((problem) => (
                <li>{problem}</li>
              ))}
            </ul>
          </div>
        )
      ) : (
        <div data-job-status={`/auditor/jobs/${job.id}/status`}>
          <label>
            {a.progress}
            <progress max="100" value={progress.percent === null ? undefined : String(progress.percent)}>
              {progress.percent === null ? '' : `${progress.percent}%`}
            </progress>
          </label>
          <p data-job-text="" role="status" aria-live="polite">
            {progress.text}
          </p>
          <p>
            <a href={`/auditor/jobs/${job.id}`}>{a.refresh}</a>
          </p>
        </div>
      )}
    </>
  );
}
