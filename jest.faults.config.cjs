/**
 * `npm run test:faults`: the fault suite (test/faults, the real topology as separate processes)
 * and the abuse suite (test/abuse). Slow and process-heavy, so not part of `npm test`; one file at
 * a time, each starting what it needs.
 */
const base = require('./jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: base.testEnvironment,
  testEnvironmentOptions: base.testEnvironmentOptions,
  transform: base.transform,
  setupFilesAfterEnv: base.setupFilesAfterEnv,
  testMatch: [
    '<rootDir>/test/faults/**/*.faults.test.ts',
    '<rootDir>/test/abuse/**/*.abuse.test.ts',
  ],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  globalSetup: base.globalSetup,
  globalTeardown: base.globalTeardown,
  maxWorkers: 1,
  testTimeout: 180000,
};
