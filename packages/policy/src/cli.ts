#!/usr/bin/env node
/**
 * `plinth-policy`: run policy test files, validate policies against a Cedar schema, and format
 * Cedar policy text. Exit codes: 0 success; 1 the answer is no (a test failed, a policy is
 * invalid, a file is not formatted); 2 the command could not run (bad usage, a file that cannot
 * be read or parsed, a malformed test file). From the workspace:
 *
 *   node --conditions=@plinth/source --import tsx packages/policy/src/cli.ts test policies.test.json
 *   node packages/policy/dist/cli.js validate --schema app.cedarschema policies.cedar
 */
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { AuthorizerPolicies } from './authorizer.js';
import { PolicySet } from './policy-set.js';
import {
  coverageOf,
  formatCoverage,
  formatPolicyTestReport,
  PolicyTestRunner,
  type PolicyTestReport,
} from './policy-tests.js';
import { Schema } from './schema.js';
import { validatePolicies, type ValidationIssue } from './validate.js';
import { Lexer } from './internal/lexer.js';
import { lineColumn } from './internal/location.js';
import { parsePolicies } from './internal/parser.js';
import { printPolicy } from './internal/printer.js';

const USAGE = `usage:
  plinth-policy test <file.json...> [--policies <p.cedar|p.json>] [--coverage] [--json]
      run policy test files; --policies replaces each file's "policies"
  plinth-policy validate --schema <s.cedarschema|s.json> <p.cedar|p.json...> [--json]
      check policies against a Cedar schema (strict mode)
  plinth-policy format <p.cedar...> [--check | --write] [--drop-comments]
      print policies in canonical Cedar layout (comments are not kept: --write refuses a file
      with comments unless --drop-comments is given)
exit codes: 0 success, 1 tests failed / policies invalid / not formatted, 2 usage or input error`;

/** What a CLI run produced. */
export interface PolicyCliResult {
  readonly exitCode: 0 | 1 | 2;
  readonly stdout: string;
  readonly stderr: string;
}

export interface PolicyCliOptions {
  /** Directory relative paths are resolved against. @default process.cwd() */
  readonly cwd?: string;
}

class Output {
  readonly out: string[] = [];
  readonly err: string[] = [];
  code: 0 | 1 | 2 = 0;

  fail(code: 1 | 2, message?: string): void {
    if (message !== undefined) this.err.push(message);
    if (code > this.code) this.code = code;
  }

  result(): PolicyCliResult {
    const join = (l: string[]) => (l.length === 0 ? '' : `${l.join('\n')}\n`);
    return { exitCode: this.code, stdout: join(this.out), stderr: join(this.err) };
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Reads a policy file: Cedar text, or a Cedar JSON policy set for `.json`. */
function loadPolicySet(path: string): { set: PolicySet; text: string; json: boolean } {
  const text = readFileSync(path, 'utf8');
  const json = /\.json$/i.test(path);
  return { set: json ? PolicySet.fromJson(text) : PolicySet.parse(text), text, json };
}

function runTest(
  files: readonly string[],
  values: { policies?: string; coverage?: boolean; json?: boolean },
  cwd: string,
  o: Output,
): void {
  if (files.length === 0) return o.fail(2, `plinth-policy test: no test file given\n${USAGE}`);
  let policies: AuthorizerPolicies | undefined;
  if (values.policies !== undefined) {
    try {
      policies = loadPolicySet(resolve(cwd, values.policies)).set;
    } catch (e) {
      return o.fail(2, `${values.policies}: ${messageOf(e)}`);
    }
  }
  const reports: PolicyTestReport[] = [];
  const broken: { file: string; error: string }[] = [];
  for (const file of files) {
    try {
      const runner = new PolicyTestRunner(
        resolve(cwd, file),
        policies === undefined ? {} : { policies },
      );
      const report = runner.runAll();
      reports.push({ ...report, file });
    } catch (e) {
      broken.push({ file, error: messageOf(e) });
      o.fail(2);
    }
  }
  const failed = reports.reduce((n, r) => n + r.failed, 0);
  const passed = reports.reduce((n, r) => n + r.passed, 0);
  if (failed > 0) o.fail(1);
  const coverage = values.coverage === true ? coverageOf(reports) : undefined;
  if (values.json === true) {
    o.out.push(
      JSON.stringify(
        {
          passed,
          failed,
          files: reports.map((r) => ({
            file: r.file,
            passed: r.passed,
            failed: r.failed,
            results: r.results,
          })),
          errors: broken,
          ...(coverage === undefined ? {} : { coverage }),
        },
        (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v),
        2,
      ),
    );
    return;
  }
  for (const r of reports) o.out.push(formatPolicyTestReport(r));
  for (const b of broken) o.err.push(`${b.file}: ${b.error}`);
  // One file's report already ends with its totals.
  if (reports.length !== 1 || broken.length > 0) {
    o.out.push(
      `${passed} passed, ${failed} failed` +
        (broken.length > 0 ? `, ${broken.length} file(s) could not be run` : ''),
    );
  }
  if (coverage !== undefined) o.out.push(formatCoverage(coverage));
}

function runValidate(
  files: readonly string[],
  values: { schema?: string; json?: boolean },
  cwd: string,
  o: Output,
): void {
  if (values.schema === undefined)
    return o.fail(2, `plinth-policy validate: --schema is required\n${USAGE}`);
  if (files.length === 0)
    return o.fail(2, `plinth-policy validate: no policy file given\n${USAGE}`);
  let schema: Schema;
  try {
    const text = readFileSync(resolve(cwd, values.schema), 'utf8');
    schema = /\.json$/i.test(values.schema) ? Schema.fromJson(text) : Schema.parse(text);
  } catch (e) {
    return o.fail(2, `${values.schema}: ${messageOf(e)}`);
  }
  const out: { file: string; valid: boolean; issues: readonly unknown[]; error?: string }[] = [];
  for (const file of files) {
    let set: PolicySet;
    let fileText: string | undefined;
    try {
      const loaded = loadPolicySet(resolve(cwd, file));
      set = loaded.set;
      if (!loaded.json) fileText = loaded.text;
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      // A syntax error is an invalid policy (1); an unreadable file is an input error (2).
      o.fail(code === 'E_PARSE' || code === 'E_LIMIT_EXCEEDED' ? 1 : 2);
      out.push({ file, valid: false, issues: [], error: messageOf(e) });
      if (values.json !== true) o.err.push(`${file}: ${messageOf(e)}`);
      continue;
    }
    const result = validatePolicies(schema, set);
    if (!result.valid) o.fail(1);
    out.push({ file, valid: result.valid, issues: result.issues });
    if (values.json === true) continue;
    for (const issue of result.issues) o.out.push(`${file}:${describeIssue(issue, fileText)}`);
    o.out.push(`${file}: ${result.valid ? 'valid' : `${result.issues.length} issue(s)`}`);
  }
  if (values.json === true)
    o.out.push(JSON.stringify({ valid: o.code === 0, files: out }, null, 2));
}

/**
 * `line:column: severity: message [code]` of a validation issue. `span` holds offsets into the
 * text the set was parsed from (the whole file), so the location is computed against it; an
 * issue without a span is located by policy only.
 */
function describeIssue(issue: ValidationIssue, fileText: string | undefined): string {
  const at =
    issue.span !== undefined && fileText !== undefined
      ? lineColumn(fileText, issue.span.start)
      : undefined;
  const where = at === undefined ? '' : `${at.line}:${at.column}:`;
  return `${where} ${issue.severity}: ${issue.message} [${issue.code}]`;
}

/** True when the text has a `//` comment (in a gap between tokens). */
function hasComments(text: string): boolean {
  const lexer = new Lexer(text);
  let prev = 0;
  for (;;) {
    const t = lexer.next();
    if (text.slice(prev, t.start).includes('//')) return true;
    if (t.kind === 'eof') return false;
    prev = t.end;
  }
}

/** Canonical layout of a Cedar policy text: each policy printed, a blank line between them. */
function formatPolicyText(text: string): string {
  const policies = parsePolicies(text);
  return policies.length === 0 ? '' : `${policies.map((p) => printPolicy(p.ast)).join('\n\n')}\n`;
}

function runFormat(
  files: readonly string[],
  values: { check?: boolean; write?: boolean; 'drop-comments'?: boolean },
  cwd: string,
  o: Output,
): void {
  if (files.length === 0) return o.fail(2, `plinth-policy format: no policy file given\n${USAGE}`);
  if (values.check === true && values.write === true) {
    return o.fail(2, 'plinth-policy format: --check and --write exclude each other');
  }
  for (const file of files) {
    const path = resolve(cwd, file);
    let text: string;
    let formatted: string;
    try {
      text = readFileSync(path, 'utf8');
      formatted = formatPolicyText(text);
    } catch (e) {
      o.fail(2, `${file}: ${messageOf(e)}`);
      continue;
    }
    if (values.check === true) {
      if (formatted !== text) {
        o.fail(1);
        o.out.push(
          `${file}: not formatted (first difference at ${firstDifference(text, formatted)})`,
        );
      }
      continue;
    }
    if (values.write === true) {
      if (formatted === text) continue;
      if (hasComments(text) && values['drop-comments'] !== true) {
        o.fail(
          2,
          `${file}: has comments, which formatting drops; pass --drop-comments to write anyway`,
        );
        continue;
      }
      try {
        writeFileSync(path, formatted);
        o.out.push(`${file}: formatted`);
      } catch (e) {
        o.fail(2, `${file}: ${messageOf(e)}`);
      }
      continue;
    }
    if (hasComments(text)) o.err.push(`${file}: note: comments are not kept by the formatter`);
    o.out.push(formatted.replace(/\n$/, ''));
  }
}

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const { line, column } = lineColumn(a, i);
  return `line ${line}, column ${column}`;
}

/** Runs the CLI with `argv` (without node and the script); never throws, never exits. */
export function runPolicyCli(
  argv: readonly string[],
  options: PolicyCliOptions = {},
): PolicyCliResult {
  const o = new Output();
  const cwd = options.cwd ?? process.cwd();
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    o.fail(2, `plinth-policy: ${messageOf(e)}\n${USAGE}`);
    return o.result();
  }
  const { positionals, values } = parsed;
  const [command, ...files] = positionals;
  if (values.help === true || command === 'help') {
    o.out.push(USAGE);
    return o.result();
  }
  try {
    switch (command) {
      case 'test':
        runTest(files, values, cwd, o);
        break;
      case 'validate':
        runValidate(files, values, cwd, o);
        break;
      case 'format':
        runFormat(files, values, cwd, o);
        break;
      default:
        o.fail(
          2,
          `${command === undefined ? 'plinth-policy: no command' : `plinth-policy: unknown command ${JSON.stringify(command)}`}\n${USAGE}`,
        );
    }
  } catch (e) {
    o.fail(2, `plinth-policy ${command ?? ''}: ${messageOf(e)}`);
  }
  return o.result();
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      policies: { type: 'string' },
      schema: { type: 'string' },
      coverage: { type: 'boolean' },
      json: { type: 'boolean' },
      check: { type: 'boolean' },
      write: { type: 'boolean' },
      'drop-comments': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** True when this file is the program (also through the `plinth-policy` bin symlink). */
function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  let real = script;
  try {
    real = realpathSync(script);
  } catch {
    // not a file path: keep it as given
  }
  return /policy[\\/](?:src|dist)[\\/]cli\.[cm]?[jt]s$/.test(real);
}

if (invokedDirectly()) {
  const r = runPolicyCli(process.argv.slice(2));
  if (r.stdout.length > 0) process.stdout.write(r.stdout);
  if (r.stderr.length > 0) process.stderr.write(r.stderr);
  process.exitCode = r.exitCode;
}
