import { ApolloServerErrorCode } from '@apollo/server/errors';
import { ErrorCode } from '../errors/error-code';

describe('ErrorCode', () => {
  // Apollo Server answers with these itself (parse and validation failures, APQ, bad requests);
  // PERSISTED_QUERY_NOT_SUPPORTED only where persisted queries are turned off, which no process does.
  it("holds every code Apollo Server sends, spelled as Apollo's own enum does", () => {
    const sent = Object.values(ApolloServerErrorCode).filter(
      (code) => code !== ApolloServerErrorCode.PERSISTED_QUERY_NOT_SUPPORTED,
    );
    expect(Object.values(ErrorCode)).toEqual(expect.arrayContaining(sent));
  });
});
