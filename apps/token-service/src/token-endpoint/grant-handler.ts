import { z } from 'zod/v4';
import { ClientRecord, GrantType, TokenConfirmation, TokenEndpointAuthMethod } from '@keymint/contracts';
import type { RequestContext } from '@keymint/telemetry';
import { TokenResponse } from '../oauth2/http-schemas';
import { TokenRecord } from '../token-storage/token.entity';

/** What a grant gets: an already authenticated client and its parameters, read with its schema. */
export interface GrantContext<P> {
  client: ClientRecord;
  parameters: P;
  /** Source address, for per-user failure limits. */
  address: string;
  /** How the client proved itself: carried into the token's issued event. */
  clientAuthMethod: TokenEndpointAuthMethod;
  /**
   * What this request's tokens are bound to (RFC 7800 `cnf`; TokenEndpointService's `requestConfirmation`): the
   * client certificate it came with (RFC 8705 §3). Absent: bearer tokens. A grant sets it on its TokenRequest
   * before anything (the reuse key) is derived from that.
   */
  confirmation?: TokenConfirmation;
  /** The request's id and trace (its RPCs and events carry them); the registry's request for generate-token. */
  origin: RequestContext | undefined;
}

/** What a grant hands out: the answer, and the access token's row it describes (the token endpoint counts it). */
export interface IssuedToken {
  response: TokenResponse;
  access: TokenRecord;
  /** An earlier token handed out again (WSO2 reuse) rather than a new one. */
  reused: boolean;
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
  handle(context: GrantContext<P>): Promise<IssuedToken>;
}

export const GRANT_HANDLERS = Symbol('GRANT_HANDLERS');
