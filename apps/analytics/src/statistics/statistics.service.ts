import { Inject, Injectable } from '@nestjs/common';
import { ApplicationUserRow, IssuanceSeries, ListOf, RegisteredUsersRow, Summary, TopUsersRow } from '@keymint/contracts';
import { Database } from '@keymint/persistence';
import { applicationUsers, topUsers } from './application-users';
import { Page, TimeRange } from './query-params';
import { registeredUsers } from './registered-users';
import { summary } from './summary';
import { IssuanceFilter, tokenIssuance } from './token-issuance';

/**
 * The statistics the API answers, each read in one consistent snapshot of the
 * store. They read the rollups, never raw events, so a year of data answers in milliseconds.
 */
@Injectable()
export class StatisticsService {
  constructor(@Inject(Database) private readonly database: Database) {}

  summary(range: TimeRange): Promise<Summary> {
    return this.database.consistentRead((manager) => summary(manager, range));
  }

  tokenIssuance(range: TimeRange, filter: IssuanceFilter, page: Page): Promise<IssuanceSeries> {
    return this.database.consistentRead((manager) => tokenIssuance(manager, range, filter, page));
  }

  registeredUsers(range: TimeRange, page: Page): Promise<ListOf<RegisteredUsersRow>> {
    return this.database.consistentRead((manager) => registeredUsers(manager, range, page));
  }

  applicationUsers(applicationId: string, page: Page): Promise<ListOf<ApplicationUserRow>> {
    return this.database.consistentRead((manager) => applicationUsers(manager, applicationId, page));
  }

  topUsers(limit: number): Promise<ListOf<TopUsersRow>> {
    return this.database.consistentRead((manager) => topUsers(manager, limit));
  }
}
