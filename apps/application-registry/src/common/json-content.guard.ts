import { CanActivate, ExecutionContext, HttpException, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { errorBody } from '@keymint/http-kit';

/**
 * The REST APIs speak JSON only. The shared Fastify setup also parses form
 * bodies (for the token endpoint), so a form post would otherwise be taken as
 * a JSON object here: any body sent with another media type gets 415.
 */
@Injectable()
export class JsonContentGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const contentType = request.headers['content-type'];
    const hasBody = Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'] !== undefined;
    if (!hasBody || contentType === undefined) return true;
    const mediaType = contentType.split(';')[0].trim().toLowerCase();
    if (mediaType === 'application/json' || mediaType.endsWith('+json')) return true;
    throw new HttpException(errorBody('wso2', 415, `Send the body as application/json, not ${mediaType.slice(0, 100)}.`), 415);
  }
}
