import { authEnv } from '../auth/auth-config';
import { commonEnv, envVar } from './load-config';

/** Variables every subgraph reads, beside its own port and database name. */
export const subgraphEnv = {
  ...commonEnv,
  ...authEnv,
  MONGO_URL: envVar.mongoUrl().default('mongodb://127.0.0.1:27017'),
};
