import { z } from 'zod/v4';
import { PaginationSchema } from '../common/list-query';
import { applicationKeyView, ApplicationKeySchema } from '../keys/key-view';
import { OAuthKeyEntity } from '../keys/oauth-key.entity';
import { ApplicationEntity, THROTTLING_POLICIES, TOKEN_TYPES } from './application.entity';

/** WSO2's ApplicationInfo (list items). */
export const ApplicationInfoSchema = z
  .object({
    applicationId: z.uuid(),
    name: z.string(),
    throttlingPolicy: z.enum(THROTTLING_POLICIES),
    description: z.string(),
    tokenType: z.enum(TOKEN_TYPES),
    status: z.string().describe('Always APPROVED: there is no approval workflow.'),
    groups: z.array(z.string()),
    subscriptionCount: z.int(),
    attributes: z.record(z.string(), z.string()),
    owner: z.string().describe('Username of the creator.'),
    createdTime: z.iso.datetime(),
    updatedTime: z.iso.datetime(),
  })
  .meta({ id: 'ApplicationInfo' });
export type ApplicationInfoView = z.infer<typeof ApplicationInfoSchema>;

/** WSO2's Application (single resource), with its keys. */
export const ApplicationSchema = ApplicationInfoSchema.extend({
  keys: z.array(ApplicationKeySchema).describe('Without secrets.'),
  subscriptionScopes: z.array(z.string()),
  hashEnabled: z.literal(true).describe('Consumer secrets are stored hashed.'),
}).meta({ id: 'Application' });
export type ApplicationView = z.infer<typeof ApplicationSchema>;

export const ApplicationListSchema = z
  .object({ count: z.int(), list: z.array(ApplicationInfoSchema), pagination: PaginationSchema })
  .meta({ id: 'ApplicationList' });
export type ApplicationList = z.infer<typeof ApplicationListSchema>;

export function applicationInfoView(application: ApplicationEntity): ApplicationInfoView {
  return {
    applicationId: application.applicationId,
    name: application.name,
    throttlingPolicy: application.throttlingPolicy,
    description: application.description,
    tokenType: application.tokenType,
    status: application.status,
    groups: [],
    subscriptionCount: 0,
    attributes: application.attributes,
    owner: application.owner,
    createdTime: new Date(application.createdAt).toISOString(),
    updatedTime: new Date(application.updatedAt).toISOString(),
  };
}

export function applicationView(application: ApplicationEntity, keys: OAuthKeyEntity[]): ApplicationView {
  return { ...applicationInfoView(application), keys: keys.map(applicationKeyView), subscriptionScopes: [], hashEnabled: true };
}
