// Zod issues turned into messages that name the key path (or the flag) and
// what is expected, with "did you mean" for unknown keys: the one way every
// caller (config files, supervise() options, the command line) reports them.
import type { z } from 'zod';
import { DroverError } from '../errors.js';
import { didYouMean } from './suggest.js';

export type PathSegment = string | number;

/** apps[1].env.PORT */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  const s = JSON.stringify(value);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

type Issue = z.core.$ZodIssue;

function expectation(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'int' ? 'a whole number' : issue.expected === 'array' ? 'an array' : `a ${issue.expected}`;
    case 'invalid_value':
      return issue.values.length === 1 ? JSON.stringify(issue.values[0]) : `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return issue.message;
  }
}

export interface IssueText {
  readonly path: PathSegment[];
  readonly text: string;
}

/** One issue → `path: what is wrong`, with "did you mean" for unknown keys. */
export function describeIssue(issue: Issue, base: readonly PathSegment[], knownKeys: (path: readonly PathSegment[]) => readonly string[]): IssueText[] {
  const path = [...base, ...(issue.path as PathSegment[])];
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeys(issue.path as PathSegment[]);
      return issue.keys.map((key) => {
        const guess = didYouMean(key, known);
        return { path: [...path, key], text: `unknown key${guess ? ` (did you mean "${guess}"?)` : ''}` };
      });
    }
    case 'invalid_type':
      if (input === undefined) return [{ path, text: `is required (${expectation(issue)})` }];
      return [{ path, text: `expected ${expectation(issue)}, got ${show(input)}` }];
    case 'invalid_value':
      return [{ path, text: `expected ${expectation(issue)}, got ${show(input)}` }];
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const op = issue.code === 'too_small' ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
      const what =
        issue.origin === 'string' ? `a string of length ${op} ${bound}` : issue.origin === 'array' ? `at least ${bound} item(s)` : `a number ${op} ${bound}`;
      if (issue.origin === 'array' && issue.code === 'too_big') return [{ path, text: `expected at most ${bound} item(s)` }];
      // zod leaves `input` out of these issues; a message the schema wrote (not zod's "Too small: ...") says why the bound is there.
      const why = issue.message && !/^Too (small|big)/.test(issue.message) ? `: ${issue.message}` : '';
      return [{ path, text: `expected ${what}${input === undefined ? '' : `, got ${show(input)}`}${why}` }];
    }
    case 'invalid_union': {
      // A branch that got past the type check failed on the value: its message is the precise one.
      const branches = issue.errors;
      const deep = branches.find((b) => b.length > 0 && b.every((i) => i.code !== 'invalid_type' && i.code !== 'invalid_value'));
      if (deep) return deep.flatMap((i) => describeIssue(i, path, knownKeys));
      const expected = branches.flatMap((b) => b.filter((i) => i.path.length === 0).map(expectation));
      return [{ path, text: `expected ${[...new Set(expected)].join(' or ')}, got ${show(input)}` }];
    }
    default:
      return [{ path, text: input === undefined ? issue.message : `${issue.message} (got ${show(input)})` }];
  }
}

/** DROVER_E_CONFIG naming the file and every problem (up to a few). */
export function configError(file: string, problems: readonly IssueText[], details: Record<string, unknown> = {}): DroverError {
  const shown = problems.slice(0, 5).map((p) => (p.path.length ? `${formatPath(p.path)}: ${p.text}` : p.text));
  const more = problems.length > shown.length ? `; and ${problems.length - shown.length} more` : '';
  return new DroverError('DROVER_E_CONFIG', `invalid config ${file}: ${shown.join('; ')}${more}`, {
    file,
    issues: problems.map((p) => ({ path: formatPath(p.path), message: p.text })),
    ...details,
  });
}
