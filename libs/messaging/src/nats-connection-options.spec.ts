import { commonEnvShape, loadConfig } from '@keymint/config';
import { natsAccessFromConfig, natsConnectionOptions } from './nats-connection-options';

const config = (env: Record<string, string>) => loadConfig(commonEnvShape, env);

describe('NATS access from the environment', () => {
  it('takes one way to authenticate, and refuses two at once or half of one, naming the variables', () => {
    expect(natsAccessFromConfig(config({ NATS_NKEY_SEED_FILE: '/k/token-service.nk' }), 'token-service')).toMatchObject({ nkeySeedFile: '/k/token-service.nk', user: 'token-service' });
    expect(() => natsAccessFromConfig(config({ NATS_CREDS: '/a.creds', NATS_NKEY_SEED_FILE: '/b.nk' }), 'analytics')).toThrow(/NATS_CREDS and NATS_NKEY_SEED_FILE/);
    expect(() => natsAccessFromConfig(config({ NATS_USER: 'analytics' }), 'analytics')).toThrow(/NATS_USER and NATS_PASSWORD go together/);
    expect(() => natsAccessFromConfig(config({ NATS_TLS_CERT: '/c.pem' }), 'analytics')).toThrow(/NATS_TLS_CERT and NATS_TLS_KEY/);
  });

  it("connects with the user's own inbox prefix, and stops with the variable's name when a key file is missing", () => {
    const options = natsConnectionOptions({ url: 'nats://a:4222,nats://b:4222', user: 'analytics', username: 'analytics', password: 'p' }, 'test');
    expect(options).toMatchObject({ servers: ['nats://a:4222', 'nats://b:4222'], inboxPrefix: '_INBOX.analytics' });
    const spaced = natsConnectionOptions({ url: 'nats://a:4222, nats://b:4222 ,nats://c:4222', user: 'analytics' }, 'test');
    expect(spaced.servers).toEqual(['nats://a:4222', 'nats://b:4222', 'nats://c:4222']);
    expect(() => natsConnectionOptions({ url: 'nats://a:4222', user: 'analytics', nkeySeedFile: '/nowhere/analytics.nk' }, 'test')).toThrow(
      'NATS_NKEY_SEED_FILE=/nowhere/analytics.nk: cannot read it (ENOENT)',
    );
  });
});
