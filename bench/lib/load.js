// autocannon wrapper: a bounded keep-alive load against 127.0.0.1.
import autocannon from 'autocannon';

export const LOAD_DEFAULTS = Object.freeze({
  connections: 50,
  pipelining: 1,
  timeout: 10, // seconds, per request
});

/**
 * autocannon's `setupClient` hook that finds requests lost without any error.
 * With pipelining 1 a client has one request in flight; when the server closes
 * the keep-alive socket with a FIN, autocannon reconnects and sends the next
 * request without counting the lost one anywhere. A 'request' while the
 * previous one is still unanswered is such a loss, reported as
 *   - 'after-close': the lost request was sent right after a response carrying
 *     `Connection: close` — autocannon ignores that header (a compliant client
 *     would not send it), so this is a load-generator artifact;
 *   - 'dropped': the server closed a connection with a request in flight
 *     without answering it: a real failed request.
 * A request sent after `Connection: close` that meets a reset instead of the
 * FIN ('connError' ECONNRESET/EPIPE) is 'after-close' too; autocannon counts
 * it as an error, runLoad moves it out of the errors.
 * A timeout also re-sends first and emits 'timeout' right after (same tick),
 * so a loss is confirmed in a microtask unless a timeout followed.
 */
const AFTER_CLOSE = Symbol('sent after Connection: close');

function dropTracker(onDrop) {
  return (client) => {
    let inflight = false;
    let lastSaidClose = false; // the last response on this connection had Connection: close
    let sentAfterClose = false; // the request in flight was sent after such a response
    let pending = null;
    client.on('headers', (info) => {
      lastSaidClose = info?.shouldKeepAlive === false;
    });
    client.on('request', () => {
      if (inflight) {
        const kind = sentAfterClose ? 'after-close' : 'dropped';
        const at = Date.now();
        pending = kind;
        queueMicrotask(() => {
          if (pending) onDrop(at, pending);
          pending = null;
        });
        lastSaidClose = false; // a new connection
      }
      sentAfterClose = lastSaidClose;
      inflight = true;
    });
    client.on('response', () => (inflight = false));
    client.on('connError', (error) => {
      // The request sent after `Connection: close` can cross the server's close
      // and meet a reset (ECONNRESET/EPIPE) instead of the FIN: the same artifact.
      // This listener runs before autocannon's own (setupClient is called in the
      // client's constructor), so the error is tagged before it is counted.
      if (inflight && sentAfterClose && (error?.code === 'ECONNRESET' || error?.code === 'EPIPE')) {
        error[AFTER_CLOSE] = true;
        onDrop(Date.now(), 'after-close');
      }
      inflight = false;
      lastSaidClose = false;
    });
    client.on('timeout', () => {
      pending = null; // counted by autocannon as a timeout, not a loss
      lastSaidClose = false;
    });
  };
}

/**
 * autocannon's `setupClient` hook that makes a client honour `Connection: close`:
 * autocannon writes the next request as soon as a response is complete, even when
 * that response said `Connection: close`, and only reconnects when the server's
 * FIN arrives; that request is never answered (and, worse, it stays in autocannon's
 * per-connection request queue, so every later latency is measured from an ever
 * older request: p99 grows to seconds). Patched here: after a response that says
 * `Connection: close` the client sends nothing more on that connection and sends
 * its next request on the new connection it opens when the server closes (as wrk
 * and any compliant HTTP client do).
 */
function honourConnectionClose(client) {
  let closing = false;
  const connect = client._connect;
  const doRequest = client._doRequest;
  if (typeof connect !== 'function' || typeof doRequest !== 'function') throw new Error('autocannon client internals changed: cannot honour Connection: close');
  client._connect = function (...a) {
    closing = false;
    return connect.apply(this, a);
  };
  client._doRequest = function (...a) {
    if (closing) return undefined;
    return doRequest.apply(this, a);
  };
  client.on('headers', (info) => {
    if (info?.shouldKeepAlive === false) closing = true;
  });
}

/** The value of header `name` (lower case) in http-parser-js's flat [name, value, ...] list. */
function headerValue(list, name) {
  if (!Array.isArray(list)) return undefined;
  for (let i = 0; i + 1 < list.length; i += 2) if (String(list[i]).toLowerCase() === name) return list[i + 1];
  return undefined;
}

/**
 * Runs autocannon for `duration` seconds. Options:
 *   url, duration, connections, onError(err, at), onNon2xx(statusCode, at), onStart(at),
 *   onDrop(at, kind) (enables per-client tracking of requests lost without an error, see dropTracker),
 *   closeEach (a new connection per request: header `Connection: close`, and the client
 *     honours it, see honourConnectionClose),
 *   requests (autocannon's `requests` array, e.g. [{ path: '/' }, { path: '/burn' }]: each
 *     connection cycles through it),
 *   onPid(pid, at) (called per response with the value of the app's `x-pid` response header)
 * Resolves with { reqPerSec, p99, p50, errors, timeouts, non2xx, failed, sent, completed,
 *   unanswered, duration, raw } where
 *   - errors is autocannon's error count (it includes timeouts),
 *   - failed = errors + non2xx (each failed request counted once),
 *   - unanswered = requests sent that got neither a response nor an error, minus the
 *     (at most `connections`) requests still in flight when the run ended (an estimate),
 *   - dropped / afterClose = requests lost without an error, counted exactly (only with onDrop).
 */
export function runLoad({ url, duration, connections = LOAD_DEFAULTS.connections, onError, onNon2xx, onStart, onDrop, closeEach = false, requests, onPid }) {
  if (!/^http:\/\/127\.0\.0\.1[:/]/.test(url)) throw new Error(`load only goes to 127.0.0.1 (got ${url})`);
  if (!(duration > 0 && duration <= 120)) throw new Error(`unbounded or odd duration ${duration}`);
  const opts = {
    url,
    duration,
    connections,
    pipelining: LOAD_DEFAULTS.pipelining,
    timeout: LOAD_DEFAULTS.timeout,
  };
  let dropped = 0;
  let afterClose = 0;
  let resetsAfterClose = 0; // tagged by dropTracker, counted by autocannon as errors: moved to afterClose
  const hooks = [];
  if (closeEach) {
    opts.headers = { connection: 'close' };
    hooks.push(honourConnectionClose);
  }
  if (requests) opts.requests = requests;
  if (onPid) {
    hooks.push((client) =>
      client.on('headers', (info) => {
        const pid = Number(headerValue(info?.headers, 'x-pid'));
        if (pid) onPid(pid, Date.now());
      }),
    );
  }
  if (onDrop) {
    hooks.push(
      dropTracker((at, kind) => {
        if (kind === 'dropped') dropped++;
        else afterClose++;
        onDrop(at, kind);
      }),
    );
  }
  if (hooks.length) opts.setupClient = (client) => hooks.forEach((h) => h(client));
  return new Promise((resolve, reject) => {
    let startedAt = null;
    const instance = autocannon(opts, (err, r) => {
      if (err) return reject(err);
      // Fields of autocannon's aggregated result (v8): requests.sent, and one count per status class.
      const completed = r['1xx'] + r['2xx'] + r['3xx'] + r['4xx'] + r['5xx'];
      const sent = r.requests.sent;
      const errors = r.errors - resetsAfterClose;
      resolve({
        reqPerSec: r.requests.average,
        p99: r.latency.p99,
        p50: r.latency.p50,
        errors,
        timeouts: r.timeouts,
        non2xx: r.non2xx,
        failed: errors + r.non2xx,
        sent,
        completed,
        unanswered: Math.max(0, sent - completed - r.errors - connections),
        dropped: onDrop ? dropped : null,
        afterClose: onDrop ? afterClose : null,
        duration: r.duration,
        startedAt,
        raw: { statusCodeStats: r.statusCodeStats, resets: r.resets, mismatches: r.mismatches },
      });
    });
    instance.once('start', () => {
      startedAt = Date.now();
      onStart?.(startedAt);
    });
    instance.on('reqError', (err) => {
      if (err?.[AFTER_CLOSE]) resetsAfterClose++;
      else onError?.(err, Date.now());
    });
    if (onNon2xx) {
      instance.on('response', (_client, statusCode) => {
        if (statusCode < 200 || statusCode > 299) onNon2xx(statusCode, Date.now());
      });
    }
  });
}

/** The parameters, for the report. */
export function describeLoad({ duration, connections = LOAD_DEFAULTS.connections, closeEach = false, path = '/' }) {
  const mode = closeEach
    ? 'a new connection per request (request header `Connection: close`; the client opens a new connection for each request, see `honourConnectionClose` in bench/lib/load.js)'
    : 'keep-alive (HTTP/1.1 persistent connections)';
  return `autocannon (programmatic API, in the harness process): url http://127.0.0.1:<port>${path}, connections ${connections}, pipelining ${LOAD_DEFAULTS.pipelining}, ${mode}, duration ${duration} s, request timeout ${LOAD_DEFAULTS.timeout} s`;
}

/**
 * runLoad with the failure bookkeeping the fault scenarios share: failures
 * (errors, non-2xx, dropped requests) and artifacts (requests sent after a
 * `Connection: close` response), each { at, kind }; `started` resolves once
 * the load runs, and `loadStart()` is its start time. Extra runLoad options
 * (onPid, closeEach, ...) pass through.
 */
export function trackedLoad(options) {
  const failures = [];
  const artifacts = [];
  let loadStart = null;
  let markStarted;
  const started = new Promise((resolve) => (markStarted = resolve));
  const done = runLoad({
    ...options,
    onStart: (at) => {
      loadStart = at;
      markStarted(at);
    },
    onError: (err, at) => failures.push({ at, kind: err.code || err.message }),
    onNon2xx: (status, at) => failures.push({ at, kind: `HTTP ${status}` }),
    onDrop: (at, kind) => (kind === 'dropped' ? failures : artifacts).push({ at, kind }),
  });
  return { failures, artifacts, started, done, loadStart: () => loadStart };
}
