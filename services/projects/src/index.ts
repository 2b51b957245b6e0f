import { configOrExit, createLogger, runUntilSignal } from '@psa/shared';
import { loadProjectsConfig } from './config';
import { startProjectsService } from './projects-service';

const config = configOrExit(() => loadProjectsConfig());
const logger = createLogger({ name: 'projects', level: config.LOG_LEVEL });
runUntilSignal(logger, () => startProjectsService(config, logger));
