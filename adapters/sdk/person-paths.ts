import { z } from 'zod';

/**
 * A parsed person-identifier path: object keys, each followed by how many array levels it opens.
 * `licences[].holderId` is `[{ key: 'licences', arrays: 1 }, { key: 'holderId', arrays: 0 }]`.
 */
type PathStep = { readonly key: string; readonly arrays: number };

const STEP = /^([A-Za-z_$][A-Za-z0-9_$-]{0,63})((?:\[\])*)$/;

/** Parses `a.b[].c` into steps; throws `TypeError` for anything else. */
function parsePath(path: string): PathStep[] {
  const steps = path.split('.').map((part) => {
    const match = STEP.exec(part);
    if (!match) throw new TypeError(`invalid person-identifier path '${path}'`);
    return { key: match[1]!, arrays: match[2]!.length / 2 };
  });
  if (steps.length === 0 || steps.length > 16)
    throw new TypeError(`invalid person-identifier path '${path}'`);
  return steps;
}

type JsonSchema = { [key: string]: unknown };

/** The branches of a schema that are not `null` (zod's nullable is `anyOf [T, null]`). */
function branches(schema: JsonSchema): JsonSchema[] {
  const alternatives = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (!alternatives) return [schema];
  return alternatives.flatMap(branches).filter((branch) => branch.type !== 'null');
}

/**
 * The response schema's node at `steps`, or a reason why the path names nothing there. Used at
 * start-up, so a typo in a declared path cannot silently turn the guard off.
 */
function checkAgainstSchema(steps: readonly PathStep[], root: JsonSchema): string | undefined {
  let nodes = [root];
  for (const step of steps) {
    const next: JsonSchema[] = [];
    for (const node of nodes.flatMap(branches)) {
      const child = (node.properties as Record<string, JsonSchema> | undefined)?.[step.key];
      if (child) next.push(child);
    }
    if (next.length === 0) return `the response has no field '${step.key}' there`;
    nodes = next;
    for (let level = 0; level < step.arrays; level++) {
      nodes = nodes
        .flatMap(branches)
        .flatMap((node) => (node.type === 'array' && node.items ? [node.items as JsonSchema] : []));
      if (nodes.length === 0) return `'${step.key}' is not a list there`;
    }
  }
  const leaves = nodes.flatMap(branches);
  if (!leaves.every((leaf) => leaf.type === 'string')) return 'it does not name a string field';
  return undefined;
}

/** A declared set of places where a response names a person, checked against the response schema. */
export interface PersonPaths {
  /** The paths as declared, e.g. `['subject', 'licences[].holderId']`. */
  readonly declared: readonly string[];
  /** Every value at a declared path in `value` that is present (not `undefined` or `null`). */
  valuesIn(value: unknown): unknown[];
}

/**
 * Compiles the person-identifier paths a personal-data service declares, refusing (with
 * `TypeError`, at start-up) a path that does not name a string field of the response schema.
 *
 * @example compilePersonPaths(['licences[].holderId'], responseSchema).valuesIn(body)
 */
export function compilePersonPaths(
  paths: readonly string[],
  response: z.ZodType,
  service: string,
): PersonPaths {
  const schema = z.toJSONSchema(response, { io: 'output', unrepresentable: 'any' }) as JsonSchema;
  const compiled = paths.map((path) => {
    const steps = parsePath(path);
    const problem = checkAgainstSchema(steps, schema);
    if (problem) throw new TypeError(`service '${service}': person-identifier path '${path}': ${problem}`);
    return steps;
  });
  return {
    declared: [...paths],
    valuesIn(value) {
      const found: unknown[] = [];
      for (const steps of compiled) collect(value, steps, 0, found);
      return found;
    },
  };
}

function collect(node: unknown, steps: readonly PathStep[], index: number, found: unknown[]): void {
  if (node === undefined || node === null) return;
  if (index === steps.length) {
    found.push(node);
    return;
  }
  if (typeof node !== 'object' || Array.isArray(node)) {
    // The schema said an object is here; a response that disagrees is refused, never skipped.
    found.push(node);
    return;
  }
  const step = steps[index]!;
  let values: unknown[] = [
    Object.hasOwn(node, step.key) ? (node as Record<string, unknown>)[step.key] : undefined,
  ];
  for (let level = 0; level < step.arrays; level++) {
    values = values.flatMap((value) => {
      if (value === undefined || value === null) return [];
      if (!Array.isArray(value)) return [value];
      return value;
    });
  }
  for (const value of values) collect(value, steps, index + 1, found);
}
