import { basicAuthorization, jwtAlgorithm, tokenResponsesFromMetrics, truncate } from './keymint-api';

describe('tokenResponsesFromMetrics', () => {
  it('sums POST 200s of both token paths and ignores other routes, methods and statuses', () => {
    const text = [
      '# HELP http_requests_total HTTP requests by route, method and status',
      '# TYPE http_requests_total counter',
      'http_requests_total{route="/token",method="POST",status="200"} 1200',
      'http_requests_total{route="/oauth2/token",method="POST",status="200"} 34',
      'http_requests_total{route="/token",method="POST",status="401"} 7',
      'http_requests_total{route="/oauth2/introspect",method="POST",status="200"} 99',
      'http_requests_total{route="/token",method="GET",status="200"} 5',
      'http_request_duration_seconds_count{route="/token",method="POST",status="200"} 1200',
    ].join('\n');
    expect(tokenResponsesFromMetrics(text)).toBe(1234);
  });

  it('is zero when the token endpoint has not answered yet', () => {
    expect(tokenResponsesFromMetrics('# TYPE http_requests_total counter\n')).toBe(0);
  });
});

describe('basicAuthorization', () => {
  it('form-urlencodes both parts before base64 (RFC 6749 Appendix B)', () => {
    const header = basicAuthorization('key id', 'p:ss+');
    expect(header.startsWith('Basic ')).toBe(true);
    expect(Buffer.from(header.slice(6), 'base64').toString()).toBe('key+id:p%3Ass%2B');
  });
});

describe('truncate', () => {
  it('flattens whitespace and cuts long bodies', () => {
    expect(truncate('a\n  b')).toBe('a b');
    expect(truncate('x'.repeat(10), 4)).toBe('xxxx…');
  });
});

describe('jwtAlgorithm', () => {
  const segment = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

  it("reads a JWT header's alg and gives null for opaque or malformed tokens", () => {
    expect(jwtAlgorithm(`${segment({ alg: 'ES256', typ: 'at+jwt' })}.${segment({ sub: 'x' })}.c2ln`)).toBe('ES256');
    expect(jwtAlgorithm('SQlfXyqJMKsYlALn40WFvN_JUb-YtV6iZfNctp-NE5x')).toBeNull();
    expect(jwtAlgorithm('not.a.jwt')).toBeNull();
    expect(jwtAlgorithm(`${segment({ typ: 'JWT' })}.e30.c2ln`)).toBeNull();
  });
});
