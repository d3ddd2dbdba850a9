import { createPrivateKey, KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors';
import { ClientCertificate } from './http-transport';

/** --cert and --cert-key: a PEM certificate and the PEM private key of its public key, checked before anything is sent. */
export function readClientCertificate(certFile: string, keyFile: string): ClientCertificate {
  const cert = readText('--cert', certFile);
  const key = readText('--cert-key', keyFile);
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch (error) {
    throw new UsageError(`--cert ${certFile}: not a readable PEM certificate (${(error as Error).message})`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (error) {
    throw new UsageError(`--cert-key ${keyFile}: not a readable PEM private key (${(error as Error).message})`);
  }
  if (!certificate.checkPrivateKey(privateKey)) throw new UsageError(`--cert-key ${keyFile} is not the private key of the certificate in ${certFile}`);
  return { cert, key };
}

function readText(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${flag} file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}
