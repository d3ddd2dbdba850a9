import { ClientRecord, GrantType } from '@keymint/contracts';
import { OAuth2Parameters } from '../oauth2/request-parameters';
import { TokenResponse } from '../oauth2/token-response';

/** What a grant gets: an already authenticated client and the request's parameters. */
export interface GrantContext {
  client: ClientRecord;
  parameters: OAuth2Parameters;
  /** Source address, for per-user failure limits. */
  address: string;
}

/**
 * One grant type (fosite style): it reads its own parameters, decides what
 * the token holds and how it is issued, and has it minted and written.
 * Registered in GRANT_HANDLERS, looked up by `grantType`.
 */
export interface GrantHandler {
  readonly grantType: GrantType;
  handle(context: GrantContext): Promise<TokenResponse>;
}

export const GRANT_HANDLERS = Symbol('GRANT_HANDLERS');
