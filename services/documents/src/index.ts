import { configOrExit, createLogger, runUntilSignal } from '@psa/shared';
import { loadDocumentsConfig } from './config';
import { startDocumentsService } from './documents-service';

const config = configOrExit(() => loadDocumentsConfig());
const logger = createLogger({ name: 'documents', level: config.LOG_LEVEL });
runUntilSignal(logger, () => startDocumentsService(config, logger));
