import { ConfigError, loadConfig, serviceEnvShapes, tokenServiceEnvShape, withoutUrlCredentials } from './env';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(tokenServiceEnvShape, {});
    expect(config.TOKEN_SERVICE_HTTPS_PORT).toBe(8243);
    expect(config.TOKEN_SERVICE_HTTP_PORT).toBe(8280);
    expect(config.ISSUER).toBe('https://localhost:8243/oauth2/token');
    expect(config.JWT_ALG).toBe('RS256');
    expect(config.MAX_TOKEN_VALIDITY).toBe(31536000);
    expect(config.HTTP_ENABLED).toBe(true);
    expect(config.DB_URL).toBeUndefined();
  });

  it('names every bad variable and its value', () => {
    expect(() => loadConfig(tokenServiceEnvShape, { TOKEN_SERVICE_HTTP_PORT: 'eighty', JWT_ALG: 'HS256' })).toThrow(ConfigError);
    try {
      loadConfig(tokenServiceEnvShape, { TOKEN_SERVICE_HTTP_PORT: 'eighty', JWT_ALG: 'HS256' });
    } catch (error) {
      expect((error as Error).message).toContain('TOKEN_SERVICE_HTTP_PORT="eighty"');
      expect((error as Error).message).toContain('JWT_ALG="HS256"');
    }
  });

  it('caps MAX_TOKEN_VALIDITY at 100 years, so that every expiry fits the events (four-digit years)', () => {
    expect(loadConfig(tokenServiceEnvShape, { MAX_TOKEN_VALIDITY: '3155760000' }).MAX_TOKEN_VALIDITY).toBe(3155760000);
    expect(() => loadConfig(tokenServiceEnvShape, { MAX_TOKEN_VALIDITY: '3155760001' })).toThrow(/MAX_TOKEN_VALIDITY="3155760001".*100 years/);
  });

  it("takes pino's level names, and Nest's older ones for what they meant; tracing only with an http(s) endpoint", () => {
    const analytics = serviceEnvShapes.analytics;
    expect(loadConfig(analytics, {}).LOG_LEVEL).toBe('info');
    expect(loadConfig(analytics, { LOG_LEVEL: 'log' }).LOG_LEVEL).toBe('info');
    expect(loadConfig(analytics, { LOG_LEVEL: 'verbose' }).LOG_LEVEL).toBe('trace');
    expect(loadConfig(analytics, { LOG_LEVEL: 'warn' }).LOG_LEVEL).toBe('warn');
    expect(() => loadConfig(analytics, { LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL="loud"/);
    expect(loadConfig(analytics, {}).LOG_FORMAT).toBeUndefined();
    expect(() => loadConfig(analytics, { LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT="xml"/);
    expect(loadConfig(analytics, { OTEL_EXPORTER_OTLP_ENDPOINT: '' }).OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
    expect(loadConfig(analytics, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://collector:4318');
    expect(() => loadConfig(analytics, { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
  });

  it('never shows a secret in a start-up error: secret variables are hidden, URL credentials masked', () => {
    const error = (env: NodeJS.ProcessEnv) => {
      try {
        loadConfig(tokenServiceEnvShape, env);
      } catch (thrown) {
        return (thrown as Error).message;
      }
      throw new Error('the configuration was accepted');
    };
    const message = error({ DB_URL: 'mysql://keymint:s3cret-db@db/keymint', METRICS_TOKEN: 'short-but-secret', NATS_URL: '' });
    expect(message).toMatch(/DB_URL="mysql:\/\/\*\*\*@db\/keymint"/);
    expect(message).toMatch(/METRICS_TOKEN=\(hidden, 16 characters\)/);
    expect(message).not.toMatch(/s3cret-db|short-but-secret/);
  });

  it('masks a credential wherever a URL-like value may carry one, even where it is not a well-formed URL', () => {
    const shown = ['nats://u:pa/ss@h:4222', 'nats://u:p@ss@h', 'user:s3cret@db:5432/k', 'host=db user=k password=s3cret', 'postgres:/u:s3cret@db/k', 'jdbc:postgresql://db/k?user=u&password=s3cret']
      .map((value) => withoutUrlCredentials(value))
      .join(' ');
    expect(shown).not.toMatch(/s3cret|pa\/ss|p@ss|ss@h/);
    expect(withoutUrlCredentials('nats://alice:wonder@n1:4222,nats://n2:4222')).toBe('nats://***@n1:4222,nats://n2:4222');
    expect(withoutUrlCredentials('postgres://keymint@db:5432/keymint')).toBe('postgres://***@db:5432/keymint');
  });

  it('rejects a DB_URL that is not PostgreSQL and treats an empty one as unset', () => {
    expect(() => loadConfig(serviceEnvShapes.analytics, { DB_URL: 'mysql://x' })).toThrow(/DB_URL/);
    expect(loadConfig(serviceEnvShapes.analytics, { DB_URL: '' }).DB_URL).toBeUndefined();
    expect(loadConfig(serviceEnvShapes.analytics, { DB_URL: 'postgres://u@h/db' }).DB_URL).toBe('postgres://u@h/db');
  });

  it('serves the token service from one process unless TOKEN_WORKERS says more (1 to 64)', () => {
    expect(loadConfig(tokenServiceEnvShape, {}).TOKEN_WORKERS).toBe(1);
    expect(loadConfig(tokenServiceEnvShape, { TOKEN_WORKERS: '4' }).TOKEN_WORKERS).toBe(4);
    expect(() => loadConfig(tokenServiceEnvShape, { TOKEN_WORKERS: '0' })).toThrow(/TOKEN_WORKERS="0"/);
    expect(() => loadConfig(tokenServiceEnvShape, { TOKEN_WORKERS: '65' })).toThrow(/TOKEN_WORKERS="65"/);
  });

  it('gives a worker 180 s to start unless TOKEN_WORKER_START_TIMEOUT says otherwise (at least 1)', () => {
    expect(loadConfig(tokenServiceEnvShape, {}).TOKEN_WORKER_START_TIMEOUT).toBe(180);
    expect(loadConfig(tokenServiceEnvShape, { TOKEN_WORKER_START_TIMEOUT: '600' }).TOKEN_WORKER_START_TIMEOUT).toBe(600);
    expect(() => loadConfig(tokenServiceEnvShape, { TOKEN_WORKER_START_TIMEOUT: '0' })).toThrow(/TOKEN_WORKER_START_TIMEOUT="0"/);
  });

  it('keeps token events seven days unless told otherwise, never less than an hour, and 0 keeps them forever', () => {
    expect(loadConfig(serviceEnvShapes.analytics, {}).TOKEN_EVENT_RETENTION).toBe(604800);
    expect(loadConfig(serviceEnvShapes.analytics, { TOKEN_EVENT_RETENTION: '0' }).TOKEN_EVENT_RETENTION).toBe(0);
    expect(loadConfig(serviceEnvShapes['token-service'], { TOKEN_EVENT_RETENTION: '3600' }).TOKEN_EVENT_RETENTION).toBe(3600);
    expect(() => loadConfig(serviceEnvShapes.analytics, { TOKEN_EVENT_RETENTION: '60' })).toThrow(/TOKEN_EVENT_RETENTION="60".*at least 3600/);
    expect(() => loadConfig(serviceEnvShapes.analytics, { TOKEN_EVENT_RETENTION: '-1' })).toThrow(/TOKEN_EVENT_RETENTION/);
    // An empty value (a compose file's "${TOKEN_EVENT_RETENTION:-}") is the default, not "forever".
    expect(loadConfig(serviceEnvShapes.analytics, { TOKEN_EVENT_RETENTION: '' }).TOKEN_EVENT_RETENTION).toBe(604800);
  });

  it('trusts no proxy unless told which, and refuses what it cannot read as a proxy address', () => {
    expect(loadConfig(serviceEnvShapes.analytics, {}).TRUST_PROXY).toBe(false);
    expect(loadConfig(serviceEnvShapes.analytics, { TRUST_PROXY: 'false' }).TRUST_PROXY).toBe(false);
    expect(loadConfig(serviceEnvShapes.analytics, { TRUST_PROXY: '10.0.0.0/8, loopback,2001:db8::1' }).TRUST_PROXY).toEqual(['10.0.0.0/8', 'loopback', '2001:db8::1']);
    // "true" and hop counts would let whoever reaches the service directly pose as any address.
    expect(() => loadConfig(serviceEnvShapes.analytics, { TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY="true".*not understood: true/);
    expect(() => loadConfig(serviceEnvShapes.analytics, { TRUST_PROXY: '1' })).toThrow(/TRUST_PROXY/);
    expect(() => loadConfig(serviceEnvShapes.analytics, { TRUST_PROXY: '10.0.0.0/33' })).toThrow(/TRUST_PROXY/);
  });

  it('parses booleans strictly', () => {
    expect(loadConfig(serviceEnvShapes.analytics, { HTTP_ENABLED: 'false' }).HTTP_ENABLED).toBe(false);
    expect(() => loadConfig(serviceEnvShapes.analytics, { HTTP_ENABLED: 'nope' })).toThrow(/HTTP_ENABLED/);
  });
});
