import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RequestFailedError } from '../errors';
import { temporaryConfigHome } from '../../test/fake-cli';
import { CredentialsStore, credentialsPath, StoredCredentials } from './credentials-store';

const credentials: StoredCredentials = {
  registry: 'https://localhost:9443',
  tokenUrl: 'https://localhost:8243/token',
  analytics: 'https://localhost:9643',
  username: 'alice',
  consumerKey: 'key',
  consumerSecret: 'secret',
  accessToken: 'access',
  refreshToken: 'refresh',
  expiresAt: '2026-11-25T13:00:00.000Z',
  scope: 'apim:subscribe',
};

describe('credentialsPath', () => {
  it('uses $XDG_CONFIG_HOME when it is absolute', () => {
    expect(credentialsPath({ XDG_CONFIG_HOME: '/xdg', HOME: '/home/alice' })).toBe('/xdg/keymint/credentials.json');
  });

  it('falls back to $HOME/.config, also for a relative XDG_CONFIG_HOME (the XDG spec says to ignore it)', () => {
    expect(credentialsPath({ HOME: '/home/alice' })).toBe('/home/alice/.config/keymint/credentials.json');
    expect(credentialsPath({ XDG_CONFIG_HOME: 'relative', HOME: '/home/alice' })).toBe('/home/alice/.config/keymint/credentials.json');
  });
});

describe('CredentialsStore', () => {
  let folder: string;
  let store: CredentialsStore;

  beforeEach(() => {
    folder = temporaryConfigHome();
    store = new CredentialsStore(join(folder, 'keymint', 'credentials.json'));
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('reads null when nobody logged in', () => {
    expect(store.read()).toBeNull();
  });

  it('writes a 0600 file in a 0700 folder and reads it back', () => {
    const previousUmask = process.umask(0o000);
    try {
      store.write(credentials);
    } finally {
      process.umask(previousUmask);
    }
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
    expect(statSync(join(folder, 'keymint')).mode & 0o777).toBe(0o700);
    expect(store.read()).toEqual(credentials);
  });

  it('makes a replaced file 0600 again even if someone widened it', () => {
    store.write(credentials);
    chmodSync(store.path, 0o644);
    store.write({ ...credentials, accessToken: 'access-2' });
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(store.path, 'utf8')).accessToken).toBe('access-2');
  });

  it.each([['not json'], [JSON.stringify({ ...credentials, accessToken: undefined })], [JSON.stringify({ ...credentials, expiresAt: 'soon' })]])(
    'refuses a damaged file with what to do: %s',
    (content) => {
      mkdirSync(join(folder, 'keymint'));
      writeFileSync(store.path, content);
      expect(() => store.read()).toThrow(RequestFailedError);
      expect(() => store.read()).toThrow(`${store.path} is damaged; run 'keymint logout' and 'keymint login' again`);
    },
  );

  it('deletes the file and says whether there was one', () => {
    store.write(credentials);
    expect(store.delete()).toBe(true);
    expect(store.read()).toBeNull();
    expect(store.delete()).toBe(false);
  });
});
