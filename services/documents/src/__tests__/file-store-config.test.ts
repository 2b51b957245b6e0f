import { ConfigError } from '@psa/shared';
import { loadDocumentsConfig } from '../config';
import type { FileStore } from '../files/file-store';
import { fileStoreOf } from '../files/file-store-config';
import { S3FileStore } from '../files/s3-file-store';

const base = { NODE_ENV: 'test' };
const local = { servesOwnUrls: true } as unknown as FileStore;

describe('FILE_STORE and the S3 settings', () => {
  it('keeps files on the local disk by default', () => {
    const config = loadDocumentsConfig(base);
    expect(config).toMatchObject({
      FILE_STORE: 'local',
      S3_REGION: 'us-east-1',
      S3_FORCE_PATH_STYLE: false,
    });
    expect(fileStoreOf(config, () => local)).toBe(local);
  });

  it('builds the S3 store from FILE_STORE=s3 and the S3 variables', () => {
    const config = loadDocumentsConfig({
      ...base,
      FILE_STORE: 's3',
      S3_BUCKET: 'psa-files',
      S3_REGION: 'eu-central-1',
      S3_ENDPOINT: 'https://minio.internal:9000',
      S3_FORCE_PATH_STYLE: 'true',
    });
    const store = fileStoreOf(config, () => local);
    expect(store).toBeInstanceOf(S3FileStore);
    expect(store.servesOwnUrls).toBe(false);
    (store as S3FileStore).close();
  });

  it('refuses FILE_STORE=s3 without a bucket', () => {
    const config = loadDocumentsConfig({ ...base, FILE_STORE: 's3' });
    expect(() => fileStoreOf(config, () => local)).toThrow(ConfigError);
    expect(() => fileStoreOf(config, () => local)).toThrow(
      /S3_BUCKET: required when FILE_STORE=s3/,
    );
  });

  it('takes both S3 keys or neither', () => {
    const config = loadDocumentsConfig({
      ...base,
      FILE_STORE: 's3',
      S3_BUCKET: 'psa-files',
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
    });
    expect(() => fileStoreOf(config, () => local)).toThrow(
      /AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: set both or neither/,
    );
  });

  it('lists every bad value at once', () => {
    let error: unknown;
    try {
      loadDocumentsConfig({
        ...base,
        FILE_STORE: 'gcs',
        S3_BUCKET: 'No_Such Bucket',
        S3_ENDPOINT: 'ftp://files.example.com',
        S3_FORCE_PATH_STYLE: 'maybe',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'FILE_STORE: must be local or s3',
      'S3_BUCKET: must be a bucket name (3–63 of a-z 0-9 . -)',
      'S3_ENDPOINT: must be an http:// or https:// URL',
      'S3_FORCE_PATH_STYLE: must be true or false',
    ]);
  });
});
