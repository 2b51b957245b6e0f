import { configOrExit, createLogger, runUntilSignal } from '@psa/shared';
import { loadTasksConfig } from './config';
import { startTasksService } from './tasks-service';

const config = configOrExit(() => loadTasksConfig());
const logger = createLogger({ name: 'tasks', level: config.LOG_LEVEL });
runUntilSignal(logger, () => startTasksService(config, logger));
