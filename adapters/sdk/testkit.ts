import { randomUUID } from 'node:crypto';
import type { Hono } from 'hono';
import type { ErrorCode } from '../../core/errors/index.ts';
import { parseSubsystemId, printServiceId, verifiedContextHeaders } from '../../schemas/index.ts';
import { describeService, type ServiceDefinition, serviceRoute } from './define-service.ts';

/** One call of a service, with the context the provider gateway would have verified. */
export interface TestCall {
  readonly service: ServiceDefinition;
  /** The verified subject; null for a call without one. */
  readonly subject: string | null;
  /** Printed client id; defaults to the testkit's client. */
  readonly client?: string;
  /** Defaults to the service's first allowed purpose. */
  readonly purpose?: string | null;
  readonly legalBasis?: string | null;
  readonly userId?: string | null;
  readonly issue?: string | null;
  readonly messageId?: string;
  /** Query values (GET) or the JSON body (POST). */
  readonly input?: unknown;
}

/** What came back, parsed as JSON when it is JSON. */
export interface TestResponse {
  readonly status: number;
  readonly body: any;
  readonly headers: Headers;
}

/** One example of the contract: a call and what it must produce. */
export interface ContractExample {
  readonly name?: string;
  readonly subject: string | null;
  readonly input?: unknown;
  /** Omitted: a 200 whose body matches the response schema. Otherwise the error code expected. */
  readonly expectError?: ErrorCode;
}

/** The outcome of one contract check. */
export interface ContractCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly problem?: string;
}

export interface ContractReport {
  readonly ok: boolean;
  readonly checks: readonly ContractCheck[];
}

export interface AdapterTestkit {
  /** Calls a service as the provider gateway does, with the verified-context headers. */
  call(call: TestCall): Promise<TestResponse>;
  /** Any request to the adapter, e.g. `/_einmal/openapi`. */
  request(path: string, init?: RequestInit): Promise<TestResponse>;
  /**
   * Checks a service against its declared contract: it is listed and documented, each example
   * answers as expected and matches the response schema, calls without context headers are refused,
   * and a personal-data service refuses calls without a subject or about another subject. Each
   * answer is searched by value for the examples' subjects: the subject may appear only at a declared
   * `personIds` path, another example's subject nowhere (give examples for two people to try that).
   */
  checkContract(service: ServiceDefinition, examples: readonly ContractExample[]): Promise<ContractReport>;
}

export interface AdapterTestkitOptions {
  /** Printed client id sent by default. */
  readonly client?: string;
  /** Printed provider subsystem id; the service id is this plus `/{code}/{version}`. */
  readonly provider?: string;
}

/** A well-formed subject that no example uses: the adapter must refuse to answer about it. */
const STRANGER = 'ZZ00000000000';

/**
 * Lets integrators exercise an adapter app in-process, exactly as the provider gateway calls it.
 *
 * @example
 * const kit = createAdapterTestkit(app);
 * const report = await kit.checkContract(addressService, [{ subject: 'DE65402138797' }]);
 * expect(report.checks.filter((c) => !c.ok)).toEqual([]);
 */
export function createAdapterTestkit(app: Hono, options: AdapterTestkitOptions = {}): AdapterTestkit {
  const client = options.client ?? 'TEST/GOV/testkit/client';
  const provider = parseSubsystemId(options.provider ?? 'TEST/GOV/testkit/provider');
  const serviceIdOf = (service: Pick<ServiceDefinition, 'serviceCode'>) =>
    printServiceId({ ...provider, serviceCode: service.serviceCode });

  const request = async (path: string, init?: RequestInit): Promise<TestResponse> => {
    const response = await app.request(path, init);
    const text = await response.text();
    let body: unknown = text;
    if (/json/i.test(response.headers.get('content-type') ?? '')) body = JSON.parse(text);
    return { status: response.status, body, headers: response.headers };
  };

  const call = (call: TestCall, extraHeaders: Record<string, string> = {}): Promise<TestResponse> => {
    const { service } = call;
    const headers: Record<string, string> = {
      ...verifiedContextHeaders({
        client: call.client ?? client,
        service: serviceIdOf(service),
        subject: call.subject,
        purpose: call.purpose === undefined ? (service.purposes[0]?.code ?? null) : call.purpose,
        legalBasis: call.legalBasis ?? null,
        messageId: call.messageId ?? randomUUID(),
        userId: call.userId ?? null,
        issue: call.issue ?? null,
      }),
      ...extraHeaders,
    };
    const route = serviceRoute(service);
    if (service.method === 'GET') {
      return request(`${route}${toQueryString(call.input)}`, { method: 'GET', headers });
    }
    return request(route, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(call.input ?? {}),
    });
  };

  const checkContract = async (
    service: ServiceDefinition,
    examples: readonly ContractExample[],
  ): Promise<ContractReport> => {
    const checks: ContractCheck[] = [];
    const check = async (name: string, run: () => Promise<string | undefined>) => {
      try {
        const problem = await run();
        checks.push(problem === undefined ? { name, ok: true } : { name, ok: false, problem });
      } catch (error) {
        checks.push({ name, ok: false, problem: error instanceof Error ? error.message : String(error) });
      }
    };
    const label = service.serviceCode;

    await check(`${label} is listed with its metadata`, async () => {
      const { body } = await request('/_einmal/services');
      const listed = body?.services?.find((s: any) => s.serviceCode === service.serviceCode);
      if (!listed) return 'not listed by /_einmal/services';
      return JSON.stringify(listed) === JSON.stringify(describeService(service))
        ? undefined
        : 'listed metadata differs from the definition';
    });
    await check(`${label} is in the OpenAPI document`, async () => {
      const { body } = await request('/_einmal/openapi');
      return body?.paths?.[serviceRoute(service)]?.[service.method.toLowerCase()]
        ? undefined
        : `no ${service.method} ${serviceRoute(service)} operation`;
    });
    const subjects = new Set(examples.flatMap((example) => (example.subject ? [example.subject] : [])));
    const declared = new Set(service.personIds.declared);
    for (const [index, example] of examples.entries()) {
      await check(`${label} example ${example.name ?? index + 1}`, async () => {
        const response = await call({ service, subject: example.subject, input: example.input });
        if (example.expectError) {
          return response.body?.type === example.expectError
            ? undefined
            : `expected ${example.expectError}, got ${response.status} ${response.body?.type ?? ''}`.trim();
        }
        if (response.status !== 200)
          return `expected 200, got ${response.status} ${response.body?.type ?? ''}`;
        const parsed = service.response.safeParse(response.body);
        if (!parsed.success) return 'the response does not match the response schema';
        return personProblems(response.body, example.subject, subjects, declared);
      });
    }
    const sample = examples.find((example) => !example.expectError) ?? examples[0];
    await check(`${label} refuses calls without verified context`, async () => {
      const route = serviceRoute(service);
      const response =
        service.method === 'GET'
          ? await request(route)
          : await request(route, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: '{}',
            });
      return response.body?.type === 'Client.InvalidHeader'
        ? undefined
        : `expected Client.InvalidHeader, got ${response.status}`;
    });
    if (service.personalData) {
      await check(`${label} refuses a call without a subject`, async () => {
        const response = await call({ service, subject: null, input: sample?.input });
        return response.body?.type === 'Adapter.SubjectMissing'
          ? undefined
          : `expected Adapter.SubjectMissing, got ${response.status}`;
      });
      await check(`${label} refuses to answer about another subject`, async () => {
        const input = { ...(isPlainObject(sample?.input) ? sample.input : {}), subject: STRANGER };
        const response = await call({
          service,
          subject: sample?.subject ?? STRANGER.replace('ZZ', 'XX'),
          input,
        });
        return response.body?.type === 'Adapter.SubjectMismatch'
          ? undefined
          : `expected Adapter.SubjectMismatch, got ${response.status}`;
      });
    }
    if (service.method === 'POST') {
      await check(`${label} refuses a body that is not JSON`, async () => {
        const response = await request(serviceRoute(service), {
          method: 'POST',
          headers: contextOf(service, sample?.subject ?? null),
          body: '{',
        });
        return response.body?.type === 'Client.InvalidBody'
          ? undefined
          : `expected Client.InvalidBody, got ${response.status}`;
      });
    }
    return { ok: checks.every((c) => c.ok), checks };
  };

  const contextOf = (service: ServiceDefinition, subject: string | null) => ({
    'content-type': 'application/json',
    ...verifiedContextHeaders({
      client,
      service: serviceIdOf(service),
      subject,
      purpose: service.purposes[0]?.code ?? null,
      legalBasis: null,
      messageId: randomUUID(),
      userId: null,
      issue: null,
    }),
  });

  return { call: (c) => call(c), request, checkContract };
}

/**
 * Where an answer names a person, found by value, whatever the field is called: every string equal
 * to one of the examples' subjects. The subject itself may appear only where the service declares
 * person identifiers (`personIds`; anywhere else the guard could not check it), and another example's
 * subject must appear nowhere.
 */
function personProblems(
  body: unknown,
  subject: string | null,
  subjects: ReadonlySet<string>,
  declared: ReadonlySet<string>,
): string | undefined {
  const problems: string[] = [];
  const visit = (node: unknown, path: string[]) => {
    if (typeof node === 'string') {
      if (!subjects.has(node)) return;
      const at = path.join('.').replace(/\.\[\]/g, '[]') || '(root)';
      if (node !== subject) problems.push(`answers about another person at ${at}`);
      else if (!declared.has(at))
        problems.push(`names the subject at ${at}, which personIds does not declare`);
      return;
    }
    if (Array.isArray(node)) {
      for (const item of node) visit(item, [...path, '[]']);
    } else if (node !== null && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) visit(child, [...path, key]);
    }
  };
  visit(body, []);
  return problems.length > 0 ? [...new Set(problems)].join('; ') : undefined;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function toQueryString(input: unknown): string {
  if (!isPlainObject(input)) return '';
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(input)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined && item !== null) query.append(name, String(item));
    }
  }
  const text = query.toString();
  return text ? `?${text}` : '';
}
