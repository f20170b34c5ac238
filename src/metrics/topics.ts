// Messaging topics between a worker's registerMetrics() and the master's collector.
/** worker → master (send): this process has app metrics; payload { pid }. */
export const METRICS_REGISTER = 'drover.metrics.register';
/** master → worker(s) (send): push snapshots every intervalMs; payload { intervalMs }. A new collector sends it to 'workers'. */
export const METRICS_WANTED = 'drover.metrics.wanted';
/**
 * worker → master (send): a string, `<pid>\n<prom-client JSON>`, or just `<pid>`
 * when nothing changed since the last push (the master only notes the time).
 */
export const METRICS_PUSH = 'drover.metrics.push';

export const METRICS_INTERVAL_LIMITS = { min: 100, max: 60_000 } as const;
