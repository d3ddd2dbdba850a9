import { ConfigError } from '@keymint/config';
import { loadCliEnv } from './cli-env';

describe('loadCliEnv', () => {
  it('reads the URL variables, treating blank ones as unset', () => {
    expect(loadCliEnv({ KEYMINT_REGISTRY_URL: ' https://registry.example:9443 ', KEYMINT_TOKEN_URL: '', HOME: '/home/alice' })).toEqual({
      KEYMINT_REGISTRY_URL: 'https://registry.example:9443',
      KEYMINT_TOKEN_URL: undefined,
      KEYMINT_ANALYTICS_URL: undefined,
      XDG_CONFIG_HOME: undefined,
      HOME: '/home/alice',
    });
  });

  it('names a variable that is not an http(s) URL', () => {
    expect(() => loadCliEnv({ KEYMINT_ANALYTICS_URL: 'localhost:9643' })).toThrow(ConfigError);
    expect(() => loadCliEnv({ KEYMINT_ANALYTICS_URL: 'localhost:9643' })).toThrow(/KEYMINT_ANALYTICS_URL="localhost:9643": must be an http:\/\/ or https:\/\/ URL/);
  });
});
