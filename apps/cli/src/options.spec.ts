import { InvalidArgumentError } from 'commander';
import { keyType, keyValue, listValue, nonNegativeInteger, positiveInteger, urlValue } from './options';

describe('option parsers', () => {
  it('splits lists on commas and spaces and accumulates repeated flags', () => {
    expect(listValue('a,b c', undefined)).toEqual(['a', 'b', 'c']);
    expect(listValue('d', ['a'])).toEqual(['a', 'd']);
    expect(listValue(' , ', undefined)).toEqual([]);
  });

  it('accepts key types in any case and nothing else', () => {
    expect(keyType('sandbox')).toBe('SANDBOX');
    expect(keyType('PRODUCTION')).toBe('PRODUCTION');
    expect(() => keyType('staging')).toThrow(InvalidArgumentError);
  });

  it('accepts integers only where integers are meant', () => {
    expect(positiveInteger('600')).toBe(600);
    expect(nonNegativeInteger('0')).toBe(0);
    for (const bad of ['0', '-1', '1.5', '1e3', '', 'ten', '99999999999999999999']) expect(() => positiveInteger(bad)).toThrow(InvalidArgumentError);
    expect(() => nonNegativeInteger('-1')).toThrow(InvalidArgumentError);
  });

  it('parses NAME=VALUE attributes, keeping "=" in values', () => {
    expect(keyValue('a=b=c', { x: 'y' })).toEqual({ x: 'y', a: 'b=c' });
    expect(() => keyValue('=v', undefined)).toThrow(InvalidArgumentError);
    expect(() => keyValue('novalue', undefined)).toThrow(InvalidArgumentError);
  });

  it('accepts only absolute http(s) URLs', () => {
    expect(urlValue('https://localhost:9443')).toBe('https://localhost:9443');
    expect(() => urlValue('localhost:9443/x')).toThrow(InvalidArgumentError);
    expect(() => urlValue('not a url')).toThrow(InvalidArgumentError);
  });
});
