import { randomBytes } from 'node:crypto';

/** 160 random bits, URL-safe: usable as `client_id` in a form body or Basic header without encoding. */
export function newConsumerKey(): string {
  return randomBytes(20).toString('base64url');
}

/** 256 random bits, stored with hashConsumerSecret (@keymint/contracts). */
export function newConsumerSecret(): string {
  return randomBytes(32).toString('base64url');
}
