// A Dockerfile for an app run by drover: two stages (production dependencies
// installed in the first, only the result copied), Debian slim with tini as
// the entrypoint (PID 1, reaps zombies, forwards signals), the unprivileged
// `node` user of the official image. CMD is JSON (exec form): no shell, and
// JSON escaping keeps any path on its line.
import { plain } from './escape.js';
import type { GenTarget } from './target.js';

export interface DockerfileOptions {
  readonly target: GenTarget;
  readonly nodeMajor: number;
  readonly scriptInImage: string;
  readonly header: string;
  readonly droverCli?: string;
}

export function renderDockerfile(o: DockerfileOptions): string {
  const t = o.target;
  const base = `node:${o.nodeMajor}-bookworm-slim`;
  const cmd = ['node', o.droverCli ?? 'node_modules/drover/dist/cli/main.js', 'run', o.scriptInImage, ...t.runArgs, ...(t.appArgs.length > 0 ? ['--', ...t.appArgs] : [])].map((w) =>
    plain('command line word', w),
  );
  const port = t.port;
  return [
    '# syntax=docker/dockerfile:1',
    `# ${o.header}`,
    '# Add a .dockerignore with node_modules and .git, so the build context stays small.',
    `FROM ${base} AS deps`,
    'WORKDIR /app',
    'COPY package.json package-lock.json* ./',
    'RUN npm ci --omit=dev --no-audit --no-fund',
    '',
    `FROM ${base}`,
    'RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*',
    '# DROVER_CONTAINER: JSON log lines; DROVER_HOME on /tmp, so the root file system can be read-only.',
    'ENV NODE_ENV=production DROVER_CONTAINER=1 DROVER_HOME=/tmp/drover',
    'WORKDIR /app',
    'COPY --from=deps /app/node_modules ./node_modules',
    'COPY . .',
    'USER node',
    port !== undefined ? `ENV PORT=${port}\nEXPOSE ${port}` : '',
    'STOPSIGNAL SIGTERM',
    'ENTRYPOINT ["/usr/bin/tini", "--"]',
    `CMD ${JSON.stringify(cmd)}`,
    '',
  ]
    .filter((l, i, all) => l !== '' || all[i - 1] !== '')
    .join('\n');
}
