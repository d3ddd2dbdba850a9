import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { EntityManager, In } from 'typeorm';
import { isUuid, type ApplicationV1 } from '@keymint/contracts';
import type { Principal } from '@keymint/http-kit';
import { publishInTransaction } from '@keymint/messaging';
import { Database } from '@keymint/persistence';
import type { RequestContext } from '@keymint/telemetry';
import { isUniqueViolation, RegistryError } from '../common/http-errors';
import { isAdministrator } from '../common/principal';
import { containsPattern, pagination } from '../common/list-query';
import { ConsumerSecretEntity } from '../keys/consumer-secret.entity';
import { OAuthKeyEntity } from '../keys/oauth-key.entity';
import { ApplicationEntity } from './application.entity';
import { ApplicationList, applicationInfoView, applicationView, ApplicationView } from './application-view';
import { ApplicationInput } from './dto/application.dto';
import { ApplicationListQuery } from './dto/list-applications.query';

/** Applications are always approved: there is no approval workflow. */
const APPROVED = 'APPROVED';

@Injectable()
export class ApplicationsService {
  constructor(@Inject(Database) private readonly database: Database) {}

  async create(principal: Principal, input: ApplicationInput, origin?: RequestContext): Promise<ApplicationView> {
    const now = Date.now();
    const application: ApplicationEntity = {
      applicationId: randomUUID(),
      name: input.name,
      nameKey: input.name.toLowerCase(),
      owner: principal.username,
      throttlingPolicy: input.throttlingPolicy,
      description: input.description,
      tokenType: input.tokenType,
      attributes: input.attributes,
      status: APPROVED,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.database.transaction(async (manager) => {
        await this.assertNameFree(manager, application.owner, application.nameKey);
        await manager.insert(ApplicationEntity, application);
        await publishInTransaction(manager, 'registry.application.created.v1', applicationEvent(application), origin);
      });
    } catch (error) {
      throw isUniqueViolation(error) ? duplicateName(input.name) : error;
    }
    return applicationView(application, []);
  }

  async list(principal: Principal, request: ApplicationListQuery, basePath: string): Promise<ApplicationList> {
    const [rows, total] = await this.database.consistentRead((manager) => {
      const builder = manager.createQueryBuilder(ApplicationEntity, 'app');
      // A subscriber lists only its own applications; an admin may narrow by owner.
      const owner = isAdministrator(principal) ? request.owner : principal.username;
      if (owner !== undefined) builder.andWhere('app.owner = :owner', { owner });
      if (request.query) builder.andWhere(`app.nameKey LIKE :pattern ESCAPE '\\'`, { pattern: containsPattern(request.query) });
      const column = request.sortBy === 'name' ? 'app.nameKey' : `app.${request.sortBy}`;
      const order = request.sortOrder === 'desc' ? 'DESC' : 'ASC';
      return builder
        .orderBy(column, order)
        .addOrderBy('app.createdAt', order)
        .addOrderBy('app.applicationId', order)
        .skip(request.page.offset)
        .take(request.page.limit)
        .getManyAndCount();
    });
    return {
      count: rows.length,
      list: rows.map(applicationInfoView),
      pagination: pagination(basePath, request.page, total, {
        query: request.query,
        sortBy: request.sortBy,
        sortOrder: request.sortOrder,
      }),
    };
  }

  async get(principal: Principal, applicationId: string): Promise<ApplicationView> {
    const application = await this.findVisible(principal, applicationId);
    const keys = await this.database.consistentRead((manager) =>
      manager.find(OAuthKeyEntity, { where: { applicationId: application.applicationId }, order: { keyType: 'ASC' } }),
    );
    return applicationView(application, keys);
  }

  async update(principal: Principal, applicationId: string, input: ApplicationInput, origin?: RequestContext): Promise<ApplicationView> {
    const visible = await this.findVisible(principal, applicationId);
    try {
      const [application, keys] = await this.database.transaction(async (manager) => {
        const current = await manager.findOneBy(ApplicationEntity, { applicationId: visible.applicationId });
        if (!current) throw notFound(applicationId);
        const nameKey = input.name.toLowerCase();
        if (nameKey !== current.nameKey) await this.assertNameFree(manager, current.owner, nameKey);
        const changed: ApplicationEntity = { ...current, ...input, nameKey, updatedAt: Date.now() };
        await manager.update(
          ApplicationEntity,
          { applicationId: current.applicationId },
          {
            name: changed.name,
            nameKey: changed.nameKey,
            throttlingPolicy: changed.throttlingPolicy,
            description: changed.description,
            tokenType: changed.tokenType,
            attributes: changed.attributes,
            updatedAt: changed.updatedAt,
          },
        );
        await publishInTransaction(manager, 'registry.application.updated.v1', applicationEvent(changed), origin);
        const keys = await manager.find(OAuthKeyEntity, { where: { applicationId: current.applicationId }, order: { keyType: 'ASC' } });
        return [changed, keys] as const;
      });
      return applicationView(application, keys);
    } catch (error) {
      throw isUniqueViolation(error) ? duplicateName(input.name) : error;
    }
  }

  async remove(principal: Principal, applicationId: string, origin?: RequestContext): Promise<void> {
    const application = await this.findVisible(principal, applicationId);
    await this.database.transaction(async (manager) => {
      const current = await manager.findOneBy(ApplicationEntity, { applicationId: application.applicationId });
      if (!current) throw notFound(applicationId);
      await this.removeInTransaction(manager, current, origin);
    });
  }

  /** Deletes every application of an owner (the owner is being deleted), in the caller's transaction. */
  async removeAllOwnedBy(manager: EntityManager, owner: string, origin?: RequestContext): Promise<number> {
    const applications = await manager.findBy(ApplicationEntity, { owner });
    for (const application of applications) await this.removeInTransaction(manager, application, origin);
    return applications.length;
  }

  /**
   * The application as its caller may see it: a subscriber's view of another
   * owner's application is a 404, so ids of others cannot be probed.
   */
  async findVisible(principal: Principal, applicationId: string): Promise<ApplicationEntity> {
    if (!isUuid(applicationId)) throw notFound(applicationId);
    const application = await this.database.consistentRead((manager) =>
      manager.findOneBy(ApplicationEntity, { applicationId: applicationId.toLowerCase() }),
    );
    if (!application || (!isAdministrator(principal) && application.owner !== principal.username)) throw notFound(applicationId);
    return application;
  }

  // The token service revokes by applicationId on this event, so the keys go without events of their own.
  private async removeInTransaction(manager: EntityManager, application: ApplicationEntity, origin: RequestContext | undefined): Promise<void> {
    const keys = await manager.findBy(OAuthKeyEntity, { applicationId: application.applicationId });
    if (keys.length > 0) await manager.delete(ConsumerSecretEntity, { keyMappingId: In(keys.map((key) => key.keyMappingId)) });
    await manager.delete(OAuthKeyEntity, { applicationId: application.applicationId });
    await manager.delete(ApplicationEntity, { applicationId: application.applicationId });
    await publishInTransaction(manager, 'registry.application.deleted.v1', applicationEvent(application), origin);
  }

  private async assertNameFree(manager: EntityManager, owner: string, nameKey: string): Promise<void> {
    const existing = await manager.findOneBy(ApplicationEntity, { owner, nameKey });
    if (existing) throw duplicateName(existing.name);
  }
}

function notFound(applicationId: string) {
  return RegistryError.notFound(`Application ${applicationId.slice(0, 64)} was not found.`);
}

function duplicateName(name: string) {
  return RegistryError.conflict(`An application named '${name}' already exists for this owner.`);
}

export function applicationEvent(application: ApplicationEntity): ApplicationV1 {
  return {
    applicationId: application.applicationId,
    name: application.name,
    owner: application.owner,
    tokenType: application.tokenType,
    throttlingPolicy: application.throttlingPolicy,
  };
}
