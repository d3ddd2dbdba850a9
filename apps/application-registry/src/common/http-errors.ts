import { HttpException } from '@nestjs/common';
import { errorBody, HttpErrorWithHeaders, WWW_AUTHENTICATE } from '@keymint/http-kit';

/** Fixed error templates of the registry's REST APIs, all in WSO2's `{code, message, description}` shape. */
export const RegistryError = {
  badRequest: (description: string) => new HttpException(errorBody('wso2', 400, description), 400),
  notFound: (description: string) => new HttpException(errorBody('wso2', 404, description), 404),
  conflict: (description: string) => new HttpException(errorBody('wso2', 409, description), 409),
  /** A client secret that does not match (generate-token): 401 with the challenge RFC 7235 requires. */
  invalidClientSecret: (description: string) =>
    new HttpErrorWithHeaders(errorBody('wso2', 401, description), 401, { 'WWW-Authenticate': WWW_AUTHENTICATE }),
  unavailable: (description: string) => new HttpException(errorBody('wso2', 503, description), 503),
  badGateway: (description: string) => new HttpException({ code: 502, message: 'Bad Gateway', description }, 502),
};

/** True for a unique-constraint violation on SQLite or PostgreSQL (a concurrent insert won the race). */
export function isUniqueViolation(error: unknown): boolean {
  const candidate = error as { code?: unknown; driverError?: { code?: unknown }; message?: unknown };
  const code = candidate?.driverError?.code ?? candidate?.code;
  if (code === '23505') return true;
  return typeof candidate?.message === 'string' && /UNIQUE constraint failed/i.test(candidate.message);
}
