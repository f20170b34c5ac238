import { DroverError } from '../errors.js';
import type { RemoteBackend } from './backend.js';
import type { ServerLog } from './server.js';
import type { StateSpec } from './types.js';

export function redisBackend(_spec: StateSpec, _log: ServerLog | undefined): RemoteBackend {
  throw new DroverError('DROVER_E_STATE_UNAVAILABLE', 'the redis state backend is not built yet');
}
