import { clusterKey, executionGroups, SCENARIOS } from './scenarios';

describe('scenarios', () => {
  it('covers the six scenarios of issue 6, only password without a peer', () => {
    expect(SCENARIOS.map((scenario) => scenario.id)).toEqual(['cc-opaque-renew', 'cc-opaque-reuse', 'cc-jwt-rs256', 'cc-jwt-es256', 'password', 'introspection']);
    expect(SCENARIOS.filter((scenario) => scenario.peer === null).map((scenario) => scenario.id)).toEqual(['password']);
  });

  it('treats an absent JWT_ALG as RS256 when grouping clusters', () => {
    expect(clusterKey({})).toBe(clusterKey({ JWT_ALG: 'RS256' }));
    expect(clusterKey({})).not.toBe(clusterKey({ TOKEN_RENEW_PER_REQUEST: 'true' }));
  });

  it('starts one cluster per distinct env: renew, default (reuse, RS256, password, introspection), ES256', () => {
    const groups = executionGroups(SCENARIOS).map((group) => group.map((scenario) => scenario.id));
    expect(groups).toEqual([['cc-opaque-renew'], ['cc-opaque-reuse', 'cc-jwt-rs256', 'password', 'introspection'], ['cc-jwt-es256']]);
  });
});
