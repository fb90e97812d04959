// Jest for aws-requests.test.ts alone (scripts/test's IAM step): transpiled without type
// checking, which `npm test` (tsc --noEmit) has done just before.
const path = require('path');

module.exports = {
  rootDir: path.join(__dirname, '..'),
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/aws-requests.test.ts'],
  transform: {
    '^.+\\.tsx?$': [
      'ts-jest',
      { tsconfig: { isolatedModules: true, module: 'commonjs', target: 'ES2022', resolveJsonModule: true, esModuleInterop: true } },
    ],
  },
};
