import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable } from './database-unavailable';

describe('isDatabaseUnavailable', () => {
  const withCode = (code: string, message = 'failed') => Object.assign(new Error(message), { code });

  it.each([
    ['a refused connection', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['a server stopped at once', withCode('57P01', 'terminating connection due to administrator command')],
    ['a server starting up or recovering', withCode('57P03', 'the database system is starting up')],
    ['a connection exception (class 08)', withCode('08006')],
    ['a connection lost in the middle of a query', new Error('Connection terminated unexpectedly')],
    ['a statement past the answer timeout (a silent host)', new QueryFailedError('SELECT 1', [], new Error('Query read timeout'))],
    ['a statement the server cancelled at its statement_timeout', new QueryFailedError('UPDATE', [], withCode('57014', 'canceling statement due to statement timeout'))],
    ['the same, wrapped by TypeORM', new QueryFailedError('SELECT 1', [], withCode('57P01'))],
    ['the same, as a cause', new Error('write failed', { cause: withCode('ECONNRESET') })],
  ])('is true for %s', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', new QueryFailedError('INSERT', [], withCode('23505', 'duplicate key value'))],
    ['a syntax error', withCode('42601')],
    ['a plain error', new Error('something else')],
    ['input that repeats a lost-connection text', withCode('22P02', 'invalid input syntax for type bigint: "Connection terminated"')],
    ['nothing', undefined],
    ['a string', 'ECONNREFUSED'],
  ])('is false for %s', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
