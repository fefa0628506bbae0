// Unit tests: test/unit/**/*.test.ts with Node's test runner (TypeScript through tsx).
//   node scripts/run-unit-tests.mjs        writes test-artifacts/results/unit.json
import { findTestFiles, runNodeTests } from './lib/node-tests.mjs';

const record = runNodeTests({ suite: 'unit', files: findTestFiles('test/unit', '.test.ts') });
process.exit(record.failed > 0 ? 1 : 0);
