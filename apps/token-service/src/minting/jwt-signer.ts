import { createPrivateKey, createPublicKey, generateKeyPairSync, JsonWebKey, KeyObject, randomUUID, sign } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { writeSecretFile } from './secret-files';
import { SigningWorker } from './signing-worker';
import { verifyJws } from '../oauth2/jws';

export type JwtAlgorithm = 'RS256' | 'ES256' | 'EdDSA';

// How often the key folder is looked at again for keys written by other replicas.
const RESCAN_MS = 30_000;
// An unknown kid looks again sooner, but a flood of forged kids cannot make every request read the folder.
const UNKNOWN_KID_RESCAN_MS = 1_000;

interface StoredKey {
  kid: string;
  alg: JwtAlgorithm;
  createdAt: number;
  /** Set when a newer key took over; the key stays published MAX_TOKEN_VALIDITY longer. */
  retiredAt?: number;
  /**
   * Once retired: the latest a token signed with this key can expire (retiredAt + MAX_TOKEN_VALIDITY then),
   * kept so that a lower MAX_TOKEN_VALIDITY after a restart does not unpublish it early. 0 while active.
   * (Earlier versions read this field as "last expiry seen" and must keep finding it.)
   */
  lastExpiry?: number;
  privateKeyPem: string;
}

interface LoadedKey extends StoredKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicJwk: JsonWebKey;
}

export interface JwtSignerOptions {
  directory: string;
  algorithm: JwtAlgorithm;
  rotationSeconds: number;
  maxTokenValiditySeconds: number;
}

/**
 * Signs access tokens with node:crypto. Keys are generated once into
 * DATA_DIR/jwt-keys (mode 0600), rotated after JWT_KEY_ROTATION, and a retired
 * key stays in the JWKS for MAX_TOKEN_VALIDITY after its retirement: no token
 * it signed can outlive that. (No process can know better: before a restart,
 * or on a replica sharing the folder, the same key signed tokens it never saw.)
 */
export class JwtSigner {
  private keys: LoadedKey[] = [];
  private active!: LoadedKey;
  private jwksCache?: { keys: JsonWebKey[] };

  private lastScan = 0;

  constructor(private readonly options: JwtSignerOptions) {
    mkdirSync(options.directory, { recursive: true, mode: 0o700 });
    this.scan(Date.now());
    this.active = this.currentKey(Date.now()) ?? this.rotate(Date.now());
  }

  /** Compact JWS of `claims` with the active key; the signature is computed off the request thread (signWith). */
  async sign(claims: Record<string, unknown> & { exp: number }): Promise<string> {
    const now = Date.now();
    if (this.due(this.active, now)) {
      // Replicas sharing DATA_DIR/jwt-keys: adopt a key another replica already rotated to.
      this.scan(now);
      this.active = this.currentKey(now) ?? this.rotate(now);
    }
    const key = this.active;
    const header = base64UrlJson({ alg: key.alg, typ: 'at+jwt', kid: key.kid });
    const input = `${header}.${base64UrlJson(claims)}`;
    return `${input}.${(await signWith(key.alg, key.privateKey, Buffer.from(input))).toString('base64url')}`;
  }

  /** The claims of a token signed by one of our published keys, or null. Does not check times. */
  verify(token: string): Record<string, unknown> | null {
    const parts = token.split('.');
    if (parts.length !== 3) return null;
    try {
      const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as { kid?: unknown; alg?: unknown };
      let key = this.keys.find((candidate) => candidate.kid === header.kid && candidate.alg === header.alg);
      if (!key && Date.now() - this.lastScan > UNKNOWN_KID_RESCAN_MS) {
        // Signed by another replica sharing the key folder after this one started.
        this.scan(Date.now());
        key = this.keys.find((candidate) => candidate.kid === header.kid && candidate.alg === header.alg);
      }
      if (!key) return null;
      const ok = verifyJws(key.alg, key.publicKey, Buffer.from(`${parts[0]}.${parts[1]}`), Buffer.from(parts[2], 'base64url'));
      return ok ? (JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }

  jwks(): { keys: JsonWebKey[] } {
    const now = Date.now();
    if (now - this.lastScan > RESCAN_MS) this.scan(now);
    this.prune(now);
    this.jwksCache ??= { keys: this.keys.map((key) => key.publicJwk) };
    return this.jwksCache;
  }

  /** Loads key files not known yet (written by this process earlier or by a replica sharing the folder). */
  private scan(now: number): void {
    this.lastScan = now;
    const known = new Set(this.keys.map((key) => key.kid));
    for (const file of readdirSync(this.options.directory).filter((name) => name.endsWith('.json'))) {
      if (known.has(file.slice(0, -'.json'.length))) continue;
      try {
        this.keys.push(load(JSON.parse(readFileSync(join(this.options.directory, file), 'utf8')) as StoredKey));
        this.jwksCache = undefined;
      } catch {
        // A half-written or unreadable key file cannot sign or verify anything; skip it.
      }
    }
    this.prune(now);
  }

  /** The newest unretired key of the configured algorithm that is not due for rotation. */
  private currentKey(now: number): LoadedKey | undefined {
    const current = this.keys
      .filter((key) => key.alg === this.options.algorithm && !key.retiredAt)
      .sort((a, b) => b.createdAt - a.createdAt)[0];
    return current && !this.due(current, now) ? current : undefined;
  }

  private due(key: LoadedKey, now: number): boolean {
    return now - key.createdAt >= this.options.rotationSeconds * 1000;
  }

  private rotate(now: number): LoadedKey {
    for (const key of this.keys) {
      if (key.retiredAt) continue;
      key.retiredAt = now;
      key.lastExpiry = now + this.options.maxTokenValiditySeconds * 1000;
      this.save(key);
    }
    const created = load({ kid: randomUUID(), alg: this.options.algorithm, createdAt: now, privateKeyPem: generate(this.options.algorithm) });
    this.save(created);
    this.keys.push(created);
    this.jwksCache = undefined;
    return created;
  }

  /** Drops retired keys whose tokens have all expired. */
  private prune(now: number): void {
    const keep: LoadedKey[] = [];
    for (const key of this.keys) {
      const keepUntil = key.retiredAt ? Math.max(key.lastExpiry ?? 0, key.retiredAt + this.options.maxTokenValiditySeconds * 1000) : Infinity;
      if (keepUntil > now) keep.push(key);
      else {
        const path = join(this.options.directory, `${key.kid}.json`);
        if (existsSync(path)) unlinkSync(path);
        this.jwksCache = undefined;
      }
    }
    this.keys = keep;
  }

  private save(key: LoadedKey): void {
    const stored: StoredKey = {
      kid: key.kid,
      alg: key.alg,
      createdAt: key.createdAt,
      retiredAt: key.retiredAt,
      lastExpiry: key.lastExpiry ?? 0,
      privateKeyPem: key.privateKeyPem,
    };
    writeSecretFile(join(this.options.directory, `${key.kid}.json`), JSON.stringify(stored));
  }
}

function load(stored: StoredKey): LoadedKey {
  const privateKey = createPrivateKey(stored.privateKeyPem);
  const publicKey = createPublicKey(privateKey);
  const publicJwk = { ...publicKey.export({ format: 'jwk' }), kid: stored.kid, alg: stored.alg, use: 'sig' };
  return { ...stored, privateKey, publicKey, publicJwk };
}

function generate(algorithm: JwtAlgorithm): string {
  const keyPair =
    algorithm === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : algorithm === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519');
  return keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** One per process, like libuv's thread pool; its thread starts with the first ES256 or EdDSA signature. */
const groupedSigner = new SigningWorker();

/**
 * The signature of `data`, computed off the request thread. An RSA signature
 * (~0.3 ms of CPU) goes to libuv's thread pool on its own: worth the trip,
 * and the pool's threads use both cores. ES256 and EdDSA signatures (~30-36
 * µs) go to one worker thread in groups (SigningWorker): alone, the trip cost
 * more than the signature. ES256 on two cores: machine CPU per token 406-428
 * µs through the pool against 340-343 inline; grouped, 1.44x and 1.51x the
 * peer against 1.26x and 1.34x inline (docs/performance.md).
 */
export function signWith(algorithm: JwtAlgorithm, key: KeyObject, data: Buffer): Promise<Buffer> {
  if (algorithm !== 'RS256') return groupedSigner.sign(algorithm, key, data);
  return new Promise((resolve, reject) => sign('sha256', data, key, (error, signature) => (error ? reject(error) : resolve(signature))));
}

function base64UrlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
