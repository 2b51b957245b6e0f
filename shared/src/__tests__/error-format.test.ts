import { GraphQLError } from 'graphql';
import { ConflictError, createErrorFormatter, ErrorCode } from '../index';

const asResolverError = (original: Error): GraphQLError =>
  new GraphQLError(original.message, { originalError: original, path: ['field'] });

describe('createErrorFormatter', () => {
  const production = createErrorFormatter(false);
  const development = createErrorFormatter(true);

  it('keeps a domain error’s message, code and details', () => {
    const error = asResolverError(new ConflictError('username is already taken', 'input.username'));
    expect(
      production({ message: error.message, extensions: { code: 'INTERNAL_SERVER_ERROR' } }, error),
    ).toMatchObject({
      message: 'username is already taken',
      extensions: { code: ErrorCode.CONFLICT, field: 'input.username' },
    });
  });

  it('says BAD_REQUEST for Apollo’s own 4xx request errors that carry no code', () => {
    const mismatch = new GraphQLError('provided sha does not match query', {
      extensions: { http: { status: 400, headers: new Map() } },
    });
    expect(
      production(
        { message: mismatch.message, extensions: { code: 'INTERNAL_SERVER_ERROR' } },
        mismatch,
      ),
    ).toEqual({
      message: 'provided sha does not match query',
      extensions: { code: 'BAD_REQUEST' },
    });
  });

  it('maps a MongoDB duplicate key to CONFLICT', () => {
    const duplicate = Object.assign(new Error('E11000 duplicate key'), {
      code: 11000,
      keyValue: { email: 'a@b.c' },
    });
    const formatted = production({ message: duplicate.message }, asResolverError(duplicate));
    expect(formatted.extensions).toMatchObject({ code: ErrorCode.CONFLICT, field: 'email' });
  });

  it('masks unexpected errors outside development and keeps GraphQL’s own codes', () => {
    const bug = asResolverError(
      new TypeError('cannot read properties of undefined (secret detail)'),
    );
    const formatted = {
      message: bug.message,
      path: ['field'],
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
    expect(production(formatted, bug)).toEqual({
      message: 'Internal server error',
      path: ['field'],
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    });
    expect(development({ message: bug.message }, bug).message).toContain('secret detail');
    const validation = {
      message: 'Cannot query field "x"',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    };
    expect(production(validation, new GraphQLError(validation.message))).toEqual(validation);
  });
});
