import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readOrCreateSecretFile } from './secret-files';

/**
 * AES-256-GCM for reusable tokens (docs/token-api.md, "Token reuse"): the token can be handed out
 * again without ever being stored in the clear. Format: iv.tag.ciphertext (base64url).
 */
export class TokenCipher {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('TOKEN_ENCRYPTION_KEY must be 32 bytes (64 hex characters or base64)');
  }

  static fromConfig(configured: string | undefined, dataDir: string): TokenCipher {
    return new TokenCipher(tokenEncryptionKey(configured, dataDir));
  }

  encrypt(plaintext: string, associatedData: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString('base64url')).join('.');
  }

  /** null when the value was tampered with or encrypted under another key. */
  decrypt(encrypted: string, associatedData: string): string | null {
    const [iv, tag, ciphertext] = encrypted.split('.').map((part) => Buffer.from(part, 'base64url'));
    if (!iv || !tag || !ciphertext || iv.length !== 12 || tag.length !== 16) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
      decipher.setAAD(Buffer.from(associatedData, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
  }
}

/**
 * TOKEN_ENCRYPTION_KEY when set, else a key generated once into DATA_DIR (mode 0600). The secret every replica
 * of the token service shares (the same variable, or the same DATA_DIR): the reuse cipher's key, and what the
 * DPoP nonce key is derived from (dpop/dpop-nonces.ts).
 */
export function tokenEncryptionKey(configured: string | undefined, dataDir: string): Buffer {
  const text = configured ?? readOrCreateSecretFile(join(dataDir, 'token-encryption.key'), () => randomBytes(32).toString('hex')).trim();
  return /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
}
