import { z } from 'zod/v4';

export type JsonSchema = Record<string, unknown>;

const COMPONENT_PREFIX = '#/components/schemas/';

/**
 * zod schemas as OpenAPI 3.1 schema objects (JSON Schema 2020-12, from
 * `z.toJSONSchema`). A schema named with `.meta({ id: 'Name' })` becomes
 * `components.schemas.Name`, referenced wherever it is used. Requests are
 * described as they are accepted (`io: 'input'`), responses as they are sent.
 */
export class SchemaComponents {
  readonly schemas: Record<string, JsonSchema> = {};
  private readonly texts = new Map<string, string>();

  describe(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const converted = z.toJSONSchema(schema, { io, override: tidy(io) }) as JsonSchema;
    const definitions = (converted.$defs ?? {}) as Record<string, JsonSchema>;
    delete converted.$defs;
    delete converted.$schema;
    for (const [name, definition] of Object.entries(definitions)) this.add(name, definition);
    const name = (z.globalRegistry.get(schema) as { id?: string } | undefined)?.id;
    if (!name) return relink(converted);
    this.add(name, converted);
    return { $ref: COMPONENT_PREFIX + name };
  }

  private add(name: string, definition: JsonSchema): void {
    const linked = relink(definition);
    const text = JSON.stringify(linked);
    const known = this.texts.get(name);
    if (known !== undefined && known !== text) throw new Error(`Two different schemas are named '${name}' in one OpenAPI document.`);
    this.texts.set(name, text);
    this.schemas[name] = linked;
  }
}

/** `#/$defs/Name` (zod's single-schema references) → `#/components/schemas/Name`. */
function relink<T>(value: T): T {
  if (Array.isArray(value)) return value.map(relink) as T;
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      key === '$ref' && typeof item === 'string' ? item.replace(/^#\/\$defs\//, COMPONENT_PREFIX) : relink(item),
    ]),
  ) as T;
}

type OverrideContext = { zodSchema: z.core.$ZodTypes; jsonSchema: JsonSchema };

/** Corrections to zod's output, for a reader of the document. */
function tidy(io: 'input' | 'output') {
  return ({ zodSchema, jsonSchema }: OverrideContext): void => {
    // Names are component keys, not keywords.
    delete jsonSchema.id;
    const def = zodSchema._zod.def;
    if (io === 'input' && def.type === 'default') {
      // zod leaves out the default of a field that is converted on the way in (a numeric text, a list without duplicates).
      jsonSchema.default = JSON.parse(JSON.stringify(def.defaultValue));
    }
    if (io === 'input' && def.type === 'object') {
      // Required is what may not be absent; zod counts a field that normalizes its input first as required.
      const required = Object.entries(def.shape)
        .filter(([, field]) => !z.safeParse(field, undefined).success)
        .map(([key]) => key);
      if (required.length > 0) jsonSchema.required = required;
      else delete jsonSchema.required;
    }
    // zod spells out its own regular expression for formats (uuid, date-time); the format says it.
    if (typeof jsonSchema.format === 'string') delete jsonSchema.pattern;
    // Object keys are strings anyway.
    if (JSON.stringify(jsonSchema.propertyNames) === '{"type":"string"}') delete jsonSchema.propertyNames;
    // `.int()`'s ±(2^53 - 1) bounds say nothing a client needs.
    if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
    if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
  };
}
