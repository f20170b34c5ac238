// Not import.meta: this module is also built as CommonJS, for the app master (platform/install-dir.cts).
import { requireFromDrover } from '../platform/install-dir.cjs';
import { DroverError } from '../errors.js';

/** Rejects a bad cron expression before anything starts (croner is loaded only when a schedule is set). */
export function validateCron(expression: string): void {
  const { Cron } = requireFromDrover('croner') as typeof import('croner');
  try {
    new Cron(expression, { paused: true }).stop();
  } catch (err) {
    throw new DroverError(
      'DROVER_E_INVALID_OPTION',
      `cronRestart ${JSON.stringify(expression)} is not a cron expression (${(err as Error).message}): use five fields, e.g. "0 3 * * *"`,
    );
  }
}
