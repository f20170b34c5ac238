// The balance mode names, in a module without zod: the CLI's option table
// needs them on every command, and loading zod costs ~80 ms of startup.
export const BALANCE_MODES = ['round-robin', 'least-connections', 'least-loaded', 'sticky', 'ip-hash', 'weighted', 'kernel', 'reuseport'] as const;
export type BalanceMode = (typeof BALANCE_MODES)[number];
