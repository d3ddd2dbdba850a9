import { clusterKey, executionGroups, scenarioClusterKey, SCENARIOS } from './scenarios';

describe('scenarios', () => {
  it('covers the six scenarios of issue 6, renew with one event per message and the 1,000,000-token store; password and the store run have no peer', () => {
    expect(SCENARIOS.map((scenario) => scenario.id)).toEqual(['cc-opaque-renew', 'cc-opaque-renew-unpacked', 'cc-opaque-renew-private-key-jwt', 'cc-opaque-reuse', 'cc-jwt-rs256', 'cc-jwt-es256', 'cc-jwt-es256-dpop', 'password', 'introspection', 'cc-opaque-renew-1m']);
    expect(SCENARIOS.filter((scenario) => scenario.peer === null).map((scenario) => scenario.id)).toEqual(['cc-opaque-renew-private-key-jwt', 'cc-jwt-es256-dpop', 'password', 'cc-opaque-renew-1m']);
  });

  it('runs the 1,000,000-token store with the same env as cc-opaque-renew, on a cluster of its own', () => {
    const renew = SCENARIOS.find((scenario) => scenario.id === 'cc-opaque-renew')!;
    const stored = SCENARIOS.find((scenario) => scenario.id === 'cc-opaque-renew-1m')!;
    expect(stored.env).toEqual(renew.env);
    expect(stored.storedTokens).toBe(1_000_000);
    expect(scenarioClusterKey(stored)).not.toBe(scenarioClusterKey(renew));
  });

  it('runs renew with one event per message as cc-opaque-renew, with EVENTS_PER_MESSAGE=1, against the same peer', () => {
    const renew = SCENARIOS.find((scenario) => scenario.id === 'cc-opaque-renew')!;
    const unpacked = SCENARIOS.find((scenario) => scenario.id === 'cc-opaque-renew-unpacked')!;
    const { EVENTS_PER_MESSAGE, ...rest } = unpacked.env;
    expect(rest).toEqual(renew.env);
    expect('EVENTS_PER_MESSAGE' in renew.env).toBe(false);
    expect(EVENTS_PER_MESSAGE).toBe('1');
    expect(unpacked.peer).toEqual(renew.peer);
  });

  it('treats an absent JWT_ALG as RS256 when grouping clusters', () => {
    expect(clusterKey({})).toBe(clusterKey({ JWT_ALG: 'RS256' }));
    expect(clusterKey({})).not.toBe(clusterKey({ TOKEN_RENEW_PER_REQUEST: 'true' }));
  });

  it('starts one cluster per distinct env: renew (secret and private_key_jwt), renew unpacked, default (reuse, RS256, password, introspection), ES256 (with and without DPoP), then the stored-token one', () => {
    const groups = executionGroups(SCENARIOS).map((group) => group.map((scenario) => scenario.id));
    expect(groups).toEqual([['cc-opaque-renew', 'cc-opaque-renew-private-key-jwt'], ['cc-opaque-renew-unpacked'], ['cc-opaque-reuse', 'cc-jwt-rs256', 'password', 'introspection'], ['cc-jwt-es256', 'cc-jwt-es256-dpop'], ['cc-opaque-renew-1m']]);
  });
});
