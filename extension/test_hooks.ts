// The part of the tests' API (KvmMmuLabApi, extension/activate.ts) the lab answers: read-only views
// of what the controllers hold, and the few hooks the tests drive (post a raw value to the panel,
// cancel a search). No controller depends on it; it depends on them.
import type { LabApi } from './lab_api';
import type { ExploreController } from './explore';
import type { Reports } from './reports';
import type { WalkStatus } from './status';
import type { WalkController } from './walk';
import type { WebviewMessages } from './webview_messages';

export interface TestHookParts {
  walk: WalkController;
  status: WalkStatus;
  reports: Reports;
  explore: ExploreController;
  messages: WebviewMessages;
}

export function testHooks({ walk, status, reports, explore, messages }: TestHookParts): LabApi {
  const views = walk.views;
  return {
    panelReady: () => views.panelShown(),
    get lastMessageFromWebview() {
      return messages.last;
    },
    nextMessageFromWebview: (type) => messages.next(type),
    postRawToWebview: (value) => views.postRaw(value),
    sendFromPanel: (value) => views.receiveFromPanel(value),
    walk() {
      const s = walk.current;
      if (!s) return undefined;
      const w = s.walkthrough;
      return {
        scenario: s.scenario.name, variant: s.options.variant.name, index: s.index, total: s.total,
        violations: w.violations.map((v) => v.step), flushSteps: w.steps.filter((st) => st.flush).map((st) => st.index),
      };
    },
    settled: () => walk.settled(),
    pingPanel: () => views.pingPanel(),
    source: () => walk.source,
    status: () => status.report(),
    get timings() {
      return walk.timings;
    },
    get editorTimings() {
      return walk.editorTimings;
    },
    setEditorIdle: (ms, statusToo) => walk.setEditorIdle(ms, statusToo),
    get lastReport() {
      return reports.last;
    },
    cancelExplore: () => explore.cancel(),
    inspectWebview: (which) => (which === 'panel' ? views.inspectPanel() : reports.inspect()),
  };
}
