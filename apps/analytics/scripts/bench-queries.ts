/**
 * How fast the statistics answer over a year of rollups (SQLite, or PostgreSQL
 * with DB_URL). Prints numbers; not a test.
 *   npm run build && node dist/apps/analytics/scripts/bench-queries.js
 * Scale with BENCH_APPS (default 20) and BENCH_USERS per application (default 1000).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GrantType } from '@keymint/contracts';
import { loadConfig } from '@keymint/config';
import { MESSAGING_ENTITIES } from '@keymint/messaging';
import { Database, openDataSource, statementsIn } from '@keymint/persistence';
import { z } from 'zod';
import { BatchDeltas, RollupDelta, UserActivityDelta } from '../src/ingestion/aggregate';
import { writeDeltas } from '../src/ingestion/rollup-writer';
import { StatisticsService } from '../src/statistics/statistics.service';
import { ANALYTICS_ENTITIES, ANALYTICS_MIGRATIONS } from '../src/storage/analytics.entities';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../src/time-buckets/time-buckets';

const settings = loadConfig({
  BENCH_APPS: z.coerce.number().int().positive().default(20),
  BENCH_USERS: z.coerce.number().int().positive().default(1000),
  DB_URL: z.string().optional(),
});

function emptyDeltas(): BatchDeltas {
  return { rollups: { minute: [], hour: [], day: [] }, users: [], userActivity: { minute: [], hour: [], day: [] }, applicationsSeen: [], applicationChanges: [] };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'analytics-bench-'));
  const database = new Database(
    await openDataSource({
      service: 'analytics',
      dataDir: dir,
      dbUrl: settings.DB_URL,
      entities: [...MESSAGING_ENTITIES, ...ANALYTICS_ENTITIES],
      migrations: ANALYTICS_MIGRATIONS,
    }),
  );
  const now = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
  const yearAgo = Math.floor((now - 365 * DAY_MS) / DAY_MS) * DAY_MS;
  const apps = Array.from({ length: settings.BENCH_APPS }, (_, index) => `app-${index}`);
  const grants: GrantType[] = ['client_credentials', 'password'];
  const started = Date.now();
  let rows = 0;
  // A year of hourly and daily rollups, the last two days of minutes; each user active on 30 days.
  for (let day = yearAgo; day < now; day += DAY_MS) {
    const deltas = emptyDeltas();
    const rollup = (bucket: number, applicationId: string, grantType: GrantType): RollupDelta => ({ bucket, applicationId, keyType: 'PRODUCTION', grantType, clientAuthMethod: 'client_secret_basic', tokenBinding: 'bearer', minted: 10, served: 11 });
    for (const applicationId of apps) {
      for (const grantType of grants) {
        deltas.rollups.day.push(rollup(day, applicationId, grantType));
        for (let hour = day; hour < day + DAY_MS; hour += HOUR_MS) deltas.rollups.hour.push(rollup(hour, applicationId, grantType));
        if (day >= now - 2 * DAY_MS) for (let minute = day; minute < day + DAY_MS; minute += MINUTE_MS) deltas.rollups.minute.push(rollup(minute, applicationId, grantType));
      }
      const dayIndex = Math.round((day - yearAgo) / DAY_MS);
      for (let user = dayIndex % 12; user < settings.BENCH_USERS; user += 12) {
        const activity: UserActivityDelta = { bucket: day, applicationId, username: `user-${user}`, tokenCount: 1 };
        deltas.userActivity.day.push(activity);
        deltas.userActivity.hour.push({ ...activity, bucket: day + 9 * HOUR_MS });
        deltas.userActivity.minute.push({ ...activity, bucket: day + 9 * HOUR_MS });
        deltas.users.push({ applicationId, username: `user-${user}`, tokenCount: 1, firstSeen: day + 9 * HOUR_MS, lastSeen: day + 9 * HOUR_MS });
      }
    }
    deltas.applicationsSeen = apps;
    rows += deltas.rollups.day.length + deltas.rollups.hour.length + deltas.rollups.minute.length + deltas.userActivity.day.length * 3 + deltas.users.length;
    await database.transaction((manager) => writeDeltas(statementsIn(manager), deltas));
  }
  console.log(`loaded ${rows} rollup rows (${apps.length} applications, ${settings.BENCH_USERS} users each) in ${Date.now() - started} ms`);

  const statistics = new StatisticsService(database);
  const page = { limit: 25, offset: 0 };
  const cases: Array<[string, () => Promise<unknown>]> = [
    ['summary, last 24 h', () => statistics.summary({ from: now - DAY_MS, to: now })],
    ['summary, last 365 days', () => statistics.summary({ from: now - 365 * DAY_MS, to: now })],
    ['summary, 200 days ending 100 days ago', () => statistics.summary({ from: now - 300 * DAY_MS + 7 * MINUTE_MS, to: now - 100 * DAY_MS })],
    ['token-issuance, year by day', () => statistics.tokenIssuance({ from: now - 365 * DAY_MS, to: now }, { granularity: 'day' }, { limit: 1000, offset: 0 })],
    ['token-issuance, 30 days by hour, one app', () => statistics.tokenIssuance({ from: now - 30 * DAY_MS, to: now }, { granularity: 'hour', applicationId: 'app-1' }, { limit: 1000, offset: 0 })],
    ['registered-users, last 365 days', () => statistics.registeredUsers({ from: now - 365 * DAY_MS, to: now }, page)],
    ['registered-users, 200 days ending 100 days ago', () => statistics.registeredUsers({ from: now - 300 * DAY_MS, to: now - 100 * DAY_MS }, page)],
    ['application users, first page', () => statistics.applicationUsers('app-1', page)],
    ['top users, 10 per application', () => statistics.topUsers(10)],
  ];
  for (const [name, run] of cases) {
    await run();
    const rounds = 5;
    const begin = process.hrtime.bigint();
    for (let round = 0; round < rounds; round += 1) await run();
    console.log(`${name}: ${(Number(process.hrtime.bigint() - begin) / 1e6 / rounds).toFixed(1)} ms`);
  }
  await database.close();
  rmSync(dir, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
