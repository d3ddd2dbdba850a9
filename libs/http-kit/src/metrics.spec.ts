import { register } from 'prom-client';
import { HotCounter } from './metrics';

describe('HotCounter', () => {
  const counter = new HotCounter({ name: 'test_answers_total', help: 'Answers in a test', labels: { kind: ['a', 'b'], outcome: ['ok', 'refused'] } });
  const series = async () => (await register.getSingleMetric('test_answers_total')!.get()).values.map(({ labels, value }) => ({ labels, value }));

  it('exposes every combination of its label values at 0 before any increment', async () => {
    expect(await series()).toEqual([
      { labels: { kind: 'a', outcome: 'ok' }, value: 0 },
      { labels: { kind: 'a', outcome: 'refused' }, value: 0 },
      { labels: { kind: 'b', outcome: 'ok' }, value: 0 },
      { labels: { kind: 'b', outcome: 'refused' }, value: 0 },
    ]);
  });

  it('adds what its series counted at every scrape, as a Prometheus counter', async () => {
    const bound = counter.labels({ kind: 'b', outcome: 'refused' });
    bound.inc();
    bound.inc();
    counter.labels({ outcome: 'ok', kind: 'a' }).inc();
    expect(await series()).toEqual(
      expect.arrayContaining([
        { labels: { kind: 'a', outcome: 'ok' }, value: 1 },
        { labels: { kind: 'b', outcome: 'refused' }, value: 2 },
      ]),
    );
    bound.inc();
    expect(await register.metrics()).toContain('test_answers_total{kind="b",outcome="refused"} 3');
  });

  it('refuses a label value outside its lists (an unbounded value would be a series per value)', () => {
    expect(() => counter.labels({ kind: 'some-client-id', outcome: 'ok' })).toThrow(/outside the counter's lists/);
  });
});
