import { ClientRecord } from '@keymint/contracts';
import { OAuth2Error } from './oauth2-error';

/**
 * RFC 8707 resource indicators (docs/token-api.md, "Resource indicators"). The granted resources are the
 * token's audience (`aud`); no resource asked for: the consumer key is, as before resource indicators.
 * Resources are compared as exact strings with the ones the key lists (no normalisation), and kept each
 * once and sorted, like scopes, so that the same set is the same audience (and reuse key) in any order.
 */

/** The `resource` values of a request, each once, sorted; its schema (http-schemas.ts) has checked each is an absolute URI without fragment. */
export function requestedResources(resource: readonly string[] | undefined): string[] {
  return [...new Set(resource ?? [])].sort();
}

/**
 * The audience of a new grant (client_credentials, password): every requested resource must be one the key
 * lists, else invalid_target; none requested: undefined (the consumer key).
 */
export function grantResources(requested: string[], client: ClientRecord): string[] | undefined {
  if (requested.length === 0) return undefined;
  const refused = requested.find((resource) => !client.resources.includes(resource));
  if (refused !== undefined) throw OAuth2Error.invalidTarget(`This client may not ask for the resource '${refused}' (it is not among its key's resources).`);
  return requested;
}

/** A refresh's audiences: the new access token's, and the family's that its new refresh token keeps. */
export interface RefreshedResources {
  access: string[] | undefined;
  family: string[] | undefined;
}

/**
 * RFC 8707 §2.2 at the refresh_token grant. `familyResources`: what the refresh token was granted for
 * (undefined: no resource, the consumer key). The request may narrow them for the access token, never
 * widen them (invalid_target); without `resource` the access token gets all of them. As with scopes, the
 * family's resources are decided again from the key as it is now: one the key no longer lists is dropped,
 * from the access token and from the new refresh token alike; when none is left, invalid_target (never a
 * token for the consumer key instead, which the family was not granted).
 */
export function refreshResources(requested: string[], familyResources: string[] | undefined, client: ClientRecord): RefreshedResources {
  const widened = requested.find((resource) => !(familyResources ?? []).includes(resource));
  if (widened !== undefined) {
    throw OAuth2Error.invalidTarget(`The refresh token was not granted the resource '${widened}': a refresh may narrow the resources, never widen them.`);
  }
  if (familyResources === undefined) return { access: undefined, family: undefined };
  const family = familyResources.filter((resource) => client.resources.includes(resource));
  const access = requested.length > 0 ? requested.filter((resource) => family.includes(resource)) : family;
  if (access.length === 0) throw OAuth2Error.invalidTarget("None of the resources asked for is among the client's key's resources any more.");
  return { access, family };
}
