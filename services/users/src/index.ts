import { configOrExit, createLogger, runUntilSignal } from '@psa/shared';
import { loadUsersConfig } from './config';
import { startUsersService } from './users-service';

const config = configOrExit(() => loadUsersConfig());
const logger = createLogger({ name: 'users', level: config.LOG_LEVEL });
runUntilSignal(logger, () => startUsersService(config, logger));
