// Where things are: the checkout, the built CLI, fixtures, examples, Node 24.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = path.join(ROOT, 'dist/cli/main.js');
export const fixture = (name) => path.join(ROOT, 'test/fixtures', name);
export const example = (name) => path.join(ROOT, 'examples', name);
/** Node 24 as .ci/run installs it (tests that need it skip when it is missing). */
export const NODE24 = path.join(ROOT, '.cache/node24/node_modules/node/bin/node');
