// Messaging topics between a worker's registerMetrics() and the master's collector.
/** worker → master (send): this process has app metrics; payload { pid }. */
export const METRICS_REGISTER = 'drover.metrics.register';
/** master → worker (request): answers { pid, metrics } (prom-client JSON). */
export const METRICS_SNAPSHOT = 'drover.metrics.snapshot';
