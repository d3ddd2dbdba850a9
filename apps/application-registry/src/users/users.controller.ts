import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AccessGuard, ApiDoc, parseRequest, RequireAccess, wso2Error, CurrentRequestContext } from '@keymint/http-kit';
import type { RequestContext } from '@keymint/telemetry';
import { CreateUserInputSchema, PasswordChangeSchema, RolesChangeSchema, UserListSchema, UserSchema, UserView } from './dto/user.dto';
import { UsersService } from './users.service';
import { JsonContentGuard } from '../common/json-content.guard';

const BASE_PATH = '/api/am/admin/v2/users';
const UNKNOWN = wso2Error('Unknown user');

@Controller('api/am/admin/v2/users')
@UseGuards(AccessGuard, JsonContentGuard)
@RequireAccess('admin')
export class UsersController {
  constructor(@Inject(UsersService) private readonly users: UsersService) {}

  @ApiDoc({
    summary: 'Create a user',
    body: CreateUserInputSchema,
    responses: {
      201: { description: 'Created', body: UserSchema, headers: { Location: { description: 'Its path.' } } },
      409: wso2Error('Username taken (case-insensitive)'),
    },
  })
  @Post()
  @HttpCode(201)
  async create(@CurrentRequestContext() origin: RequestContext, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply): Promise<UserView> {
    const user = await this.users.create(parseRequest(CreateUserInputSchema, body), origin);
    void reply.header('Location', `${BASE_PATH}/${encodeURIComponent(user.username)}`);
    return user;
  }

  @ApiDoc({ summary: 'List users', responses: { 200: { description: 'Users', body: UserListSchema } } })
  @Get()
  list(): Promise<{ count: number; list: UserView[] }> {
    return this.users.list();
  }

  @ApiDoc({ summary: 'Get a user', responses: { 200: { description: 'The user', body: UserSchema }, 404: UNKNOWN } })
  @Get(':username')
  get(@Param('username') username: string): Promise<UserView> {
    return this.users.get(username);
  }

  @ApiDoc({
    summary: "Change a user's password",
    description: "Revokes the user's access and refresh tokens.",
    body: PasswordChangeSchema,
    responses: { 200: { description: 'The user', body: UserSchema }, 404: UNKNOWN },
  })
  @Put(':username/password')
  changePassword(@CurrentRequestContext() origin: RequestContext, @Param('username') username: string, @Body() body: unknown): Promise<UserView> {
    return this.users.changePassword(username, parseRequest(PasswordChangeSchema, body).password, origin);
  }

  @ApiDoc({
    summary: "Replace a user's roles",
    description: "A role taken away revokes the user's access and refresh tokens, as a password change or a deletion does.",
    body: RolesChangeSchema,
    responses: { 200: { description: 'The user', body: UserSchema }, 404: UNKNOWN, 409: wso2Error('Taking admin from the last admin') },
  })
  @Put(':username/roles')
  changeRoles(@CurrentRequestContext() origin: RequestContext, @Param('username') username: string, @Body() body: unknown): Promise<UserView> {
    return this.users.changeRoles(username, parseRequest(RolesChangeSchema, body).roles, origin);
  }

  @ApiDoc({
    summary: 'Delete a user and the applications it owns',
    description: "Revokes the user's access and refresh tokens, and every token of the applications it owned.",
    responses: { 200: { description: 'Deleted (empty body)' }, 404: UNKNOWN, 409: wso2Error('The last admin') },
  })
  @Delete(':username')
  @HttpCode(200)
  async remove(@CurrentRequestContext() origin: RequestContext, @Param('username') username: string): Promise<void> {
    await this.users.remove(username, origin);
  }
}
