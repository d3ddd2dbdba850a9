import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { IssueTokenResponse } from '@keymint/contracts';
import { ACCESS_GUARD_SECURITY, AccessGuard, ApiDoc, CurrentPrincipal, parseRequest, Principal, RequireAccess, wso2Error, CurrentRequestContext } from '@keymint/http-kit';
import type { RequestContext } from '@keymint/telemetry';
import { GenerateKeysInputSchema, GenerateSecretInputSchema, GenerateTokenInputSchema, RevokeSecretInputSchema, TokenSchema, UpdateKeyInputSchema } from './dto/key-input';
import {
  ApplicationKeyListSchema,
  ApplicationKeySchema,
  ApplicationKeyView,
  ConsumerSecretInfoView,
  ConsumerSecretListSchema,
  ConsumerSecretSchema,
  GeneratedApplicationKeySchema,
  GeneratedConsumerSecretSchema,
  GeneratedConsumerSecretView,
  GeneratedKeyView,
} from './key-view';
import { KeysService } from './keys.service';
import { JsonContentGuard } from '../common/json-content.guard';

const UNKNOWN_APPLICATION = wso2Error('Unknown application');
const UNKNOWN_KEY = wso2Error('Unknown key');
const UNKNOWN_KEY_OR_SECRET = wso2Error('Unknown key or secret');

/** WSO2 Developer Portal v2: an application's consumer keys. */
@Controller('api/am/devportal/v2/applications/:applicationId')
@UseGuards(AccessGuard, JsonContentGuard)
@RequireAccess('devportal')
export class KeysController {
  constructor(@Inject(KeysService) private readonly keys: KeysService) {}

  @ApiDoc({
    summary: 'Generate a consumer key and secret (one per key type)',
    body: GenerateKeysInputSchema,
    responses: {
      200: { description: 'The key, with its secret (shown only here)', body: GeneratedApplicationKeySchema },
      404: UNKNOWN_APPLICATION,
      409: wso2Error('The key type exists already'),
    },
  })
  @Post('generate-keys')
  @HttpCode(200)
  generate(
    @CurrentRequestContext() origin: RequestContext,
    @CurrentPrincipal() principal: Principal,
    @Param('applicationId') applicationId: string,
    @Body() body: unknown,
  ): Promise<GeneratedKeyView> {
    return this.keys.generate(principal, applicationId, parseRequest(GenerateKeysInputSchema, body), origin);
  }

  @ApiDoc({ summary: "The application's keys (without secrets)", responses: { 200: { description: 'Keys', body: ApplicationKeyListSchema }, 404: UNKNOWN_APPLICATION } })
  @Get('oauth-keys')
  list(@CurrentPrincipal() principal: Principal, @Param('applicationId') applicationId: string): Promise<{ count: number; list: ApplicationKeyView[] }> {
    return this.keys.list(principal, applicationId);
  }

  @ApiDoc({ summary: 'One key (without secret)', responses: { 200: { description: 'The key', body: ApplicationKeySchema }, 404: UNKNOWN_KEY } })
  @Get('oauth-keys/:keyMappingId')
  get(
    @CurrentPrincipal() principal: Principal,
    @Param('applicationId') applicationId: string,
    @Param('keyMappingId') keyMappingId: string,
  ): Promise<ApplicationKeyView> {
    return this.keys.get(principal, applicationId, keyMappingId);
  }

  @ApiDoc({
    summary: 'Update grant types, scopes, validityTime or callbackUrl',
    body: UpdateKeyInputSchema,
    responses: { 200: { description: 'The key', body: ApplicationKeySchema }, 404: UNKNOWN_KEY },
  })
  @Put('oauth-keys/:keyMappingId')
  update(
    @CurrentRequestContext() origin: RequestContext,
    @CurrentPrincipal() principal: Principal,
    @Param('applicationId') applicationId: string,
    @Param('keyMappingId') keyMappingId: string,
    @Body() body: unknown,
  ): Promise<ApplicationKeyView> {
    return this.keys.update(principal, applicationId, keyMappingId, parseRequest(UpdateKeyInputSchema, body), origin);
  }

  @ApiDoc({ summary: 'Delete the key (its tokens are revoked)', responses: { 200: { description: 'Deleted (empty body)' }, 404: UNKNOWN_KEY } })
  @Delete('oauth-keys/:keyMappingId')
  @HttpCode(200)
  async remove(
    @CurrentRequestContext() origin: RequestContext,
    @CurrentPrincipal() principal: Principal,
    @Param('applicationId') applicationId: string,
    @Param('keyMappingId') keyMappingId: string,
  ): Promise<void> {
    await this.keys.remove(principal, applicationId, keyMappingId, origin);
  }

  @ApiDoc({
    summary: "New consumer secret; every other secret stops working and the key's tokens are revoked",
    responses: { 200: { description: 'The new secret (shown only here)', body: ConsumerSecretSchema }, 404: UNKNOWN_KEY },
  })
  @Post('oauth-keys/:keyMappingId/regenerate-secret')
  @HttpCode(200)
  regenerateSecret(
    @CurrentRequestContext() origin: RequestContext,
    @CurrentPrincipal() principal: Principal,
    @Param('applicationId') applicationId: string,
    @Param('keyMappingId') keyMappingId: string,
  ): Promise<{ consumerKey: string; consumerSecret: string }> {
    return this.keys.regenerateSecret(principal, applicationId, keyMappingId, origin);
  }

  @ApiDoc({
    summary: 'Another consumer secret (rotation without downtime): the others keep working',
    body: GenerateSecretInputSchema,
    responses: {
      201: {
        description: 'The new secret (shown only here)',
        body: GeneratedConsumerSecretSchema,
        headers: { Location: { description: 'Its path (under …/secrets).' } },
      },
      404: UNKNOWN_KEY,
      409: wso2Error('The key has its maximum of secrets'),
    },
  })
  @Post('oauth-keys/:keyMappingId/generate-secret')
  @HttpCode(201)
  async generateSecret(
    @CurrentRequestContext() origin: RequestContext,
    @CurrentPrincipal() principal: Principal,
    @Param('applicationId') applicationId: string,
    @Param('keyMappingId') keyMappingId: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<GeneratedConsumerSecretView> {
    const secret = await this.keys.generateSecret(principal, applicationId, keyMappingId, parseRequest(GenerateSecretInputSchema, body), origin);
    // Both ids were found (they are UUIDs), so they are safe in a path as they are.
    void reply.header('Location', `/api/am/devportal/v2/applications/${applicationId.toLowerCase()}/oauth-keys/${keyMappingId.toLowerCase()}/secrets/${secret.secretId}`);
    return secret;
  }

  @ApiDoc({
    summary: "The key's secrets, active and expired (never the secrets themselves; revoked ones are gone)",
    responses: { 200: { description: 'Secrets', body: ConsumerSecretListSchema }, 404: UNKNOWN_KEY },
  })
  @Get('oauth-keys/:keyMappingId/secrets')
  listSecrets(
    @CurrentPrincipal() principal: Principal,
    @Param('applicationId') applicationId: string,
    @Param('keyMappingId') keyMappingId: string,
  ): Promise<{ count: number; list: ConsumerSecretInfoView[] }> {
    return this.keys.listSecrets(principal, applicationId, keyMappingId);
  }

  @ApiDoc({
    summary: 'Revoke one secret: it stops working at once; tokens obtained with it stay valid',
    body: RevokeSecretInputSchema,
    responses: {
      204: { description: 'Revoked (no body)' },
      404: UNKNOWN_KEY_OR_SECRET,
      409: wso2Error("The key's last active secret (use regenerate-secret)"),
    },
  })
  @Post('oauth-keys/:keyMappingId/revoke-secret')
  @HttpCode(204)
  async revokeSecret(
    @CurrentRequestContext() origin: RequestContext,
    @CurrentPrincipal() principal: Principal,
    @Param('applicationId') applicationId: string,
    @Param('keyMappingId') keyMappingId: string,
    @Body() body: unknown,
  ): Promise<void> {
    await this.keys.revokeSecret(principal, applicationId, keyMappingId, parseRequest(RevokeSecretInputSchema, body).secretId, origin);
  }

  @ApiDoc({
    summary: 'A client-credentials token from the token service',
    body: GenerateTokenInputSchema,
    responses: {
      200: { description: 'The token', body: TokenSchema },
      401: wso2Error('Wrong consumer secret', ACCESS_GUARD_SECURITY.responses[401].headers),
      404: UNKNOWN_KEY,
      502: wso2Error('The token service failed'),
      503: wso2Error('The token service cannot be reached'),
    },
  })
  @Post('oauth-keys/:keyMappingId/generate-token')
  @HttpCode(200)
  generateToken(
    @CurrentRequestContext() origin: RequestContext,
    @CurrentPrincipal() principal: Principal,
    @Param('applicationId') applicationId: string,
    @Param('keyMappingId') keyMappingId: string,
    @Body() body: unknown,
  ): Promise<IssueTokenResponse> {
    return this.keys.generateToken(principal, applicationId, keyMappingId, parseRequest(GenerateTokenInputSchema, body), origin);
  }
}
