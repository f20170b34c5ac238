// The schema of one app in a drover config file (the supervise() options plus
// the keys only files have). Its issues become messages in issues.ts.
import { z } from 'zod';
import { logOptionsSchema } from './log-options.js';
import { superviseOptionsSchema } from './schema.js';

export { configError, describeIssue, formatPath, type IssueText, type PathSegment } from './issues.js';

const envFileSchema = z.union([z.string().min(1), z.array(z.string().min(1)), z.literal(false)]);

/** Keys only a config file has; the loader consumes them before options reach resolveSpec(). */
export const FILE_ONLY_KEYS = ['envFile'] as const;

/**
 * Derived from the option schema (never a copy of its key list) so options the
 * schema gains are accepted in files at once. `env_<name>` blocks are taken out
 * before this schema runs (their names are open-ended).
 */
export function fileAppSchema() {
  return appOptionsSchema().extend({ envFile: envFileSchema.optional() }).strict();
}

/** supervise() options plus the log options of `drover start` (what a PM2 app maps to). */
export function appOptionsSchema() {
  return superviseOptionsSchema.extend(logOptionsSchema.shape).strict();
}

export const envBlockSchema = z.record(z.string(), z.string());
