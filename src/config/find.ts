// Finding a config file: the names looked up in a directory, and which names
// say "PM2 ecosystem file" (read with PM2's keys).
import { existsSync } from 'node:fs';
import path from 'node:path';

export const CONFIG_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '.json', '.yaml', '.yml'] as const;

/** Looked up in this order by findConfigFile(). */
export const CONFIG_FILE_NAMES: readonly string[] = [
  ...CONFIG_EXTENSIONS.map((ext) => `drover.config${ext}`),
  'ecosystem.config.js',
  'ecosystem.config.cjs',
  'ecosystem.config.mjs',
  'ecosystem.config.json',
  'ecosystem.json',
  'ecosystem.config.yaml',
  'ecosystem.config.yml',
];

/** The config file in dir, if any. */
export function findConfigFile(dir: string): string | undefined {
  for (const name of CONFIG_FILE_NAMES) {
    const file = path.join(dir, name);
    if (existsSync(file)) return file;
  }
  return undefined;
}

export { isConfigFileName } from './names.js';

export function isEcosystemName(file: string): boolean {
  return /^(ecosystem|pm2|process)([.-].*)?\.(c?js|mjs|json|ya?ml)$/i.test(path.basename(file));
}

