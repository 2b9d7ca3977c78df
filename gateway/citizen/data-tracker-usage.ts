import { currentServiceId, type Directory, memberOfPrinted, partOfPrinted } from '../../schemas/index.ts';
import { type AuditRecordRow, storedRecord } from '../audit/record-query.ts';

/**
 * Data Tracker v3 (e-gov/AJ `doc/spetsifikatsioonid/dumonitor-openapi-v3.yaml`) processing types.
 * A consumer-side record is a request our information system made (`DATA_REQUEST`); a
 * provider-side record is this registry's answer to one (`DATA_RESPONSE`). The gateway logs no
 * later or internal processing, so those two lists are always empty.
 */
export const PROCESSING_TYPES = [
  'DATA_REQUEST',
  'DATA_RESPONSE',
  'DATA_PROCESSING',
  'INTERNAL_PROCESSING',
] as const;
export type ProcessingType = (typeof PROCESSING_TYPES)[number];

/** The spec's `Organization`: type, and (instead of an Estonian 8-digit `code`) its name. */
export interface TrackerOrganization {
  readonly type: 'GOV' | 'COM' | 'NGO' | 'NEE';
  readonly name: string;
  readonly systemName?: string;
}

/** The spec's `UsageTransfer` (`UsageCommon` + `target`). */
export interface UsageTransfer {
  readonly logTime: string;
  readonly purpose: string;
  readonly logSourceSystem: string | null;
  readonly bulkProcessing: boolean;
  readonly legalBasis: string | null;
  readonly consentReference: string | null;
  readonly queryId: string;
  readonly queryGroupId: string | null;
  readonly hiddenReason: string | null;
  readonly hiddenUntil: string | null;
  readonly initiatorOrg: TrackerOrganization;
  readonly initiatorPerson: { readonly code: string } | { readonly alternativeCode: string } | null;
  readonly target: TrackerOrganization;
}

const ORGANIZATION_TYPES = new Set(['GOV', 'COM', 'NGO']);
/** The spec's `PersonCode`. */
const ESTONIAN_PERSON_CODE = /^EE[0-9]{11}$/;

/** The information system a record belongs to: the client's subsystem or the service's. */
export function logSourceSystemOf(row: Pick<AuditRecordRow, 'side' | 'client' | 'service'>): string | null {
  const id = row.side === 'consumer' ? row.client : row.service;
  return (id && partOfPrinted(id, 'subsystemCode')) ?? null;
}

/** A stored record in the spec's `UsageTransfer` shape, with names and titles from the directory. */
export function toUsageTransfer(row: AuditRecordRow, directory: Directory | undefined): UsageTransfer {
  const record = storedRecord(row);
  const serviceId = record.service && currentServiceId(record.service);
  const service = serviceId ? directory?.services.find((s) => s.id === serviceId) : undefined;
  const organization = (id: string | null): TrackerOrganization => {
    const memberClass = (id && partOfPrinted(id, 'memberClass')) ?? '';
    const memberCode = (id && partOfPrinted(id, 'memberCode')) ?? 'unknown';
    const subsystem = id ? partOfPrinted(id, 'subsystemCode') : undefined;
    const memberId = id ? memberOfPrinted(id) : undefined;
    const name = directory?.members.find((m) => m.id === memberId)?.name ?? memberCode;
    return {
      type: ORGANIZATION_TYPES.has(memberClass) ? (memberClass as 'GOV' | 'COM' | 'NGO') : 'NEE',
      name,
      ...(subsystem ? { systemName: subsystem } : {}),
    };
  };
  const title = (code: string | null, list: { code: string; title: string }[] | undefined) =>
    code === null ? null : (list?.find((e) => e.code === code)?.title ?? code);
  const clientMemberCode = record.client ? partOfPrinted(record.client, 'memberCode') : undefined;
  return {
    logTime: new Date(record.logTime).toISOString(),
    purpose: title(record.purpose, service?.purposes) ?? service?.title ?? record.service ?? 'Data request',
    logSourceSystem: logSourceSystemOf(row),
    bulkProcessing: false,
    legalBasis: title(record.legalBasis, service?.legalBases),
    consentReference: record.consentRef,
    queryId: record.messageId,
    // The spec recommends `agencycode-casenumber` so case numbers of different agencies never collide.
    queryGroupId: record.issue ? `${clientMemberCode}-${record.issue}` : null,
    hiddenReason: row.hidden_until ? (row.disclosure_reason ?? record.hiddenReason) : null,
    hiddenUntil: row.hidden_until ? new Date(row.hidden_until).toISOString() : null,
    initiatorOrg: organization(record.client),
    initiatorPerson: record.userId
      ? ESTONIAN_PERSON_CODE.test(record.userId)
        ? { code: record.userId }
        : { alternativeCode: record.userId }
      : null,
    target: organization(record.service),
  };
}
