import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';

/**
 * The shapes of X-Road's REST metaservice answers, written for einmal from X-Road's specifications
 * (pr-mrest: listMethods, allowedMethods, getOpenAPI; pr-meta: listClients in JSON and XML; pr-rest:
 * the error body), checked by independent validators: Ajv for JSON, libxml2's `xmllint` for XML.
 */

const identifierPart = { type: 'string', minLength: 1 } as const;

/** pr-mrest §4 (Annex B): `{"service": [...]}`, each a service identifier with its type and endpoints. */
export const methodListSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['service'],
  properties: {
    service: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: [
          'object_type',
          'xroad_instance',
          'member_class',
          'member_code',
          'subsystem_code',
          'service_code',
          'service_type',
          'endpoint_list',
        ],
        properties: {
          object_type: { const: 'SERVICE' },
          xroad_instance: identifierPart,
          member_class: identifierPart,
          member_code: identifierPart,
          subsystem_code: identifierPart,
          service_code: identifierPart,
          service_version: identifierPart,
          service_type: { enum: ['REST', 'OPENAPI', 'WSDL'] },
          endpoint_list: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['method', 'path'],
              properties: {
                method: { type: 'string', pattern: '^([A-Z]+|\\*)$' },
                path: { type: 'string', pattern: '^/' },
              },
            },
          },
        },
      },
    },
  },
} as const;

/**
 * pr-meta §2 (JSON form, Annex B): `{"member": [{"id": {...}, "name": ..., "subsystem_name": ...}]}`.
 * Stricter than pr-meta in one point: einmal always names a client's member, so `name` is required.
 */
export const clientListSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['member'],
  properties: {
    member: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'name'],
        properties: {
          name: { type: 'string' },
          subsystem_name: { type: 'string' },
          id: {
            type: 'object',
            additionalProperties: false,
            required: ['object_type', 'xroad_instance', 'member_class', 'member_code'],
            properties: {
              object_type: { enum: ['MEMBER', 'SUBSYSTEM'] },
              xroad_instance: identifierPart,
              member_class: identifierPart,
              member_code: identifierPart,
              subsystem_code: identifierPart,
            },
            // A subsystem names its code; a member has none.
            oneOf: [
              { properties: { object_type: { const: 'SUBSYSTEM' } }, required: ['subsystem_code'] },
              { properties: { object_type: { const: 'MEMBER' } }, not: { required: ['subsystem_code'] } },
            ],
          },
        },
      },
    },
  },
} as const;

/** pr-rest §4.6: the error body, `type`, `message` and `detail`. */
export const errorBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'message', 'detail'],
  properties: {
    type: { type: 'string', pattern: '^(Client|Server)\\.' },
    message: { type: 'string' },
    detail: { type: 'string' },
  },
} as const;

/** The least an OpenAPI document a catalogue reads must have: version, title, paths. */
export const openapiDocumentSchema = {
  type: 'object',
  required: ['openapi', 'info', 'paths'],
  properties: {
    openapi: { type: 'string', pattern: '^3\\.' },
    info: {
      type: 'object',
      required: ['title', 'version'],
      properties: { title: { type: 'string' }, version: { type: 'string' } },
    },
    paths: { type: 'object', propertyNames: { pattern: '^/' } },
  },
} as const;

const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });

/** Validates `value` against one of the schemas above; the problems found, none when it conforms. */
export function jsonProblems(schema: object, value: unknown): string[] {
  const validate = ajv.compile(schema);
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message}`);
}

/** The identifiers namespace of pr-meta: a client id's parts and its `objectType` attribute. */
const IDENTIFIERS_XSD = `<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
    targetNamespace="http://x-road.eu/xsd/identifiers" xmlns="http://x-road.eu/xsd/identifiers"
    elementFormDefault="qualified" attributeFormDefault="qualified">
  <xs:simpleType name="Part">
    <xs:restriction base="xs:string"><xs:minLength value="1"/></xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="ClientObjectType">
    <xs:restriction base="xs:string">
      <xs:enumeration value="MEMBER"/>
      <xs:enumeration value="SUBSYSTEM"/>
    </xs:restriction>
  </xs:simpleType>
  <xs:attribute name="objectType" type="ClientObjectType"/>
  <xs:complexType name="ClientId">
    <xs:sequence>
      <xs:element name="xRoadInstance" type="Part"/>
      <xs:element name="memberClass" type="Part"/>
      <xs:element name="memberCode" type="Part"/>
      <xs:element name="subsystemCode" type="Part" minOccurs="0"/>
    </xs:sequence>
    <xs:attribute ref="objectType" use="required"/>
  </xs:complexType>
</xs:schema>`;

/**
 * pr-meta's `clientList` (Annex A) in the X-Road message namespace; `name` required as in the JSON
 * schema above.
 */
const CLIENT_LIST_XSD = `<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
    targetNamespace="http://x-road.eu/xsd/xroad.xsd" xmlns="http://x-road.eu/xsd/xroad.xsd"
    xmlns:id="http://x-road.eu/xsd/identifiers" elementFormDefault="qualified">
  <xs:import namespace="http://x-road.eu/xsd/identifiers" schemaLocation="identifiers.xsd"/>
  <xs:element name="clientList">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="member" minOccurs="0" maxOccurs="unbounded">
          <xs:complexType>
            <xs:sequence>
              <xs:element name="id" type="id:ClientId"/>
              <xs:element name="name" type="xs:string"/>
              <xs:element name="subsystemName" type="xs:string" minOccurs="0"/>
            </xs:sequence>
          </xs:complexType>
        </xs:element>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>`;

/** pr-rest's XML error body, in no namespace. */
const ERROR_XSD = `<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="error">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="type" type="xs:string"/>
        <xs:element name="message" type="xs:string"/>
        <xs:element name="detail" type="xs:string"/>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>`;

/** Validates XML documents with `xmllint` against the schemas above, written to a temporary folder. */
export async function createXmlValidator() {
  const dir = await mkdtemp(join(tmpdir(), 'einmal-xsd-'));
  await Promise.all([
    writeFile(join(dir, 'identifiers.xsd'), IDENTIFIERS_XSD),
    writeFile(join(dir, 'client-list.xsd'), CLIENT_LIST_XSD),
    writeFile(join(dir, 'error.xsd'), ERROR_XSD),
  ]);
  let n = 0;
  return {
    /** `xmllint`'s complaints about `xml` against `schema`; none when the document is valid. */
    async problems(schema: 'client-list' | 'error', xml: string): Promise<string[]> {
      const file = join(dir, `document-${n++}.xml`);
      await writeFile(file, xml);
      return new Promise((resolve) => {
        execFile(
          'xmllint',
          ['--noout', '--nonet', '--schema', join(dir, `${schema}.xsd`), file],
          (error, _stdout, stderr) => resolve(error ? stderr.split('\n').filter(Boolean) : []),
        );
      });
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}
