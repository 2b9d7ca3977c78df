import { z } from 'zod';
import { processingCodeSchema } from './headers.ts';
import { nameSchema, proseSchema } from './text.ts';

/** eIDAS levels of assurance, lowest first (eIDAS Regulation Art. 8: low < substantial < high). */
export const LOA_LEVELS = ['low', 'substantial', 'high'] as const;

/** An eIDAS level of assurance. */
export type LevelOfAssurance = (typeof LOA_LEVELS)[number];

/** The schema of an eIDAS level of assurance. */
export const loaSchema = z.enum(LOA_LEVELS);

/**
 * The rank of a level, so that `loaRank(a) >= loaRank(b)` means `a` is at least `b`.
 * @example loaRank('high') > loaRank('substantial') // true
 */
export function loaRank(level: LevelOfAssurance): number {
  return LOA_LEVELS.indexOf(level);
}

/** A purpose or legal basis a service accepts, with the title a citizen reads. */
export interface CodeTitle {
  readonly code: string;
  readonly title: string;
}

/** The schema of a {@link CodeTitle}. */
export const codeTitleSchema = z.strictObject({
  code: processingCodeSchema,
  title: nameSchema(300),
}) satisfies z.ZodType<CodeTitle>;

/** An OAuth scope token (RFC 6749 §3.3) that authorizes a service at eID login. */
export const eidScopeSchema = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'Must be one OAuth scope token');

/**
 * What a service demands of a request and tells a citizen, declared once by its adapter
 * (`defineService`), registered in the registry and published in the directory; the provider
 * gateway enforces it (docs/protocol.md §4, check 5).
 */
export const servicePolicySchema = z.strictObject({
  /** Citizen-facing title, shown in the portal. */
  title: nameSchema(200),
  /** What the data is, in words a citizen understands. */
  description: proseSchema(2000),
  personalData: z.boolean(),
  /** The eID level a citizen's token must reach; null when no eID is needed. */
  requiredLoa: loaSchema.nullable(),
  /** The eID scope that authorizes the service; null when no eID is needed. */
  eidScope: eidScopeSchema.nullable(),
  purposes: z.array(codeTitleSchema),
  legalBases: z.array(codeTitleSchema),
  /** Whether records of this service may be hidden from the citizen for a while (investigations). */
  hideable: z.boolean(),
}) satisfies z.ZodType<ServicePolicy>;

/** What a service demands of a request and tells a citizen; see {@link servicePolicySchema}. */
export interface ServicePolicy {
  readonly title: string;
  readonly description: string;
  readonly personalData: boolean;
  readonly requiredLoa: LevelOfAssurance | null;
  readonly eidScope: string | null;
  readonly purposes: readonly CodeTitle[];
  readonly legalBases: readonly CodeTitle[];
  readonly hideable: boolean;
}

/**
 * Only the policy of something that carries more (an adapter's service metadata, a directory entry).
 * @example servicePolicyOf(describeService(addressService))
 */
export function servicePolicyOf(value: ServicePolicy): ServicePolicy {
  const { title, description, personalData, requiredLoa, eidScope, purposes, legalBases, hideable } = value;
  return { title, description, personalData, requiredLoa, eidScope, purposes, legalBases, hideable };
}
