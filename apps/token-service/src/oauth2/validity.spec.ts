import { OAuth2Error } from './oauth2-error';
import { ClientCredentialsRequestSchema } from './http-schemas';
import { readParameters } from './request-parameters';
import { familyEnd, lifetimeSeconds, refreshExpiry } from './validity';

/** validity_period as the client_credentials grant reads it: its schema, then the lifetime. */
function resolveValidityPeriod(value: string | undefined, keyValidity: number, maxValidity: number): number {
  const parameters = readParameters(ClientCredentialsRequestSchema, { grant_type: 'client_credentials', ...(value === undefined ? {} : { validity_period: value }) });
  return lifetimeSeconds(parameters.validity_period, keyValidity, maxValidity);
}

describe('resolveValidityPeriod', () => {
  it.each<[string | undefined, number]>([
    [undefined, 1800],
    ['-1', 1800],
    ['60', 60],
    ['7200', 7200],
    ['7201', 7200],
    ['999999999999', 7200],
    [' 60 ', 60],
    [' -1', 1800],
    ['000120', 120],
  ])('%p → %p seconds (key 1800, max 7200)', (input, expected) => {
    expect(resolveValidityPeriod(input, 1800, 7200)).toBe(expected);
  });

  it('falls back to 3600 when the key has no validity, still capped', () => {
    expect(resolveValidityPeriod(undefined, 0, 100000)).toBe(3600);
    expect(resolveValidityPeriod(undefined, 0, 600)).toBe(600);
  });

  it.each(['0', '-5', '-1.0', '1.5', 'abc', '', ' ', '1e3', '0x10', '9999999999999999', '000', ' 0 '])('rejects %p with invalid_request', (input) => {
    let thrown: unknown;
    try {
      resolveValidityPeriod(input, 1800, 7200);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(OAuth2Error);
    expect((thrown as OAuth2Error).code).toBe('invalid_request');
  });
});

describe('refresh-token family lifetime', () => {
  const day = 86_400_000;
  const config = { REFRESH_TOKEN_VALIDITY: 86_400, REFRESH_TOKEN_MAX_LIFETIME: 30 * 86_400 };

  it('gives each rotated refresh token REFRESH_TOKEN_VALIDITY, but never past the family end', () => {
    expect(refreshExpiry(0, 0, config)).toBe(day);
    expect(refreshExpiry(10 * day, 0, config)).toBe(11 * day);
    // Rotated 29.5 days after the password grant: half a day left, not a whole one.
    expect(refreshExpiry(29.5 * day, 0, config)).toBe(30 * day);
    expect(refreshExpiry(31 * day, 0, config)).toBe(30 * day);
    expect(familyEnd(5 * day, config)).toBe(35 * day);
  });

  it('caps even the first refresh token when the family lives less than REFRESH_TOKEN_VALIDITY', () => {
    expect(refreshExpiry(1000, 1000, { REFRESH_TOKEN_VALIDITY: 86_400, REFRESH_TOKEN_MAX_LIFETIME: 60 })).toBe(61_000);
  });

  it('sets no end with REFRESH_TOKEN_MAX_LIFETIME=0: each rotation gives REFRESH_TOKEN_VALIDITY again', () => {
    const unlimited = { REFRESH_TOKEN_VALIDITY: 86_400, REFRESH_TOKEN_MAX_LIFETIME: 0 };
    expect(familyEnd(0, unlimited)).toBe(Infinity);
    expect(refreshExpiry(365 * day, 0, unlimited)).toBe(366 * day);
  });
});
