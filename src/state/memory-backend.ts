// stateBackend 'memory': no persistence; the store starts empty with every master boot.
import type { Persistence } from './backend.js';

export function memoryBackend(): Persistence {
  return { kind: 'local', load: () => ({ entries: [], rev: 0 }), append: () => {}, close: () => {} };
}
