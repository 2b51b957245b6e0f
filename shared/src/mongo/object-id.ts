import { Types } from 'mongoose';

const HEX_ID = /^[0-9a-f]{24}$/i;

/**
 * The ObjectId an API id names, or null when it is not 24 hex digits. Ids are opaque to clients,
 * so a malformed one is treated as unknown (NOT_FOUND) rather than as a cast error.
 */
export function toObjectId(id: string): Types.ObjectId | null {
  return HEX_ID.test(id) ? new Types.ObjectId(id) : null;
}
