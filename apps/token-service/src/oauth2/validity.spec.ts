import { OAuth2Error } from './oauth2-error';
import { ClientCredentialsRequestSchema } from './http-schemas';
import { readParameters } from './request-parameters';
import { lifetimeSeconds } from './validity';

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
