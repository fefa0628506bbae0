// Unit tests: test/unit/**/*.test.ts with Node's test runner (TypeScript through tsx), under c8
// for the line coverage of src/ (./lib/coverage.mjs).
//   node scripts/run-unit-tests.mjs                 writes test-artifacts/results/unit.json
//   node scripts/run-unit-tests.mjs --no-coverage   the same without c8
import { findTestFiles, runNodeTests } from './lib/node-tests.mjs';

const coverage = !process.argv.includes('--no-coverage');
const record = runNodeTests({ suite: 'unit', files: findTestFiles('test/unit', '.test.ts'), coverage, parallel: true });
process.exit(record.failed > 0 ? 1 : 0);
