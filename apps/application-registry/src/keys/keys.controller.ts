import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, UseGuards } from '@nestjs/common';
import type { IssueTokenResponse } from '@keymint/contracts';
import { AccessGuard, CurrentPrincipal, Principal, RequireAccess } from '@keymint/http-kit';
import { parseGenerateKeysInput, parseGenerateTokenInput, parseUpdateKeyInput } from './dto/key-input';
import { ApplicationKeyView } from './key-view';
import { GeneratedKeyView, KeysService } from './keys.service';
import { JsonContentGuard } from '../common/json-content.guard';
import { ApiDoc } from '../openapi/api-doc.decorator';

/** WSO2 Developer Portal v2: an application's consumer keys. */
@Controller('api/am/devportal/v2/applications/:applicationId')
@UseGuards(AccessGuard, JsonContentGuard)
@RequireAccess('devportal')
export class KeysController {
  constructor(@Inject(KeysService) private readonly keys: KeysService) {}

  @ApiDoc({ summary: 'Generate a consumer key and secret (one per key type)', body: 'ApplicationKeyGenerateRequest', responses: { 200: ['The key, with its secret (shown only here)', 'GeneratedApplicationKey'], 404: ['Unknown application', 'Error'], 409: ['The key type exists already', 'Error'] } })
  @Post('generate-keys')
  @HttpCode(200)
  generate(
    @CurrentPrincipal() principal: Principal,
    @Param('applicationId') applicationId: string,
    @Body() body: unknown,
  ): Promise<GeneratedKeyView> {
    return this.keys.generate(principal, applicationId, parseGenerateKeysInput(body));
  }

  @ApiDoc({ summary: "The application's keys (without secrets)", responses: { 200: ['Keys', 'ApplicationKeyList'], 404: ['Unknown application', 'Error'] } })
  @Get('oauth-keys')
  list(@CurrentPrincipal() principal: Principal, @Param('applicationId') applicationId: string): Promise<{ count: number; list: ApplicationKeyView[] }> {
    return this.keys.list(principal, applicationId);
  }

  @ApiDoc({ summary: 'One key (without secret)', responses: { 200: ['The key', 'ApplicationKey'], 404: ['Unknown key', 'Error'] } })
  @Get('oauth-keys/:keyMappingId')
  get(
    @CurrentPrincipal() principal: Principal,
    @Param('applicationId') applicationId: string,
    @Param('keyMappingId') keyMappingId: string,
  ): Promise<ApplicationKeyView> {
    return this.keys.get(principal, applicationId, keyMappingId);
  }

  @ApiDoc({ summary: 'Update grant types, scopes, validityTime or callbackUrl', body: 'ApplicationKeyUpdate', responses: { 200: ['The key', 'ApplicationKey'], 404: ['Unknown key', 'Error'] } })
  @Put('oauth-keys/:keyMappingId')
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('applicationId') applicationId: string,
    @Param('keyMappingId') keyMappingId: string,
    @Body() body: unknown,
  ): Promise<ApplicationKeyView> {
    return this.keys.update(principal, applicationId, keyMappingId, parseUpdateKeyInput(body));
  }

  @ApiDoc({ summary: 'Delete the key (its tokens are revoked)', responses: { 200: ['Deleted'], 404: ['Unknown key', 'Error'] } })
  @Delete('oauth-keys/:keyMappingId')
  @HttpCode(200)
  async remove(
    @CurrentPrincipal() principal: Principal,
    @Param('applicationId') applicationId: string,
    @Param('keyMappingId') keyMappingId: string,
  ): Promise<void> {
    await this.keys.remove(principal, applicationId, keyMappingId);
  }

  @ApiDoc({ summary: 'New consumer secret; the old one stops working', responses: { 200: ['The new secret (shown only here)', 'ConsumerSecret'], 404: ['Unknown key', 'Error'] } })
  @Post('oauth-keys/:keyMappingId/regenerate-secret')
  @HttpCode(200)
  regenerateSecret(
    @CurrentPrincipal() principal: Principal,
    @Param('applicationId') applicationId: string,
    @Param('keyMappingId') keyMappingId: string,
  ): Promise<{ consumerKey: string; consumerSecret: string }> {
    return this.keys.regenerateSecret(principal, applicationId, keyMappingId);
  }

  @ApiDoc({ summary: 'A client-credentials token from the token service', body: 'TokenRequest', responses: { 200: ['The token', 'Token'], 404: ['Unknown key', 'Error'], 503: ['Token service unreachable', 'Error'] } })
  @Post('oauth-keys/:keyMappingId/generate-token')
  @HttpCode(200)
  generateToken(
    @CurrentPrincipal() principal: Principal,
    @Param('applicationId') applicationId: string,
    @Param('keyMappingId') keyMappingId: string,
    @Body() body: unknown,
  ): Promise<IssueTokenResponse> {
    return this.keys.generateToken(principal, applicationId, keyMappingId, parseGenerateTokenInput(body));
  }
}
