/**
 * Hand-written request validation (class-validator is not part of the stack):
 * each reader checks one field and throws a 400 whose description names it.
 */
import { RegistryError } from './http-errors';
export { isUuid } from '@keymint/contracts';

export type JsonObject = Record<string, unknown>;

/** The request body as a JSON object, or 400. Non-JSON media types reach us as strings. */
export function requireJsonObject(body: unknown): JsonObject {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw RegistryError.badRequest('The request body must be a JSON object (Content-Type: application/json).');
  }
  return body as JsonObject;
}

/** An optional body (POST actions without parameters): absent or empty is an empty object. */
export function optionalJsonObject(body: unknown): JsonObject {
  if (body === undefined || body === null || body === '') return {};
  return requireJsonObject(body);
}

interface StringRule {
  required?: boolean;
  min?: number;
  max: number;
  pattern?: RegExp;
  /** Said in the error when `pattern` does not match. */
  patternHint?: string;
}

export function readString(source: JsonObject, field: string, rule: StringRule & { required: true }): string;
export function readString(source: JsonObject, field: string, rule: StringRule): string | undefined;
export function readString(source: JsonObject, field: string, rule: StringRule): string | undefined {
  const value = source[field];
  if (value === undefined || value === null) {
    if (rule.required) throw RegistryError.badRequest(`'${field}' is required.`);
    return undefined;
  }
  if (typeof value !== 'string') throw RegistryError.badRequest(`'${field}' must be a string.`);
  const length = [...value].length;
  const min = rule.min ?? 0;
  if (length < min || length > rule.max) {
    throw RegistryError.badRequest(
      min > 0 ? `'${field}' must be ${min} to ${rule.max} characters long.` : `'${field}' must be at most ${rule.max} characters long.`,
    );
  }
  if (rule.pattern && !rule.pattern.test(value)) {
    throw RegistryError.badRequest(`'${field}' is not valid${rule.patternHint ? `: ${rule.patternHint}` : '.'}`);
  }
  return value;
}

export function readEnum<T extends string>(source: JsonObject, field: string, allowed: readonly T[], fallback?: T): T | undefined {
  const value = source[field];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw RegistryError.badRequest(`'${field}' must be one of ${allowed.join(', ')}.`);
  }
  return value as T;
}

/** An array of strings, duplicates removed in order; undefined when absent. */
export function readStringArray(source: JsonObject, field: string, rule: { maxItems: number; maxLength: number }): string[] | undefined {
  const value = source[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw RegistryError.badRequest(`'${field}' must be an array of strings.`);
  if (value.length > rule.maxItems) throw RegistryError.badRequest(`'${field}' may hold at most ${rule.maxItems} items.`);
  for (const item of value) {
    if (typeof item !== 'string') throw RegistryError.badRequest(`'${field}' must be an array of strings.`);
    if (item.length === 0 || item.length > rule.maxLength) {
      throw RegistryError.badRequest(`Each item of '${field}' must be 1 to ${rule.maxLength} characters long.`);
    }
  }
  return [...new Set(value as string[])];
}

/** A flat string-to-string map (WSO2 application `attributes`). */
export function readStringMap(
  source: JsonObject,
  field: string,
  rule: { maxEntries: number; maxKeyLength: number; maxValueLength: number },
): Record<string, string> | undefined {
  const value = source[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw RegistryError.badRequest(`'${field}' must be an object of string values.`);
  const entries = Object.entries(value as JsonObject);
  if (entries.length > rule.maxEntries) throw RegistryError.badRequest(`'${field}' may hold at most ${rule.maxEntries} entries.`);
  const result: Record<string, string> = {};
  for (const [key, item] of entries) {
    if (key.length === 0 || key.length > rule.maxKeyLength) {
      throw RegistryError.badRequest(`Keys of '${field}' must be 1 to ${rule.maxKeyLength} characters long.`);
    }
    if (typeof item !== 'string') throw RegistryError.badRequest(`'${field}.${key}' must be a string.`);
    if (item.length > rule.maxValueLength) {
      throw RegistryError.badRequest(`'${field}.${key}' must be at most ${rule.maxValueLength} characters long.`);
    }
    result[key] = item;
  }
  return result;
}

const INTEGER_TEXT = /^[+-]?\d{1,15}$/;

/**
 * A whole number given as a JSON number or a numeric string (WSO2 clients send
 * `validityTime` both ways); undefined when absent.
 */
export function readInteger(value: unknown, field: string, rule: { min: number; max: number; also?: number[] }): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  let number: number;
  if (typeof value === 'number') number = value;
  else if (typeof value === 'string' && INTEGER_TEXT.test(value.trim())) number = Number(value.trim());
  else throw RegistryError.badRequest(`'${field}' must be an integer.`);
  if (!Number.isInteger(number)) throw RegistryError.badRequest(`'${field}' must be an integer.`);
  if (rule.also?.includes(number)) return number;
  if (number < rule.min || number > rule.max) {
    throw RegistryError.badRequest(`'${field}' must be between ${rule.min} and ${rule.max}.`);
  }
  return number;
}

/** A query parameter that Fastify may hand over as an array when repeated. */
export function singleQueryValue(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw RegistryError.badRequest(`Query parameter '${name}' must be given once.`);
  return value;
}

export interface PageRequest {
  limit: number;
  offset: number;
}

/** `limit` (default 25, 1..100) and `offset` (default 0) as WSO2's list APIs take them. */
export function readPage(query: Record<string, unknown>): PageRequest {
  const limit = readInteger(singleQueryValue(query, 'limit'), 'limit', { min: 1, max: 100 }) ?? 25;
  const offset = readInteger(singleQueryValue(query, 'offset'), 'offset', { min: 0, max: 1_000_000_000 }) ?? 0;
  return { limit, offset };
}

export interface Pagination {
  offset: number;
  limit: number;
  total: number;
  next: string;
  previous: string;
}

/** WSO2's pagination block: `next`/`previous` are the paths of the neighbouring pages, '' when there is none. */
export function pagination(basePath: string, page: PageRequest, total: number, extra: Record<string, string | undefined> = {}): Pagination {
  const link = (offset: number) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(extra)) if (value !== undefined) params.set(key, value);
    params.set('limit', String(page.limit));
    params.set('offset', String(offset));
    return `${basePath}?${params.toString()}`;
  };
  return {
    offset: page.offset,
    limit: page.limit,
    total,
    next: page.offset + page.limit < total ? link(page.offset + page.limit) : '',
    previous: page.offset > 0 ? link(Math.max(0, page.offset - page.limit)) : '',
  };
}

/** A LIKE pattern matching `text` anywhere, with LIKE's wildcards escaped (use with ESCAPE '\'). */
export function containsPattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

