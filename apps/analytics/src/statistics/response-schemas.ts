import { z } from 'zod/v4';
import {
  ApplicationUserRow,
  COUNTED_CLIENT_AUTH_METHODS,
  GRANT_TYPES,
  TOKEN_BINDINGS,
  GRANULARITIES,
  IssuanceSeries,
  ListOf,
  RegisteredUsersRow,
  Summary,
  TopUsersRow,
} from '@keymint/contracts';

/**
 * The statistics API's answers as the OpenAPI document describes them; each
 * is checked against the contract type the CLI reads (`@keymint/contracts`).
 */

const time = z.iso.datetime().describe('UTC.');
const count = z.int().nonnegative();
const grantCounts = z.record(z.enum(GRANT_TYPES), count);
const listOf = <T extends z.ZodType>(item: T) => z.object({ count: count.describe('Rows before paging.'), list: z.array(item) });

export const SummarySchema = z
  .object({
    from: time,
    to: time,
    minted: grantCounts.describe('New tokens per grant type.'),
    served: grantCounts.describe('Tokens handed out per grant type, reused ones included.'),
    reused: count.describe('served − minted.'),
    clientAuthMethods: z
      .record(z.enum(COUNTED_CLIENT_AUTH_METHODS), z.object({ minted: count, served: count }))
      .describe('New and handed-out tokens by how their clients authenticated (`unknown`: counted before the method was recorded).'),
    tokenBindings: z
      .record(z.enum(TOKEN_BINDINGS), z.object({ minted: count, served: count }))
      .describe('New and handed-out tokens by what they are bound to: nothing, a DPoP key, a client certificate.'),
    registeredUsers: count.describe('Distinct (application, user) pairs of password and refresh-token grants.'),
    applications: count.describe('Applications served at least one token.'),
  })
  .meta({ id: 'Summary' }) satisfies z.ZodType<Summary>;

export const IssuanceSeriesSchema = z
  .object({
    from: time,
    to: time,
    granularity: z.enum(GRANULARITIES),
    count: count.describe('Points before paging.'),
    list: z.array(z.object({ time: time.describe('Start of the bucket (UTC).'), grantType: z.enum(GRANT_TYPES), minted: count, served: count })),
  })
  .meta({ id: 'IssuanceSeries' }) satisfies z.ZodType<IssuanceSeries>;

const applicationName = z.string().nullable().describe('null until the registry has announced the application.');

export const RegisteredUsersSchema = listOf(
  z.object({ applicationId: z.string(), applicationName, owner: z.string().nullable(), registeredUsers: count }),
).meta({ id: 'RegisteredUsers' }) satisfies z.ZodType<ListOf<RegisteredUsersRow>>;

export const ApplicationUsersSchema = listOf(
  z.object({ username: z.string(), tokenCount: count, firstSeen: time, lastSeen: time }),
).meta({ id: 'ApplicationUsers' }) satisfies z.ZodType<ListOf<ApplicationUserRow>>;

export const TopUsersSchema = listOf(
  z.object({ applicationId: z.string(), applicationName, users: z.array(z.object({ username: z.string(), tokenCount: count })) }),
).meta({ id: 'TopUsers' }) satisfies z.ZodType<ListOf<TopUsersRow>>;

/** `Accept: text/csv` on a list: RFC 4180, a header row first (docs/analytics.md, "CSV"). */
export const CsvSchema = z.string().describe('RFC 4180 CSV with a header row; null is an empty field.');
