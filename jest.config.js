/**
 * CDK8S_PLUS_LINE picks the cdk8s-plus line the tests' and examples' own
 * cdk8s-plus objects come from: they import `cdk8s-plus-34` (the development
 * default), which is mapped to `cdk8s-plus-<line>` when another line is
 * asked for (`npm run test:plus` runs the cdk8s-plus-facing tests on 28, 33
 * and 34). Snapshots of another line go to `__snapshots__/cdk8s-plus-<line>/`
 * (test/snapshot-resolver.js), so a review shows what that line renders
 * differently; the library's own objects never depend on the line.
 */
const PLUS_LINES = ['28', '33', '34'];
const line = process.env.CDK8S_PLUS_LINE || '34';
if (!PLUS_LINES.includes(line)) {
  throw new Error(`CDK8S_PLUS_LINE must be one of ${PLUS_LINES.join(', ')}, got "${line}"`);
}

/** @type {import('jest').Config} */
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  setupFiles: ['<rootDir>/test/setup-env.js'],
  moduleNameMapper: line === '34' ? {} : { '^cdk8s-plus-34$': `cdk8s-plus-${line}` },
  snapshotResolver: '<rootDir>/test/snapshot-resolver.js',
};

module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/conformance/'],
    },
    {
      ...common,
      displayName: 'conformance',
      testMatch: ['<rootDir>/test/conformance/**/*.test.ts'],
    },
  ],
  coveragePathIgnorePatterns: ['/node_modules/', '<rootDir>/lib/imports/'],
};
