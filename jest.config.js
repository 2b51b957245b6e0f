/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  testEnvironmentOptions: { customExportConditions: ['source', 'node', 'require', 'default'] },
  // Type errors are `npm run typecheck`'s job: tests only transpile, file by file.
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      {
        tsconfig: {
          isolatedModules: true,
          module: 'commonjs',
          target: 'es2022',
          esModuleInterop: true,
        },
        diagnostics: false,
      },
    ],
  },
  testMatch: ['<rootDir>/**/__tests__/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  // web/ has its own runner (vitest, `npm test -w web`); the fault and abuse suites are
  // `npm run test:faults` (jest.faults.config.cjs).
  testPathIgnorePatterns: [
    '/node_modules/',
    '/dist/',
    '<rootDir>/web/',
    '\\.faults\\.test\\.ts$',
    '\\.abuse\\.test\\.ts$',
  ],
  setupFilesAfterEnv: ['<rootDir>/jest.setup.js'],
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
  testTimeout: 30000,
};
