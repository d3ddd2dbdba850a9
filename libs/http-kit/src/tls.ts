import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generate } from 'selfsigned';
import type { CommonConfig } from '@keymint/config';

export interface TlsMaterial {
  key: string;
  cert: string;
}

/**
 * TLS_CERT/TLS_KEY when given; otherwise a self-signed certificate for
 * localhost generated once into DATA_DIR/tls and reused by every service.
 */
export function loadTlsMaterial(config: Pick<CommonConfig, 'TLS_CERT' | 'TLS_KEY' | 'DATA_DIR'>): TlsMaterial {
  if (config.TLS_CERT || config.TLS_KEY) {
    if (!config.TLS_CERT || !config.TLS_KEY) throw new Error('TLS_CERT and TLS_KEY must be given together');
    return { cert: readFileSync(config.TLS_CERT, 'utf8'), key: readFileSync(config.TLS_KEY, 'utf8') };
  }
  // Key and certificate live in one file created atomically (link), so services starting together agree on one pair.
  const dir = resolve(config.DATA_DIR, 'tls');
  const pemPath = join(dir, 'self-signed.pem');
  if (!existsSync(pemPath)) {
    mkdirSync(dir, { recursive: true });
    const generated = generateSelfSigned();
    const temporary = join(dir, `.self-signed.${process.pid}.${Date.now()}.pem`);
    writeFileSync(temporary, generated.private + generated.cert, { mode: 0o600 });
    try {
      linkSync(temporary, pemPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(temporary);
    }
  }
  const pem = readFileSync(pemPath, 'utf8');
  const key = pem.match(/-----BEGIN (?:RSA )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA )?PRIVATE KEY-----\s*/)?.[0];
  const cert = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\s*/)?.[0];
  if (!key || !cert) throw new Error(`${pemPath} does not hold a private key and a certificate; delete it to get a new one`);
  return { key, cert };
}

function generateSelfSigned(): { private: string; cert: string } {
  return generate([{ name: 'commonName', value: 'localhost' }], {
    days: 825,
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: false },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
}
