import { readFileSync } from 'node:fs';

/** The machine's CPU time so far, in ms summed over all cores (Linux `/proc/stat`); null elsewhere. */
export interface MachineCpu {
  busyMs: number;
}

/** `/proc/stat`'s first line counts clock ticks per state: user nice system idle iowait irq softirq steal... */
export function parseProcStat(text: string, ticksPerSecond = 100): MachineCpu | null {
  const line = text.split('\n', 1)[0];
  if (!line.startsWith('cpu ')) return null;
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (ticks.length < 8 || ticks.some((value) => !Number.isFinite(value))) return null;
  // Idle and I/O wait are not work; steal (the 8th) is time the hypervisor gave another guest, not ours either.
  const [user, nice, system, , , irq, softirq] = ticks;
  return { busyMs: ((user + nice + system + irq + softirq) * 1000) / ticksPerSecond };
}

export function readMachineCpu(): MachineCpu | null {
  try {
    return parseProcStat(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return null;
  }
}

/** Machine CPU per answer between two readings, in µs; null when either reading or the answers are missing. */
export function cpuPerAnswerUs(before: MachineCpu | null, after: MachineCpu | null, answers: number): number | null {
  if (!before || !after || answers <= 0) return null;
  return ((after.busyMs - before.busyMs) * 1000) / answers;
}
