import { GRANT_TYPES, KEY_TYPES } from '@keymint/contracts';
import { THROTTLING_POLICIES, TOKEN_TYPES } from '../applications/application.entity';
import { ROLES } from '../users/roles';

type Schema = Record<string, unknown>;
const string = (extra: Schema = {}): Schema => ({ type: 'string', ...extra });
const array = (items: Schema): Schema => ({ type: 'array', items });
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

const pagination: Schema = {
  type: 'object',
  properties: {
    offset: { type: 'integer' },
    limit: { type: 'integer' },
    total: { type: 'integer' },
    next: string({ description: 'Path of the next page, "" when none.' }),
    previous: string({ description: 'Path of the previous page, "" when none.' }),
  },
};

const applicationKey: Schema = {
  type: 'object',
  properties: {
    keyMappingId: string({ format: 'uuid' }),
    keyManager: string(),
    consumerKey: string(),
    supportedGrantTypes: array(string({ enum: GRANT_TYPES })),
    callbackUrl: string(),
    keyState: string({ enum: ['COMPLETED'] }),
    keyType: string({ enum: KEY_TYPES }),
    mode: string(),
    scopes: array(string()),
    validityTime: { type: 'integer' },
  },
};

const applicationInfo: Schema = {
  type: 'object',
  properties: {
    applicationId: string({ format: 'uuid', readOnly: true }),
    name: string({ minLength: 1, maxLength: 100 }),
    throttlingPolicy: string({ enum: THROTTLING_POLICIES }),
    description: string({ maxLength: 512 }),
    tokenType: string({ enum: TOKEN_TYPES }),
    status: string({ enum: ['APPROVED'], readOnly: true }),
    groups: array(string()),
    subscriptionCount: { type: 'integer' },
    attributes: { type: 'object', additionalProperties: string() },
    owner: string({ readOnly: true }),
    createdTime: string({ format: 'date-time' }),
    updatedTime: string({ format: 'date-time' }),
  },
};

/** components.schemas shared by both documents. */
export const SCHEMAS: Record<string, Schema> = {
  Error: {
    type: 'object',
    required: ['code', 'message', 'description'],
    properties: { code: { type: 'integer' }, message: string(), description: string() },
  },
  Pagination: pagination,
  ApplicationInput: {
    type: 'object',
    required: ['name'],
    properties: {
      name: string({ minLength: 1, maxLength: 100 }),
      throttlingPolicy: string({ enum: THROTTLING_POLICIES, default: 'Unlimited' }),
      description: string({ maxLength: 512 }),
      tokenType: string({ enum: TOKEN_TYPES, default: 'JWT' }),
      attributes: { type: 'object', additionalProperties: string({ maxLength: 1024 }) },
    },
  },
  ApplicationInfo: applicationInfo,
  Application: {
    allOf: [applicationInfo, { type: 'object', properties: { keys: array(ref('ApplicationKey')), subscriptionScopes: array(string()), hashEnabled: { type: 'boolean' } } }],
  },
  ApplicationList: { type: 'object', properties: { count: { type: 'integer' }, list: array(ref('ApplicationInfo')), pagination: ref('Pagination') } },
  ApplicationKeyGenerateRequest: {
    type: 'object',
    required: ['keyType'],
    properties: {
      keyType: string({ enum: KEY_TYPES }),
      grantTypesToBeSupported: array(string({ enum: GRANT_TYPES })),
      scopes: array(string()),
      validityTime: { oneOf: [{ type: 'integer', minimum: 1 }, string({ pattern: '^\\d+$' })], default: 3600 },
      callbackUrl: string({ format: 'uri' }),
    },
  },
  ApplicationKey: applicationKey,
  GeneratedApplicationKey: { allOf: [applicationKey, { type: 'object', properties: { consumerSecret: string() } }] },
  ApplicationKeyUpdate: {
    type: 'object',
    properties: {
      supportedGrantTypes: array(string({ enum: GRANT_TYPES })),
      scopes: array(string()),
      validityTime: { oneOf: [{ type: 'integer', minimum: 1 }, string({ pattern: '^\\d+$' })] },
      callbackUrl: string({ format: 'uri' }),
    },
  },
  ApplicationKeyList: { type: 'object', properties: { count: { type: 'integer' }, list: array(ref('ApplicationKey')) } },
  ConsumerSecret: { type: 'object', properties: { consumerKey: string(), consumerSecret: string() } },
  TokenRequest: {
    type: 'object',
    required: ['consumerSecret'],
    properties: { consumerSecret: string(), validityPeriod: { type: 'integer', description: 'Seconds; -1 or absent: the key validityTime.' }, scopes: array(string()) },
  },
  Token: { type: 'object', properties: { accessToken: string(), tokenScopes: array(string()), validityTime: { type: 'integer' } } },
  UserInput: {
    type: 'object',
    required: ['username', 'password'],
    properties: {
      username: string({ pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$' }),
      password: string({ minLength: 8, maxLength: 128 }),
      roles: array(string({ enum: ROLES })),
    },
  },
  User: { type: 'object', properties: { userId: string({ format: 'uuid' }), username: string(), roles: array(string({ enum: ROLES })) } },
  UserList: { type: 'object', properties: { count: { type: 'integer' }, list: array(ref('User')) } },
  PasswordChange: { type: 'object', required: ['password'], properties: { password: string({ minLength: 8, maxLength: 128 }) } },
  ScopeInput: { type: 'object', properties: { description: string({ maxLength: 512 }), bindings: array(string({ enum: ROLES })) } },
  Scope: { type: 'object', properties: { name: string(), description: string(), bindings: array(string()) } },
  ScopeList: { type: 'object', properties: { count: { type: 'integer' }, list: array(ref('Scope')) } },
};
