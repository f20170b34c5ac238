// drover dashboard: one EventSource for state and events, plain DOM, no build.
// The token arrived once in the URL (?token=) and is now an HttpOnly cookie:
// take it out of the address bar and history.
if (location.search.includes('token=')) history.replaceState(null, '', location.pathname);

const $ = (sel, el = document) => el.querySelector(sel);
const HISTORY = 120; // samples per worker for the charts: 2 minutes at one per second
const series = new Map(); // `${app}/${slot}` → { cpu: [], rss: [] }
let apps = [];

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) el.setAttribute(k, v);
  }
  for (const c of children.flat()) el.append(c instanceof Node ? c : document.createTextNode(String(c ?? '')));
  return el;
}

const SVG = 'http://www.w3.org/2000/svg';
function spark(values) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('viewBox', '0 0 90 20');
  svg.setAttribute('preserveAspectRatio', 'none');
  const vals = values.filter((v) => typeof v === 'number');
  if (vals.length > 1) {
    const max = Math.max(...vals, 1e-9);
    const line = document.createElementNS(SVG, 'polyline');
    const step = 90 / (HISTORY - 1);
    const start = HISTORY - values.length;
    line.setAttribute('points', values.map((v, i) => `${((start + i) * step).toFixed(1)},${(19 - ((v ?? 0) / max) * 18).toFixed(1)}`).join(' '));
    svg.append(line);
  }
  return svg;
}

const mb = (b) => (b === undefined || b === null ? '–' : `${(b / 1048576).toFixed(1)} MB`);
const pct = (c) => (c === undefined || c === null ? '–' : `${c.toFixed(1)}%`);
function dur(ms) {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

function notice(text, error = false) {
  const el = $('#notice');
  el.textContent = text;
  el.className = error ? 'error' : '';
}

async function act(app, action, body = {}) {
  notice(`${action} ${app}…`);
  try {
    const res = await fetch(`/api/apps/${encodeURIComponent(app)}/${action}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(json.error?.message ?? `HTTP ${res.status}`);
    notice(`${action} ${app}: done`);
  } catch (err) {
    notice(`${action} ${app} failed: ${err.message}`, true);
  }
}

function record(app) {
  for (const w of app.workers) {
    if (w.role !== 'active' && w.phase !== 'ready') continue;
    const key = `${app.name}/${w.slot}`;
    const s = series.get(key) ?? { cpu: [], rss: [] };
    s.cpu.push(w.cpu ?? null);
    s.rss.push(w.rss ?? null);
    if (s.cpu.length > HISTORY) s.cpu.shift(), s.rss.shift();
    series.set(key, s);
  }
}

function renderApp(app) {
  const scale = h('input', { type: 'number', min: '0', value: String(app.desired), 'aria-label': 'workers' });
  const rows = [...app.workers]
    .sort((a, b) => a.slot - b.slot || a.wid - b.wid)
    .map((w) => {
      const s = series.get(`${app.name}/${w.slot}`) ?? { cpu: [], rss: [] };
      return h(
        'tr',
        { 'data-slot': w.slot, 'data-pid': w.pid ?? '' },
        h('td', { class: 'num' }, w.slot),
        h('td', { class: 'num pid' }, w.pid ?? '–'),
        h('td', { class: `status st-${w.phase}` }, w.role === 'spare' ? `spare (${w.phase})` : w.phase),
        h('td', { class: 'num' }, dur(w.uptimeMs)),
        h('td', { class: 'num restarts' }, w.restarts),
        h('td', { class: 'num' }, pct(w.cpu), spark(s.cpu)),
        h('td', { class: 'num' }, mb(w.rss), spark(s.rss)),
        h('td', { class: 'num' }, w.lagMs === undefined || w.lagMs === null ? '–' : `${w.lagMs.toFixed(1)} ms`),
        h('td', { class: 'num' }, w.connections),
      );
    });
  return h(
    'article',
    { class: 'app', 'data-app': app.name },
    h(
      'div',
      { class: 'app-head' },
      h('span', { class: 'name' }, app.name),
      h('span', { class: 'phase' }, `${app.phase} · ${app.workers.filter((w) => w.phase === 'ready' && w.role === 'active').length}/${app.desired} ready`),
      ...(app.phase === 'stopped' || app.phase === 'errored' ? endedActions(app) : runningActions(app, scale)),
    ),
    h(
      'table',
      {},
      h('thead', {}, h('tr', {}, ...['worker', 'pid', 'status', 'uptime', 'restarts', 'cpu', 'memory', 'loop lag', 'conns'].map((t) => h('th', {}, t)))),
      h('tbody', {}, rows),
    ),
  );
}

// A stopped or errored app (under the daemon) has no workers: it can be started again or deleted.
function endedActions(app) {
  return [
    ...(app.error ? [h('span', { class: 'error' }, app.error)] : []),
    h('button', { type: 'button', 'data-action': 'start', onclick: () => act(app.name, 'start') }, 'Start'),
    h('button', { type: 'button', class: 'danger', 'data-action': 'delete', onclick: () => confirm(`Delete ${app.name} from the app list?`) && act(app.name, 'delete') }, 'Delete'),
  ];
}

function runningActions(app, scale) {
  return [
      h('button', { type: 'button', 'data-action': 'reload', onclick: () => act(app.name, 'reload') }, 'Reload'),
      h('button', { type: 'button', 'data-action': 'restart', onclick: () => act(app.name, 'restart') }, 'Restart'),
      scale,
      h('button', { type: 'button', 'data-action': 'scale', onclick: () => act(app.name, 'scale', { instances: Number(scale.value) }) }, 'Scale'),
      h('button', { type: 'button', class: 'danger', 'data-action': 'stop', onclick: () => confirm(`Stop ${app.name}?`) && act(app.name, 'stop') }, 'Stop'),
  ];
}

function render() {
  const root = $('#apps');
  // Keep the scale input the user is typing in.
  if (root.contains(document.activeElement) && document.activeElement.tagName === 'INPUT') return;
  root.replaceChildren(...apps.map(renderApp));
  const select = $('#log-app');
  const names = apps.map((a) => a.name);
  if ([...select.options].map((o) => o.value).join() !== names.join()) {
    const current = select.value;
    select.replaceChildren(...names.map((n) => h('option', { value: n }, n)));
    if (names.includes(current)) select.value = current;
    else void loadLogs();
  }
}

function addEvent(e) {
  const list = $('#events');
  list.prepend(h('li', { class: `ev-${e.level}` }, `${new Date(e.at).toLocaleTimeString()} ${e.app}: ${e.text}`));
  while (list.children.length > 200) list.lastChild.remove();
}

async function loadLogs() {
  const app = $('#log-app').value;
  if (!app) return;
  const res = await fetch(`/api/logs/${encodeURIComponent(app)}?lines=200`);
  const json = await res.json().catch(() => ({}));
  $('#logs').textContent = json.lines === null ? 'no log file: under drover run the workers write to the master’s stdout' : (json.lines ?? []).join('\n') || '(empty)';
}

function connect() {
  const source = new EventSource('/api/events');
  source.addEventListener('open', () => {
    $('#conn').textContent = 'live';
    $('#conn').className = 'conn on';
  });
  source.addEventListener('error', () => {
    $('#conn').textContent = 'reconnecting…';
    $('#conn').className = 'conn off';
  });
  source.addEventListener('state', (m) => {
    apps = JSON.parse(m.data).apps;
    apps.forEach(record);
    render();
  });
  source.addEventListener('reset', () => $('#events').replaceChildren());
  source.addEventListener('log', (m) => addEvent(JSON.parse(m.data)));
}

$('#log-refresh').addEventListener('click', loadLogs);
$('#log-app').addEventListener('change', loadLogs);
connect();
