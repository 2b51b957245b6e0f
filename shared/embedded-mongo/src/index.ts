export { startEmbeddedMongo } from './server';
export type { EmbeddedMongo, EmbeddedMongoOptions, EngineLogger } from './server';
export { SERVER_VERSION } from './commands/server.commands';
