import { metricNamesIn, parseExposition, sumOf } from './prometheus';

describe('metricNamesIn', () => {
  it.each<[string, string[]]>([
    ['sum by (grant_type) (rate(keymint_tokens_issued_total[$__rate_interval]))', ['keymint_tokens_issued_total']],
    ['histogram_quantile(0.99, sum by (service, le) (rate(http_request_duration_seconds_bucket[5m])))', ['http_request_duration_seconds_bucket']],
    [
      'sum(rate(keymint_client_cache_lookups_total{result="hit"}[1m])) / sum(rate(keymint_client_cache_lookups_total{result=~"hit|miss"}[1m]))',
      ['keymint_client_cache_lookups_total'],
    ],
    ['max by (service) (keymint_outbox_backlog) > bool 0 or on (service) process_resident_memory_bytes', ['keymint_outbox_backlog', 'process_resident_memory_bytes']],
    ['keymint_consumer_lag{consumer="analytics_TOKENS", service=~"a.*"} offset 5m', ['keymint_consumer_lag']],
    ['1e3 * rate(up[5m])', ['up']],
  ])('%s reads %p', (expression, names) => {
    expect(metricNamesIn(expression).sort()).toEqual(names.sort());
  });
});

describe('parseExposition', () => {
  it('reads names, labels (escapes included) and values, skipping comments', () => {
    const samples = parseExposition(
      [
        '# HELP x_total Things.',
        '# TYPE x_total counter',
        'x_total{reason="bad_secret",method="client_secret_basic"} 3',
        'x_total{reason="a \\"quoted\\" one",method="x"} 1',
        'up 1',
        '',
      ].join('\n'),
    );
    expect(samples).toEqual([
      { name: 'x_total', labels: { reason: 'bad_secret', method: 'client_secret_basic' }, value: 3 },
      { name: 'x_total', labels: { reason: 'a "quoted" one', method: 'x' }, value: 1 },
      { name: 'up', labels: {}, value: 1 },
    ]);
    expect(sumOf(samples, 'x_total')).toBe(4);
    expect(sumOf(samples, 'x_total', { reason: 'bad_secret' })).toBe(3);
  });
});
