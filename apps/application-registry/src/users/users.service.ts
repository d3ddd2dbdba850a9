import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { isUuid, type UserV1 } from '@keymint/contracts';
import { publishInTransaction } from '@keymint/messaging';
import { Database } from '@keymint/persistence';
import type { RequestContext } from '@keymint/telemetry';
import { ApplicationsService } from '../applications/applications.service';
import { isUniqueViolation, RegistryError } from '../common/http-errors';
import { CredentialCache } from './credential-cache';
import { CreateUserInput, UserView } from './dto/user.dto';
import { needsRehash, PasswordHasher } from './password-hasher';
import { canonicalUsername, Role, USERNAME_PATTERN } from './roles';
import { UserEntity } from './user.entity';

export interface AuthenticatedUser {
  username: string;
  roles: string[];
}

@Injectable()
export class UsersService {
  private readonly cache = new CredentialCache();
  private readonly logger = new Logger('UsersService');

  constructor(
    @Inject(Database) private readonly database: Database,
    @Inject(ApplicationsService) private readonly applications: ApplicationsService,
    @Inject(PasswordHasher) private readonly passwords: PasswordHasher,
  ) {}

  async create(input: CreateUserInput, origin?: RequestContext): Promise<UserView> {
    const now = Date.now();
    const user: UserEntity = {
      userId: randomUUID(),
      username: input.username,
      passwordHash: await this.passwords.hash(input.password),
      roles: input.roles,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.database.transaction((manager) => this.insert(manager, user, origin));
    } catch (error) {
      throw isUniqueViolation(error) ? duplicateUser(input.username) : error;
    }
    return userView(user);
  }

  /** Inserts a user and its event in the caller's transaction (also used by the admin bootstrap). */
  async insert(manager: EntityManager, user: UserEntity, origin?: RequestContext): Promise<void> {
    if (await manager.existsBy(UserEntity, { username: user.username })) throw duplicateUser(user.username);
    await manager.insert(UserEntity, user);
    await publishInTransaction(manager, 'registry.user.created.v1', userEvent(user), origin);
  }

  async list(): Promise<{ count: number; list: UserView[] }> {
    const users = await this.database.consistentRead((manager) => manager.find(UserEntity, { order: { username: 'ASC' } }));
    return { count: users.length, list: users.map(userView) };
  }

  async get(username: string): Promise<UserView> {
    return userView(await this.find(username));
  }

  async changePassword(username: string, password: string, origin?: RequestContext): Promise<UserView> {
    const found = await this.find(username);
    const passwordHash = await this.passwords.hash(password);
    await this.database.transaction(async (manager) => {
      const result = await manager.update(UserEntity, { userId: found.userId }, { passwordHash, updatedAt: Date.now() });
      if (!result.affected) throw notFound(username);
      await publishInTransaction(manager, 'registry.user.updated.v1', userEvent(found), origin);
    });
    this.cache.forget(found.username);
    return userView(found);
  }

  /**
   * Replaces a user's roles. `registry.user.roles-changed.v1` carries the roles before and after, so the token
   * service can tell a role taken away (it revokes the user's tokens) from one given. Like deletion, taking
   * `admin` from the last admin is refused: nobody could manage the registry.
   */
  async changeRoles(username: string, roles: Role[], origin?: RequestContext): Promise<UserView> {
    const found = await this.find(username);
    const changed = await this.database.transaction(async (manager) => {
      // Read again inside the transaction: the event must say what the roles were just before this change.
      const current = await manager.findOneBy(UserEntity, { userId: found.userId });
      if (!current) throw notFound(username);
      if (current.roles.includes('admin') && !roles.includes('admin')) await assertAnotherAdmin(manager, current, 'lose the admin role');
      const updated: UserEntity = { ...current, roles, updatedAt: Date.now() };
      await manager.update(UserEntity, { userId: current.userId }, { roles: updated.roles, updatedAt: updated.updatedAt });
      await publishInTransaction(manager, 'registry.user.roles-changed.v1', { ...userEvent(updated), previousRoles: current.roles }, origin);
      return updated;
    });
    // Cached sign-ins carry the roles: the next one must see the new ones.
    this.cache.forget(changed.username);
    return userView(changed);
  }

  /**
   * Deletes a user and the applications it owns (each with its own
   * `registry.application.deleted.v1`). The last admin cannot be deleted: nobody could manage the registry.
   */
  async remove(username: string, origin?: RequestContext): Promise<void> {
    const found = await this.find(username);
    await this.database.transaction(async (manager) => {
      if (found.roles.includes('admin')) await assertAnotherAdmin(manager, found, 'be deleted');
      const result = await manager.delete(UserEntity, { userId: found.userId });
      if (!result.affected) throw notFound(username);
      await this.applications.removeAllOwnedBy(manager, found.username, origin);
      await publishInTransaction(manager, 'registry.user.deleted.v1', userEvent(found), origin);
    });
    this.cache.forget(found.username);
  }

  /**
   * Username (any case) and password; null for an unknown user or a wrong password, with the same cost.
   * PasswordHashingBusy (503) when too many checks are in progress.
   */
  async authenticate(username: string, password: string): Promise<AuthenticatedUser | null> {
    const cached = this.cache.get(username, password);
    if (cached) return cached;
    if (username.length > 64 || password.length > 1024) return null;
    const canonical = canonicalUsername(username);
    const user = USERNAME_PATTERN.test(canonical)
      ? await this.database.consistentRead((manager) => manager.findOneBy(UserEntity, { username: canonical }))
      : null;
    if (!user) return this.passwords.verifyAgainstDummy(password).then(() => null);
    if (!(await this.passwords.verify(password, user.passwordHash))) return null;
    if (needsRehash(user.passwordHash)) await this.rehash(user, password);
    this.cache.set(username, password, user.username, user.roles);
    return { username: user.username, roles: user.roles };
  }

  /**
   * Stores a password just checked at today's scrypt parameters. Not a password change: no event (nothing is
   * revoked), `updatedAt` kept, and only if the hash is still the one checked (a password changed meanwhile
   * stays changed). If it fails (hashing busy, store down) the old hash stays for the next sign-in.
   */
  private async rehash(user: UserEntity, password: string): Promise<void> {
    try {
      const passwordHash = await this.passwords.hash(password);
      await this.database.transaction((manager) => manager.update(UserEntity, { userId: user.userId, passwordHash: user.passwordHash }, { passwordHash }));
    } catch (error) {
      this.logger.warn(`could not store '${user.username}''s password at today's scrypt parameters (next sign-in tries again): ${(error as Error).message}`);
    }
  }

  /** Roles of a local user, [] when there is none (Bearer tokens of clients or unknown users). */
  async rolesOf(username: string): Promise<string[]> {
    const canonical = canonicalUsername(username);
    if (!USERNAME_PATTERN.test(canonical)) return [];
    const user = await this.database.consistentRead((manager) => manager.findOneBy(UserEntity, { username: canonical }));
    return user?.roles ?? [];
  }

  async count(): Promise<number> {
    return this.database.consistentRead((manager) => manager.count(UserEntity));
  }

  /**
   * A user by name (any case), or by the `userId` the create answer gave: the path of every user resource takes
   * either. A name is looked up first, so a user whose name happens to look like another's id is found by name.
   */
  private async find(usernameOrId: string): Promise<UserEntity> {
    const canonical = canonicalUsername(usernameOrId);
    const user = await this.database.consistentRead(async (manager) => {
      const byName = USERNAME_PATTERN.test(canonical) ? await manager.findOneBy(UserEntity, { username: canonical }) : null;
      return byName ?? (isUuid(usernameOrId) ? await manager.findOneBy(UserEntity, { userId: usernameOrId.toLowerCase() }) : null);
    });
    if (!user) throw notFound(usernameOrId);
    return user;
  }
}

/** Refuses (409) to let the last admin `what` (be deleted, lose the role). */
async function assertAnotherAdmin(manager: EntityManager, user: UserEntity, what: string): Promise<void> {
  const admins = (await manager.find(UserEntity)).filter((candidate) => candidate.roles.includes('admin'));
  if (admins.length <= 1) throw RegistryError.conflict(`'${user.username}' is the last admin and cannot ${what}.`);
}

function notFound(username: string) {
  return RegistryError.notFound(`User '${username.slice(0, 64)}' was not found.`);
}

function duplicateUser(username: string) {
  return RegistryError.conflict(`User '${username}' already exists (usernames are case-insensitive).`);
}

function userEvent(user: UserEntity): UserV1 {
  return { username: user.username, roles: user.roles };
}

function userView(user: UserEntity): UserView {
  return { userId: user.userId, username: user.username, roles: user.roles };
}
