import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { ErrorCode } from '@psa/shared';

/**
 * `Date` and `Decimal` travel as strings. Their format is checked by the domain, which names the
 * input field at fault in its BAD_USER_INPUT (`input.date`, `input.hourlyRate`); the scalars only
 * refuse what is not a string at all.
 */
function stringScalar(name: string, description: string): GraphQLScalarType<string, string> {
  const parse = (value: unknown): string => {
    if (typeof value !== 'string') {
      throw new GraphQLError(`${name} must be a string`, {
        extensions: { code: ErrorCode.BAD_USER_INPUT },
      });
    }
    return value;
  };
  return new GraphQLScalarType<string, string>({
    name,
    description,
    serialize: (value) => String(value),
    parseValue: parse,
    parseLiteral: (ast: ValueNode) => parse(ast.kind === Kind.STRING ? ast.value : undefined),
  });
}

/** `Date`: a calendar day `YYYY-MM-DD`. */
export const DateScalar = stringScalar('Date', 'A calendar day, YYYY-MM-DD.');

/** `Decimal`: an exact decimal number as a string, e.g. "120.00". */
export const DecimalScalar = stringScalar('Decimal', 'An exact decimal number as a string.');
