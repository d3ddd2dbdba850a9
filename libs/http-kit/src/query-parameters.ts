import { z } from 'zod/v4';
import { ParameterTexts } from './field-texts';
import { IntegerRule, integerOf, TextRule, textOf } from './fields';

/**
 * Query parameter schemas in a service's words (`texts`): limit, offset,
 * sort fields, search text, filters. Fastify hands a repeated parameter over
 * as an array; each parameter refuses that first. Build a query's schema with
 * `z.object({...})` from these and read it with `parseRequest`; the OpenAPI
 * document lists its properties as the operation's query parameters.
 */
export function queryParameters(texts: ParameterTexts) {
  /** `schema` for one value; a repeated parameter is refused. */
  const once = <S extends z.ZodType>(name: string, schema: S) =>
    z.preprocess((value: unknown, context) => {
      if (!Array.isArray(value)) return value;
      context.issues.push({ code: 'custom', message: texts.repeated(name), input: value });
      return z.NEVER;
    }, schema);

  return {
    texts,
    once,
    /** Free text of min..max characters (code points). */
    text: (name: string, rule: TextRule) => once(name, textOf(z.string(), texts, name, rule)),
    oneOf: <const T extends readonly [string, ...string[]]>(name: string, values: T) =>
      once(name, z.enum(values, { error: texts.oneOf(name, values) })),
    /** Always optional: absent is `rule.default`, else undefined. */
    integer: <R extends IntegerRule>(name: string, rule: R) => once(name, integerOf(texts, name, rule)),
  };
}
