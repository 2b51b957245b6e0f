import { Writable } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { createLogger } from '../logger';

/** A destination that keeps what the logger wrote. */
function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('createLogger', () => {
  it('writes one JSON object a line by default, with the service and secrets redacted', () => {
    const { stream, text } = capture();
    const logger = createLogger({ name: 'users', destination: stream });
    logger.child({ service: 'users' }).warn({ password: 'hunter2', userId: 'u1' }, 'login failed');
    const line = JSON.parse(text().trim()) as Record<string, unknown>;
    expect(line).toMatchObject({
      level: 'warn',
      service: 'users',
      userId: 'u1',
      password: '[redacted]',
      msg: 'login failed',
    });
    expect(text()).not.toContain('hunter2');
  });

  it('writes lines for a person when pretty, with the service and secrets redacted', () => {
    const { stream, text } = capture();
    const logger = createLogger({ name: 'dev', destination: stream, pretty: true });
    logger.child({ service: 'users' }).warn({ password: 'hunter2', userId: 'u1' }, 'login failed');
    // Colour codes, when the environment asks for them (FORCE_COLOR), are not what this reads.
    const output = stripVTControlCharacters(text());
    expect(output).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: \[users\] login failed\n/);
    expect(output).toContain('userId: "u1"');
    expect(output).toContain('password: "[redacted]"');
    expect(output).not.toContain('hunter2');
    expect(output).not.toContain('{"');
  });
});
