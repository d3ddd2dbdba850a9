import { parseArguments, USAGE, UsageError } from './args';
import { SCENARIOS } from './scenarios';

describe('parseArguments', () => {
  it('defaults to every scenario, 10 s measured, 3 s warm-up, 50 connections, 2 rounds, docs/benchmarks.md', () => {
    const options = parseArguments([]);
    expect(options).toEqual({
      help: false,
      durationSeconds: 10,
      warmupSeconds: 3,
      connections: 50,
      rounds: 2,
      scenarios: SCENARIOS.map((scenario) => scenario.id),
      external: undefined,
      postgresUrl: undefined,
      replicas: 1,
      tokenWorkers: 1,
      docsPath: 'docs/benchmarks.md',
    });
  });

  it('reads values given as "--flag value" and as "--flag=value"', () => {
    const options = parseArguments(['--duration', '2', '--warmup=0', '--connections', '10', '--rounds=3', '--out=tmp/b.md']);
    expect(options.durationSeconds).toBe(2);
    expect(options.rounds).toBe(3);
    expect(options.warmupSeconds).toBe(0);
    expect(options.connections).toBe(10);
    expect(options.docsPath).toBe('tmp/b.md');
  });

  it('keeps the table order of --scenarios whatever order they are typed in', () => {
    expect(parseArguments(['--scenarios', 'introspection, cc-opaque-renew']).scenarios).toEqual(['cc-opaque-renew', 'introspection']);
  });

  it('rejects unknown scenarios, flags, bad numbers and repeated flags with a usage error', () => {
    expect(() => parseArguments(['--scenarios', 'cc-opaque-renew,nope'])).toThrow(/unknown scenario\(s\) nope/);
    expect(() => parseArguments(['--scenarios', ','])).toThrow(UsageError);
    expect(() => parseArguments(['--fast'])).toThrow("unknown argument '--fast'");
    expect(() => parseArguments(['--duration', '0'])).toThrow('--duration must be at least 1');
    expect(() => parseArguments(['--rounds', '0'])).toThrow('--rounds must be at least 1');
    expect(() => parseArguments(['--duration', '1.5'])).toThrow(/whole number/);
    expect(() => parseArguments(['--duration'])).toThrow('--duration needs a value');
    expect(() => parseArguments(['--duration', '2', '--duration', '3'])).toThrow('--duration given twice');
  });

  it('takes a running cluster by URL only with registry URL and admin credentials', () => {
    const options = parseArguments([
      '--token-url',
      'http://127.0.0.1:8280/',
      '--registry-url',
      'http://127.0.0.1:9763',
      '--admin',
      'admin:pa:ss',
    ]);
    expect(options.external).toEqual({
      tokenUrl: 'http://127.0.0.1:8280',
      registryUrl: 'http://127.0.0.1:9763',
      analyticsUrl: undefined,
      admin: { username: 'admin', password: 'pa:ss' },
    });
    expect(() => parseArguments(['--token-url', 'http://127.0.0.1:8280'])).toThrow(/go together/);
    expect(() => parseArguments(['--token-url', 'http://x', '--registry-url', 'http://y', '--admin', 'nopassword'])).toThrow('--admin must be user:password');
    expect(() => parseArguments(['--token-url', 'ftp://x', '--registry-url', 'http://y', '--admin', 'a:b'])).toThrow('--token-url must be http(s)');
    expect(() => parseArguments(['--token-url', 'not a url', '--registry-url', 'http://y', '--admin', 'a:b'])).toThrow(/is not a URL/);
  });

  it('takes a PostgreSQL admin URL for started clusters only', () => {
    expect(parseArguments(['--postgres', 'postgres://postgres@127.0.0.1:5432/postgres']).postgresUrl).toBe('postgres://postgres@127.0.0.1:5432/postgres');
    expect(() => parseArguments(['--postgres', 'mysql://x'])).toThrow('--postgres must be a postgres:// URL');
    expect(() => parseArguments(['--postgres', 'postgres://x/y', '--token-url', 'http://x', '--registry-url', 'http://y', '--admin', 'a:b'])).toThrow(
      '--postgres applies to started clusters',
    );
  });

  it('writes a PostgreSQL run to its own report, and takes --replicas with --postgres only', () => {
    const postgres = ['--postgres', 'postgres://postgres@127.0.0.1:5432/postgres'];
    expect(parseArguments(postgres).docsPath).toBe('docs/benchmarks-postgres.md');
    expect(parseArguments([...postgres, '--out', 'x.md']).docsPath).toBe('x.md');
    expect(parseArguments([...postgres, '--replicas', '2']).replicas).toBe(2);
    expect(() => parseArguments(['--replicas', '2'])).toThrow('--replicas needs --postgres');
    expect(() => parseArguments([...postgres, '--replicas', '0'])).toThrow('--replicas must be at least 1');
  });

  it('takes --token-workers with --postgres only (the token service refuses several on SQLite)', () => {
    const postgres = ['--postgres', 'postgres://postgres@127.0.0.1:5432/postgres'];
    expect(parseArguments([...postgres, '--token-workers', '2']).tokenWorkers).toBe(2);
    expect(() => parseArguments(['--token-workers', '2'])).toThrow('--token-workers needs --postgres');
  });

  it('answers --help and --no-write, and documents every flag it accepts', () => {
    expect(parseArguments(['--help']).help).toBe(true);
    expect(parseArguments(['-h']).help).toBe(true);
    expect(parseArguments(['--no-write']).docsPath).toBeNull();
    for (const flag of ['--duration', '--warmup', '--connections', '--rounds', '--scenarios', '--token-url', '--registry-url', '--analytics-url', '--admin', '--postgres', '--replicas', '--out', '--no-write']) {
      expect(USAGE).toContain(flag);
    }
  });
});
