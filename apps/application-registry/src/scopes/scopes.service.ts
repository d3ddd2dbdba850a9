import { Inject, Injectable } from '@nestjs/common';
import { EntityManager, In } from 'typeorm';
import type { ScopeDefinition } from '@keymint/contracts';
import { publishInTransaction } from '@keymint/messaging';
import { Database } from '@keymint/persistence';
import type { RequestContext } from '@keymint/telemetry';
import { isUniqueViolation, RegistryError } from '../common/http-errors';
import { keysEvent } from '../keys/key-events';
import { OAuthKeyEntity } from '../keys/oauth-key.entity';
import { ScopeInput, ScopeView } from './dto/scope.dto';
import { BUILT_IN_SCOPES, isBuiltInScope, isScopeToken } from './scope-syntax';
import { ScopeEntity } from './scope.entity';

@Injectable()
export class ScopesService {
  constructor(@Inject(Database) private readonly database: Database) {}

  /** Adds the built-in scopes that are missing; never overwrites what an admin changed. */
  async ensureBuiltIns(): Promise<void> {
    for (const scope of BUILT_IN_SCOPES) {
      const existing = await this.database.consistentRead((manager) => manager.findOneBy(ScopeEntity, { name: scope.name }));
      if (existing) continue;
      try {
        await this.database.transaction((manager) =>
          manager.insert(ScopeEntity, { name: scope.name, description: scope.description, bindings: [...scope.bindings], updatedAt: Date.now() }),
        );
      } catch (error) {
        // Another replica starting at the same moment inserted it first.
        if (!isUniqueViolation(error)) throw error;
      }
    }
  }

  async list(): Promise<{ count: number; list: ScopeView[] }> {
    const scopes = await this.database.consistentRead((manager) => manager.find(ScopeEntity, { order: { name: 'ASC' } }));
    return { count: scopes.length, list: scopes.map(scopeView) };
  }

  async get(name: string): Promise<ScopeView> {
    assertScopeName(name);
    const scope = await this.database.consistentRead((manager) => manager.findOneBy(ScopeEntity, { name }));
    if (!scope) throw notFound(name);
    return scopeView(scope);
  }

  /**
   * Creates or replaces a scope. Keys that allow it get `registry.keys.updated.v1`
   * so the token service's client cache picks up the new bindings.
   */
  async put(name: string, input: ScopeInput, origin?: RequestContext): Promise<{ created: boolean; scope: ScopeView }> {
    assertScopeName(name);
    const scope: ScopeEntity = { name, description: input.description, bindings: input.bindings, updatedAt: Date.now() };
    try {
      const created = await this.database.transaction(async (manager) => {
        const existing = await manager.findOneBy(ScopeEntity, { name });
        if (!existing) {
          await manager.insert(ScopeEntity, scope);
          return true;
        }
        await manager.update(ScopeEntity, { name }, { description: scope.description, bindings: scope.bindings, updatedAt: scope.updatedAt });
        for (const key of await keysUsingScope(manager, name)) {
          await publishInTransaction(manager, 'registry.keys.updated.v1', keysEvent(key), origin);
        }
        return false;
      });
      return { created, scope: scopeView(scope) };
    } catch (error) {
      if (isUniqueViolation(error)) throw RegistryError.conflict(`Scope '${name}' was created concurrently; retry the request.`);
      throw error;
    }
  }

  async remove(name: string): Promise<void> {
    assertScopeName(name);
    if (isBuiltInScope(name)) throw RegistryError.conflict(`Scope '${name}' is built in and cannot be deleted.`);
    await this.database.transaction(async (manager) => {
      const existing = await manager.findOneBy(ScopeEntity, { name });
      if (!existing) throw notFound(name);
      const users = await keysUsingScope(manager, name);
      if (users.length > 0) {
        throw RegistryError.conflict(`Scope '${name}' is allowed on ${users.length} key(s); remove it from them first.`);
      }
      await manager.delete(ScopeEntity, { name });
    });
  }

  /** The scopes among `names` that do not exist. */
  async missing(manager: EntityManager, names: string[]): Promise<string[]> {
    if (names.length === 0) return [];
    const found = await manager.find(ScopeEntity, { select: { name: true }, where: { name: In(names) } });
    const known = new Set(found.map((scope) => scope.name));
    return names.filter((name) => !known.has(name));
  }

  /** Scope definitions with their bindings, in the order of `names`; unknown names are skipped. */
  async definitions(manager: EntityManager, names: string[]): Promise<ScopeDefinition[]> {
    if (names.length === 0) return [];
    const found = await manager.findBy(ScopeEntity, { name: In(names) });
    const byName = new Map(found.map((scope) => [scope.name, scope]));
    return names.flatMap((name) => {
      const scope = byName.get(name);
      return scope ? [{ name: scope.name, bindings: scope.bindings }] : [];
    });
  }
}

function assertScopeName(name: string): void {
  if (!isScopeToken(name)) {
    throw RegistryError.badRequest('The scope name must be 1 to 255 characters of RFC 6749 scope-token syntax (printable ASCII, no space, " or \\).');
  }
}

async function keysUsingScope(manager: EntityManager, name: string): Promise<OAuthKeyEntity[]> {
  // Scopes are a JSON array in a text column: a LIKE narrows, the parse decides.
  const candidates = await manager
    .createQueryBuilder(OAuthKeyEntity, 'key')
    .where('key.scopes LIKE :pattern', { pattern: `%${JSON.stringify(name).slice(1, -1)}%` })
    .getMany();
  return candidates.filter((key) => key.scopes.includes(name));
}

function notFound(name: string) {
  return RegistryError.notFound(`Scope '${name}' was not found.`);
}

function scopeView(scope: ScopeEntity): ScopeView {
  return { name: scope.name, description: scope.description, bindings: scope.bindings };
}
