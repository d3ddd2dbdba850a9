import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ApplicationRegistryConfig, CONFIG } from '@keymint/config';
import { Database } from '@keymint/persistence';
import { isUniqueViolation } from '../common/http-errors';
import { ScopesService } from '../scopes/scopes.service';
import { PasswordHasher } from './password-hasher';
import { canonicalUsername, passwordProblem, USERNAME_HINT, USERNAME_PATTERN } from './roles';
import { UserEntity } from './user.entity';
import { UsersService } from './users.service';

/** Name of the file, under DATA_DIR, that receives a generated admin password (the launcher prints it). */
export const ADMIN_CREDENTIALS_FILE = 'admin-credentials';

/**
 * First start: the built-in scopes and the admin user. The admin comes from
 * ADMIN_USERNAME/ADMIN_PASSWORD, or gets a generated password written to
 * DATA_DIR/admin-credentials (mode 0600). A registry that already has users
 * is never touched again, so a restart never resets a password.
 */
@Injectable()
export class AdminBootstrap implements OnModuleInit {
  private readonly logger = new Logger('AdminBootstrap');

  constructor(
    @Inject(CONFIG) private readonly config: ApplicationRegistryConfig,
    @Inject(Database) private readonly database: Database,
    @Inject(UsersService) private readonly users: UsersService,
    @Inject(ScopesService) private readonly scopes: ScopesService,
    @Inject(PasswordHasher) private readonly passwords: PasswordHasher,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.scopes.ensureBuiltIns();
    if ((await this.users.count()) > 0) return;
    const username = canonicalUsername(this.config.ADMIN_USERNAME);
    if (!USERNAME_PATTERN.test(username)) throw new Error(`ADMIN_USERNAME is not a valid username (${USERNAME_HINT})`);
    const given = this.config.ADMIN_PASSWORD;
    if (given !== undefined) {
      const problem = passwordProblem(given);
      if (problem) throw new Error(`ADMIN_PASSWORD is not acceptable: ${problem.replace(`'password'`, 'it')}`);
    }
    const password = given ?? randomBytes(18).toString('base64url');
    const now = Date.now();
    const admin: UserEntity = {
      userId: randomUUID(),
      username,
      passwordHash: await this.passwords.hash(password),
      roles: ['admin'],
      createdAt: now,
      updatedAt: now,
    };
    const credentialsFile = join(resolve(this.config.DATA_DIR), ADMIN_CREDENTIALS_FILE);
    try {
      await this.database.transaction(async (manager) => {
        await this.users.insert(manager, admin);
        // Written inside the transaction: if the file cannot be written, no admin exists whose password nobody knows.
        if (given === undefined) writeCredentials(credentialsFile, username, password);
      });
    } catch (error) {
      // Another replica bootstrapped the admin at the same moment.
      if (isUniqueViolation(error) || (error as { getStatus?: () => number }).getStatus?.() === 409) return;
      throw error;
    }
    this.logger.log(
      given === undefined
        ? `created admin user '${username}' with a generated password, stored in ${credentialsFile} (mode 0600)`
        : `created admin user '${username}' with the password from ADMIN_PASSWORD`,
    );
  }
}

function writeCredentials(file: string, username: string, password: string): void {
  mkdirSync(resolve(file, '..'), { recursive: true });
  writeFileSync(file, `ADMIN_USERNAME=${username}\nADMIN_PASSWORD=${password}\n`, { mode: 0o600 });
  // writeFileSync keeps the mode of an existing file: make sure it is private.
  chmodSync(file, 0o600);
}
