import { z } from 'zod';
import { EinmalError } from '../../core/index.ts';
import { defineService } from '../sdk/index.ts';
import type { createPermitsApi } from './upstream-client.ts';

/** Response of `building-permits` v1: the verified subject's building permit applications. */
export const permitsResponseSchema = z.object({
  applicantId: z.string(),
  permits: z.array(
    z.object({
      permitNumber: z.string(),
      site: z.string(),
      project: z.string(),
      status: z.enum(['submitted', 'in-review', 'granted', 'refused', 'withdrawn']),
      decidedOn: z.iso.date().nullable(),
    }),
  ),
});

/**
 * `building-permits` v1: the building permits the verified subject applied for, from the building
 * authority's existing HTTP/JSON API. The subject is the only person the upstream call names; the
 * applicant the authority answers about is checked against it by the SDK (`personIds`).
 */
export function createPermitsService(api: ReturnType<typeof createPermitsApi>) {
  return defineService({
    code: 'building-permits',
    version: 'v1',
    title: 'Building permits',
    description: 'The building permits you applied for and where they stand.',
    personalData: true,
    personIds: ['applicantId'],
    eidScope: 'building.permits',
    requiredLoa: 'substantial',
    purposes: [{ code: 'subsidy-application', title: 'Application for a renovation subsidy' }],
    legalBases: [{ code: 'state-building-code-68', title: 'State building code, § 68' }],
    hideable: false,
    method: 'GET',
    request: z.object({
      status: z.enum(['submitted', 'in-review', 'granted', 'refused', 'withdrawn']).optional(),
    }),
    response: permitsResponseSchema,
    async handler({ status }, { subject }) {
      const answer = await api.permitsOf(subject);
      if (!answer) throw new EinmalError('Adapter.NotFound');
      return {
        applicantId: answer.applicant.personId,
        permits: answer.permits
          .filter((permit) => !status || permit.status === status)
          .map(({ site, ...permit }) => ({
            ...permit,
            site: `${site.street} ${site.houseNumber}, ${site.city}`,
          })),
      };
    },
  });
}
