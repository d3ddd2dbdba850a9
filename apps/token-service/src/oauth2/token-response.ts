/** The RFC 6749 §5.1 response body of the token endpoint. */
export interface TokenResponse {
  access_token: string;
  refresh_token?: string;
  scope: string;
  token_type: 'Bearer';
  expires_in: number;
}
