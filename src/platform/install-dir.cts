// Where this installation of drover lives, for code built twice: as ESM
// (dist/) and as CommonJS (dist/cjs/, tsconfig.cjs.json: the worker preload
// and the app master, issue 17). `import.meta` is a syntax error in CommonJS
// and `__dirname` does not exist in ESM, so the modules of both builds ask
// this file, which is CommonJS in both (a .cts file is built to .cjs whatever
// the build's module setting; ESM imports it through Node's CommonJS interop).
// Contract: it is built to dist/platform/ and dist/cjs/platform/ only.
import path = require('node:path');

const here = path.basename(path.dirname(__dirname)) === 'cjs' ? path.resolve(__dirname, '../..') : path.resolve(__dirname, '..');

/** dist/ of this installation (the ESM build; the CommonJS build is dist/cjs/). */
export const DIST_DIR: string = here;

/** The package root (package.json, public/). */
export const PACKAGE_DIR: string = path.dirname(here);

/** Loads a package as this installation resolves it (lazy optional dependencies: croner). */
export const requireFromDrover: NodeJS.Require = require;
