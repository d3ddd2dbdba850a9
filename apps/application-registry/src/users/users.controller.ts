import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AccessGuard, RequireAccess } from '@keymint/http-kit';
import { parseCreateUserInput, parsePasswordInput } from './dto/user.dto';
import { UsersService, UserView } from './users.service';
import { JsonContentGuard } from '../common/json-content.guard';
import { ApiDoc } from '../openapi/api-doc.decorator';

const BASE_PATH = '/api/am/admin/v2/users';

@Controller('api/am/admin/v2/users')
@UseGuards(AccessGuard, JsonContentGuard)
@RequireAccess('admin')
export class UsersController {
  constructor(@Inject(UsersService) private readonly users: UsersService) {}

  @ApiDoc({ summary: 'Create a user', body: 'UserInput', responses: { 201: ['Created (Location header)', 'User'], 409: ['Username taken (case-insensitive)', 'Error'] } })
  @Post()
  @HttpCode(201)
  async create(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply): Promise<UserView> {
    const user = await this.users.create(parseCreateUserInput(body));
    void reply.header('Location', `${BASE_PATH}/${encodeURIComponent(user.username)}`);
    return user;
  }

  @ApiDoc({ summary: 'List users', responses: { 200: ['Users', 'UserList'] } })
  @Get()
  list(): Promise<{ count: number; list: UserView[] }> {
    return this.users.list();
  }

  @ApiDoc({ summary: 'Get a user', responses: { 200: ['The user', 'User'], 404: ['Unknown user', 'Error'] } })
  @Get(':username')
  get(@Param('username') username: string): Promise<UserView> {
    return this.users.get(username);
  }

  @ApiDoc({ summary: "Change a user's password", body: 'PasswordChange', responses: { 200: ['The user', 'User'], 404: ['Unknown user', 'Error'] } })
  @Put(':username/password')
  changePassword(@Param('username') username: string, @Body() body: unknown): Promise<UserView> {
    return this.users.changePassword(username, parsePasswordInput(body));
  }

  @ApiDoc({ summary: 'Delete a user and the applications it owns', responses: { 200: ['Deleted'], 404: ['Unknown user', 'Error'], 409: ['The last admin', 'Error'] } })
  @Delete(':username')
  @HttpCode(200)
  async remove(@Param('username') username: string): Promise<void> {
    await this.users.remove(username);
  }
}
