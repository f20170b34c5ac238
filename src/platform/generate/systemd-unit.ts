// systemd units: one app under `drover run` (drover generate systemd) and the
// daemon (drover startup systemd).
//
// - Type=notify: drover sends READY=1 itself (platform/systemd-notify.ts),
//   through systemd-notify, hence NotifyAccess=all. Type=notify-reload (systemd
//   >= 253) lets systemd send SIGHUP for `systemctl reload` and wait for
//   RELOADING=1 … READY=1; older systemd gets an ExecReload= that signals the
//   master and waits until the rolling reload has finished (drover
//   signal-reload, which reads the master's state in RuntimeDirectory=).
// - KillMode=mixed: SIGTERM to the master only, which drains its workers;
//   whatever is left of the cgroup is SIGKILLed after the master exits.
//   TimeoutStopSec= leaves room above the kill timeout for that drain.
// - The node binary is resolved when the unit is written (the absolute path,
//   symlinks followed): the unit does not depend on PATH or on a version
//   manager's shell setup. After a Node upgrade that moves it, regenerate.
import { execFileSync } from 'node:child_process';
import { seconds, type GenTarget } from './target.js';
import { systemdEnvironment, systemdListPath, systemdPath, systemdUser, systemdValue, systemdWord } from './escape.js';

/** Seconds the master may take beyond the workers' kill timeout to stop (close listeners, reap, exit). */
export const STOP_MARGIN_S = 10;

/** The major version of the local systemd (`systemctl --version`), or undefined where there is none. */
export function localSystemdVersion(): number | undefined {
  try {
    const out = execFileSync('systemctl', ['--version'], { encoding: 'utf8', timeout: 5_000, stdio: ['ignore', 'pipe', 'ignore'] });
    const m = /^systemd (\d+)/.exec(out);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export const supportsNotifyReload = (version: number | undefined): boolean => version !== undefined && version >= 253;

interface Common {
  readonly node: string;
  readonly droverCli: string;
  readonly user: string;
  readonly readWrite: readonly string[];
  readonly header: string;
}

export interface RunUnitOptions extends Common {
  readonly target: GenTarget;
  readonly systemdVersion: number | undefined;
  /** WatchdogSec=; 0 or undefined: none. */
  readonly watchdogSec?: number;
}

const lines = (...groups: Array<string | false | undefined | readonly string[]>): string =>
  `${groups.flatMap((g) => (g === false || g === undefined ? [] : typeof g === 'string' ? [g] : g)).join('\n')}\n`;

function hardening(readWrite: readonly string[]): string[] {
  return [
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    'ProtectHome=read-only',
    `ReadWritePaths=${readWrite.map((p) => systemdListPath('read-write path', p)).join(' ')}`,
    'PrivateTmp=yes',
    'PrivateDevices=yes',
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectControlGroups=yes',
    'RestrictSUIDSGID=yes',
    'LockPersonality=yes',
  ];
}

export function renderRunUnit(o: RunUnitOptions): string {
  const t = o.target;
  const notifyReload = supportsNotifyReload(o.systemdVersion);
  const exec = [o.node, o.droverCli, 'run', t.script, ...t.runArgs, ...(t.appArgs.length > 0 ? ['--', ...t.appArgs] : [])];
  return lines(
    `# ${o.header}`,
    `# systemd ${o.systemdVersion ?? 'version unknown'}: Type=${notifyReload ? 'notify-reload' : 'notify'}.`,
    '[Unit]',
    `Description=drover: ${systemdValue('app name', t.name)}`,
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    `Type=${notifyReload ? 'notify-reload' : 'notify'}`,
    // systemd-notify sends the messages (Node has no unix datagram sockets): they come from its pid, not the master's.
    'NotifyAccess=all',
    `ExecStart=${exec.map((w) => systemdWord('command line word', w)).join(' ')}`,
    !notifyReload && `ExecReload=${[o.node, o.droverCli, 'signal-reload'].map((w) => systemdWord('command line word', w)).join(' ')} $MAINPID`,
    `RuntimeDirectory=${systemdValue('unit name', `drover-${t.name.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-')}`)}`,
    'KillMode=mixed',
    'KillSignal=SIGTERM',
    `TimeoutStopSec=${seconds(t.killTimeoutMs) + STOP_MARGIN_S}`,
    'Restart=on-failure',
    'RestartSec=2',
    o.watchdogSec ? `WatchdogSec=${o.watchdogSec}` : undefined,
    `User=${systemdUser(o.user)}`,
    `WorkingDirectory=${systemdPath('working directory', t.cwd)}`,
    `Environment=${systemdEnvironment('NODE_ENV', t.env.NODE_ENV ?? 'production')}`,
    Object.entries(t.env)
      .filter(([k]) => k !== 'NODE_ENV')
      .map(([k, v]) => `Environment=${systemdEnvironment(k, v)}`),
    'LimitNOFILE=65536',
    hardening(o.readWrite),
    '',
    '[Install]',
    'WantedBy=multi-user.target',
  );
}

export interface DaemonUnitOptions extends Common {
  readonly droverDaemon: string;
  readonly home: string;
  /** TimeoutStopSec=: `drover kill` drains every app first. */
  readonly stopTimeoutSec: number;
}

/**
 * The daemon: started by systemd in the foreground (dist/daemon/main.js), it
 * restores the saved apps (drover resurrect; none saved is not an error), and
 * `drover kill` stops every app gracefully before the daemon exits. No reload:
 * the daemon exits on SIGHUP, so this unit is Type=notify on every version.
 */
export function renderDaemonUnit(o: DaemonUnitOptions): string {
  const cli = (...args: string[]) => [o.node, o.droverCli, ...args].map((w) => systemdWord('command line word', w)).join(' ');
  return lines(
    `# ${o.header}`,
    '[Unit]',
    'Description=drover: process manager daemon',
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=notify',
    'NotifyAccess=all',
    `Environment=${systemdEnvironment('DROVER_HOME', o.home)}`,
    `ExecStart=${[o.node, o.droverDaemon].map((w) => systemdWord('command line word', w)).join(' ')}`,
    `ExecStartPost=-${cli('resurrect')}`,
    `ExecStop=${cli('kill')}`,
    'KillMode=mixed',
    `TimeoutStopSec=${o.stopTimeoutSec}`,
    'Restart=on-failure',
    'RestartSec=2',
    `User=${systemdUser(o.user)}`,
    'LimitNOFILE=65536',
    hardening(o.readWrite),
    '',
    '[Install]',
    'WantedBy=multi-user.target',
  );
}
