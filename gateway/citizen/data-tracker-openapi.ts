/**
 * The OpenAPI 3.1 document of this gateway's Data Tracker v3 endpoints, served at
 * `GET /v3/openapi.json`. It follows the component model of Estonia's published Data Tracker
 * usage service (e-gov/AJ `dumonitor-openapi-v3.yaml`) so an existing Data Tracker client reads
 * einmal's answers unchanged, and states where einmal differs: person codes carry any country's
 * prefix (not only `EE`), organisations are named rather than given an Estonian registry code,
 * and objects carry no properties beyond the ones listed.
 */
const nullable = (type: string, extra: Record<string, unknown> = {}) => ({ type: [type, 'null'], ...extra });
const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

export const DATA_TRACKER_OPENAPI = {
  openapi: '3.1.1',
  info: {
    title: 'einmal Data Tracker usage service',
    description:
      'Who accessed a person’s data through this gateway, in the shape of the Data Tracker usage service v3.',
    version: '3.0.0',
  },
  paths: {
    '/v3/findUsage': {
      get: {
        operationId: 'findUsage',
        summary: 'Usages of one person’s data, newest first',
        description:
          'Answers the citizen presenting their own eID token (Authorization: Bearer, X-Road-UserId = its subject) or an auditor certificate.',
        parameters: [
          {
            name: 'X-Road-UserId',
            in: 'header',
            required: true,
            schema: { $ref: '#/components/schemas/PersonCode' },
          },
          {
            name: 'userCode',
            in: 'query',
            required: true,
            schema: { $ref: '#/components/schemas/PersonCode' },
          },
          {
            name: 'processingType',
            in: 'query',
            required: false,
            style: 'form',
            explode: true,
            schema: {
              type: 'array',
              items: {
                type: 'string',
                enum: ['DATA_REQUEST', 'DATA_RESPONSE', 'DATA_PROCESSING', 'INTERNAL_PROCESSING'],
              },
            },
          },
          {
            name: 'includeBulkProcessing',
            in: 'query',
            required: false,
            schema: { type: 'boolean', default: false },
          },
          {
            name: 'logSourceSystems',
            in: 'query',
            required: false,
            style: 'form',
            explode: true,
            schema: { type: 'array', maxItems: 100, items: { type: 'string', minLength: 1, maxLength: 64 } },
          },
          {
            name: 'periodStart',
            in: 'query',
            required: false,
            schema: { type: 'string', format: 'date-time' },
          },
          {
            name: 'periodEnd',
            in: 'query',
            required: false,
            schema: { type: 'string', format: 'date-time' },
          },
          {
            name: 'limit',
            in: 'query',
            required: false,
            schema: { type: 'integer', format: 'int32', minimum: 1, maximum: 10000, default: 1000 },
          },
          {
            name: 'offset',
            in: 'query',
            required: false,
            schema: { type: 'integer', format: 'int32', minimum: 0, default: 0 },
          },
        ],
        responses: {
          '200': {
            description: 'The usages',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/FindUsageResponse' } } },
          },
          '400': errorResponse('A parameter is malformed'),
          '401': errorResponse('No eID token and no auditor certificate'),
          '403': errorResponse('The token’s subject is not the person asked about'),
          '500': errorResponse('The usage could not be read'),
          '503': errorResponse('The audit database is unreachable'),
        },
      },
    },
    '/v3/disclose': {
      post: {
        operationId: 'disclose',
        summary: 'Make hidden usages visible to their person',
        description:
          'For the data controller: an auditor or operator certificate, or the gateway’s admin token.',
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/DiscloseRequest' } } },
        },
        responses: {
          '200': {
            description: 'The usages are disclosed; how many records changed',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/DiscloseResponse' } } },
          },
          '400': errorResponse('The request body is malformed'),
          '401': errorResponse('No credential was presented'),
          '403': errorResponse('The credential is not the data controller’s'),
          '404': errorResponse('No usage has one of the given queryIds'),
          '500': errorResponse('The disclosure could not be stored'),
          '503': errorResponse('The audit database is unreachable'),
        },
      },
    },
    '/v3/heartbeat': {
      get: {
        operationId: 'heartbeat',
        summary: 'Whether the usage service can answer',
        responses: {
          '200': {
            description: 'Ready',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/HeartbeatResponse' } } },
          },
          '500': {
            description: 'Not ready: the database or the directory is missing',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/HeartbeatResponse' } } },
          },
        },
      },
    },
  },
  components: {
    schemas: {
      FindUsageResponse: {
        type: 'object',
        required: ['totalUsages', 'returnedUsages'],
        additionalProperties: false,
        properties: {
          totalUsages: { type: 'integer', format: 'int32' },
          returnedUsages: { type: 'integer', format: 'int32' },
          dataRequests: nullable('array', { items: { $ref: '#/components/schemas/UsageTransfer' } }),
          dataResponses: nullable('array', { items: { $ref: '#/components/schemas/UsageTransfer' } }),
          dataProcessings: nullable('array', { items: { $ref: '#/components/schemas/UsageProcessing' } }),
          internalProcessings: nullable('array', { items: { $ref: '#/components/schemas/UsageProcessing' } }),
        },
      },
      UsageCommon: {
        type: 'object',
        required: ['logTime', 'purpose'],
        anyOf: [{ required: ['initiatorOrg'] }, { required: ['initiatorPerson'] }],
        properties: {
          logTime: { type: 'string', format: 'date-time' },
          purpose: { type: 'string', description: 'The purpose’s title, else the service’s' },
          logSourceSystem: nullable('string', { description: 'The subsystem the record belongs to' }),
          bulkProcessing: nullable('boolean'),
          legalBasis: nullable('string'),
          consentReference: nullable('string'),
          queryId: nullable('string', { description: 'The exchange’s X-Road message id' }),
          queryGroupId: nullable('string', { description: 'The client member’s code and X-Road-Issue' }),
          hiddenReason: nullable('string'),
          hiddenUntil: nullable('string', { format: 'date-time' }),
          initiatorOrg: { oneOf: [{ $ref: '#/components/schemas/Organization' }, { type: 'null' }] },
          initiatorPerson: { oneOf: [{ $ref: '#/components/schemas/Person' }, { type: 'null' }] },
        },
      },
      UsageTransfer: {
        allOf: [
          { $ref: '#/components/schemas/UsageCommon' },
          {
            type: 'object',
            required: ['target'],
            properties: { target: { $ref: '#/components/schemas/Organization' } },
          },
        ],
        unevaluatedProperties: false,
      },
      UsageProcessing: {
        allOf: [
          { $ref: '#/components/schemas/UsageCommon' },
          {
            type: 'object',
            required: ['source'],
            properties: { source: { $ref: '#/components/schemas/Organization' } },
          },
        ],
        unevaluatedProperties: false,
      },
      Organization: {
        type: 'object',
        required: ['type'],
        anyOf: [{ required: ['code'] }, { required: ['name'] }],
        additionalProperties: false,
        properties: {
          type: { type: 'string', enum: ['GOV', 'COM', 'NGO', 'NEE'] },
          code: { type: 'string', pattern: '^[0-9]{8}$' },
          name: { type: 'string' },
          systemName: { type: 'string' },
        },
      },
      PersonCode: {
        type: 'string',
        pattern: '^[A-Z]{2}[A-Z0-9]{4,32}$',
        description: 'A country prefix and the national identifier, e.g. EE38001085718 or DE65402138797',
      },
      Person: {
        type: 'object',
        anyOf: [{ required: ['code'] }, { required: ['alternativeCode'] }, { required: ['name'] }],
        additionalProperties: false,
        properties: {
          code: { type: 'string', pattern: '^EE[0-9]{11}$' },
          alternativeCode: { type: 'string' },
          name: { type: 'string' },
        },
      },
      HeartbeatResponse: {
        type: 'object',
        required: ['status'],
        additionalProperties: false,
        properties: { status: { type: 'string', enum: ['OK', 'FAIL'] }, message: { type: 'string' } },
      },
      DiscloseItem: {
        type: 'object',
        required: ['queryId', 'hiddenReason', 'hiddenUntil'],
        properties: {
          queryId: { type: 'string', minLength: 1, maxLength: 255 },
          hiddenReason: { type: 'string', minLength: 1, maxLength: 1000 },
          hiddenUntil: { type: 'string', format: 'date-time' },
        },
      },
      DiscloseRequest: {
        type: 'array',
        minItems: 1,
        maxItems: 10000,
        items: { $ref: '#/components/schemas/DiscloseItem' },
      },
      DiscloseResponse: {
        type: 'object',
        required: ['disclosed'],
        additionalProperties: false,
        properties: { disclosed: { type: 'integer', minimum: 0 } },
      },
      Error: {
        type: 'object',
        required: ['message'],
        additionalProperties: false,
        properties: { code: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
} as const;
