import { connectionLimitProblem, poolSizeOf } from './token-service.module';

describe('TOKEN_WORKERS against PostgreSQL max_connections', () => {
  const defaults = { maxConnections: 100, superuserReserved: 3 };

  it('lets the pools fit what the server admits, and no more', () => {
    // Pools of 8 from 5 workers on: 12 x 8 = 96 fits in 100 - 3; 13 x 8 = 104 does not.
    expect(poolSizeOf({ TOKEN_WORKERS: 12 })).toBe(8);
    expect(connectionLimitProblem(12, defaults)).toBeUndefined();
    expect(connectionLimitProblem(13, defaults)).toBe(
      'TOKEN_WORKERS=13 would open up to 104 PostgreSQL connections (13 pools of 8), more than the server admits ' +
        "(max_connections 100 less 3 superuser_reserved_connections: 97), before the other services' pools. " +
        "Set TOKEN_WORKERS to 12 or less, or raise the server's max_connections.",
    );
    expect(connectionLimitProblem(64, { maxConnections: 1000, superuserReserved: 3 })).toBeUndefined();
  });

  it('says to raise max_connections when not even two workers fit', () => {
    expect(connectionLimitProblem(2, { maxConnections: 30, superuserReserved: 3 })).toMatch(/\. Raise the server's max_connections\.$/);
  });
});
