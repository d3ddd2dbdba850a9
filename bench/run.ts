/**
 * `npm run bench`: keymint's token endpoint against panva's oidc-provider 9, side by side
 * (issue 6). Starts keymint clusters (or uses given URLs), sets up applications through the
 * registry REST API, runs warm-up + measured autocannon runs per scenario, checks that
 * analytics counted every token, prints one table and writes docs/benchmarks.md + .svg.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, release, totalmem, type as osType } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { startTestCluster, TestCluster } from '../scripts/lib/cluster';
import type { ServiceProcess } from '../scripts/lib/services';
import { BenchOptions, parseArguments, USAGE, UsageError } from './args';
import { adminBearerToken, AnalyticsApi, basicAuthorization, Credentials, jwtAlgorithm, KeymintApiError, RegistryApi, request, tokenResponsesServed, truncate } from './keymint-api';
import { LoadTarget, requestOf, runLoad, runSpreadLoad } from './load';
import { PeerProcess } from './peer';
import { signClientAssertion } from '../apps/cli/src/http/client-assertion';
import { signDpopProof } from '../apps/cli/src/http/dpop-proof';
import { createTestDatabase } from '../scripts/lib/postgres';
import { AnalyticsCheck, combineChecks, combineRounds, formatReplicaTextTable, formatTextTable, LoadSummary, MachineInfo, renderMarkdownReport, renderSvgChart, ScenarioResult } from './report';
import { preloadTokens } from './preload';
import { executionGroups, PeerFormat, Scenario, scenarioClusterKey, SCENARIOS } from './scenarios';

const FORM = 'application/x-www-form-urlencoded';
const ANALYTICS_TIMEOUT_MS = 30000;
const ANALYTICS_POLL_MS = 20;

/** A keymint to measure: a cluster this run started, or one given by URLs. */
interface KeymintTarget {
  tokenUrl: string;
  registry: RegistryApi;
  analytics: AnalyticsApi | null;
  /** Token service 200s and analytics' served count when this target was set up (zero on a fresh cluster). */
  countBaseline: { server: number; analytics: number };
  /** --replicas: the base URLs of the token-service replicas started beside the first while they run. */
  extraTokenUrls: string[];
  /** The env this target runs with (started clusters only). */
  env: Record<string, string>;
  cluster?: TestCluster;
  /** --postgres: the cluster's own database, dropped after it stops. */
  dropDatabase?: () => Promise<void>;
}

interface RunContext {
  options: BenchOptions;
  startedAt: Date;
  peers: Map<PeerFormat, PeerProcess>;
  projectRoot: string;
  problems: string[];
  notes: string[];
  /** Clusters started beside the current one (the empty store a preloaded one is compared with). */
  companions: Set<KeymintTarget>;
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

function projectRoot(): string {
  let directory = __dirname;
  for (let depth = 0; depth < 5; depth++) {
    if (existsSync(join(directory, 'package.json')) && existsSync(join(directory, 'bench', 'peer-oidc-provider.mjs'))) return directory;
    directory = dirname(directory);
  }
  throw new Error(`cannot find the project root (with bench/peer-oidc-provider.mjs) above ${__dirname}`);
}

const sleep = (ms: number) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

function suffix(): string {
  return randomBytes(4).toString('hex');
}

/** The token format a scenario must get back: its JWT alg, or null for opaque. */
function expectedAlgorithm(scenario: Scenario): string | null {
  if (scenario.tokenType === 'OAUTH') return null;
  return scenario.env.JWT_ALG ?? 'RS256';
}

/** The request each side repeats, plus what a good answer looks like. */
interface Workload {
  target: LoadTarget;
  check: (body: Record<string, unknown>) => boolean;
  countsTokens: boolean;
  /** keymint workloads: the application and key the load uses. */
  client?: { consumerKey: string; applicationId: string };
}

/** One request as the load will send it; returns the good answer's body. */
async function probe(workload: Workload, what: string): Promise<Record<string, unknown>> {
  const sent = requestOf(workload.target);
  const answer = await request(workload.target.url, { method: 'POST', headers: sent.headers, body: sent.body }, what);
  let body: unknown = null;
  try {
    body = JSON.parse(answer.text);
  } catch {
    // reported below
  }
  const good = answer.status === 200 && body !== null && typeof body === 'object' && workload.check(body as Record<string, unknown>);
  // A 200 body holds a token: never print it.
  if (!good) throw new KeymintApiError(what, answer.status === 200 ? { status: 200, text: 'not the expected answer (token format, token_type or active flag); body withheld: it holds a token' } : answer);
  return body as Record<string, unknown>;
}

async function tokenFrom(url: string, headers: Record<string, string>, body: string, what: string): Promise<string> {
  const answer = await request(url, { method: 'POST', headers, body }, what);
  if (answer.status !== 200) throw new KeymintApiError(what, answer);
  let parsed: { access_token?: unknown } = {};
  try {
    parsed = JSON.parse(answer.text) as { access_token?: unknown };
  } catch {
    // reported below without the body
  }
  if (typeof parsed.access_token !== 'string') throw new KeymintApiError(`${what} (no access_token)`, { status: 200, text: '(withheld)' });
  return parsed.access_token;
}

async function keymintWorkload(scenario: Scenario, keymint: KeymintTarget): Promise<Workload> {
  const name = `bench-${scenario.id}-${suffix()}`;
  const applicationId = await keymint.registry.createApplication(name, scenario.tokenType);
  const grants = scenario.grantType === 'password' ? ['password'] : ['client_credentials'];
  const tokenUrl = `${keymint.tokenUrl}/token`;
  if (scenario.clientAuthentication === 'private_key_jwt') return privateKeyJwtWorkload(scenario, keymint, applicationId, tokenUrl);
  const keys = await keymint.registry.generateKeys(applicationId, grants);
  const headers = { authorization: basicAuthorization(keys.consumerKey, keys.consumerSecret), 'content-type': FORM };
  if (scenario.endpoint === 'introspect') {
    const token = await tokenFrom(tokenUrl, headers, 'grant_type=client_credentials', 'POST /token (token to introspect)');
    return {
      target: { url: `${keymint.tokenUrl}/oauth2/introspect`, headers, body: new URLSearchParams({ token }).toString() },
      check: (body) => body.active === true,
      countsTokens: false,
    };
  }
  let body = 'grant_type=client_credentials';
  if (scenario.grantType === 'password') {
    const user: Credentials = { username: `bench-user-${suffix()}`, password: `Bench-${randomBytes(18).toString('base64url')}` };
    await keymint.registry.createUser(user.username, user.password);
    body = new URLSearchParams({ grant_type: 'password', username: user.username, password: user.password }).toString();
  }
  // The probe proves the scenario measures what it says (e.g. an ES256 JWT, not an opaque token; bound to a key with DPoP).
  const algorithm = expectedAlgorithm(scenario);
  const tokenType = scenario.dpop ? 'DPoP' : 'Bearer';
  return {
    target: { url: tokenUrl, headers, body, ...(scenario.dpop ? { freshHeaders: dpopProofs(tokenUrl) } : {}) },
    check: (answer) => typeof answer.access_token === 'string' && answer.token_type === tokenType && jwtAlgorithm(answer.access_token) === algorithm,
    countsTokens: true,
    client: { consumerKey: keys.consumerKey, applicationId },
  };
}

/** A fresh DPoP proof (RFC 9449) for each request, by one ES256 key, signed as `keymint token --dpop-key` signs it. */
function dpopProofs(tokenUrl: string): () => Record<string, string> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return () => ({ dpop: signDpopProof({ key: privateKey, alg: 'ES256' }, { method: 'POST', url: tokenUrl }) });
}

/** client_credentials by a key that authenticates with private_key_jwt only: a fresh ES256 assertion per request. */
async function privateKeyJwtWorkload(scenario: Scenario, keymint: KeymintTarget, applicationId: string, tokenUrl: string): Promise<Workload> {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keys = await keymint.registry.generateKeys(applicationId, ['client_credentials'], {
    tokenEndpointAuthMethods: ['private_key_jwt'],
    jwks: { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'bench', alg: 'ES256' }] },
  });
  const metadata = await request(`${keymint.tokenUrl}/.well-known/oauth-authorization-server`, { method: 'GET' }, 'GET metadata (issuer)');
  const issuer = (JSON.parse(metadata.text) as { issuer: string }).issuer;
  // Signed as `keymint token --private-key` signs: a fresh assertion (new jti) for every request.
  const freshBody = () =>
    new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: signClientAssertion(keys.consumerKey, { key: privateKey, alg: 'ES256' }, issuer, 'bench'),
    }).toString();
  const algorithm = expectedAlgorithm(scenario);
  return {
    target: { url: tokenUrl, headers: { 'content-type': FORM }, body: freshBody(), freshBody },
    check: (answer) => typeof answer.access_token === 'string' && answer.token_type === 'Bearer' && jwtAlgorithm(answer.access_token) === algorithm,
    countsTokens: true,
    client: { consumerKey: keys.consumerKey, applicationId },
  };
}

async function peerWorkload(scenario: Scenario, context: RunContext): Promise<Workload | null> {
  if (!scenario.peer) return null;
  let peer = context.peers.get(scenario.peer.format);
  if (!peer) {
    peer = new PeerProcess(scenario.peer.format, context.projectRoot);
    context.peers.set(scenario.peer.format, peer);
    log(`starting oidc-provider peer (${scenario.peer.format})`);
    await peer.start();
  }
  const headers = { authorization: basicAuthorization(peer.clientId, peer.clientSecret), 'content-type': FORM };
  const tokenBody = 'grant_type=client_credentials&scope=default';
  if (scenario.peer.endpoint === 'introspect') {
    const token = await tokenFrom(`${peer.baseUrl}/token`, headers, tokenBody, 'peer POST /token (token to introspect)');
    return {
      target: { url: `${peer.baseUrl}/token/introspection`, headers, body: new URLSearchParams({ token }).toString() },
      check: (body) => body.active === true,
      countsTokens: false,
    };
  }
  const algorithm = scenario.peer.format === 'opaque' ? null : scenario.peer.format;
  return {
    target: { url: `${peer.baseUrl}/token`, headers, body: tokenBody },
    check: (body) => typeof body.access_token === 'string' && jwtAlgorithm(body.access_token) === algorithm,
    countsTokens: false,
  };
}

/** Warm-up (not reported; analytics still counts its tokens), then the measured run. */
async function measure(workload: Workload, options: BenchOptions, label: string, tokenServicePid?: number): Promise<LoadSummary> {
  if (options.warmupSeconds > 0) {
    log(`${label}: warm-up ${options.warmupSeconds} s`);
    await runLoad(workload.target, { connections: options.connections, durationSeconds: options.warmupSeconds });
  }
  log(`${label}: measuring ${options.durationSeconds} s at ${options.connections} connections`);
  const serviceBefore = processTreeCpuMs(tokenServicePid);
  const measured = await runLoad(workload.target, { connections: options.connections, durationSeconds: options.durationSeconds });
  const serviceAfter = processTreeCpuMs(tokenServicePid);
  const answered = Object.values(measured.statusCounts).reduce((sum, count) => sum + count, 0);
  const service =
    serviceBefore !== null && serviceAfter !== null && answered > 0 ? `, token service CPU ${Math.round(((serviceAfter - serviceBefore) * 1000) / answered)} µs/answer` : '';
  const cpu = (typeof measured.machineCpuUsPerAnswer === 'number' ? `, machine CPU ${Math.round(measured.machineCpuUsPerAnswer)} µs/answer` : '') + service;
  log(`${label}: ${Math.round(measured.requestsPerSecond)} req/s, p50 ${measured.p50Ms} ms, p99 ${measured.p99Ms} ms, non-2xx ${measured.non2xx}, errors ${measured.errors}${cpu}`);
  return measured;
}

/** The token service's own count of 200s once it stops moving (requests cut off at the end of a run finish within ms). */
async function settledServerCount(keymint: KeymintTarget): Promise<number> {
  const served = async () => (await Promise.all([keymint.tokenUrl, ...keymint.extraTokenUrls].map(tokenResponsesServed))).reduce((sum, count) => sum + count, 0);
  let previous = await served();
  for (let attempt = 0; attempt < 50; attempt++) {
    await sleep(100);
    const current = await served();
    if (current === previous) return current;
    previous = current;
  }
  return previous;
}

/**
 * Waits until analytics has counted every token the token service answered 200 for since this target was set up.
 * Lag: from the load generator's last response to the first summary answer that counted them all. Analytics is
 * asked from the start, while the token service's count is still being read until it stops moving (that takes
 * 100 ms at least, and is not analytics' delay).
 */
async function waitForCount(keymint: KeymintTarget, analytics: AnalyticsApi, from: Date, lastResponseAt: number): Promise<AnalyticsCheck> {
  const expectedNow = async () => keymint.countBaseline.analytics + (await settledServerCount(keymint)) - keymint.countBaseline.server;
  let expected: number | undefined;
  // Its failure is thrown from the loop below: a rejection nobody awaits yet would end the process.
  let failure: { error: unknown } | undefined;
  const settled = expectedNow().then(
    (count) => (expected = count),
    (error: unknown) => (failure = { error }),
  );
  const throwIfFailed = () => {
    if (failure) throw failure.error;
  };
  const deadline = lastResponseAt + ANALYTICS_TIMEOUT_MS;
  const answers: Array<{ at: number; served: number }> = [];
  for (;;) {
    const { served } = await analytics.counts(from);
    answers.push({ at: Date.now(), served });
    throwIfFailed();
    const first = expected === undefined ? undefined : answers.find((answer) => answer.served >= (expected as number));
    if (first) {
      const lagMs = first.at - lastResponseAt;
      // Doubles would show up a little after the last original; look once more.
      await sleep(1000);
      expected = await expectedNow();
      const counted = (await analytics.counts(from)).served;
      return { lagMs, expected, counted, exact: counted === expected };
    }
    if (Date.now() > deadline) {
      await settled;
      throwIfFailed();
      return { lagMs: null, expected: expected as number, counted: served, exact: false };
    }
    await sleep(ANALYTICS_POLL_MS);
  }
}

function describeStatuses(summary: LoadSummary): string {
  return Object.entries(summary.statusCounts)
    .filter(([code]) => code !== '200')
    .map(([code, count]) => `HTTP ${code} x ${count}`)
    .join(', ');
}

/** keymint's side of a scenario, set up and probed once, then measured round by round. */
interface KeymintSide {
  label: string;
  workload: Workload;
  /** The probe's answer (its scope is what the preload writes). */
  answer: Record<string, unknown>;
  keymint: KeymintTarget;
  rounds: LoadSummary[];
  checks: AnalyticsCheck[];
}

/** Sets up keymint's application and probes it. */
async function prepareKeymint(scenario: Scenario, keymint: KeymintTarget, label: string): Promise<KeymintSide> {
  log(`${scenario.id}: setting up ${label} (registry REST API)`);
  const workload = await keymintWorkload(scenario, keymint);
  const answer = await probe(workload, `${label} ${workload.target.url.replace(keymint.tokenUrl, '')} (${scenario.id} probe)`);
  return { label, workload, answer, keymint, rounds: [], checks: [] };
}

/**
 * A scenario with a preloaded store is held against a second cluster of the same env whose store
 * stays empty: both are set up first, then the store is filled, then the two take turns like keymint
 * and the peer, so that the machine's drift during the preload and the rounds weighs on both alike.
 */
async function prepareStoredTokens(scenario: Scenario, full: KeymintSide, context: RunContext): Promise<KeymintSide> {
  log(`${scenario.id}: starting a second cluster whose store stays empty, to compare with`);
  const companion = await startKeymint(scenario, context, `${scenarioClusterKey({ ...scenario, storedTokens: undefined })}, store kept empty`);
  context.companions.add(companion);
  const empty = await prepareKeymint(scenario, companion, 'keymint, empty store');
  await preload(scenario.storedTokens!, full.workload, full.answer, full.keymint, context);
  return empty;
}

function failKeymint(scenario: Scenario, context: RunContext, result: ScenarioResult, error: unknown): void {
  result.keymintFailure = error instanceof Error ? error.message : String(error);
  context.problems.push(`${scenario.id}: keymint not measured: ${result.keymintFailure}`);
  log(`${scenario.id}: keymint failed: ${result.keymintFailure}`);
}

/** One measured keymint round, then the wait until analytics has counted it (the peer never runs while analytics catches up). */
async function measureKeymintRound(scenario: Scenario, side: KeymintSide, context: RunContext, round: number): Promise<void> {
  const measured = await measure(side.workload, context.options, `${scenario.id} ${side.label}${roundLabel(round, context)}`, side.keymint.cluster?.services['token-service']?.pid);
  side.rounds.push(measured);
  const statuses = describeStatuses(measured);
  if (statuses) context.problems.push(`${scenario.id}: ${side.label} answered ${statuses} during a measured run.`);
  if (measured.errors > 0) context.problems.push(`${scenario.id}: ${measured.errors} ${side.label} requests got no answer (connection error or 10 s timeout).`);
  const analytics = side.keymint.analytics;
  if (!analytics || !side.workload.countsTokens) return;
  log(`${scenario.id}: waiting for analytics to count every token served`);
  const check = await waitForCount(side.keymint, analytics, context.startedAt, measured.lastResponseAt || Date.now());
  side.checks.push(check);
  if (!check.exact) {
    const late = check.lagMs === null ? ` (still short ${ANALYTICS_TIMEOUT_MS / 1000} s after the run)` : '';
    context.problems.push(`${scenario.id}: analytics counted ${check.counted} tokens served, the token service answered ${check.expected} 200s${late}.`);
  }
}

async function preparePeer(scenario: Scenario, context: RunContext, result: ScenarioResult): Promise<Workload | null> {
  if (!scenario.peer) return null;
  try {
    const workload = await peerWorkload(scenario, context);
    if (workload) await probe(workload, `peer ${scenario.peer.format} (${scenario.id} probe)`);
    return workload;
  } catch (error) {
    failPeer(scenario, context, result, error);
    return null;
  }
}

/** One measured round of the peer. */
async function measurePeerRound(scenario: Scenario, workload: Workload, context: RunContext, round: number): Promise<LoadSummary> {
  const measured = await measure(workload, context.options, `${scenario.id} peer${roundLabel(round, context)}`);
  const statuses = describeStatuses(measured);
  if (statuses) context.problems.push(`${scenario.id}: the peer answered ${statuses}.`);
  return measured;
}

function failPeer(scenario: Scenario, context: RunContext, result: ScenarioResult, error: unknown): void {
  result.peerFailure = error instanceof Error ? error.message : String(error);
  context.problems.push(`${scenario.id}: peer not measured: ${result.peerFailure}`);
  log(`${scenario.id}: peer failed: ${result.peerFailure}`);
}

function roundLabel(round: number, context: RunContext): string {
  return context.options.rounds > 1 ? ` (round ${round}/${context.options.rounds})` : '';
}

/**
 * --replicas N: after the scenario's own rounds (one token service), N-1 more token-service processes
 * join the same cluster (same PostgreSQL database, NATS and keys) and the workload runs again with its
 * connections dealt round robin over the N, rounds and warm-up as set. Analytics must count exactly
 * every 200 of all N. The extra replicas stop after the scenario. Not for a preloaded store (a cluster of
 * its own) nor for DPoP (each proof is signed for one URL).
 */
async function measureReplicas(scenario: Scenario, side: KeymintSide, context: RunContext): Promise<ScenarioResult['replicas']> {
  const { options } = context;
  const keymint = side.keymint;
  const cluster = keymint.cluster;
  // A DPoP proof names the one URL it is sent to (htu): the load signs them for the first replica's.
  if (!cluster || scenario.storedTokens || scenario.dpop) return undefined;
  const replicas: ServiceProcess[] = [];
  try {
    log(`${scenario.id}: starting ${options.replicas - 1} more token-service replica(s)`);
    for (let count = 1; count < options.replicas; count++) replicas.push(await cluster.addReplica('token-service', keymint.env));
    keymint.extraTokenUrls = replicas.map((replica) => replica.baseUrl);
    const targets = [keymint.tokenUrl, ...keymint.extraTokenUrls].map((url) => ({ ...side.workload.target, url: side.workload.target.url.replace(keymint.tokenUrl, url) }));
    const rounds: LoadSummary[] = [];
    const checks: AnalyticsCheck[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      const label = `${scenario.id} keymint, ${options.replicas} token replicas${roundLabel(round, context)}`;
      if (options.warmupSeconds > 0) {
        log(`${label}: warm-up ${options.warmupSeconds} s`);
        await runSpreadLoad(targets, { connections: options.connections, durationSeconds: options.warmupSeconds });
      }
      log(`${label}: measuring ${options.durationSeconds} s at ${options.connections} connections`);
      const measured = await runSpreadLoad(targets, { connections: options.connections, durationSeconds: options.durationSeconds });
      log(`${label}: ${Math.round(measured.requestsPerSecond)} req/s, p50 ${measured.p50Ms} ms, p99 ${measured.p99Ms} ms, non-2xx ${measured.non2xx}, errors ${measured.errors}`);
      rounds.push(measured);
      const statuses = describeStatuses(measured);
      if (statuses) context.problems.push(`${scenario.id}: ${options.replicas} token replicas answered ${statuses} during a measured run.`);
      if (keymint.analytics && side.workload.countsTokens) {
        const check = await waitForCount(keymint, keymint.analytics, context.startedAt, measured.lastResponseAt || Date.now());
        checks.push(check);
        if (!check.exact) context.problems.push(`${scenario.id}: with ${options.replicas} token replicas analytics counted ${check.counted} tokens served, the token services answered ${check.expected} 200s.`);
      }
    }
    return { count: options.replicas, summary: combineRounds(rounds), analytics: combineChecks(checks) };
  } finally {
    // The replicas' 200s stay in analytics' totals: later scenarios on this cluster expect them.
    if (keymint.extraTokenUrls.length > 0) {
      const served = await Promise.all(keymint.extraTokenUrls.map((url) => tokenResponsesServed(url).catch(() => 0)));
      keymint.countBaseline.server -= served.reduce((sum, count) => sum + count, 0);
    }
    keymint.extraTokenUrls = [];
    await Promise.all(replicas.map((replica) => replica.stop()));
  }
}

/** Fills the scenario's token store before its warm-up (the store of a cluster the benchmark started). */
async function preload(count: number, workload: Workload, answer: Record<string, unknown>, keymint: KeymintTarget, context: RunContext): Promise<void> {
  if (!keymint.cluster || !workload.client) throw new Error('it writes into the token store, so it needs a cluster started by the benchmark (not --token-url)');
  const scope = typeof answer.scope === 'string' ? answer.scope : '';
  log(`preloading ${count.toLocaleString('en-US')} tokens into the token store`);
  const ms = await preloadTokens({ dataDir: keymint.cluster.dataDir, dbUrl: keymint.cluster.dbUrl }, { ...workload.client, scope }, count, (written) =>
    log(`preloaded ${written.toLocaleString('en-US')}/${count.toLocaleString('en-US')}`),
  );
  context.notes.push(`${count.toLocaleString('en-US')} tokens preloaded into the token store in ${(ms / 1000).toFixed(0)} s.`);
}

/**
 * keymint and the peer (or, for a preloaded store, the empty-store cluster) take turns, round by
 * round: keymint, other, other, keymint, … so that a machine that slows down or speeds up during the
 * scenario weighs on both sides alike.
 */
async function runScenario(scenario: Scenario, keymint: KeymintTarget | { failure: string }, context: RunContext): Promise<ScenarioResult> {
  const result: ScenarioResult = { id: scenario.id, title: scenario.title, keymint: null, peer: null, analytics: null };
  let keymintSide: KeymintSide | null = null;
  let emptySide: KeymintSide | null = null;
  if ('failure' in keymint) result.keymintFailure = keymint.failure;
  else {
    try {
      keymintSide = await prepareKeymint(scenario, keymint, 'keymint');
      if (scenario.storedTokens) emptySide = await prepareStoredTokens(scenario, keymintSide, context);
    } catch (error) {
      failKeymint(scenario, context, result, error);
      keymintSide = null;
    }
  }
  let peerWork = await preparePeer(scenario, context, result);
  const peerRounds: LoadSummary[] = [];
  for (let round = 1; round <= context.options.rounds; round++) {
    const keymintFirst = round % 2 === 1;
    for (const side of keymintFirst ? (['keymint', 'other'] as const) : (['other', 'keymint'] as const)) {
      const keymintTurn = side === 'keymint' ? keymintSide : emptySide;
      if (keymintTurn) {
        try {
          await measureKeymintRound(scenario, keymintTurn, context, round);
        } catch (error) {
          failKeymint(scenario, context, result, error);
          keymintSide = emptySide = null;
        }
      } else if (side === 'other' && peerWork) {
        try {
          peerRounds.push(await measurePeerRound(scenario, peerWork, context, round));
        } catch (error) {
          failPeer(scenario, context, result, error);
          peerWork = null;
        }
      }
    }
  }
  if (keymintSide && keymintSide.rounds.length > 0 && context.options.replicas > 1) {
    try {
      result.replicas = await measureReplicas(scenario, keymintSide, context);
    } catch (error) {
      context.problems.push(`${scenario.id}: ${context.options.replicas} token-service replicas not measured: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  // A side that failed part-way is reported as failed, not as the median of the rounds it managed.
  if (keymintSide && keymintSide.rounds.length > 0) {
    result.keymint = combineRounds(keymintSide.rounds);
    result.analytics = combineChecks([...keymintSide.checks, ...(emptySide?.checks ?? [])]);
  }
  if (emptySide && emptySide.rounds.length > 0) result.emptyStore = combineRounds(emptySide.rounds);
  if (peerWork && peerRounds.length > 0) result.peer = combineRounds(peerRounds);
  await stopCompanions(context);
  return result;
}

/** The empty-store cluster lives as long as its scenario, also when that scenario failed part-way. */
async function stopCompanions(context: RunContext): Promise<void> {
  for (const companion of [...context.companions]) {
    context.companions.delete(companion);
    await releaseCluster(companion, 'the empty-store cluster', (problem) => context.problems.push(problem));
  }
}

/** Stops a cluster the benchmark started and drops its database, handing any failure to `report`. */
async function releaseCluster(target: KeymintTarget, name: string, report: (problem: string) => void): Promise<void> {
  await target.cluster?.stop().catch((error: unknown) => report(`could not stop ${name}: ${String(error)}`));
  await target.dropDatabase?.().catch((error: unknown) => report(`could not drop the benchmark database: ${String(error)}`));
}

/**
 * CPU time (user + system, ms) of a process and every live process under it (TOKEN_WORKERS' workers), from
 * /proc; null elsewhere. A worker that exits between two readings takes its time with it.
 */
function processTreeCpuMs(root: number | undefined): number | null {
  if (!root) return null;
  try {
    const stats = new Map<number, { parent: number; ms: number }>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
        // Fields after the command (which may hold spaces), from the 3rd: state ppid … utime (14th) stime (15th).
        const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
        stats.set(Number(entry), { parent: Number(fields[1]), ms: ((Number(fields[11]) + Number(fields[12])) * 1000) / 100 });
      } catch {
        // Gone meanwhile.
      }
    }
    let total = 0;
    const pending = [root];
    while (pending.length > 0) {
      const pid = pending.pop()!;
      total += stats.get(pid)?.ms ?? 0;
      for (const [child, stat] of stats) if (stat.parent === pid) pending.push(child);
    }
    return stats.has(root) ? total : null;
  } catch {
    return null;
  }
}

function residentMemoryMiB(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** Where the counts stand before this run touches a running cluster (assumed quiet meanwhile). */
async function countBaseline(tokenUrl: string, analytics: AnalyticsApi | null, from: Date): Promise<{ server: number; analytics: number }> {
  try {
    return { server: await tokenResponsesServed(tokenUrl), analytics: analytics ? (await analytics.counts(from)).served : 0 };
  } catch {
    return { server: 0, analytics: 0 };
  }
}

async function startKeymint(scenario: Scenario, context: RunContext, description = scenarioClusterKey(scenario)): Promise<KeymintTarget> {
  const { options } = context;
  const env = scenario.env;
  if (options.external) {
    const external = options.external;
    const registry = new RegistryApi(external.registryUrl, external.admin);
    const analytics = external.analyticsUrl ? new AnalyticsApi(external.analyticsUrl, await adminBearerToken(registry, external.tokenUrl, external.admin)) : null;
    return {
      tokenUrl: external.tokenUrl,
      registry,
      analytics,
      env,
      countBaseline: await countBaseline(external.tokenUrl, analytics, context.startedAt),
      extraTokenUrls: [],
    };
  }
  log(`starting a keymint cluster (${description}${options.postgresUrl ? ', PostgreSQL' : ', SQLite'})`);
  const database = options.postgresUrl ? await createTestDatabase(options.postgresUrl, 'keymint_bench') : null;
  let cluster: TestCluster | undefined;
  try {
    const workers: Record<string, string> = options.tokenWorkers > 1 ? { TOKEN_WORKERS: String(options.tokenWorkers) } : {};
    cluster = await startTestCluster({ services: ['application-registry', 'token-service', 'analytics'], env: { ...env, ...workers }, dbUrl: database?.url });
    const registry = new RegistryApi(cluster.url('application-registry'), cluster.admin);
    return {
      tokenUrl: cluster.url('token-service'),
      registry,
      analytics: new AnalyticsApi(cluster.url('analytics'), await adminBearerToken(registry, cluster.url('token-service'), cluster.admin)),
      env,
      countBaseline: { server: 0, analytics: 0 },
      extraTokenUrls: [],
      cluster,
      dropDatabase: database?.drop,
    };
  } catch (error) {
    await cluster?.stop();
    await database?.drop().catch(() => undefined);
    throw error;
  }
}

/** Stops a cluster the benchmark started; returns the token service's RSS (MiB) at the end of its scenarios. */
async function stopKeymint(keymint: KeymintTarget, scenario: Scenario, context: RunContext): Promise<number | null> {
  const cluster = keymint.cluster;
  if (!cluster) return null;
  for (const service of Object.values(cluster.services)) {
    if (service && !service.running) context.problems.push(`${service.name} was not running at the end of its scenarios (see its log under ${cluster.dataDir}/logs).`);
  }
  const rss = residentMemoryMiB(cluster.services['token-service']?.pid);
  // The cluster key names the preloaded store too, so the 1M-token cluster's note differs from the empty one's.
  if (rss !== null) context.notes.push(`token-service RSS after ${await tokenResponsesServed(keymint.tokenUrl).catch(() => '?')} tokens served (${scenarioClusterKey(scenario)}): ${rss} MiB.`);
  await cluster.stop();
  await keymint.dropDatabase?.().catch((error: unknown) => context.problems.push(`could not drop the benchmark database: ${String(error)}`));
  return rss;
}

function machineInfo(): MachineInfo {
  const processors = cpus();
  return {
    cpuModel: processors[0]?.model.trim() ?? 'unknown',
    cpuCount: processors.length,
    memoryGiB: totalmem() / 1024 ** 3,
    nodeVersion: process.version,
    os: `${osType()} ${release()} ${arch()}`,
  };
}

function commandLine(argv: readonly string[]): string {
  const quote = (argument: string) => (/^[\w@%+=:,./-]+$/.test(argument) ? argument : `'${argument.replace(/'/g, "'\\''")}'`);
  // Never write the admin password into the report.
  const shown = argv.map((argument, index) => (argv[index - 1] === '--admin' ? '<user:pass>' : argument.startsWith('--admin=') ? '--admin=<user:pass>' : argument));
  return shown.length > 0 ? `npm run bench -- ${shown.map(quote).join(' ')}` : 'npm run bench';
}

async function main(): Promise<number> {
  let options: BenchOptions;
  const argv = process.argv.slice(2);
  try {
    options = parseArguments(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw error;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  const context: RunContext = { options, startedAt: new Date(), peers: new Map(), projectRoot: projectRoot(), problems: [], notes: [], companions: new Set() };
  // A scenario that preloads the token store needs a cluster this run started: skipped against given URLs.
  const selected = SCENARIOS.filter((scenario) => options.scenarios.includes(scenario.id) && !(options.external && scenario.storedTokens));
  const results = new Map<string, ScenarioResult>();
  let keymint: KeymintTarget | undefined;
  const cleanUp = async () => {
    // Interrupted: stop everything, say nothing more.
    for (const target of [keymint, ...context.companions]) if (target) await releaseCluster(target, 'a cluster', () => undefined);
    await Promise.all([...context.peers.values()].map((peer) => peer.stop()));
  };
  const onSignal = () => {
    log('interrupted: stopping what the benchmark started');
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const groups = options.external ? [selected] : executionGroups(selected);
    if (options.external) {
      context.notes.push('keymint was given by URL: its own env applies, so scenarios that need TOKEN_RENEW_PER_REQUEST or JWT_ALG measure whatever it runs with.');
      const skipped = SCENARIOS.filter((scenario) => options.scenarios.includes(scenario.id) && scenario.storedTokens).map((scenario) => scenario.id);
      if (skipped.length > 0) context.notes.push(`not run against a cluster given by URL (they write into its token store): ${skipped.join(', ')}.`);
    }
    for (const group of groups) {
      try {
        keymint = await startKeymint(group[0], context).catch(async (error: unknown) => {
          // Another engineer rebuilding dist/ at that moment is the usual cause: one retry.
          log(`cluster start failed (${error instanceof Error ? error.message : String(error)}); retrying once`);
          await sleep(3000);
          return startKeymint(group[0], context);
        });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        context.problems.push(`keymint cluster (${scenarioClusterKey(group[0])}) did not start: ${truncate(message)}`);
        // The peer side is still worth measuring.
        for (const scenario of group) results.set(scenario.id, await runScenario(scenario, { failure: 'cluster did not start' }, context));
        continue;
      }
      for (const scenario of group) results.set(scenario.id, await runScenario(scenario, keymint, context));
      const rss = await stopKeymint(keymint, group[0], context);
      for (const scenario of group) {
        const result = results.get(scenario.id);
        if (result && rss !== null) result.tokenServiceRssMiB = rss;
      }
      keymint = undefined;
    }
  } finally {
    await cleanUp();
  }

  const ordered = selected.map((scenario) => results.get(scenario.id)).filter((result): result is ScenarioResult => result !== undefined);
  process.stdout.write(`\n${formatTextTable(ordered)}\n`);
  const replicaTable = formatReplicaTextTable(ordered);
  if (replicaTable) process.stdout.write(`\n${replicaTable}\n`);
  for (const note of context.notes) process.stdout.write(`note: ${note}\n`);
  for (const problem of context.problems) process.stdout.write(`problem: ${problem}\n`);

  if (options.docsPath) {
    const markdownPath = resolve(context.projectRoot, options.docsPath);
    const svgPath = markdownPath.replace(/\.md$/i, '') + '.svg';
    mkdirSync(dirname(markdownPath), { recursive: true });
    writeFileSync(svgPath, renderSvgChart(ordered));
    writeFileSync(
      markdownPath,
      renderMarkdownReport({
        results: ordered,
        machine: machineInfo(),
        command: commandLine(argv),
        durationSeconds: options.durationSeconds,
        warmupSeconds: options.warmupSeconds,
        connections: options.connections,
        rounds: options.rounds,
        startedAt: context.startedAt,
        target: options.external ? 'a running cluster given by URL' : `clusters started by the benchmark (${options.postgresUrl ? 'PostgreSQL' : 'SQLite'}, NATS JetStream, all three services)`,
        svgFileName: basename(svgPath),
        problems: context.problems,
        notes: context.notes,
        store: options.postgresUrl ? 'PostgreSQL' : 'SQLite',
      }),
    );
    log(`wrote ${markdownPath} and ${svgPath}`);
  }
  return ordered.some((result) => result.keymint === null) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
