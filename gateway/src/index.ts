import { configOrExit, createLogger, runUntilSignal } from '@psa/shared';
import { loadGatewayConfig } from './config';
import { startGateway } from './gateway';

const config = configOrExit(() => loadGatewayConfig());
const logger = createLogger({ name: 'gateway', level: config.LOG_LEVEL });
runUntilSignal(logger, () => startGateway(config, logger));
