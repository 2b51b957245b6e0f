import { ErrorCode } from './error-code';

/**
 * An error a service throws on purpose: its message is safe to show to the client, and the code
 * becomes `extensions.code`. `details` are extra extensions (e.g. `field`, `retryAfterSeconds`).
 */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    this.details = details;
  }
}

/** Invalid input; `field` names the input field at fault (e.g. `input.email`). */
export class BadUserInputError extends DomainError {
  constructor(message: string, field?: string) {
    super(ErrorCode.BAD_USER_INPUT, message, field ? { field } : {});
  }
}

export class NotFoundError extends DomainError {
  constructor(message: string) {
    super(ErrorCode.NOT_FOUND, message);
  }
}

export class ConflictError extends DomainError {
  constructor(message: string, field?: string) {
    super(ErrorCode.CONFLICT, message, field ? { field } : {});
  }
}

export class ForbiddenError extends DomainError {
  constructor(message = 'You are not allowed to do this') {
    super(ErrorCode.FORBIDDEN, message);
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(message = 'Sign in to do this') {
    super(ErrorCode.UNAUTHENTICATED, message);
  }
}

export class RateLimitedError extends DomainError {
  constructor(message: string, retryAfterSeconds: number) {
    super(ErrorCode.RATE_LIMITED, message, { retryAfterSeconds });
  }
}
