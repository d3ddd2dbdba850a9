import { z } from 'zod/v4';
import { OAuth2Error } from './oauth2-error';

/**
 * A request's parameters after parsing: one string per name, except `resource` (RFC 8707 §2), the one
 * parameter that may be repeated, which is always a list.
 */
export type OAuth2Parameters = Record<string, string | string[]>;

/** RFC 8707 §2: `resource=a&resource=b`; every other parameter must be given once (RFC 6749 §3.1). */
const REPEATABLE_PARAMETER = 'resource';

/**
 * Step "parse body" + "reject duplicates": a form body (repeated names arrive
 * as arrays) or a JSON object; anything else is invalid_request. `resource`
 * may be repeated (or, in JSON, be an array of strings).
 */
export function parseParameters(body: unknown): OAuth2Parameters {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw OAuth2Error.invalidRequest('The body must be application/x-www-form-urlencoded or a JSON object.');
  }
  const parameters: OAuth2Parameters = Object.create(null);
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    if (name === REPEATABLE_PARAMETER) {
      parameters[name] = resourceValues(value);
      continue;
    }
    if (Array.isArray(value)) throw OAuth2Error.invalidRequest(`Parameter ${safeName(name)} is included more than once.`);
    // WSO2 accepts JSON numbers and booleans (e.g. "validity_period": 3600).
    if (typeof value === 'string') parameters[name] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') parameters[name] = String(value);
    else if (value === null) continue;
    else throw OAuth2Error.invalidRequest(`Parameter ${safeName(name)} must be a string.`);
  }
  return parameters;
}

function resourceValues(value: unknown): string[] {
  const values = Array.isArray(value) ? value : [value];
  if (!values.every((item) => typeof item === 'string')) throw OAuth2Error.invalidRequest('Parameter "resource" must be a string, or repeated.');
  return values;
}

/** A parameter given once (every one but `resource`, which parseParameters keeps as a list). */
export function singleParameter(parameters: OAuth2Parameters, name: string): string | undefined {
  const value = parameters[name];
  return Array.isArray(value) ? undefined : value;
}

/** RFC 6749 §2.3.1: client credentials never travel in the URL. */
export function rejectQueryCredentials(query: unknown): void {
  if (typeof query !== 'object' || query === null) return;
  const names = Object.keys(query as Record<string, unknown>);
  if (['client_secret', 'client_id', 'client_assertion'].some((name) => names.includes(name))) {
    throw OAuth2Error.invalidRequest('Client credentials must not be sent in the query string.');
  }
}

function safeName(name: string): string {
  return JSON.stringify(name.slice(0, 64));
}

/**
 * What a parameter that fails its schema answers (RFC 6749 §5.2, fixed
 * templates): the first failing parameter in the schema's order decides.
 * `resource` says what is wrong with which one (RFC 8707 §2: invalid_target).
 */
const PARAMETER_ERRORS: Record<string, (message: string) => OAuth2Error> = {
  username: () => OAuth2Error.invalidRequest('username and password are required.'),
  password: () => OAuth2Error.invalidRequest('username and password are required.'),
  refresh_token: () => OAuth2Error.invalidRequest('refresh_token is required.'),
  token: () => OAuth2Error.invalidRequest('token is required.'),
  scope: () => OAuth2Error.invalidScope('Each scope must be an RFC 6749 scope-token.'),
  validity_period: () => OAuth2Error.invalidRequest('validity_period must be a positive integer number of seconds, or -1.'),
  resource: (message) => OAuth2Error.invalidTarget(message),
};

/** Step "read the parameters": the endpoint's or grant's schema (http-schemas.ts) checks them; unknown ones are dropped. */
export function readParameters<T>(schema: z.ZodType<T>, parameters: OAuth2Parameters): T {
  const result = schema.safeParse(parameters);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const name = String(issue?.path[0] ?? '');
  const error = PARAMETER_ERRORS[name];
  throw error ? error(issue.message) : OAuth2Error.invalidRequest(`Parameter ${safeName(name)} is not valid.`);
}
