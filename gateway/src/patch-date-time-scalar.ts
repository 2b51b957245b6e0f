import { GraphQLScalarType, type GraphQLSchema } from 'graphql';
import { DateTimeScalar } from '@psa/shared';

/**
 * Gives the API schema's `DateTime` the subgraphs' parsing. The supergraph declares `scalar
 * DateTime` without it, so the gateway took any value and the subgraph's 400 came back as an
 * INTERNAL_SERVER_ERROR: parsed here too, a bad date is refused as BAD_USER_INPUT before planning
 * (variables) or in validation (literals). Changes `schema` in place.
 */
export function patchDateTimeScalar(schema: GraphQLSchema): void {
  const dateTime = schema.getType('DateTime');
  if (dateTime instanceof GraphQLScalarType) {
    dateTime.parseValue = DateTimeScalar.parseValue;
    dateTime.parseLiteral = DateTimeScalar.parseLiteral;
  }
}
