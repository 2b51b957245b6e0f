import { describe, expect, it } from 'vitest';
import { contentTypeOf, formatBytes, sha256Of } from './file-upload';

describe('contentTypeOf', () => {
  it('keeps the type the browser gives', () => {
    expect(contentTypeOf({ name: 'a.pdf', type: 'application/pdf' })).toBe('application/pdf');
    expect(contentTypeOf({ name: 'a.txt', type: 'image/png' })).toBe('image/png');
  });

  it('names the type from the extension when the browser gives none', () => {
    expect(contentTypeOf({ name: 'Notes.MD', type: '' })).toBe('text/markdown');
    expect(contentTypeOf({ name: 'plan.ods', type: '' })).toBe(
      'application/vnd.oasis.opendocument.spreadsheet',
    );
  });

  it('sends an unknown file as octet-stream, for the API to refuse by name', () => {
    expect(contentTypeOf({ name: 'setup.exe', type: '' })).toBe('application/octet-stream');
    expect(contentTypeOf({ name: 'README', type: '' })).toBe('application/octet-stream');
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KB'],
    [50 * 1024 * 1024, '50 MB'],
    [500 * 1024 * 1024 * 1024, '500 GB'],
  ])('%d bytes read %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

describe('sha256Of', () => {
  it('hashes the bytes in hex', async () => {
    expect(await sha256Of(new Blob(['abc']))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});
