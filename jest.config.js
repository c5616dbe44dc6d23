/** Type checking is done once by `tsc --noEmit` in `npm test`; jest transpiles with swc. */
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }] };
module.exports = {
  projects: [
    { displayName: 'unit', testEnvironment: 'node', transform, testMatch: ['<rootDir>/tests/**/*.test.ts'], testPathIgnorePatterns: ['/tests/chaos/'] },
    { displayName: 'chaos', testEnvironment: 'node', transform, testMatch: ['<rootDir>/tests/chaos/**/*.test.ts'] },
  ],
  testTimeout: 60000,
};
