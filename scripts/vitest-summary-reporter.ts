import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends every test run with one plain line, `tests: N passed, N failed, N skipped`, that any CI
 * log reader understands. Skipped tests are listed by name, so an integration test that skipped
 * for lack of a service is never silent.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const skippedNames: string[] = [];
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else {
          skipped++;
          skippedNames.push(`${mod.project.name}: ${test.fullName}`);
        }
      }
      if (mod.state() === 'failed' && mod.children.size === 0) failed++;
    }
    if (skippedNames.length > 0) {
      process.stdout.write(`\nskipped tests:\n${skippedNames.map((n) => `  - ${n}`).join('\n')}\n`);
    }
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
