import { z } from 'zod/v4';
import { ClientRecord, GrantType, TokenConfirmation, TokenEndpointAuthMethod } from '@keymint/contracts';
import { TokenResponse } from '../oauth2/http-schemas';

/** What a grant gets: an already authenticated client and its parameters, read with its schema. */
export interface GrantContext<P> {
  client: ClientRecord;
  parameters: P;
  /** Source address, for per-user failure limits. */
  address: string;
  /** How the client proved itself: carried into the token's issued event. */
  clientAuthMethod: TokenEndpointAuthMethod;
  /** The RFC 7638 thumbprint of the key a verified DPoP proof showed the client holds; absent without a proof. */
  dpopJkt?: string;
}

/** What the request's proof binds new tokens to (`cnf`); undefined for bearer tokens. */
export function proofConfirmation(context: Pick<GrantContext<unknown>, 'dpopJkt'>): TokenConfirmation | undefined {
  return context.dpopJkt === undefined ? undefined : { jkt: context.dpopJkt };
}

/**
 * One grant type (fosite style): it declares its parameters (a schema of
 * oauth2/http-schemas.ts, which the OpenAPI document shows too), decides what
 * the token holds and how it is issued, and has it minted and written.
 * Registered in GRANT_HANDLERS, looked up by `grantType`.
 */
export interface GrantHandler<P = unknown> {
  readonly grantType: GrantType;
  readonly parameters: z.ZodType<P>;
  handle(context: GrantContext<P>): Promise<TokenResponse>;
}

export const GRANT_HANDLERS = Symbol('GRANT_HANDLERS');
