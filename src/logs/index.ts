export { createAppLog, type AppLog, type AppLogOptions, type AppLogStats, type OutputLabel } from './app-log.js';
export { RotatingFile, listRotated, gzipFile, type RotateOptions, type RotatingFileOptions, type LogSink, type SinkStats, type RotatedFile } from './rotating-file.js';
export { tailLines, follow, type FollowOptions, type Follower, type TailOptions } from './tail.js';
export { formatDate, type LogStream } from './format.js';
export { logFiles } from './log-files.js';
