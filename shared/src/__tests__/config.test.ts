import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { commonEnv, ConfigError, envVar, loadConfig } from '../index';

const schema = z.object({ ...commonEnv, PORT: envVar.port(4000), MONGO_URL: envVar.mongoUrl() });

describe('loadConfig', () => {
  it('applies defaults and coerces types', () => {
    const config = loadConfig(schema, { MONGO_URL: 'mongodb://db:27017', PORT: '4100' });
    expect(config).toMatchObject({
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      PORT: 4100,
      BODY_LIMIT_BYTES: 1_048_576,
    });
  });

  it('treats empty values as unset', () => {
    expect(loadConfig(schema, { MONGO_URL: 'mongodb://db', PORT: '' }).PORT).toBe(4000);
  });

  it('reports every bad variable at once, by name', () => {
    let error: unknown;
    try {
      loadConfig(schema, {
        PORT: '99999',
        NODE_ENV: 'staging',
        REDIS_URL: 'http://nope',
        LOG_LEVEL: 'loud',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const names = (error as ConfigError).problems.map((p) => p.split(':')[0]).sort();
    expect(names).toEqual(['LOG_LEVEL', 'MONGO_URL', 'NODE_ENV', 'PORT', 'REDIS_URL']);
  });

  it('reads a variable from the file X_FILE names (secrets), unless X itself is set', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'psa-config-'));
    try {
      const file = path.join(dir, 'mongo-url');
      writeFileSync(file, 'mongodb://from-a-secret:27017\n');
      expect(loadConfig(schema, { MONGO_URL_FILE: file }).MONGO_URL).toBe(
        'mongodb://from-a-secret:27017',
      );
      expect(
        loadConfig(schema, { MONGO_URL_FILE: file, MONGO_URL: 'mongodb://db' }).MONGO_URL,
      ).toBe('mongodb://db');
      // Other programs' *_FILE variables are left alone.
      expect(
        loadConfig(schema, { MONGO_URL: 'mongodb://db', TF_CLI_CONFIG_FILE: '/nonexistent' }).PORT,
      ).toBe(4000);
      expect(() => loadConfig(schema, { MONGO_URL_FILE: path.join(dir, 'missing') })).toThrow(
        /MONGO_URL_FILE: cannot read .*missing \(ENOENT\)/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
