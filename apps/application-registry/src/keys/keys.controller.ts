import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, UseGuards } from '@nestjs/common';
import type { IssueTokenResponse } from '@keymint/contracts';
import { ACCESS_GUARD_SECURITY, AccessGuard, ApiDoc, CurrentPrincipal, parseRequest, Principal, RequireAccess, wso2Error } from '@keymint/http-kit';
import { GenerateKeysInputSchema, GenerateTokenInputSchema, TokenSchema, UpdateKeyInputSchema } from './dto/key-input';
import { ApplicationKeyListSchema, ApplicationKeySchema, ApplicationKeyView, ConsumerSecretSchema, GeneratedApplicationKeySchema, GeneratedKeyView } from './key-view';
import { KeysService } from './keys.service';
import { JsonContentGuard } from '../common/json-content.guard';

const UNKNOWN_APPLICATION = wso2Error('Unknown application');
const UNKNOWN_KEY = wso2Error('Unknown key');

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
    @CurrentPrincipal() principal: Principal,
    @Param('applicationId') applicationId: string,
    @Body() body: unknown,
  ): Promise<GeneratedKeyView> {
    return this.keys.generate(principal, applicationId, parseRequest(GenerateKeysInputSchema, body));
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
    @CurrentPrincipal() principal: Principal,
    @Param('applicationId') applicationId: string,
    @Param('keyMappingId') keyMappingId: string,
    @Body() body: unknown,
  ): Promise<ApplicationKeyView> {
    return this.keys.update(principal, applicationId, keyMappingId, parseRequest(UpdateKeyInputSchema, body));
  }

  @ApiDoc({ summary: 'Delete the key (its tokens are revoked)', responses: { 200: { description: 'Deleted (empty body)' }, 404: UNKNOWN_KEY } })
  @Delete('oauth-keys/:keyMappingId')
  @HttpCode(200)
  async remove(
    @CurrentPrincipal() principal: Principal,
    @Param('applicationId') applicationId: string,
    @Param('keyMappingId') keyMappingId: string,
  ): Promise<void> {
    await this.keys.remove(principal, applicationId, keyMappingId);
  }

  @ApiDoc({
    summary: 'New consumer secret; the old one stops working',
    responses: { 200: { description: 'The new secret (shown only here)', body: ConsumerSecretSchema }, 404: UNKNOWN_KEY },
  })
  @Post('oauth-keys/:keyMappingId/regenerate-secret')
  @HttpCode(200)
  regenerateSecret(
    @CurrentPrincipal() principal: Principal,
    @Param('applicationId') applicationId: string,
    @Param('keyMappingId') keyMappingId: string,
  ): Promise<{ consumerKey: string; consumerSecret: string }> {
    return this.keys.regenerateSecret(principal, applicationId, keyMappingId);
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
    @CurrentPrincipal() principal: Principal,
    @Param('applicationId') applicationId: string,
    @Param('keyMappingId') keyMappingId: string,
    @Body() body: unknown,
  ): Promise<IssueTokenResponse> {
    return this.keys.generateToken(principal, applicationId, keyMappingId, parseRequest(GenerateTokenInputSchema, body));
  }
}
