/** Projects: `unit` (pure logic, *.spec.ts), `integration` (real Postgres/Redis, *.integration-spec.ts, e2e) and `browser` (the console in Chromium, test/browser/*.browser-spec.ts). */
const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('./tsconfig.base.json');

const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.spec.json' }] },
  moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/' }),
  setupFiles: ['reflect-metadata'],
};

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts', '<rootDir>/test/{deploy,scripts,support}/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{apps,libs,test}/**/*.integration-spec.ts', '<rootDir>/test/**/*.e2e-spec.ts'],
      testTimeout: 120000,
    },
    // Playwright (playwright-core) driving Debian's /usr/bin/chromium against the built system: npm run build first.
    { ...common, displayName: 'browser', testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'], testTimeout: 300000 },
  ],
};
