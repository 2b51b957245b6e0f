import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { ErrorCode } from '../errors/error-code';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

function parse(value: unknown): Date {
  if (typeof value !== 'string' || !ISO_UTC.test(value) || Number.isNaN(Date.parse(value))) {
    throw new GraphQLError(
      'DateTime must be an ISO-8601 date-time with a time zone, e.g. 2026-12-01T00:00:00Z',
      {
        extensions: { code: ErrorCode.BAD_USER_INPUT },
      },
    );
  }
  return new Date(value);
}

/** `DateTime`: ISO-8601 in UTC on the way out; ISO-8601 with an explicit zone on the way in. */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An ISO-8601 date-time in UTC, e.g. 2026-12-01T00:00:00.000Z.',
  serialize(value) {
    const date = value instanceof Date ? value : new Date(value as string);
    if (Number.isNaN(date.getTime()))
      throw new GraphQLError('DateTime cannot represent an invalid date');
    return date.toISOString();
  },
  parseValue: parse,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) {
      throw new GraphQLError('DateTime must be a string', {
        extensions: { code: ErrorCode.BAD_USER_INPUT },
      });
    }
    return parse(ast.value);
  },
});
