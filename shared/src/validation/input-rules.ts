import type { Types } from 'mongoose';
import type { Identity } from '../auth/access-token';
import { BadUserInputError, UnauthenticatedError } from '../errors/domain-error';
import { toObjectId } from '../mongo/object-id';

// Lengths count characters (code points), not UTF-16 units: "é" and "😀" are one each.
const length = (text: string): number => [...text].length;

/** A trimmed string of `min`–`max` characters, or BAD_USER_INPUT naming `field`. */
export function requiredText(raw: string, field: string, max: number, min = 1): string {
  const text = raw.trim();
  if (length(text) < min || length(text) > max) {
    throw new BadUserInputError(
      `${field.replace(/^input\./, '')} must be ${min}–${max.toLocaleString('en')} characters`,
      field,
    );
  }
  return text;
}

/** A trimmed string of at most `max` characters, or null when absent or blank. */
export function optionalText(
  raw: string | null | undefined,
  field: string,
  max: number,
): string | null {
  const text = raw?.trim();
  if (!text) return null;
  if (length(text) > max) {
    throw new BadUserInputError(
      `${field.replace(/^input\./, '')} must be at most ${max.toLocaleString('en')} characters`,
      field,
    );
  }
  return text;
}

/** The ObjectId an input id names, or BAD_USER_INPUT naming `field`. */
export function requiredId(raw: string, field: string): Types.ObjectId {
  const id = toObjectId(raw);
  if (!id) throw new BadUserInputError(`${field.replace(/^input\./, '')} is not a valid id`, field);
  return id;
}

/** Like {@link requiredId}, for an optional id (null when absent). */
export function optionalId(raw: string | null | undefined, field: string): Types.ObjectId | null {
  return raw === null || raw === undefined ? null : requiredId(raw, field);
}

/** `value` when it is one of `allowed`, else BAD_USER_INPUT listing them. */
export function oneOf<T extends string>(value: string, allowed: readonly T[], field: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new BadUserInputError(
      `${field.replace(/^input\./, '')} must be one of ${allowed.join(', ')}`,
      field,
    );
  }
  return value as T;
}

/** The caller's user id as stored; a token whose subject is no user id is not one of ours. */
export function callerObjectId(caller: Identity): Types.ObjectId {
  const id = toObjectId(caller.userId);
  if (!id) throw new UnauthenticatedError('Invalid access token');
  return id;
}
