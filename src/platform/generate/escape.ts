// Writing untrusted names and paths into generated files without letting them
// add lines or change meaning. App names, script paths and env values come
// from the command line or a config file; a newline in one would otherwise add
// a directive (`ExecStartPre=` running as root) to a systemd unit.
//
// The rule: control characters are rejected outright (no generated format
// needs them); everything else is escaped for the place it goes. YAML
// (Kubernetes) goes through the yaml package and the Dockerfile's CMD through
// JSON, so only systemd's own syntax is escaped by hand here.
import { DroverError } from '../../errors.js';

// eslint-style control class: C0, DEL and the C1 range, plus the Unicode line and paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Throws DROVER_E_UNSAFE_VALUE when `value` has a control character; returns it otherwise. */
export function plain(what: string, value: string): string {
  if (CONTROL.test(value)) {
    throw new DroverError('DROVER_E_UNSAFE_VALUE', `${what} ${JSON.stringify(value)} contains a control character (e.g. a newline): rename it, nothing was written`, {
      what,
    });
  }
  return value;
}

/**
 * One word of a systemd command line (ExecStart=): double-quoted, with `\`
 * and `"` escaped, `%` doubled (unit specifiers) and `$` doubled (systemd
 * expands $VAR in command lines). systemd.service(5), "Command lines".
 */
export function systemdWord(what: string, value: string): string {
  plain(what, value);
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%').replace(/\$/g, '$$$$')}"`;
}

/** A value that runs to the end of the line (Description=, WorkingDirectory=): only specifiers are special. */
export function systemdValue(what: string, value: string): string {
  return plain(what, value).replace(/%/g, '%%');
}

/** An absolute path for WorkingDirectory= (a leading `-`, `~` or `!` would mean something else there). */
export function systemdPath(what: string, value: string): string {
  if (!value.startsWith('/')) throw new DroverError('DROVER_E_UNSAFE_VALUE', `${what} ${JSON.stringify(value)} must be an absolute path`, { what });
  return systemdValue(what, value);
}

/** One entry of a space-separated path list (ReadWritePaths=): quoted, as a word. */
export function systemdListPath(what: string, value: string): string {
  if (!value.startsWith('/')) throw new DroverError('DROVER_E_UNSAFE_VALUE', `${what} ${JSON.stringify(value)} must be an absolute path`, { what });
  return `"${plain(what, value).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%')}"`;
}

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function envKey(key: string): string {
  if (!ENV_KEY.test(key)) throw new DroverError('DROVER_E_UNSAFE_VALUE', `environment variable name ${JSON.stringify(key)} is not a variable name (letters, digits, _)`, { what: 'env' });
  return key;
}

/** Environment="KEY=value": the assignment quoted as one word (systemd does not expand $ here, only specifiers). */
export function systemdEnvironment(key: string, value: string): string {
  envKey(key);
  return `"${`${key}=${plain(`env ${key}`, value)}`.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%')}"`;
}

/** User names systemd accepts in User= (the portable subset, as useradd's default NAME_REGEX). */
export function systemdUser(value: string): string {
  if (!/^[a-z_][a-z0-9_-]{0,31}$/i.test(value)) {
    throw new DroverError('DROVER_E_UNSAFE_VALUE', `user name ${JSON.stringify(value)} is not a valid system user name (letters, digits, _ and -, starting with a letter or _): pass --user`, {
      what: 'user',
    });
  }
  return value;
}

/**
 * A Kubernetes object name (RFC 1123 label: lowercase letters, digits and
 * `-`, at most 63, alphanumeric at both ends) made from an app name, so
 * "My API!" becomes "my-api". A name with nothing usable is rejected.
 */
export function dnsLabel(what: string, value: string): string {
  plain(what, value);
  const label = value
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  if (!label) throw new DroverError('DROVER_E_UNSAFE_VALUE', `${what} ${JSON.stringify(value)} has no letter or digit to name Kubernetes objects with: pass --name`, { what });
  return label;
}

/** A file name for the unit (drover-<name>.service): the same characters as a DNS label, never a path. */
export function unitFileName(name: string): string {
  return `drover-${dnsLabel('app name', name)}.service`;
}
