import { cpuPerAnswerUs, parseProcStat } from './machine-cpu';

describe('parseProcStat', () => {
  it('counts user, nice, system, irq and softirq ticks as busy, not idle, iowait or steal', () => {
    // user nice system idle iowait irq softirq steal guest guest_nice
    const text = 'cpu  1000 20 300 5000 40 5 75 9 0 0\ncpu0 500 10 150 2500 20 2 37 4 0 0\n';
    expect(parseProcStat(text)).toEqual({ busyMs: (1000 + 20 + 300 + 5 + 75) * 10 });
  });

  it('gives null for text that is not /proc/stat', () => {
    expect(parseProcStat('')).toBeNull();
    expect(parseProcStat('cpu  1 2 three 4 5 6 7 8\n')).toBeNull();
    expect(parseProcStat('intr 1 2 3\n')).toBeNull();
  });
});

describe('cpuPerAnswerUs', () => {
  it('divides the busy time between two readings by the answers, in µs', () => {
    expect(cpuPerAnswerUs({ busyMs: 1000 }, { busyMs: 3000 }, 10000)).toBe(200);
  });

  it('gives null without both readings or without answers', () => {
    expect(cpuPerAnswerUs(null, { busyMs: 1 }, 10)).toBeNull();
    expect(cpuPerAnswerUs({ busyMs: 1 }, null, 10)).toBeNull();
    expect(cpuPerAnswerUs({ busyMs: 1 }, { busyMs: 2 }, 0)).toBeNull();
  });
});
