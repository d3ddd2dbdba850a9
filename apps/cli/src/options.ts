import { InvalidArgumentError } from 'commander';
import { KEY_TYPES, KeyType, resourceProblem } from '@keymint/contracts';

/** Option value parsers: a bad value is a usage error (exit 2) before anything is sent. */
export function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError('expected a positive integer.');
  }
  return Number(value);
}

export function nonNegativeInteger(value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError('expected an integer of 0 or more.');
  return Number(value);
}

/** `--scopes a,b --scopes c` and `--scopes "a b"` both give [a, b, c]. */
export function listValue(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(/[\s,]+/).filter((item) => item !== '')];
}

/**
 * `--resource URI`, repeatable: an RFC 8707 resource (an absolute URI without fragment), checked as the
 * servers check it. `--resource ''` adds none, so that `keys update --resource ''` removes them all.
 */
export function resourceValue(value: string, previous: string[] = []): string[] {
  if (value === '') return previous;
  const problem = resourceProblem(value, 'the resource');
  if (problem) throw new InvalidArgumentError(problem);
  return [...previous, value];
}

/** Case-insensitive: `sandbox` is SANDBOX. */
export function keyType(value: string): KeyType {
  const upper = value.toUpperCase();
  if (!(KEY_TYPES as readonly string[]).includes(upper)) throw new InvalidArgumentError(`expected one of ${KEY_TYPES.join(', ')}.`);
  return upper as KeyType;
}

export function oneOf<T extends string>(allowed: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(allowed as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${allowed.join(', ')}.`);
    return value as T;
  };
}

/** `--attribute team=web`, repeatable. */
export function keyValue(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const separator = value.indexOf('=');
  if (separator < 1) throw new InvalidArgumentError('expected NAME=VALUE.');
  return { ...previous, [value.slice(0, separator)]: value.slice(separator + 1) };
}

/** An absolute http(s) URL. */
export function urlValue(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('expected an absolute URL such as https://localhost:9443.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('expected an http:// or https:// URL.');
  return value;
}
