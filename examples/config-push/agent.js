// The agent of the config-push example: the one process that watches the
// config file. Each change is parsed and written to the shared state store,
// which pushes it to every worker. Nothing polls.
import { readFileSync, watch } from 'node:fs';
import path from 'node:path';
import { ready, state } from 'drover/worker';

const file = path.resolve(process.env.CONFIG_FILE ?? new URL('./config.json', import.meta.url).pathname);
let last;

async function publish() {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return console.error(`config-push agent: cannot read ${file}: ${err.message}`);
  }
  if (text === last) return;
  let config;
  try {
    config = JSON.parse(text);
  } catch (err) {
    // A half-saved or broken file: the workers keep the last good config.
    return console.error(`config-push agent: ${file} is not valid JSON (${err.message}); keeping the previous config`);
  }
  last = text;
  const entry = await state.set('config', config);
  console.log(`config-push agent: config rev ${entry.rev} (version ${entry.version}) pushed`);
}

await publish();
// Watch the directory, not the file: editors save by writing a new file and renaming it over the old one.
let timer;
watch(path.dirname(file), (_event, name) => {
  if (name !== path.basename(file)) return;
  clearTimeout(timer);
  timer = setTimeout(() => publish().catch((err) => console.error(`config-push agent: ${err.message}`)), 10);
});
// The workers start only now, so the config is in the store before any of them asks.
ready();
