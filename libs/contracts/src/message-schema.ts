/**
 * The building blocks of the message schemas (events.ts, rpc.ts). Each field
 * carries the sentence a refusal gives, so that `problemOf` names the field
 * and says what it must be ("applicationId must be a non-empty string of at
 * most 100 characters"): that text is what a parked event's reason and an
 * `invalid_request` RPC error say.
 *
 * The schemas only check; they never transform (no defaults, coercions or
 * transforms), so what passed a schema is exactly what was sent.
 */
import { z } from 'zod/v4';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An RFC 9562 UUID in its usual text form (event ids, token ids, application ids), any case. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/**
 * ISO 8601 with a zone (`Z` or `±hh:mm`): a time without one means a different instant on every
 * machine. The date part is zod's own (real days, leap years); seconds and fractions are optional.
 * Every string it accepts is one `Date.parse` reads.
 */
const ISO_TIME = new RegExp(`^${z.regexes.date.source.slice(1, -1)}T(?:[01]\\d|2[0-3]):[0-5]\\d(?::[0-5]\\d(?:\\.\\d+)?)?(?:Z|[+-](?:[01]\\d|2[0-3]):[0-5]\\d)$`);

/** A string; `message` is what a refusal says after the field's name. */
export function string(message = 'must be a string') {
  return z.string({ error: message });
}

/** What a refused `text(max)` says. */
export function textProblem(max?: number): string {
  return max === undefined ? 'must be a non-empty string' : `must be a non-empty string of at most ${max} characters`;
}

/** A non-empty string, of at most `max` characters when given. */
export function text(max?: number) {
  const message = textProblem(max);
  const nonEmpty = z.string({ error: message }).min(1, { error: message });
  return max === undefined ? nonEmpty : nonEmpty.max(max, { error: message });
}

export function isoTime() {
  const message = 'must be an ISO 8601 time with a zone';
  return z.string({ error: message }).regex(ISO_TIME, { error: message });
}

export function uuid(message = 'must be a UUID') {
  return z.string({ error: message }).regex(UUID, { error: message });
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `must be one of ${values.join(', ')}` });
}

export function boolean() {
  return z.boolean({ error: 'must be a boolean' });
}

export function number(message = 'must be a number') {
  return z.number({ error: message });
}

/** A JSON array of `item`; a bad element is reported as the list's (`scopes must be a list of strings`). */
export function list<T extends z.ZodType>(item: T, message: string) {
  return z.array(item, { error: message });
}

/**
 * Why a value failed its schema, in one line: the field (its leading names, so `scopes`
 * for `scopes[3].name`) and the sentence its schema gives. The first problem only: a
 * refusal is for a person to read, and one reason is enough to fix the sender.
 */
export function problemOf(error: z.ZodError): string {
  const issue = error.issues[0];
  const names: string[] = [];
  for (const key of issue.path) {
    if (typeof key !== 'string') break;
    names.push(key);
  }
  return names.length > 0 ? `${names.join('.')} ${issue.message}` : issue.message;
}
