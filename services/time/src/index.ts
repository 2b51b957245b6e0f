import { configOrExit, createLogger, runUntilSignal } from '@psa/shared';
import { loadTimeConfig } from './config';
import { startTimeService } from './time-service';

const config = configOrExit(() => loadTimeConfig());
const logger = createLogger({ name: 'time', level: config.LOG_LEVEL });
runUntilSignal(logger, () => startTimeService(config, logger));
