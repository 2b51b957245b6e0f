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
});
