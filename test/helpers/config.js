// Config-file tests: the fixtures under test/fixtures/config, and
// loadConfigFile on a fixed machine (4 cores, an empty caller environment).
import path from 'node:path';
import { loadConfigFile } from '../../dist/config/load.js';
import { fixture } from './paths.js';

/** A path under test/fixtures/config. */
export const configFixture = (...parts) => fixture(path.join('config', ...parts));

export const loadConfig = (file, options = {}) => loadConfigFile(file, { cores: 4, callerEnv: {}, ...options });
