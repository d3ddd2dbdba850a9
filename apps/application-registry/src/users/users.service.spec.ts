import * as crypto from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MESSAGING_ENTITIES, OutboxEntry } from '@keymint/messaging';
import { Database, openDataSource } from '@keymint/persistence';
import { ApplicationEntity } from '../applications/application.entity';
import type { ApplicationsService } from '../applications/applications.service';
import { OAuthKeyEntity } from '../keys/oauth-key.entity';
import { Initial1700000000000 } from '../migrations/1700000000000-initial';
import { OutboxHeaders1700000000007 } from '../migrations/1700000000007-outbox-headers';
import { ScopeEntity } from '../scopes/scope.entity';
import { SignInLimiter } from '@keymint/sign-in-limiter';
import { needsRehash, PasswordHasher } from './password-hasher';
import { UserSignIn } from './user-sign-in';
import { UserEntity } from './user.entity';
import { UsersService } from './users.service';

/** A hash as the release before stored it: scrypt N=2^14, r=8, p=1. */
function olderHash(password: string): string {
  const salt = crypto.randomBytes(16);
  const key = crypto.scryptSync(password, salt, 32, { N: 16384, r: 8, p: 1 });
  return ['scrypt', 16384, 8, 1, salt.toString('base64url'), key.toString('base64url')].join('$');
}

describe('UsersService password storage', () => {
  let dir: string;
  let database: Database;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keymint-users-'));
    const dataSource = await openDataSource({
      service: 'registry',
      dataDir: dir,
      entities: [...MESSAGING_ENTITIES, UserEntity, ScopeEntity, ApplicationEntity, OAuthKeyEntity],
      migrations: [Initial1700000000000, OutboxHeaders1700000000007],
    });
    database = new Database(dataSource);
  });
  afterAll(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const passwords = new PasswordHasher(3000);
  const usersService = () => new UsersService(database, {} as ApplicationsService, passwords);
  const userRow = (username: string) => database.manager.findOneByOrFail(UserEntity, { username });
  const outboxRows = () => database.manager.count(OutboxEntry);

  it('stores an older hash again at today\'s parameters on the next successful sign-in, silently: no event, updatedAt kept', async () => {
    await usersService().create({ username: 'olduser', password: 'old-user-password-1', roles: ['subscriber'] });
    // The user as the release before left it.
    const older = olderHash('old-user-password-1');
    await database.transaction((manager) => manager.update(UserEntity, { username: 'olduser' }, { passwordHash: older, updatedAt: 1 }));
    const eventsBefore = await outboxRows();

    // A wrong password changes nothing.
    await expect(usersService().authenticate('olduser', 'wrong-password-123')).resolves.toBeNull();
    expect((await userRow('olduser')).passwordHash).toBe(older);

    await expect(usersService().authenticate('OldUser', 'old-user-password-1')).resolves.toEqual({ username: 'olduser', roles: ['subscriber'] });
    const after = await userRow('olduser');
    expect(after.passwordHash).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(needsRehash(after.passwordHash)).toBe(false);
    await expect(passwords.verify('old-user-password-1', after.passwordHash)).resolves.toBe(true);
    expect(after.updatedAt).toBe(1);
    // Not a password change: nothing published (a registry.user.updated.v1 would revoke the user's tokens).
    expect(await outboxRows()).toBe(eventsBefore);

    // A service with an empty credential cache signs the user in with the new hash.
    await expect(usersService().authenticate('olduser', 'old-user-password-1')).resolves.toEqual({ username: 'olduser', roles: ['subscriber'] });
    expect((await userRow('olduser')).passwordHash).toBe(after.passwordHash);
  });

  it('checks concurrent sign-ins with the same credentials once, with one count (a burst when the cached check expires)', async () => {
    await usersService().create({ username: 'busyuser', password: 'busy-user-password-1', roles: [] });
    const limiter = new SignInLimiter(3);
    const signIns = new UserSignIn(usersService(), limiter);
    const verify = jest.spyOn(jest.requireActual<typeof crypto>('node:crypto'), 'scrypt');
    try {
      const results = await Promise.all(Array.from({ length: 20 }, (_, n) => signIns.signIn(n % 2 ? 'busyuser' : 'BusyUser', 'busy-user-password-1', '192.0.2.1')));
      expect(results.every((result) => result.outcome === 'signed-in' && result.user.username === 'busyuser')).toBe(true);
      expect(verify).toHaveBeenCalledTimes(1);
      expect(limiter.waitSeconds('busyuser', '192.0.2.1')).toBe(0);
    } finally {
      verify.mockRestore();
      limiter.onModuleDestroy();
    }
  });
});
