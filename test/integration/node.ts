// Test entry for the Node extension host: out/test/integration/node.js.
import { runSuites } from './reporter';
import { extensionSuite } from './extension.suite';
import { walkSuite } from './walk.suite';
import { reviewSuite } from './review.suite';
import { exploreSuite } from './explore.suite';
import { injectionSuite } from './injection.suite';
import { debugSuite } from './debug.suite';

export function run(): Promise<void> {
  return runSuites([() => extensionSuite('node'), () => walkSuite('node'), () => reviewSuite('node'), () => exploreSuite('node'), () => injectionSuite('node'), () => debugSuite('node')]);
}
