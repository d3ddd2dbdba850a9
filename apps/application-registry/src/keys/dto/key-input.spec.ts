import { parseRequest } from '@keymint/http-kit';
import { descriptionOf } from '../../../test/bad-request';
import { GenerateKeysInputSchema, GenerateTokenInputSchema, UpdateKeyInputSchema } from './key-input';

const parseGenerateKeysInput = (body: unknown) => parseRequest(GenerateKeysInputSchema, body);
const parseUpdateKeyInput = (body: unknown) => parseRequest(UpdateKeyInputSchema, body);
const parseGenerateTokenInput = (body: unknown) => parseRequest(GenerateTokenInputSchema, body);

describe('key input', () => {
  it('fills WSO2 defaults', () => {
    expect(parseGenerateKeysInput({ keyType: 'SANDBOX' })).toEqual({
      keyType: 'SANDBOX',
      grantTypes: ['client_credentials'],
      scopes: [],
      validityTime: 3600,
      callbackUrl: '',
      requireDpop: false,
    });
  });

  it('takes requireDpop as a JSON boolean, and keeps it on an update that leaves it out', () => {
    expect(parseGenerateKeysInput({ keyType: 'PRODUCTION', requireDpop: true }).requireDpop).toBe(true);
    expect(parseUpdateKeyInput({ requireDpop: false }).requireDpop).toBe(false);
    expect(parseUpdateKeyInput({ validityTime: 60 }).requireDpop).toBeUndefined();
    expect(descriptionOf(() => parseGenerateKeysInput({ keyType: 'PRODUCTION', requireDpop: 'true' }))).toBe("'requireDpop' must be true or false.");
    expect(descriptionOf(() => parseUpdateKeyInput({ requireDpop: 1 }))).toBe("'requireDpop' must be true or false.");
  });

  it('accepts validityTime as a numeric string', () => {
    expect(parseGenerateKeysInput({ keyType: 'PRODUCTION', validityTime: '120' }).validityTime).toBe(120);
    expect(parseUpdateKeyInput({ validityTime: 60 })).toEqual({ grantTypes: undefined, scopes: undefined, validityTime: 60, callbackUrl: undefined });
  });

  it('names what is wrong', () => {
    expect(descriptionOf(() => parseGenerateKeysInput({}))).toContain("'keyType'");
    expect(descriptionOf(() => parseGenerateKeysInput({ keyType: 'TEST' }))).toContain("'keyType'");
    expect(descriptionOf(() => parseGenerateKeysInput({ keyType: 'SANDBOX', grantTypesToBeSupported: ['password', 'implicit'] }))).toContain(
      "'implicit'",
    );
    expect(descriptionOf(() => parseGenerateKeysInput({ keyType: 'SANDBOX', validityTime: -5 }))).toContain("'validityTime'");
    expect(descriptionOf(() => parseGenerateKeysInput({ keyType: 'SANDBOX', scopes: ['bad scope'] }))).toContain("'bad scope'");
    expect(descriptionOf(() => parseGenerateKeysInput({ keyType: 'SANDBOX', callbackUrl: 'not a url' }))).toContain("'callbackUrl'");
    expect(descriptionOf(() => parseUpdateKeyInput({ supportedGrantTypes: [] }))).toContain("'supportedGrantTypes'");
    expect(descriptionOf(() => parseGenerateTokenInput({}))).toBe("'consumerSecret' is required.");
    expect(descriptionOf(() => parseGenerateTokenInput({ consumerSecret: 's', validityPeriod: 0 }))).toContain("'validityPeriod'");
  });

  it('keeps -1 as "the key\'s validityTime" for generate-token', () => {
    expect(parseGenerateTokenInput({ consumerSecret: 's', validityPeriod: -1, scopes: ['a'] })).toEqual({
      consumerSecret: 's',
      validityPeriod: -1,
      scopes: ['a'],
    });
  });
});
