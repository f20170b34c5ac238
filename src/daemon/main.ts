#!/usr/bin/env node
// The daemon's entry point (daemon-process.ts is the daemon): the compile
// cache goes on before the daemon's modules load (runtime/compile-cache.ts).
import { droverPaths } from './paths.js';
import { enableCompileCache, flushCompileCacheSoon } from '../runtime/compile-cache.js';

const paths = droverPaths();
enableCompileCache(paths.home, paths.cache);
await import('./daemon-process.js');
flushCompileCacheSoon();
