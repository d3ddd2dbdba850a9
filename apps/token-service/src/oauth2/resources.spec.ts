import { parseFormBody } from '@keymint/http-kit';
import { ClientRecord } from '@keymint/contracts';
import { ClientCredentialsRequestSchema, RefreshTokenRequestSchema } from './http-schemas';
import { OAuth2Error } from './oauth2-error';
import { parseParameters, readParameters } from './request-parameters';
import { grantResources, refreshResources, requestedResources } from './resources';

const ORDERS = 'https://api.example.com/orders';
const BILLING = 'urn:example:billing';
const client = { resources: [ORDERS, BILLING] } as ClientRecord;

/** The error a call throws: `code: description`. */
function refusal(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return error instanceof OAuth2Error ? `${error.code}: ${error.description}` : String(error);
  }
  return undefined;
}

const readForm = (form: string) => readParameters(ClientCredentialsRequestSchema, parseParameters(parseFormBody(form))).resource;

describe('resource indicators (RFC 8707)', () => {
  it('reads resource given once, repeated, or as a JSON array', () => {
    expect(readForm(`grant_type=client_credentials&resource=${encodeURIComponent(ORDERS)}`)).toEqual([ORDERS]);
    expect(readForm(`grant_type=client_credentials&resource=${encodeURIComponent(ORDERS)}&resource=${BILLING}`)).toEqual([ORDERS, BILLING]);
    expect(readForm('grant_type=client_credentials')).toBeUndefined();
    expect(readParameters(ClientCredentialsRequestSchema, parseParameters({ grant_type: 'client_credentials', resource: [ORDERS, BILLING] })).resource).toEqual([
      ORDERS,
      BILLING,
    ]);
  });

  it('refuses other parameters given twice, and a resource that is not a string', () => {
    expect(refusal(() => parseParameters(parseFormBody('grant_type=client_credentials&scope=a&scope=b')))).toBe(
      'invalid_request: Parameter "scope" is included more than once.',
    );
    expect(refusal(() => parseParameters({ grant_type: 'client_credentials', resource: [ORDERS, 1] }))).toMatch(/^invalid_request: /);
    expect(refusal(() => parseParameters({ grant_type: 'client_credentials', resource: { uri: ORDERS } }))).toMatch(/^invalid_request: /);
  });

  it.each([
    ['a relative URI', '/orders', "invalid_target: resource '/orders' is not an absolute URI"],
    ['a host alone', 'api.example.com', "invalid_target: resource 'api.example.com' is not an absolute URI"],
    ['a fragment', `${ORDERS}#v2`, `invalid_target: resource '${ORDERS}#v2' has a fragment`],
    ['an empty value', '', 'invalid_target: resource must not be empty'],
    ['a space', 'https://api.example.com/a b', 'invalid_target: resource \'https://api.example.com/a b\' is not an absolute URI'],
    ['a quote', 'https://api.example.com/"x"', "invalid_target: resource 'https://api.example.com/?x?' is not an absolute URI"],
    ['an over-long URI', `${ORDERS}/${'a'.repeat(2000)}`, 'is longer than 2000 characters'],
  ])('refuses %s with invalid_target, saying why', (_name, value, expected) => {
    expect(refusal(() => readForm(`grant_type=client_credentials&resource=${encodeURIComponent(ORDERS)}&resource=${encodeURIComponent(value)}`))).toContain(expected);
  });

  it('keeps each resource once, sorted', () => {
    expect(requestedResources([ORDERS, BILLING, ORDERS])).toEqual([ORDERS, BILLING].sort());
    expect(requestedResources(undefined)).toEqual([]);
  });

  it("grants only the key's resources, compared as exact strings", () => {
    expect(grantResources([], client)).toBeUndefined();
    expect(grantResources([BILLING, ORDERS], client)).toEqual([BILLING, ORDERS]);
    for (const other of ['https://api.example.com/orders/', 'HTTPS://api.example.com/orders', 'https://api.example.com:443/orders', 'https://attacker.example/']) {
      expect(refusal(() => grantResources([ORDERS, other], client))).toBe(
        `invalid_target: This client may not ask for the resource '${other}' (it is not among its key's resources).`,
      );
    }
  });

  describe('at refresh', () => {
    it("gives the family's resources without resource, narrows with it, never widens", () => {
      expect(refreshResources([], [BILLING, ORDERS], client)).toEqual({ access: [BILLING, ORDERS], family: [BILLING, ORDERS] });
      expect(refreshResources([ORDERS], [BILLING, ORDERS], client)).toEqual({ access: [ORDERS], family: [BILLING, ORDERS] });
      expect(refusal(() => refreshResources([ORDERS], [BILLING], client))).toMatch(/^invalid_target: The refresh token was not granted the resource/);
      // A family granted for the consumer key has no resource to narrow to.
      expect(refreshResources([], undefined, client)).toEqual({ access: undefined, family: undefined });
      expect(refusal(() => refreshResources([ORDERS], undefined, client))).toMatch(/^invalid_target: /);
    });

    it('drops what the key no longer lists, from the family too; nothing left is invalid_target', () => {
      const now = { resources: [ORDERS] } as ClientRecord;
      expect(refreshResources([], [BILLING, ORDERS], now)).toEqual({ access: [ORDERS], family: [ORDERS] });
      expect(refreshResources([BILLING, ORDERS], [BILLING, ORDERS], now)).toEqual({ access: [ORDERS], family: [ORDERS] });
      expect(refusal(() => refreshResources([BILLING], [BILLING, ORDERS], now))).toMatch(/^invalid_target: None of the resources/);
      expect(refusal(() => refreshResources([], [BILLING], now))).toMatch(/^invalid_target: None of the resources/);
    });

    it('reads resource on a refresh request', () => {
      expect(readParameters(RefreshTokenRequestSchema, parseParameters({ grant_type: 'refresh_token', refresh_token: 'r', resource: ORDERS })).resource).toEqual([ORDERS]);
    });
  });
});
