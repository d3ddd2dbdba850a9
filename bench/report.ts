/** Pure formatting of benchmark results: the stdout table, docs/benchmarks.md and the SVG chart. */
import { SCENARIOS } from './scenarios';

export interface LoadSummary {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Responses with status 200. */
  ok: number;
  /** Responses with any status other than 2xx. */
  non2xx: number;
  /** Connection errors and timeouts (no response at all). */
  errors: number;
  /** Epoch ms of the last answer (analytics lag is measured from here). */
  lastResponseAt: number;
  /** Status code -> count, for the problems list. */
  statusCounts: Record<string, number>;
  /**
   * CPU time of the whole machine (every process: load generator, services, nats-server) during the run,
   * per answer, in µs; null where /proc/stat cannot be read. Less at the mercy of a noisy machine than req/s.
   */
  machineCpuUsPerAnswer?: number | null;
  /** req/s of each measured round, in the order run, when this summary combines several (combineRounds). */
  roundRates?: number[];
}

export interface AnalyticsCheck {
  /** Last response to the count matching, ms; null when it never matched. */
  lagMs: number | null;
  expected: number;
  counted: number;
  exact: boolean;
}

export interface ScenarioResult {
  id: string;
  title: string;
  keymint: LoadSummary | null;
  /** Why keymint has no numbers (setup or probe failed). */
  keymintFailure?: string;
  /** null with peerFailure unset: the scenario has no peer equivalent. */
  peer: LoadSummary | null;
  peerFailure?: string;
  /** null: not applicable (no tokens counted, or no analytics URL). */
  analytics: AnalyticsCheck | null;
  /** The token service's resident memory (VmRSS, MiB) when its cluster stopped after this scenario's group. */
  tokenServiceRssMiB?: number;
  /**
   * A scenario that preloads the store: the same workload on a second cluster of the same env whose
   * store stays empty, measured in turns with the full one (full, empty, empty, full), not with another
   * scenario's cluster minutes away: on this machine the rate drifts by ±20% within minutes.
   */
  emptyStore?: LoadSummary;
  /** --replicas N: the same workload with N token-service replicas, connections dealt round robin over them. */
  replicas?: { count: number; summary: LoadSummary; analytics: AnalyticsCheck | null };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * One side's measured rounds of a scenario as one summary: the median req/s, p50 and machine CPU per
 * answer (a round disturbed by the machine does not decide the figure), the worst p99, and every
 * error and status counted.
 */
export function combineRounds(rounds: readonly LoadSummary[]): LoadSummary {
  if (rounds.length === 0) throw new Error('combineRounds needs at least one round');
  const statusCounts: Record<string, number> = {};
  for (const round of rounds) {
    for (const [code, count] of Object.entries(round.statusCounts)) statusCounts[code] = (statusCounts[code] ?? 0) + count;
  }
  const cpu = rounds.map((round) => round.machineCpuUsPerAnswer).filter((value): value is number => typeof value === 'number');
  const sum = (pick: (round: LoadSummary) => number) => rounds.reduce((total, round) => total + pick(round), 0);
  return {
    requestsPerSecond: median(rounds.map((round) => round.requestsPerSecond)),
    p50Ms: median(rounds.map((round) => round.p50Ms)),
    p99Ms: Math.max(...rounds.map((round) => round.p99Ms)),
    ok: sum((round) => round.ok),
    non2xx: sum((round) => round.non2xx),
    errors: sum((round) => round.errors),
    lastResponseAt: Math.max(...rounds.map((round) => round.lastResponseAt)),
    statusCounts,
    machineCpuUsPerAnswer: cpu.length > 0 ? median(cpu) : null,
    roundRates: rounds.map((round) => round.requestsPerSecond),
  };
}

/** The analytics checks after each of a scenario's keymint rounds: the longest lag, exact only if every round was. */
export function combineChecks(checks: readonly AnalyticsCheck[]): AnalyticsCheck | null {
  if (checks.length === 0) return null;
  const shown = checks.find((check) => !check.exact) ?? checks[checks.length - 1];
  const unmatched = checks.some((check) => check.lagMs === null);
  return {
    lagMs: unmatched ? null : Math.max(...checks.map((check) => check.lagMs as number)),
    expected: shown.expected,
    counted: shown.counted,
    exact: checks.every((check) => check.exact),
  };
}

export interface MachineInfo {
  cpuModel: string;
  cpuCount: number;
  memoryGiB: number;
  nodeVersion: string;
  os: string;
}

export const TABLE_HEADERS = [
  'scenario',
  'keymint req/s',
  'p50 ms',
  'p99 ms',
  'errors/non-2xx',
  'peer req/s',
  'peer p50/p99 ms',
  'keymint/peer',
  'machine CPU µs/answer keymint/peer',
  'analytics lag',
  'count exact?',
] as const;

export function tableRows(results: readonly ScenarioResult[]): string[][] {
  return results.map((result) => {
    const keymint = result.keymint;
    const peer = result.peer;
    return [
      result.id,
      keymint ? formatRate(keymint.requestsPerSecond) : 'failed',
      keymint ? formatMs(keymint.p50Ms) : '-',
      keymint ? formatMs(keymint.p99Ms) : '-',
      keymint ? `${keymint.errors}/${keymint.non2xx}` : '-',
      peer ? formatRate(peer.requestsPerSecond) : result.peerFailure ? 'failed' : '-',
      peer ? `${formatMs(peer.p50Ms)}/${formatMs(peer.p99Ms)}` : '-',
      keymint && peer && peer.requestsPerSecond > 0 ? `${(keymint.requestsPerSecond / peer.requestsPerSecond).toFixed(2)}x` : '-',
      `${formatCpu(keymint)}/${formatCpu(peer)}`,
      formatLag(result.analytics),
      formatExact(result.analytics),
    ];
  });
}

function formatCpu(summary: LoadSummary | null | undefined): string {
  const us = summary?.machineCpuUsPerAnswer;
  return typeof us === 'number' ? Math.round(us).toLocaleString('en-US') : '-';
}

/** A plain-text table with aligned columns for the terminal. */
export function formatTextTable(results: readonly ScenarioResult[]): string {
  const rows = [Array.from(TABLE_HEADERS), ...tableRows(results)];
  const widths = TABLE_HEADERS.map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const line = (row: string[]) =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])))
      .join('  ')
      .trimEnd();
  const separator = widths.map((width) => '-'.repeat(width)).join('  ');
  return [line(rows[0]), separator, ...rows.slice(1).map(line)].join('\n');
}

const REPLICA_HEADERS = ['scenario', 'token replicas', 'req/s, 1 replica', 'req/s, n replicas', 'n/1', 'p99 ms, 1/n', 'machine CPU µs/answer, 1/n', 'count exact?'] as const;

/** --replicas: each scenario's req/s with one token service and with n, side by side. */
export function replicaRows(results: readonly ScenarioResult[]): string[][] {
  return results.flatMap((result) => {
    const scaled = result.replicas;
    const single = result.keymint;
    if (!scaled || !single) return [];
    return [
      [
        result.id,
        String(scaled.count),
        formatRate(single.requestsPerSecond),
        formatRate(scaled.summary.requestsPerSecond),
        single.requestsPerSecond > 0 ? `${(scaled.summary.requestsPerSecond / single.requestsPerSecond).toFixed(2)}x` : '-',
        `${formatMs(single.p99Ms)}/${formatMs(scaled.summary.p99Ms)}`,
        `${formatCpu(single)}/${formatCpu(scaled.summary)}`,
        formatExact(scaled.analytics),
      ],
    ];
  });
}

/** The --replicas table for the terminal, or '' when there is none. */
export function formatReplicaTextTable(results: readonly ScenarioResult[]): string {
  const rows = replicaRows(results);
  if (rows.length === 0) return '';
  const all = [Array.from(REPLICA_HEADERS), ...rows];
  const widths = REPLICA_HEADERS.map((_, column) => Math.max(...all.map((row) => row[column].length)));
  const line = (row: string[]) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ').trimEnd();
  return [line(all[0]), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

function replicaSection(results: readonly ScenarioResult[]): string[] {
  const rows = replicaRows(results);
  if (rows.length === 0) return [];
  return [
    '## Token-service replicas',
    '',
    `| ${REPLICA_HEADERS.join(' | ')} |`,
    `| ${REPLICA_HEADERS.map((_, column) => (column === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    "After each scenario's own rounds (one token service, the table above), n-1 more token-service processes join the same cluster " +
      '(same database, NATS and signing keys) and the workload runs again, with the same warm-up and rounds, its connections dealt round robin ' +
      'over the n (each replica gets its share of the connections, as a client pool does over a list of addresses). count exact?: analytics ' +
      'counted exactly the 200s of all n. Every process shares this machine, so n replicas cannot add cores: what to look for here is that ' +
      'throughput does not fall and counts stay exact (docs/performance.md says what a larger machine should show).',
    '',
  ];
}

export function formatMarkdownTable(results: readonly ScenarioResult[]): string {
  const escape = (cell: string) => cell.replace(/\|/g, '\\|');
  const header = `| ${TABLE_HEADERS.join(' | ')} |`;
  const alignment = `| ${TABLE_HEADERS.map((_, column) => (column === 0 ? '---' : '---:')).join(' | ')} |`;
  const body = tableRows(results).map((row) => `| ${row.map(escape).join(' | ')} |`);
  return [header, alignment, ...body].join('\n');
}

/** Horizontal grouped bars, keymint vs peer req/s per scenario, as a self-contained SVG. */
export function renderSvgChart(results: readonly ScenarioResult[], title = 'keymint vs oidc-provider 9: requests/s per scenario (higher is better)'): string {
  const labelWidth = 230;
  const chartWidth = 520;
  const rightMargin = 90;
  const barHeight = 14;
  const groupGap = 14;
  const top = 56;
  const groupHeight = barHeight * 2 + 4;
  const height = top + results.length * (groupHeight + groupGap) + 30;
  const width = labelWidth + chartWidth + rightMargin;
  const rates = results.flatMap((result) => [result.keymint?.requestsPerSecond ?? 0, result.peer?.requestsPerSecond ?? 0]);
  const scaleMax = niceCeiling(Math.max(1, ...rates));
  const x = (value: number) => labelWidth + (value / scaleMax) * chartWidth;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  parts.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`);
  parts.push(`<rect x="${labelWidth}" y="30" width="12" height="12" fill="#2f6fde"/>`);
  parts.push(`<text x="${labelWidth + 18}" y="40">keymint</text>`);
  parts.push(`<rect x="${labelWidth + 90}" y="30" width="12" height="12" fill="#a0a0a0"/>`);
  parts.push(`<text x="${labelWidth + 108}" y="40">oidc-provider 9</text>`);
  const axisBottom = height - 24;
  for (let step = 0; step <= 4; step++) {
    const value = (scaleMax / 4) * step;
    const gridX = x(value).toFixed(1);
    parts.push(`<line x1="${gridX}" y1="${top - 6}" x2="${gridX}" y2="${axisBottom}" stroke="#e2e2e2"/>`);
    parts.push(`<text x="${gridX}" y="${axisBottom + 14}" text-anchor="middle" fill="#555">${escapeXml(formatRate(value))}</text>`);
  }
  results.forEach((result, index) => {
    const groupTop = top + index * (groupHeight + groupGap);
    parts.push(`<text x="${labelWidth - 8}" y="${groupTop + groupHeight / 2 + 4}" text-anchor="end">${escapeXml(result.id)}</text>`);
    const bars: Array<{ value: number | null; color: string; offset: number }> = [
      { value: result.keymint?.requestsPerSecond ?? null, color: '#2f6fde', offset: 0 },
      { value: result.peer?.requestsPerSecond ?? null, color: '#a0a0a0', offset: barHeight + 4 },
    ];
    for (const bar of bars) {
      const barTop = groupTop + bar.offset;
      if (bar.value === null) {
        parts.push(`<text x="${labelWidth + 4}" y="${barTop + barHeight - 3}" fill="#777">-</text>`);
        continue;
      }
      const barWidth = Math.max(1, x(bar.value) - labelWidth).toFixed(1);
      parts.push(`<rect x="${labelWidth}" y="${barTop}" width="${barWidth}" height="${barHeight}" fill="${bar.color}"/>`);
      parts.push(`<text x="${(x(bar.value) + 4).toFixed(1)}" y="${barTop + barHeight - 3}">${escapeXml(formatRate(bar.value))}</text>`);
    }
  });
  parts.push(`<line x1="${labelWidth}" y1="${top - 6}" x2="${labelWidth}" y2="${axisBottom}" stroke="#333"/>`);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/** One of issue 6's targets, checked against this run's numbers. */
export interface TargetCheck {
  target: string;
  /** null: this run has no numbers for it. */
  met: boolean | null;
  measured: string;
}

/** `variant`: the same workload under a non-default setting, shown beside the default's figure but not judged. */
const ratioTargets: Array<{ id: string; minimum: number; target: string; variant?: string }> = [
  { id: 'cc-opaque-renew', minimum: 1.5, target: 'new opaque token per request: at least 1.5x the peer', variant: 'cc-opaque-renew-unpacked' },
  { id: 'cc-jwt-es256', minimum: 1.5, target: 'ES256 JWT: at least 1.5x the peer' },
  { id: 'cc-jwt-rs256', minimum: 1, target: "RS256 JWT: at least the peer's rate" },
];

/** Issue 6's throughput, latency, analytics and size targets. */
export function checkTargets(results: readonly ScenarioResult[]): TargetCheck[] {
  const byId = new Map(results.map((result) => [result.id, result]));
  const ratio = (id: string) => {
    const result = byId.get(id);
    if (!result?.keymint || !result.peer || result.peer.requestsPerSecond <= 0) return null;
    return result.keymint.requestsPerSecond / result.peer.requestsPerSecond;
  };
  const checks: TargetCheck[] = ratioTargets.map(({ id, minimum, target, variant }) => {
    const measured = ratio(id);
    const variantRatio = variant ? ratio(variant) : null;
    const besides = variantRatio === null ? '' : ` (${variant}: ${variantRatio.toFixed(2)}x)`;
    if (measured === null) return { target, met: null, measured: `not measured${besides}` };
    return { target, met: measured >= minimum, measured: `${measured.toFixed(2)}x${besides}` };
  });
  // A variant (a non-default setting) is shown, not judged: the targets are about what keymint does as shipped.
  const variants = new Set(ratioTargets.map((target) => target.variant));
  const judged = results.filter((result) => !variants.has(result.id));
  // Nor is the latency of a workload whose load generator signs every request (an assertion, a DPoP proof): part of it is the generator's.
  const signedByLoadGenerator = new Set<string>(SCENARIOS.filter((scenario) => scenario.clientAuthentication || scenario.dpop).map((scenario) => scenario.id));
  const clientCredentials = judged.filter((result) => result.id.startsWith('cc-') && result.keymint && !signedByLoadGenerator.has(result.id));
  checks.push(
    clientCredentials.length === 0
      ? { target: 'p99 under 15 ms in every client-credentials scenario', met: null, measured: 'not measured' }
      : {
          target: 'p99 under 15 ms in every client-credentials scenario',
          met: clientCredentials.every((result) => result.keymint!.p99Ms < 15),
          measured: clientCredentials.map((result) => `${result.id} ${formatMs(result.keymint!.p99Ms)} ms`).join(', '),
        },
  );
  const counted = judged.filter((result) => result.analytics);
  checks.push(
    counted.length === 0
      ? { target: 'analytics lag under 1 s, counts exact', met: null, measured: 'not measured' }
      : {
          target: 'analytics lag under 1 s, counts exact',
          met: counted.every((result) => result.analytics!.exact && result.analytics!.lagMs !== null && result.analytics!.lagMs < 1000),
          measured: counted.map((result) => `${result.id} ${formatLag(result.analytics)} ${result.analytics!.exact ? 'exact' : 'NOT exact'}`).join(', '),
        },
  );
  checks.push(...sizeTargets(byId));
  return checks;
}

const RSS_LIMIT_BYTES = 300 * 1000 * 1000;

/** "Flat with size": cc-opaque-renew-1m against the same cluster before its preload, and the token service's RSS after it. */
function sizeTargets(byId: Map<string, ScenarioResult>): TargetCheck[] {
  const stored = byId.get('cc-opaque-renew-1m');
  const empty = stored?.emptyStore;
  const flat = 'flat with size: with 1,000,000 tokens stored, within 10% of an empty store (cc-opaque-renew-1m, against a cluster whose store stays empty, in turns)';
  const memory = 'token-service RSS under 300 MB with 1,000,000 tokens stored (after cc-opaque-renew-1m)';
  const checks: TargetCheck[] = [];
  if (!empty || !stored?.keymint || empty.requestsPerSecond <= 0) checks.push({ target: flat, met: null, measured: 'not measured' });
  else {
    const ratio = stored.keymint.requestsPerSecond / empty.requestsPerSecond;
    checks.push({
      target: flat,
      met: ratio >= 0.9,
      measured: `${formatRate(stored.keymint.requestsPerSecond)} req/s stored vs ${formatRate(empty.requestsPerSecond)} empty (${ratio.toFixed(2)}x)`,
    });
  }
  const rss = stored?.keymint ? stored.tokenServiceRssMiB : undefined;
  if (rss === undefined) checks.push({ target: memory, met: null, measured: 'not measured' });
  else checks.push({ target: memory, met: rss * 1024 * 1024 < RSS_LIMIT_BYTES, measured: `${rss} MiB (${Math.round((rss * 1024 * 1024) / 1e6)} MB)` });
  return checks;
}

export interface ReportInput {
  results: readonly ScenarioResult[];
  machine: MachineInfo;
  /** The exact command line that produced the numbers. */
  command: string;
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  /** Measured runs per side and scenario. */
  rounds: number;
  startedAt: Date;
  /** Where the cluster came from: 'started by the benchmark (SQLite)' etc. */
  target: string;
  svgFileName: string;
  problems: readonly string[];
  /** Observations that are not failures (memory, env caveats). */
  notes: readonly string[];
  /** The store of the started clusters: a PostgreSQL run has a report of its own, with issue 24's targets. */
  store: 'SQLite' | 'PostgreSQL';
}

/** Issue 24's targets, for a run on PostgreSQL: renew, reuse and ES256 at 1.5x the peer, renew's p99 under 20 ms. */
export function checkPostgresTargets(results: readonly ScenarioResult[]): TargetCheck[] {
  const byId = new Map(results.map((result) => [result.id, result]));
  const ratio = (id: string) => {
    const result = byId.get(id);
    return result?.keymint && result.peer && result.peer.requestsPerSecond > 0 ? result.keymint.requestsPerSecond / result.peer.requestsPerSecond : null;
  };
  const checks: TargetCheck[] = [
    { id: 'cc-opaque-renew', target: 'new opaque token per request: at least 1.5x the peer' },
    { id: 'cc-opaque-reuse', target: 'opaque token reuse: at least 1.5x the peer' },
    { id: 'cc-jwt-es256', target: 'ES256 JWT: at least 1.5x the peer' },
  ].map(({ id, target }) => {
    const measured = ratio(id);
    return measured === null ? { target, met: null, measured: 'not measured' } : { target, met: measured >= 1.5, measured: `${measured.toFixed(2)}x` };
  });
  const renew = byId.get('cc-opaque-renew')?.keymint;
  checks.push(
    renew
      ? { target: 'new opaque token per request: p99 under 20 ms', met: renew.p99Ms < 20, measured: `${formatMs(renew.p99Ms)} ms` }
      : { target: 'new opaque token per request: p99 under 20 ms', met: null, measured: 'not measured' },
  );
  return checks;
}

export function renderMarkdownReport(input: ReportInput): string {
  const { machine } = input;
  const postgres = input.store === 'PostgreSQL';
  const targetRows = (checks: TargetCheck[]) => checks.map((check) => `| ${check.target} | ${check.met === null ? '-' : check.met ? 'yes' : 'no'} | ${check.measured} |`);
  const lines = [
    `# Benchmarks: keymint vs panva oidc-provider${postgres ? ', on PostgreSQL' : ''}`,
    '',
    `Generated by \`npm run bench${postgres ? ' -- --postgres …' : ''}\` on ${input.startedAt.toISOString()}. Do not edit by hand: rerun the benchmark.`,
    postgres
      ? 'The same scenarios with every service on one PostgreSQL database instead of SQLite files; the SQLite run is in [benchmarks.md](benchmarks.md).'
      : 'The same scenarios on PostgreSQL (`--postgres`): [benchmarks-postgres.md](benchmarks-postgres.md).',
    '',
    formatMarkdownTable(input.results),
    '',
    `![keymint vs oidc-provider, req/s per scenario](${input.svgFileName})`,
    '',
    ...replicaSection(input.results),
    ...(postgres ? ['## Targets of issue 24 (PostgreSQL)', '', '| target | met? | this run |', '| --- | --- | --- |', ...targetRows(checkPostgresTargets(input.results)), ''] : []),
    '## Targets of issue 6',
    '',
    '| target | met? | this run |',
    '| --- | --- | --- |',
    ...targetRows(checkTargets(input.results)),
    '',
    '## How it was measured',
    '',
    `- Load: autocannon in the benchmark's own process, ${input.connections} connections, plain HTTP on loopback, ` +
      `${input.warmupSeconds} s warm-up then ${input.durationSeconds} s measured, in one run. ${roundsSentence(input.rounds)} ` +
      'At the end of a run every connection finishes its request in flight (nothing is cut off unanswered); req/s = answers / time to the last answer.',
    `- keymint: ${input.target}; applications, keys and users are set up through the registry REST API as a user would. ` +
      'The cluster stays up (idle) while the peer is measured.',
    '- Peer: `bench/peer-oidc-provider.mjs` (oidc-provider 9, one client, client_credentials, in-memory adapter; JWT formats via resource indicators).',
    '- cc-opaque-renew-private-key-jwt: the cc-opaque-renew workload by a key that authenticates with `private_key_jwt` only: the ' +
      'benchmark signs a fresh ES256 assertion (new `jti`) for every request, which is on the machine CPU too. No peer; judged on no target.',
    '- cc-jwt-es256-dpop: the cc-jwt-es256 workload, each request carrying a fresh DPoP proof (RFC 9449, ES256, new `jti`) signed by the ' +
      'benchmark, which is on the machine CPU too; the token service verifies it, remembers its jti and binds the JWT to the key (`cnf.jkt`). No peer; judged on no target.',
    '- cc-opaque-renew-unpacked: the cc-opaque-renew workload with `EVENTS_PER_MESSAGE=1`, so every token event travels in a NATS message ' +
      'of its own instead of up to 100 of a group commit to a message, the default (docs/token-api.md, "Events"). The renew target is ' +
      "judged on cc-opaque-renew, the default; this run's ratio is shown beside it.",
    '- cc-opaque-renew-1m: on a cluster of its own, 1,000,000 token rows are written straight into the token store before the warm-up ' +
      '(`bench/preload.ts`, shaped as the token service writes them): a tenth are earlier tokens of the measured client, superseded (revoked, ' +
      "same reuse key: the history renew mode leaves, which its lookup must not read), the rest belong to 1,000 other applications, client_credentials and " +
      'password tokens with refresh tokens, issued over the last 23 hours (a store in use holds no token expired longer ago than EXPIRED_TOKEN_RETENTION, a day), most expired, some revoked. The empty-store figure it is held against ' +
      'is the same workload on a second cluster of the same env, started beside it, whose store stays empty; the two take turns ' +
      '(full, empty, empty, full, …) with the same warm-up and rounds. RSS is the token service\'s VmRSS when ' +
      'its cluster stops after the scenario.',
    '- p50/p99: latency in ms. errors/non-2xx: requests with no answer (connection error, 10 s timeout) / answers that were not 2xx.',
    '- machine CPU µs/answer: CPU time of the whole machine during the measured run (`/proc/stat`: user, system and interrupt time of every ' +
      'process, the load generator and the idle keymint cluster included) divided by the answers. It moves less than req/s when the machine ' +
      "is slower or busier for a while, and shows what each answer costs: the peer's is one process, keymint's is three services, nats-server " +
      'and the events between them.',
    '- analytics lag: from the last measured answer until the first answer of `GET /api/analytics/v1/summary` (from = run start, asked every 20 ms ' +
      "from the last answer on, with a Bearer token carrying `apim:admin` as a monitoring client would hold, so that no poll waits for a password check) " +
      'that has counted every token. ' +
      "count exact?: whether its `served` total (every token handed out, reused ones included; `minted` is the subset of new ones) equals the token service's " +
      'own count of 200 answers on `/token` (`http_requests_total` on `/metrics`, warm-up included), checked again 1 s later so that doubles show.',
    '',
    '| scenario | what is measured |',
    '| --- | --- |',
    ...input.results.map((result) => `| ${result.id} | ${result.title} |`),
    '',
    ...roundsTable(input.results),
    '## Machine',
    '',
    `- CPU: ${machine.cpuModel} x ${machine.cpuCount}`,
    `- Memory: ${machine.memoryGiB.toFixed(1)} GiB`,
    `- OS: ${machine.os}`,
    `- Node.js: ${machine.nodeVersion}`,
    '- The load generator, keymint (three services, nats-server) and the peer all share this machine.',
    '',
    '## Commands',
    '',
    '```sh',
    'npm ci',
    input.command,
    '```',
    '',
    'Flags: `npm run bench -- --help`.',
  ];
  if (input.notes.length > 0) {
    lines.push('', '## Notes from this run', '', ...input.notes.map((note) => `- ${note}`));
  }
  if (input.problems.length > 0) {
    lines.push('', '## Problems seen in this run', '', ...input.problems.map((problem) => `- ${problem}`));
  }
  return lines.join('\n') + '\n';
}

function roundsSentence(rounds: number): string {
  if (rounds === 1) return 'One measured run per side: keymint first, then the peer.';
  return (
    `${rounds} measured runs per side, keymint and the peer taking turns (keymint, peer, peer, keymint, …: a machine that slows ` +
    'down or speeds up during a scenario weighs on both sides alike); the table shows the median req/s, p50 and machine CPU per ' +
    'answer of the rounds, the worst p99, and every error; the analytics columns the longest lag, exact only if every round was.'
  );
}

/** req/s of every round, so that the spread behind each median shows. */
function roundsTable(results: readonly ScenarioResult[]): string[] {
  const rates = (summary: LoadSummary | null | undefined) => summary?.roundRates?.map(formatRate).join(', ') ?? '-';
  const shown = results.filter((result) => (result.keymint?.roundRates?.length ?? 0) > 1 || (result.peer?.roundRates?.length ?? 0) > 1);
  if (shown.length === 0) return [];
  return [
    'req/s of each measured round, in the order run:',
    '',
    '| scenario | keymint | peer |',
    '| --- | --- | --- |',
    ...shown.map((result) => {
      const keymint = result.emptyStore ? `${rates(result.keymint)}; empty store: ${rates(result.emptyStore)}` : rates(result.keymint);
      return `| ${result.id} | ${keymint} | ${rates(result.peer)} |`;
    }),
    '',
  ];
}

export function formatRate(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

export function formatMs(value: number): string {
  return value >= 100 ? String(Math.round(value)) : value.toFixed(1).replace(/\.0$/, '');
}

function formatLag(check: AnalyticsCheck | null): string {
  if (!check) return '-';
  if (check.lagMs === null) return 'no match';
  return `${(check.lagMs / 1000).toFixed(2)} s`;
}

function formatExact(check: AnalyticsCheck | null): string {
  if (!check) return '-';
  return check.exact ? 'yes' : `no (${check.counted}/${check.expected})`;
}

/** 1, 2, 2.5 or 5 times a power of ten, at or above the value: readable axis ends. */
export function niceCeiling(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const factor of [1, 2, 2.5, 5, 10]) {
    if (factor * magnitude >= value) return factor * magnitude;
  }
  return 10 * magnitude;
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
