import { configOrExit, createLogger, runUntilSignal } from '@psa/shared';
import { loadNotificationsConfig } from './config';
import { startNotificationsService } from './notifications-service';

const config = configOrExit(() => loadNotificationsConfig());
const logger = createLogger({ name: 'notifications', level: config.LOG_LEVEL });
runUntilSignal(logger, () => startNotificationsService(config, logger));
