// `drover list` through the command line program, and the way every other
// path ends up when the fast ones cannot answer: it starts the daemon when
// none runs. list-fast.ts (the `drover` bin) and prestart.ts (dist/cli/main.js)
// answer the common case before commander loads; all print with list-render.ts.
import type { AppSummary } from '../control/records.js';
import { connectDaemon } from './daemon-client.js';
import { LIST_TIMEOUT_MS } from './list-argv.js';
import { renderList } from './list-render.js';

export async function listCommand(options: { json?: boolean }): Promise<number> {
  const client = (await connectDaemon({ start: true }))!;
  let rows: AppSummary[];
  try {
    rows = await client.call('list', {}, { timeoutMs: LIST_TIMEOUT_MS });
  } finally {
    client.close();
  }
  process.stdout.write(renderList(rows, options));
  return 0;
}
