// Test entry for the web-worker extension host: out/test/integration/web.js (one bundle: the worker's
// require knows only `vscode`).
import { runSuites } from './reporter';
import { extensionSuite } from './extension.suite';
import { walkSuite } from './walk.suite';
import { reviewSuite } from './review.suite';
import { exploreSuite } from './explore.suite';
import { injectionSuite } from './injection.suite';
import { debugSuite } from './debug.suite';

export function run(): Promise<void> {
  return runSuites([() => extensionSuite('web'), () => walkSuite('web'), () => reviewSuite('web'), () => exploreSuite('web'), () => injectionSuite('web'), () => debugSuite('web')]);
}
