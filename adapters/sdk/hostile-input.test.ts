import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isErrorCode, silentLogger } from '../../core/index.ts';
import { createAdapterApp } from './app.ts';
import { defineService } from './define-service.ts';

const service = defineService({
  code: 'record',
  version: 'v1',
  title: 'Record',
  description: 'A record about you.',
  personalData: true,
  personIds: ['subject'],
  eidScope: 'test.record',
  requiredLoa: 'low',
  purposes: [{ code: 'parking-permit', title: 'Parking permit' }],
  legalBases: [{ code: 'de-bmg-34', title: '§ 34 BMG' }],
  hideable: false,
  method: 'POST',
  request: z.object({ personId: z.string().max(20), tags: z.array(z.string()).max(3).optional() }),
  response: z.object({ subject: z.string() }),
  handler: (_input, context) => ({ subject: context.subject }),
});
const app = createAdapterApp({ services: [service], log: silentLogger });

const headerValue = fc.string({ maxLength: 80 }).filter((value) => /^[\x20-\x7e]*$/.test(value));

describe('adapter app under hostile input', () => {
  it('answers every malformed context, query and body with a stable code, never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          client: fc.oneof(headerValue, fc.constant('DEMO/GOV/munich/parking-permits')),
          service: fc.oneof(headerValue, fc.constant('DEMO/GOV/residents-office/register/record-v1')),
          subject: fc.oneof(headerValue, fc.constant('DE65402138797')),
          purpose: fc.oneof(headerValue, fc.constant('parking-permit')),
          messageId: fc.oneof(headerValue, fc.uuid()),
        }),
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.json().map((json) => json),
        ),
        fc.webPath(),
        async (context, body, suffix) => {
          const response = await app.request(`/record-v1${suffix}`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'einmal-client': context.client,
              'einmal-service': context.service,
              'einmal-subject': context.subject,
              'einmal-purpose': context.purpose,
              'einmal-message-id': context.messageId,
            },
            body,
          });
          expect(response.status).toBeLessThan(500);
          if (response.status !== 200) {
            const answer = (await response.json()) as { type: string; message: string; detail: string };
            expect(isErrorCode(answer.type)).toBe(true);
            expect(answer.message).not.toMatch(/\n\s+at /);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
