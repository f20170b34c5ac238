import { Cron } from 'croner';
import { DroverError } from '../errors.js';

/** Rejects a bad cron expression before anything starts. */
export function validateCron(expression: string): void {
  try {
    new Cron(expression, { paused: true }).stop();
  } catch (err) {
    throw new DroverError(
      'DROVER_E_INVALID_OPTION',
      `cronRestart ${JSON.stringify(expression)} is not a cron expression (${(err as Error).message}): use five fields, e.g. "0 3 * * *"`,
    );
  }
}
