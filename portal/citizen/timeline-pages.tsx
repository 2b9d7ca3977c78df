import type { Language, Messages } from '../i18n/messages.ts';
import { Notice, type PageContext } from '../pages/layout.tsx';
import { type GatewayNotice, MAX_RECORDS_PER_GATEWAY } from './collect-timeline.ts';
import type { EntryRecord, Timeline, TimelineEntry, TimelineFilter, Titled } from './timeline.ts';

/** Formats instants for people: the page's language, the portal's time zone. */
export function timeFormatter(lang: Language, timeZone: string): (iso: string) => string {
  const format = new Intl.DateTimeFormat(lang === 'de' ? 'de-DE' : 'en-GB', {
    dateStyle: 'long',
    timeStyle: 'medium',
    timeZone,
  });
  return (iso) => format.format(new Date(iso));
}

/** A code with its title, e.g. "Application for a resident parking permit (parking-permit)". */
export const titledText = (value: Titled | null): string =>
  value ? (value.title ? `${value.title} (${value.code})` : value.code) : '–';

/** The words for a gateway that is missing from the list. */
export function gatewayNoticeText(t: Messages, notice: GatewayNotice): string {
  const agency = notice.gateway.agency;
  switch (notice.problem) {
    case 'unreachable':
      return t.notices.gatewayUnreachable(agency);
    case 'refused':
      return t.notices.gatewayRefused(agency, t.refusalReasons[notice.refusal ?? 'other']);
    case 'invalid':
      return t.notices.gatewayInvalid(agency);
    case 'truncated':
      return t.notices.gatewayTruncated(agency, MAX_RECORDS_PER_GATEWAY);
  }
}

/** The verification mark of an entry or record, with the sentence that explains it. */
export function CheckMark(props: {
  readonly t: Messages;
  readonly check: TimelineEntry['check'];
  readonly long?: boolean;
}) {
  const { t, check } = props;
  return (
    <>
      <span class={`check ${check}`}>{t.verification[check]}</span>
      {props.long ? <> {t.verification[`${check}Text`]}</> : null}
    </>
  );
}

export const agencyName = (t: Messages, entry: TimelineEntry) =>
  entry.agency.name ?? entry.agency.member ?? t.timeline.unknownAgency;
export const dataTitle = (t: Messages, entry: TimelineEntry) =>
  entry.data.title ?? entry.data.service ?? t.timeline.unknownData;

function EntryFacts(props: {
  readonly t: Messages;
  readonly entry: TimelineEntry;
  readonly format: (iso: string) => string;
}) {
  const { t, entry, format } = props;
  return (
    <dl class="facts">
      <dt>{t.timeline.when}</dt>
      <dd>
        <time datetime={entry.time}>{format(entry.time)}</time>
      </dd>
      <dt>{t.timeline.purpose}</dt>
      <dd>{titledText(entry.purpose)}</dd>
      <dt>{t.timeline.legalBasis}</dt>
      <dd>{entry.legalBasis || !entry.byEid ? titledText(entry.legalBasis) : t.timeline.byEid}</dd>
      {entry.official ? (
        <>
          <dt>{t.timeline.official}</dt>
          <dd>{entry.official}</dd>
        </>
      ) : null}
      {entry.issue ? (
        <>
          <dt>{t.timeline.case}</dt>
          <dd>{entry.issue}</dd>
        </>
      ) : null}
      <dt>{t.timeline.outcome}</dt>
      <dd>{t.outcome[entry.outcome]}</dd>
      <dt>{t.timeline.check}</dt>
      <dd>
        <CheckMark t={t} check={entry.check} long />
      </dd>
    </dl>
  );
}

/** One option of a filter field. */
export interface FilterChoice {
  readonly id: string;
  readonly label: string;
}

/** The query string of a filter (and page), for links that keep the filter. */
export function filterQuery(filter: TimelineFilter, page?: number): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filter)) if (value) params.set(key, value);
  if (page && page > 1) params.set('page', String(page));
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** The citizen's timeline: notices, filter, one page of entries, paging and downloads. */
export function TimelinePage(props: {
  readonly page: PageContext;
  readonly timeline: Timeline;
  readonly filter: TimelineFilter;
  readonly badFilter: boolean;
  /** A form of this session was refused (outdated or forged) and the person was sent here. */
  readonly formRefused: boolean;
  readonly matching: readonly TimelineEntry[];
  readonly shown: readonly TimelineEntry[];
  readonly pageNumber: number;
  readonly pages: number;
  readonly agencies: readonly FilterChoice[];
  readonly data: readonly FilterChoice[];
  readonly format: (iso: string) => string;
}) {
  const { t } = props.page;
  const { filter, format } = props;
  const filtered = Object.values(filter).some(Boolean);
  return (
    <>
      <h1>{t.timeline.title}</h1>
      <p>{t.timeline.intro}</p>
      {props.timeline.notices.map((notice) => (
        <Notice>{gatewayNoticeText(t, notice)}</Notice>
      ))}
      {props.formRefused ? <Notice kind="error">{t.notices.invalidForm}</Notice> : null}
      {props.badFilter ? <Notice>{t.timeline.badFilter}</Notice> : null}
      <form method="get" action="/timeline">
        <fieldset>
          <legend>{t.timeline.filterLegend}</legend>
          <div class="fields">
            <label>
              {t.timeline.agency}
              <select name="agency">
                <option value="">{t.timeline.all}</option>
                {props.agencies.map((agency) => (
                  <option value={agency.id} selected={filter.agency === agency.id}>
                    {agency.label}
                  </option>
                ))}
              </select>
            </label>
            <label>
              {t.timeline.data}
              <select name="data">
                <option value="">{t.timeline.all}</option>
                {props.data.map((data) => (
                  <option value={data.id} selected={filter.data === data.id}>
                    {data.label}
                  </option>
                ))}
              </select>
            </label>
            <label>
              {t.timeline.from}
              <input type="date" name="from" value={filter.from ?? ''} />
            </label>
            <label>
              {t.timeline.to}
              <input type="date" name="to" value={filter.to ?? ''} />
            </label>
            <button type="submit">{t.timeline.apply}</button>
            {filtered ? <a href="/timeline">{t.timeline.reset}</a> : null}
          </div>
        </fieldset>
      </form>
      <p role="status">
        {props.timeline.complete
          ? `${t.timeline.count(props.matching.length)}.`
          : t.timeline.newestOnly(props.matching.length)}{' '}
        {t.timeline.asOf(format(new Date(props.timeline.fetchedAt).toISOString()))}{' '}
        <a href="/timeline?reload=1">{t.timeline.reload}</a>
      </p>
      {props.shown.length === 0 ? (
        <p>{filtered ? t.timeline.emptyFiltered : t.timeline.empty}</p>
      ) : (
        <ol class="entries" aria-label={t.timeline.listLabel}>
          {props.shown.map((entry) => (
            <li>
              <article aria-labelledby={`entry-${entry.messageId}`}>
                <h2 id={`entry-${entry.messageId}`}>
                  {t.timeline.requested(agencyName(t, entry), dataTitle(t, entry))}
                </h2>
                <EntryFacts t={t} entry={entry} format={format} />
                <a href={`/timeline/entry/${entry.messageId}`}>{t.timeline.details(dataTitle(t, entry))}</a>
              </article>
            </li>
          ))}
        </ol>
      )}
      {props.pages > 1 || !props.timeline.complete ? (
        <nav class="paging" aria-label={t.timeline.pagination}>
          {props.pageNumber > 1 ? (
            <a href={`/timeline${filterQuery(filter, props.pageNumber - 1)}`} rel="prev">
              {t.timeline.newer}
            </a>
          ) : null}
          {props.timeline.complete ? <span>{t.timeline.page(props.pageNumber, props.pages)}</span> : null}
          {props.pageNumber < props.pages || !props.timeline.complete ? (
            <a href={`/timeline${filterQuery(filter, props.pageNumber + 1)}`} rel="next">
              {t.timeline.older}
            </a>
          ) : null}
        </nav>
      ) : null}
      <h2>{t.timeline.downloads}</h2>
      <p>
        <a class="button secondary" href={`/timeline/export.csv${filterQuery(filter)}`} download>
          {t.timeline.csv}
        </a>{' '}
        <a class="button secondary" href={`/timeline/export.json${filterQuery(filter)}`} download>
          {t.timeline.json}
        </a>
      </p>
    </>
  );
}

function RecordDetails(props: {
  readonly t: Messages;
  readonly item: EntryRecord;
  readonly format: (iso: string) => string;
}) {
  const { t, item, format } = props;
  const { described, check } = item.record;
  return (
    <section aria-labelledby={`record-${described.side}-${item.gateway.id}`}>
      <h3 id={`record-${described.side}-${item.gateway.id}`}>
        {t.entry.loggedBy(item.gateway.agency, t.side[described.side] ?? described.side)}
      </h3>
      <dl class="facts">
        <dt>{t.entry.loggedAt}</dt>
        <dd>
          <time datetime={described.time}>{format(described.time)}</time>
        </dd>
        <dt>{t.entry.status}</dt>
        <dd>
          {described.status} ({t.outcome[described.outcome]})
        </dd>
        <dt>{t.timeline.check}</dt>
        <dd>
          <CheckMark t={t} check={check.status} long />
        </dd>
        {check.status === 'failed' ? (
          <>
            <dt>{t.entry.reason}</dt>
            <dd>{check.reason}</dd>
          </>
        ) : null}
        {check.status === 'verified' ? (
          <>
            <dt>{t.entry.leafIndex}</dt>
            <dd>{check.evidence.leafIndex}</dd>
            <dt>{t.entry.treeSize}</dt>
            <dd>{check.checkpoint.size}</dd>
            <dt>{t.entry.leafHash}</dt>
            <dd>
              <code>{check.leafHash}</code>
            </dd>
            <dt>{t.entry.checkpoint}</dt>
            <dd>
              <code>{check.checkpoint.origin}</code>,{' '}
              <time datetime={check.checkpoint.time}>{format(check.checkpoint.time)}</time>
            </dd>
            <dt>{t.entry.signedBy}</dt>
            <dd>{check.signer}</dd>
            <dt>{t.entry.cosignedBy}</dt>
            <dd>{check.witness}</dd>
          </>
        ) : null}
      </dl>
    </section>
  );
}

/** One access in detail: every field, each gateway's record with its check, and the evidence download. */
export function EntryPage(props: {
  readonly page: PageContext;
  readonly entry: TimelineEntry;
  readonly format: (iso: string) => string;
}) {
  const { t } = props.page;
  const { entry, format } = props;
  const hasEvidence = entry.records.some((r) => r.record.check.status === 'verified');
  return (
    <>
      <p>
        <a href="/timeline">{t.entry.back}</a>
      </p>
      <h1>{t.timeline.requested(agencyName(t, entry), dataTitle(t, entry))}</h1>
      <EntryFacts t={t} entry={entry} format={format} />
      <dl class="facts">
        <dt>{t.entry.messageId}</dt>
        <dd>
          <code>{entry.messageId}</code>
        </dd>
        {entry.consentReference ? (
          <>
            <dt>{t.entry.consent}</dt>
            <dd>{entry.consentReference}</dd>
          </>
        ) : null}
        {entry.hiddenUntil ? (
          <>
            <dt>{t.entry.hidden}</dt>
            <dd>
              <time datetime={entry.hiddenUntil}>{format(entry.hiddenUntil)}</time>
            </dd>
          </>
        ) : null}
        {entry.hiddenReason ? (
          <>
            <dt>{t.entry.hiddenReason}</dt>
            <dd>{entry.hiddenReason}</dd>
          </>
        ) : null}
      </dl>
      <h2>{t.entry.recordsTitle}</h2>
      {entry.records.map((item) => (
        <RecordDetails t={t} item={item} format={format} />
      ))}
      <h2>{t.entry.evidenceTitle}</h2>
      {hasEvidence ? (
        <>
          <p>{t.entry.evidenceText}</p>
          <pre>einmal audit verify-evidence einmal-evidence-{entry.messageId}.json --anchor root-ca.pem</pre>
          <p>
            <a class="button" href={`/timeline/entry/${entry.messageId}/evidence`} download>
              {t.entry.evidenceButton}
            </a>
          </p>
        </>
      ) : (
        <p>{t.entry.evidencePending}</p>
      )}
    </>
  );
}

/** The page for a message id that is not in the citizen's timeline. */
export function EntryNotFound(props: { readonly page: PageContext }) {
  const { t } = props.page;
  return (
    <>
      <h1>{t.entry.title}</h1>
      <Notice kind="error">{t.entry.notFound}</Notice>
      <p>
        <a href="/timeline">{t.entry.back}</a>
      </p>
    </>
  );
}
