// Reviewing a patch in a real VS Code: Check Patch… on our own fixture patches (copied into the test
// workspace's patches/ by scripts/run-integration-tests.mjs) and, when this machine has it, the
// real seed mail; the review view's DOM text as the webview reports it; Compare Variants with the
// full-scale column; Explore Variant… cancelled and finished. Prints `kvm-mmu-lab-timing` lines.
import * as vscode from 'vscode';
import type { CheckPatchResult, KvmMmuLabApi } from '../../extension/activate';
import type { CompareRowView, HostKind, ReportShownMessage } from '../../src/view/protocol';
import { equal, match, ok } from './assert';

const EXTENSION_ID = 'kvm-mmu-lab.kvm-mmu-lab';
const SEED = '/work/shared/seed/000_59f67f44841b1267.txt';

const run = <T = unknown>(command: string, ...args: unknown[]) => vscode.commands.executeCommand<T>(command, ...args);

function workspace(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  ok(folder, 'the test workspace is not open');
  return folder.uri;
}

export function reviewSuite(host: HostKind): void {
  // Where long jobs run in this host (extension/jobs.node.ts, extension/jobs.web.ts).
  const jobsWhere = host === 'node' ? 'a worker thread' : 'a Web Worker';
  describe(`Reviewing a patch (${host} extension host)`, function () {
    let api: KvmMmuLabApi;

    before(async () => {
      api = await vscode.extensions.getExtension<KvmMmuLabApi>(EXTENSION_ID)!.activate();
      console.log(`kvm-mmu-lab-timing ${host} activate() ${api.activationMs} ms`);
      await vscode.workspace.getConfiguration('kvmMmuLab').update('kernelTree', 'kernel', vscode.ConfigurationTarget.Workspace);
      await run('workbench.action.closeAllEditors');
    });

    after(async () => {
      await vscode.workspace.getConfiguration('kvmMmuLab').update('kernelTree', undefined, vscode.ConfigurationTarget.Workspace);
    });

    it('contributes Check Patch…, Compare Variants and Explore Variant…', async () => {
      const registered = await vscode.commands.getCommands(true);
      for (const c of ['kvmMmuLab.checkPatch', 'kvmMmuLab.compareVariants', 'kvmMmuLab.exploreVariant']) ok(registered.includes(c), `${c} is not registered`);
    });

    it('Check Patch… on the active editor shows the series, the functions, pre-patch before and v7 after, and the verdicts', async () => {
      const uri = vscode.Uri.joinPath(workspace(), 'patches', 'seed-like.format-patch.patch');
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
      const r = await run<CheckPatchResult>('kvmMmuLab.checkPatch');
      ok(r, 'Check Patch returned nothing');
      console.log(`kvm-mmu-lab-timing ${host} check patch seed-like.format-patch.patch: ${r.ms} ms (parse, classify, anchor, twelve scenario runs: two variants, three scenarios, two flush modes)`);
      equal(r.shown.kind, 'review', 'what the view rendered');
      const text = r.shown.text;
      match(text, /\[PATCH v2\] ?mini: skip the split flush when the child table maps the huge page/, 'series entry');
      match(text, /Ada Example <ada@example\.org>/, 'author');
      match(text, /modelled functions: drop_large_spte, __link_shadow_page/, 'functions');
      match(text, /before: pre-patch/, 'before');
      match(text, /after: v7/, 'after');
      match(text, /splitFlush: always → present-nonleaf/, 'the decision');
      match(text, /drop_large_spte\(\): kvm_flush_remote_tlbs_with_address\(kvm, sp->gfn, \(arch\/x86\/kvm\/mmu\/mmu\.c:\d+, (exact|renamed, 0\.9)\)/, 'a step linked into the kernel tree, by function and statement, with its confidence');
      match(text, /common-1gbare metalPASS · 515 remote flushes \(513 from split\)PASS · 2 remote flushes \(0 from split\)/, 'common-1g verdicts before and after, on bare metal');
      // With a range-capable flush, pre-patch and v7 both flush sp->gfn of the table holding the
      // huge SPTE, which misses reused-partial's huge page: it fails on both sides.
      match(text, /reused-partialrange-capable flush \(Hyper-V\)VIOLATION · [^]*VIOLATION · /, 'reused-partial fails before and after with ranged flushes');
      match(text, /fails before and after the patch: the weakness predates it/, 'said plainly');
      equal(r.review.counterexample?.flushMode, 'range', 'the counterexample is walked with ranged flushes');
      match(text, /Walk the counterexample: reused-partial under v7, range-capable flush \(Hyper-V\)/, 'the walk button names the mode');
      // Walked in that mode (over the setting), v7 reaches the violation; on bare metal it has none.
      await run<number>('kvmMmuLab.walkScenario', { scenario: 'reused-partial', variant: 'v7', flushMode: 'range' });
      ok(api.walk()!.violations.length > 0, 'v7 with ranged flushes: no violation in the walk');
      await run<number>('kvmMmuLab.walkScenario', { scenario: 'reused-partial', variant: 'v7' });
      equal(api.walk()!.violations.length, 0, 'v7 on bare metal (the scenario\'s mode)');
    });

    it('a patch that makes the split skip its flush gets a counterexample to walk, and the walk stops at the violation', async () => {
      const r = await run<CheckPatchResult>('kvmMmuLab.checkPatch', vscode.Uri.joinPath(workspace(), 'patches', 'never-flush.unified.diff'));
      ok(r?.review.counterexample, 'no counterexample');
      match(r.shown.text, /Walk the counterexample: reused-partial under /, 'the walk button');
      const ce = r.review.counterexample;
      const idx = await run<number>('kvmMmuLab.walkScenario', { scenario: ce.scenario, variant: ce.variant, flushMode: ce.flushMode });
      ok(idx, 'no walk');
      const at = await run<number>('kvmMmuLab.runToViolation');
      equal(at, api.walk()!.violations[0], 'the walk stops at the first violation');
    });

    it('a patch the classifier does not understand is said so, with the steps it touches', async () => {
      const r = await run<CheckPatchResult>('kvmMmuLab.checkPatch', { uri: vscode.Uri.joinPath(workspace(), 'patches', 'reused-flush.not-understood.patch').toString() });
      ok(r, 'no review');
      equal(r.review.understood, false, 'understood');
      match(r.shown.text, /NOT UNDERSTOOD/, 'status');
      match(r.shown.text, /Not understood: changes no rule explains/, 'section');
      match(r.shown.text, /\+if \(sp_was_reused\(sp\)\)/, 'the unexplained line');
      match(r.shown.text, /modelled steps it touches:.*shadow_mmu_split_huge_page\(\): __link_shadow_page\(kvm, cache, huge_sptep, sp, flush\);/, 'the steps it touches, by function and statement');
      ok(!/splitLink|splitGetSp/.test(r.shown.text), 'the model\'s names of steps are not shown');
    });

    it('a pull request (no diff) is shown with its commits, not as an error', async () => {
      const r = await run<CheckPatchResult>('kvmMmuLab.checkPatch', vscode.Uri.joinPath(workspace(), 'patches', 'pull-request.txt'));
      ok(r, 'no review');
      equal(r.review.outcome, 'no-diff', 'outcome');
      match(r.shown.text, /\[GIT PULL\] ?mini: split flush changes for the next merge window \(pull request\)/, 'subject');
      match(r.shown.text, /444444444444 mini: zap the present SPTE when linking a table/, 'a listed commit with its id');
      match(r.shown.text, /no diff: pull request listing 3 commit\(s\)/, 'the verdict');
    });

    it('a series (mbox) lists every patch with its [PATCH vN M/N]', async () => {
      const r = await run<CheckPatchResult>('kvmMmuLab.checkPatch', vscode.Uri.joinPath(workspace(), 'patches', 'series.mbox'));
      ok(r, 'no review');
      match(r.shown.text, /\[PATCH v3 0\/4\] ?mini: the split flush through the years \(cover letter\)/, 'cover letter');
      match(r.shown.text, /\[PATCH v3 4\/4\]/, 'last patch');
    });

    it('the real seed mail, when this machine has it: pre-patch before, v7 after', async function () {
      const seed = workspace().with({ path: SEED });
      try {
          await vscode.workspace.fs.stat(seed);
        } catch {
          console.log(`skipped: the seed mail ${SEED} is not on this machine (or not readable from the ${host} host)`);
          this.skip();
        }
        const r = await run<CheckPatchResult>('kvmMmuLab.checkPatch', seed);
        ok(r, 'no review');
        console.log(`kvm-mmu-lab-timing ${host} check patch of the seed mail: ${r.ms} ms`);
        match(r.shown.text, /\[PATCH v7 23\/23\] ?KVM: x86\/mmu: Avoid unnecessary flush on eager page split/, 'series');
        equal(r.review.before, 'pre-patch', 'before');
        equal(r.review.after, 'v7', 'after');
        // On bare metal v7 passes the split's scenarios; the 2026 use-after-free flows fail after the
        // patch as they did before it (their holes date from 2010, not from this patch): no failure is new.
        const bare = r.review.checks.filter((c) => c.flushMode === 'bare-metal');
        ok(bare.filter((c) => !c.scenario.startsWith('uaf-')).every((c) => c.after?.verdict === 'pass'), 'v7 passes every other built-in scenario on bare metal');
        ok(bare.filter((c) => c.after?.verdict !== 'pass').every((c) => c.before?.verdict === c.after?.verdict), 'every failure on bare metal after the patch was there before it');
        equal(bare.filter((c) => c.after?.verdict !== 'pass').map((c) => c.scenario).join(','), 'uaf-unexpected-gfn,uaf-unexpected-role', 'the failures after the patch on bare metal');
        equal(r.review.checks.find((c) => c.scenario === 'reused-partial' && c.flushMode === 'range')?.after?.verdict, 'violation', 'v7 fails reused-partial with ranged flushes, as pre-patch did');
      });

      it('the walkthrough\'s steps link registered commands, and its example patch checks as pre-patch → v7', async () => {
        const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { contributes: { walkthroughs: { id: string; steps: { id: string; description: string; media: { markdown: string } }[] }[] } };
        const [walkthrough] = manifest.contributes.walkthroughs;
        ok(walkthrough && walkthrough.steps.length >= 4, 'no walkthrough with its steps');
        const registered = new Set(await vscode.commands.getCommands(true));
        for (const step of walkthrough.steps) {
          const links = [...step.description.matchAll(/\(command:([\w.]+)/g)].map((m) => m[1]);
          ok(links.length > 0, `step ${step.id} links no command`);
          for (const c of links) ok(registered.has(c), `step ${step.id} links ${c}, which is not registered`);
          match(step.media.markdown, /^media\/walkthrough\/\w+\.md$/, `step ${step.id} media`);
        }
        const r = await Promise.race([
          run<CheckPatchResult>('kvmMmuLab.checkPatch', { example: true }),
          new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 20_000)),
        ]);
        ok(r, 'no review of the example patch within 20 s');
        equal(r.review.before, 'pre-patch', 'example before');
        equal(r.review.after, 'v7', 'example after');
      });

      it(`Compare Variants: presets side by side with the full-scale cost, computed in ${jobsWhere}`, async function () {
        this.timeout(120_000);
        const r = await run<{ rows: CompareRowView[]; markdown: string; shown: ReportShownMessage; fullScale: string }>('kvmMmuLab.compareVariants', { scenario: 'reused-partial' });
        ok(r, 'no comparison');
        equal(r.shown.kind, 'compare', 'view');
        const row = (v: string) => r.rows.find((x) => x.variant === v)!;
        equal(row('never-flush').verdict, 'violation', 'never-flush');
        equal(row('v7').verdict, 'pass', 'v7');
        ok(row('pre-patch').splitFlushesPer64G > row('v7').splitFlushesPer64G, `full scale: pre-patch ${row('pre-patch').splitFlushesPer64G}, v7 ${row('v7').splitFlushesPer64G}`);
        match(r.shown.text, /Compare variants: reused-partial/, 'title');
        match(r.shown.text, /never-flushVIOLATION/, 'never-flush row');
        match(r.shown.text, /Full scale: split flushes when dirty logging starts on a 64 GiB guest/, 'full-scale note');
        match(r.markdown, /\| `v7` \| pass \|/, 'Markdown table');
        match(r.fullScale, new RegExp(`computed in [\\d.]+ s in ${jobsWhere}\\.$`), 'where the full-scale run ran');
        console.log(`kvm-mmu-lab-timing ${host} ${r.shown.text.match(/computed in [\d.]+ s in [^.]+/)?.[0] ?? ''}`);
      });

      it(`Explore Variant… runs in ${jobsWhere}: the host answers a command meanwhile, and a cancel stops it`, async function () {
        // Mocha's default 60 s was too short on a loaded machine (load 15: the walk's answer came late);
        // a timeout here also let its late cancelExplore() cancel the next test's search.
        this.timeout(180_000);
        // v7 at this bound has tens of millions of states (minutes, or the memory cap after many
        // seconds); the walk below answers in well under that. The walk's
        // command runs on the extension host's thread: it can answer only while that thread is free.
        // The packed search holds about 1 GiB within seconds on a fast machine, and the default cap
        // (1024 MiB) could stop it between the walk's answer and the cancel: this test is about the
        // cancel, so the cap is raised for it (a machine setting, in the test profile's user settings).
        const settings = vscode.workspace.getConfiguration('kvmMmuLab');
        await settings.update('jobMemoryCapMiB', 4096, vscode.ConfigurationTarget.Global);
        try {
        let ended = false;
        const pending = run<{ verdict: string; stopped: string; shown: ReportShownMessage }>('kvmMmuLab.exploreVariant', { variant: 'v7', bound: { ops: 6, accesses: 4 } });
        void pending.then(() => (ended = true));
        await new Promise((resolve) => setTimeout(resolve, 1500));
        const steps = await run<number>('kvmMmuLab.walkScenario', { scenario: 'common-1g', variant: 'v7' });
        ok(steps && steps > 0, 'the walk command did not answer with its step count');
        equal(ended, false, 'the explore job had ended before the walk command answered');
        api.cancelExplore();
        const r = await pending;
        ok(r, 'no result');
        equal(r.verdict, 'incomplete', 'verdict');
        equal(r.stopped, 'cancelled', 'why it stopped');
        match(r.shown.text, new RegExp(`s in ${jobsWhere}\\.`), 'where the search ran, as the view says');
      } finally {
        await settings.update('jobMemoryCapMiB', undefined, vscode.ConfigurationTarget.Global);
      }
    });

    describe('the memory cap of long jobs (kvmMmuLab.jobMemoryCapMiB)', () => {
      // A machine setting (a workspace may not raise it): set in the user settings of the test's fresh profile.
      const cap = (mib: number | undefined) => vscode.workspace.getConfiguration('kvmMmuLab').update('jobMemoryCapMiB', mib, vscode.ConfigurationTarget.Global);
      before(() => cap(1));
      after(() => cap(undefined));

      it('a 1 MiB cap stops the full-scale run with a message, and the host goes on', async function () {
        this.timeout(120_000);
        // The 64 GiB guest's memslot alone has a dirty bitmap of 2^24 bytes (16 MiB, one a page) and
        // rmap heads of 4 bytes a page: well past 1 MiB at the first check, whatever the measure
        // (a worker thread's heap and buffers, or the model's own state in a Web Worker).
        const r = await run<{ rows: CompareRowView[]; shown: ReportShownMessage; fullScale: string }>('kvmMmuLab.compareVariants', { scenario: 'reused-partial' });
        ok(r, 'no comparison');
        match(r.fullScale, /^stopped at the memory cap: [\d.]+ MiB in use, the cap is 1 MiB \(the setting kvmMmuLab\.jobMemoryCapMiB\); the full-scale costs were not computed\.$/, 'the full-scale note');
        match(r.shown.text, /Full scale: stopped at the memory cap/, 'the view says so');
        ok(r.rows.every((row) => row.splitFlushesPer64G === -2), 'a cost was shown although the run stopped');
        equal(r.rows.find((row) => row.variant === 'never-flush')?.verdict, 'violation', 'the small-scale verdicts are still there');
      });

      it('a 1 MiB cap stops Explore Variant… as incomplete, with the cap as the reason', async function () {
        this.timeout(120_000);
        // The packed search's state store starts with a chunk of 2^15 states of more than 100
        // bytes each (over 3 MiB): past a 1 MiB cap at its first check.
        const r = await run<{ verdict: string; stopped: string }>('kvmMmuLab.exploreVariant', { variant: 'never-flush', bound: { ops: 4, accesses: 3 } });
        ok(r, 'no result');
        equal(r.verdict, 'incomplete', 'verdict');
        match(r.stopped, /^stopped at the memory cap: [\d.]+ MiB in use, the cap is 1 MiB$/, 'why it stopped');
      });
    });

    it('Explore Variant… finishes within a small bound and shows the result', async function () {
      this.timeout(120_000);
      const r = await run<{ verdict: string; states: number; shown: ReportShownMessage }>('kvmMmuLab.exploreVariant', { variant: 'never-flush', bound: { ops: 2, accesses: 1 } });
      ok(r, 'no result');
      equal(r.verdict, 'no violation within the bound', 'verdict');
      ok(r.states > 100, `states ${r.states}`);
      match(r.shown.text, /Explore: never-flush/, 'view');
      match(r.shown.text, /No violation within the bound/, 'result in the view');
    });
  });
}
