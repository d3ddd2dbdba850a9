import { BadRequestException } from '@nestjs/common';
import { z } from 'zod/v4';
import { errorBody } from './errors';
import { FIELD_TEXTS, ParameterTexts } from './field-texts';

/**
 * Builders of zod schemas for request fields: each carries its error texts,
 * so one schema both validates a request (its first problem becomes the 400's
 * description) and describes it in the OpenAPI document (JSON Schema).
 */

export interface TextRule {
  /** Default 0. */
  min?: number;
  max: number;
  match?: { pattern: RegExp; hint: string };
}

export interface IntegerRule {
  min: number;
  max: number;
  /** Accepted besides min..max (the registry's -1: "the key's own value"). */
  also?: readonly number[];
  /** When absent (and, for the default grammar, when ''). Without one the field is optional. */
  default?: number;
  /**
   * Only 1 to 10 decimal digits (analytics). Otherwise, as WSO2 clients send
   * numbers: a JSON number or its text with an optional sign and spaces around, '' = absent.
   */
  digitsOnly?: boolean;
}

const INTEGER_TEXT = /^\s*[+-]?\d{1,15}\s*$/;
const DIGITS = /^\d{1,10}$/;

/**
 * min..max counted in Unicode code points, as people (and JSON Schema's
 * minLength/maxLength) count characters; zod's own `.min/.max` count UTF-16
 * units. The bounds go into the schema's bag, where zod's JSON Schema
 * generator reads minLength/maxLength.
 */
function codePointLength(message: string, min: number, max: number): z.core.$ZodCheck<string> {
  const check = z.refine<string>(
    (value) => {
      const length = [...value].length;
      return length >= min && length <= max;
    },
    { error: message },
  );
  check._zod.onattach.push((schema) => {
    if (min > 0) schema._zod.bag.minimum = min;
    schema._zod.bag.maximum = max;
  });
  return check;
}

export function textOf(base: z.ZodString, texts: ParameterTexts, name: string, rule: TextRule): z.ZodString {
  const min = rule.min ?? 0;
  const bounded = base.check(codePointLength(texts.length(name, min, rule.max), min, rule.max));
  return rule.match ? bounded.regex(rule.match.pattern, { error: texts.invalid(name, rule.match.hint) }) : bounded;
}

/** With a default the value is always there, else it may be undefined. */
export type IntegerSchema<R extends IntegerRule> = z.ZodPipe<
  z.ZodTransform<unknown, unknown>,
  R extends { default: number } ? z.ZodDefault<z.ZodNumber> : z.ZodOptional<z.ZodNumber>
>;

/** An integer from a JSON number or from text (query parameters are text); `textForm` documents the text too. */
export function integerOf<R extends IntegerRule>(texts: ParameterTexts, name: string, rule: R, textForm = false): IntegerSchema<R> {
  const notInteger = texts.notInteger(name, rule.min, rule.max);
  const outOfRange = texts.range(name, rule.min, rule.max);
  // Number.isInteger, not zod's `.int()`, which also refuses integers beyond ±2^53 as "not an integer".
  const integer = z.number({ error: notInteger }).refine(Number.isInteger, { error: notInteger });
  const { also } = rule;
  const bounded = also
    ? integer
        .refine((value) => also.includes(value) || (value >= rule.min && value <= rule.max), { error: outOfRange })
        .meta({ anyOf: [...also.map((value) => ({ const: value })), { minimum: rule.min, maximum: rule.max }] })
    : integer.min(rule.min, { error: outOfRange }).max(rule.max, { error: outOfRange });
  const documented = bounded.meta({ ...bounded.meta(), ...(textForm ? { type: ['integer', 'string'], pattern: INTEGER_TEXT.source } : { type: 'integer' }) });
  return z.preprocess(
    (value) => {
      if (typeof value !== 'string') return value;
      if (rule.digitsOnly) return DIGITS.test(value) ? Number(value) : value;
      if (value === '') return undefined;
      return INTEGER_TEXT.test(value) ? Number(value.trim()) : value;
    },
    rule.default === undefined ? documented.optional() : documented.default(rule.default),
  ) as IntegerSchema<R>;
}

/** Refuses `value` before its parts are looked at (a list's length before its items, as the first problem is the one reported). */
function refuseWhen(message: string, tooBig: (value: unknown) => boolean) {
  return (value: unknown, context: z.RefinementCtx) => {
    if (!tooBig(value)) return value;
    context.issues.push({ code: 'custom', message, input: value });
    return z.NEVER;
  };
}

export interface ListRule<T extends string> {
  maxItems: number;
  maxLength: number;
  /** Items must be one of these or match this pattern; checked after the lengths, `refused` names the first that is not. */
  allowed?: { only: readonly T[] | RegExp; refused: (item: string) => string };
}

/** JSON fields in the registry's words (FIELD_TEXTS). A top-level `null` counts as absent (`object`). */
export const jsonField = {
  /** A string; absent is `'name' is required.` unless the schema is made optional or given a default. */
  text(name: string, rule: TextRule): z.ZodString {
    const base = z.string({ error: (issue) => (issue.input === undefined ? FIELD_TEXTS.required(name) : FIELD_TEXTS.notString(name)) });
    return textOf(base, FIELD_TEXTS, name, rule);
  },

  /** A JSON true or false (not its text); make it optional or give it a default. */
  boolean(name: string): z.ZodBoolean {
    return z.boolean({ error: FIELD_TEXTS.notBoolean(name) });
  },

  /** One of `values`; `required` is the text when it is absent (else it must be optional or defaulted). */
  oneOf<const T extends readonly [string, ...string[]]>(name: string, values: T, required?: string) {
    const wrong = FIELD_TEXTS.oneOf(name, values);
    return z.enum(values, { error: (issue) => (issue.input === undefined && required ? required : wrong) });
  },

  /** Always optional: absent (or '') is `rule.default`, else undefined. */
  integer<R extends Omit<IntegerRule, 'digitsOnly'>>(name: string, rule: R) {
    return integerOf(FIELD_TEXTS, name, rule, true);
  },

  /** Strings without duplicates (the first of each kept, in order). */
  list<T extends string = string>(name: string, rule: ListRule<T>) {
    const notList = FIELD_TEXTS.notList(name);
    const itemLength = FIELD_TEXTS.itemLength(name, rule.maxLength);
    const tooMany = FIELD_TEXTS.tooManyItems(name, rule.maxItems);
    const only = rule.allowed?.only;
    const isAllowed = (item: string) => only === undefined || (only instanceof RegExp ? only.test(item) : only.includes(item as T));
    const item = z.string({ error: notList }).min(1, { error: itemLength }).max(rule.maxLength, { error: itemLength });
    const documentedItem = only === undefined ? item : item.meta(only instanceof RegExp ? { pattern: only.source } : { enum: [...only] });
    return z
      .preprocess(
        refuseWhen(tooMany, (value) => Array.isArray(value) && value.length > rule.maxItems),
        z.array(documentedItem, { error: notList }).max(rule.maxItems, { error: tooMany }),
      )
      .transform((items) => [...new Set(items)] as T[])
      .refine((items) => items.every(isAllowed), {
        error: (issue) => rule.allowed!.refused((issue.input as string[]).find((entry) => !isAllowed(entry))!),
      });
  },

  /** A flat string-to-string object (WSO2 application `attributes`). */
  map(name: string, rule: { maxEntries: number; maxKeyLength: number; maxValueLength: number }) {
    const entry = (issue: { path?: PropertyKey[] }) => `${name}.${String(issue.path?.at(-1))}`;
    const key = z.string().min(1).max(rule.maxKeyLength);
    const value = z
      .string({ error: (issue) => FIELD_TEXTS.notString(entry(issue)) })
      .max(rule.maxValueLength, { error: (issue) => FIELD_TEXTS.length(entry(issue), 0, rule.maxValueLength) });
    const record = z.record(key, value, { error: (issue) => (issue.code === 'invalid_key' ? FIELD_TEXTS.keyLength(name, rule.maxKeyLength) : FIELD_TEXTS.notMap(name)) });
    const tooMany = FIELD_TEXTS.tooManyEntries(name, rule.maxEntries);
    const isObject = (input: unknown): input is object => typeof input === 'object' && input !== null && !Array.isArray(input);
    return z.preprocess(
      refuseWhen(tooMany, (input) => isObject(input) && Object.keys(input).length > rule.maxEntries),
      record.meta({ maxProperties: rule.maxEntries }),
    );
  },

  /**
   * The request body: a JSON object (else 400) whose top-level `null`s count
   * as absent, as WSO2 clients send them. `optional`: no body is `{}`.
   */
  object<T extends z.core.$ZodLooseShape>(shape: T, options: { optional?: boolean } = {}) {
    return z.preprocess((body: unknown, context) => {
      if (options.optional && (body === undefined || body === null || body === '')) return {};
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        context.issues.push({ code: 'custom', message: FIELD_TEXTS.notObject, input: body });
        return z.NEVER;
      }
      return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== null));
    }, z.object(shape));
  },
};

/** The parsed input, or a WSO2-style 400 whose description is the first problem found. */
export function parseRequest<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new BadRequestException(errorBody('wso2', 400, result.error.issues[0].message));
}
