import { deserialize, Long, serialize } from 'bson';
import { toExactForm, type Document } from '../bson/values';

/** Wire protocol opcodes the engine speaks. */
export const OpCode = {
  OP_REPLY: 1,
  OP_QUERY: 2004,
  OP_COMPRESSED: 2012,
  OP_MSG: 2013,
} as const;

/** OP_MSG flag bits. */
export const MsgFlag = {
  checksumPresent: 1 << 0,
  moreToCome: 1 << 1,
  exhaustAllowed: 1 << 16,
} as const;

/** mongod's limit on a whole message: 48,000,000 bytes. */
export const MAX_MESSAGE_SIZE_BYTES = 48_000_000;
const HEADER_SIZE = 16;

export interface MessageHeader {
  messageLength: number;
  requestId: number;
  responseTo: number;
  opCode: number;
}

/** A request decoded to a command: the database it targets and the command document. */
export interface CommandRequest {
  header: MessageHeader;
  kind: 'msg' | 'query';
  db: string;
  command: Document;
  /** OP_MSG moreToCome: the client expects no reply. */
  noReply: boolean;
}

/** Thrown for bytes that are not a valid message; the connection is closed. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

function readCString(buf: Buffer, offset: number): [string, number] {
  const end = buf.indexOf(0, offset);
  if (end < 0) throw new ProtocolError('unterminated string in message');
  return [buf.toString('utf8', offset, end), end + 1];
}

function readDocument(buf: Buffer, offset: number): [Document, number] {
  if (offset + 4 > buf.length) throw new ProtocolError('truncated document');
  const size = buf.readInt32LE(offset);
  if (size < 5 || offset + size > buf.length) throw new ProtocolError('invalid document length');
  const doc = deserialize(buf.subarray(offset, offset + size), { promoteValues: false });
  return [toExactForm(doc) as Document, offset + size];
}

/**
 * Splits a byte stream into whole messages. Feed it chunks as they arrive; it returns the complete
 * messages seen so far (possibly none) and keeps the rest for the next chunk.
 */
export class MessageFramer {
  private pending: Buffer[] = [];
  private pendingLength = 0;
  /** Length of the message being assembled, once its first 4 bytes are in; 0 before. */
  private expected = 0;

  push(chunk: Buffer): Buffer[] {
    this.pending.push(chunk);
    this.pendingLength += chunk.length;
    const messages: Buffer[] = [];
    while (this.pendingLength >= 4) {
      if (this.expected === 0) {
        const first = this.pending[0] as Buffer;
        const length = (first.length >= 4 ? first : Buffer.concat(this.pending)).readInt32LE(0);
        if (length < HEADER_SIZE || length > MAX_MESSAGE_SIZE_BYTES) {
          throw new ProtocolError(`invalid message length ${length}`);
        }
        this.expected = length;
      }
      // Concatenate only once the whole message is here: large messages arrive in many chunks.
      if (this.pendingLength < this.expected) break;
      const all =
        this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending);
      messages.push(all.subarray(0, this.expected));
      const rest = all.subarray(this.expected);
      this.pending = rest.length ? [rest] : [];
      this.pendingLength = rest.length;
      this.expected = 0;
    }
    return messages;
  }
}

/** Decodes one whole message into a command request. */
export function decodeMessage(message: Buffer): CommandRequest {
  const header: MessageHeader = {
    messageLength: message.readInt32LE(0),
    requestId: message.readInt32LE(4),
    responseTo: message.readInt32LE(8),
    opCode: message.readInt32LE(12),
  };
  switch (header.opCode) {
    case OpCode.OP_MSG:
      return decodeOpMsg(header, message);
    case OpCode.OP_QUERY:
      return decodeOpQuery(header, message);
    default:
      throw new ProtocolError(`unsupported opCode ${header.opCode}`);
  }
}

function decodeOpMsg(header: MessageHeader, message: Buffer): CommandRequest {
  const flags = message.readUInt32LE(HEADER_SIZE);
  const end = flags & MsgFlag.checksumPresent ? message.length - 4 : message.length;
  let offset = HEADER_SIZE + 4;
  let body: Document | null = null;
  const sequences: [string, Document[]][] = [];
  while (offset < end) {
    const kind = message.readUInt8(offset);
    offset += 1;
    if (kind === 0) {
      [body, offset] = readDocument(message, offset);
    } else if (kind === 1) {
      const sectionEnd = offset + message.readInt32LE(offset);
      let identifier: string;
      [identifier, offset] = readCString(message, offset + 4);
      const documents: Document[] = [];
      while (offset < sectionEnd) {
        let doc: Document;
        [doc, offset] = readDocument(message, offset);
        documents.push(doc);
      }
      sequences.push([identifier, documents]);
    } else throw new ProtocolError(`unknown OP_MSG section kind ${kind}`);
  }
  if (!body) throw new ProtocolError('OP_MSG without a body section');
  for (const [identifier, documents] of sequences) body[identifier] = documents;
  const db = body.$db;
  return {
    header,
    kind: 'msg',
    db: typeof db === 'string' ? db : 'admin',
    command: body,
    noReply: (flags & MsgFlag.moreToCome) !== 0,
  };
}

function decodeOpQuery(header: MessageHeader, message: Buffer): CommandRequest {
  const [collection, afterName] = readCString(message, HEADER_SIZE + 4);
  // numberToSkip and numberToReturn (8 bytes) mean nothing for commands.
  const [query] = readDocument(message, afterName + 8);
  if (!collection.endsWith('.$cmd')) {
    throw new ProtocolError('legacy OP_QUERY is only supported for commands');
  }
  // Legacy drivers may wrap the command as {$query: {...}, $readPreference: ...}.
  const command = (query.$query as Document | undefined) ?? query;
  return {
    header,
    kind: 'query',
    db: collection.slice(0, -'.$cmd'.length),
    command,
    noReply: false,
  };
}

let nextRequestId = 1;

function header(length: number, responseTo: number, opCode: number): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_SIZE);
  buf.writeInt32LE(length, 0);
  buf.writeInt32LE(nextRequestId++ & 0x7fffffff, 4);
  buf.writeInt32LE(responseTo, 8);
  buf.writeInt32LE(opCode, 12);
  return buf;
}

/** Encodes a reply in the form the request came in (OP_MSG, or OP_REPLY to a legacy OP_QUERY). */
export function encodeReply(request: CommandRequest, reply: Document): Buffer {
  const body = serialize(reply);
  if (request.kind === 'query') {
    const prefix = Buffer.allocUnsafe(20);
    prefix.writeInt32LE(0, 0); // responseFlags
    prefix.writeBigInt64LE(Long.ZERO.toBigInt(), 4); // cursorID
    prefix.writeInt32LE(0, 12); // startingFrom
    prefix.writeInt32LE(1, 16); // numberReturned
    const length = HEADER_SIZE + prefix.length + body.length;
    return Buffer.concat([header(length, request.header.requestId, OpCode.OP_REPLY), prefix, body]);
  }
  const flags = Buffer.alloc(5); // flagBits 0, then section kind 0
  const length = HEADER_SIZE + flags.length + body.length;
  return Buffer.concat([header(length, request.header.requestId, OpCode.OP_MSG), flags, body]);
}
