import {
  KeySet,
  UnauthenticatedError,
  type Identity,
  type KeySetOptions,
  type Logger,
  type RevocationStore,
  type TokenSettings,
  type TokenStanding,
} from '@psa/shared';

/**
 * The users service's key set: besides the signature it checks the revocation store, so a token
 * of an ended session, or one issued before its user's role changed, is UNAUTHENTICATED here too
 * when it reaches this service directly, not only at the gateway.
 */
export class RevocationCheckingKeySet extends KeySet {
  private readonly logger: Logger;

  constructor(
    options: KeySetOptions,
    private readonly revocations: RevocationStore,
  ) {
    super(options);
    this.logger = options.logger;
  }

  /** Verifies the token, then its standing; throws UnauthenticatedError for either. */
  override async verify(
    token: string,
    settings: Pick<TokenSettings, 'issuer' | 'audience'>,
  ): Promise<Identity> {
    const identity = await super.verify(token, settings);
    const standing: TokenStanding = await this.revocations
      .standing(identity)
      .catch((error: unknown) => {
        // Fail closed: an unchecked token might be one that was revoked.
        this.logger.warn({ err: error }, 'revocation store unavailable: token refused');
        throw new UnauthenticatedError('The session cannot be checked right now; try again');
      });
    switch (standing) {
      case 'valid':
        return identity;
      case 'revoked':
        throw new UnauthenticatedError('This session has ended; sign in again');
      case 'stale':
        throw new UnauthenticatedError('This access token is out of date; refresh the session');
      default: {
        const unknown: never = standing;
        throw new Error(`unknown token standing ${String(unknown)}`);
      }
    }
  }
}
