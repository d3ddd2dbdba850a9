import { createSecureContext } from 'node:tls';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTlsMaterial } from './tls';

describe('loadTlsMaterial', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'keymint-tls-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('generates a usable self-signed pair once, private to its owner, and reuses it', () => {
    const first = loadTlsMaterial({ DATA_DIR: dir, TLS_CERT: undefined, TLS_KEY: undefined });
    expect(() => createSecureContext({ key: first.key, cert: first.cert })).not.toThrow();
    expect(statSync(join(dir, 'tls', 'self-signed.pem')).mode & 0o777).toBe(0o600);
    const second = loadTlsMaterial({ DATA_DIR: dir, TLS_CERT: undefined, TLS_KEY: undefined });
    expect(second).toEqual(first);
  });

  it('insists on TLS_CERT and TLS_KEY together', () => {
    expect(() => loadTlsMaterial({ DATA_DIR: dir, TLS_CERT: '/x.pem', TLS_KEY: undefined })).toThrow(/together/);
  });
});
