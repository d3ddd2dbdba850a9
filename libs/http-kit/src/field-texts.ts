/**
 * How a REST API words a rejected query parameter or body field (the
 * `description` of its 400). Each text lives here once; the field builders
 * (`fields.ts`, `query-parameters.ts`) only pick the one that applies.
 */
export interface ParameterTexts {
  /** A query parameter given more than once. */
  repeated(name: string): string;
  oneOf(name: string, allowed: readonly string[]): string;
  /** `min` 0: no lower bound worth saying. */
  length(name: string, min: number, max: number): string;
  notInteger(name: string, min: number, max: number): string;
  range(name: string, min: number, max: number): string;
  /** A value of the right type that breaks a rule; `reason` says which. */
  invalid(name: string, reason: string): string;
}

/**
 * The registry's texts (WSO2 Developer Portal and Admin APIs), one sentence
 * about the field, the same for JSON fields and query parameters.
 */
export const FIELD_TEXTS = {
  repeated: (name: string) => `Query parameter '${name}' must be given once.`,
  oneOf: (name: string, allowed: readonly string[]) => `'${name}' must be one of ${allowed.join(', ')}.`,
  length: (name: string, min: number, max: number) =>
    min > 0 ? `'${name}' must be ${min} to ${max} characters long.` : `'${name}' must be at most ${max} characters long.`,
  notInteger: (name: string) => `'${name}' must be an integer.`,
  range: (name: string, min: number, max: number) => `'${name}' must be between ${min} and ${max}.`,
  invalid: (name: string, reason: string) => `'${name}' is not valid: ${reason}`,
  // JSON bodies only.
  notObject: 'The request body must be a JSON object (Content-Type: application/json).',
  required: (name: string) => `'${name}' is required.`,
  notString: (name: string) => `'${name}' must be a string.`,
  notBoolean: (name: string) => `'${name}' must be true or false.`,
  notList: (name: string) => `'${name}' must be an array of strings.`,
  tooManyItems: (name: string, max: number) => `'${name}' may hold at most ${max} items.`,
  itemLength: (name: string, max: number) => `Each item of '${name}' must be 1 to ${max} characters long.`,
  notMap: (name: string) => `'${name}' must be an object of string values.`,
  tooManyEntries: (name: string, max: number) => `'${name}' may hold at most ${max} entries.`,
  keyLength: (name: string, max: number) => `Keys of '${name}' must be 1 to ${max} characters long.`,
} satisfies ParameterTexts & Record<string, unknown>;

const invalidParameter = (name: string, reason: string) => `Invalid parameter '${name}': ${reason}.`;
const expectedInteger = (name: string, min: number, max: number) =>
  invalidParameter(name, max === Number.MAX_SAFE_INTEGER ? `expected an integer ≥ ${min}` : `expected an integer from ${min} to ${max}`);

/** The analytics API's texts: `Invalid parameter 'name': <what it must be>.` */
export const PARAMETER_TEXTS: ParameterTexts = {
  repeated: (name) => invalidParameter(name, 'it must be given once'),
  oneOf: (name, allowed) => invalidParameter(name, `expected one of ${allowed.join(', ')}`),
  length: (name, min, max) => invalidParameter(name, `expected ${min} to ${max} characters`),
  notInteger: expectedInteger,
  range: expectedInteger,
  invalid: invalidParameter,
};
