// Test entry for the Node extension host: out/test/integration/node.js.
import { runSuites } from './reporter';
import { extensionSuite } from './extension.suite';

export function run(): Promise<void> {
  return runSuites([() => extensionSuite('node')]);
}
