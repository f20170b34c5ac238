// One signal table for every app master, `drover run` in the foreground and
// one started by the daemon: a signal is a control command like any other
// (SIGHUP and `drover reload` run the same code).
//
//   SIGTERM, SIGINT  stop gracefully; a second stop signal forces (SIGKILL every worker now)
//   SIGQUIT          stop, forced
//   SIGHUP           reload
//   SIGTTIN/SIGTTOU  one worker more / less (never below one)
//
// SIGUSR1 is not used: it opens Node's inspector.

/** What a signal asks the master to do. */
export type SignalCommand = { readonly command: 'stop'; readonly force: boolean } | { readonly command: 'reload' } | { readonly command: 'scale'; readonly by: 1 | -1 };

export const MASTER_SIGNALS = {
  SIGTERM: { command: 'stop', force: false },
  SIGINT: { command: 'stop', force: false },
  SIGQUIT: { command: 'stop', force: true },
  SIGHUP: { command: 'reload' },
  SIGTTIN: { command: 'scale', by: 1 },
  SIGTTOU: { command: 'scale', by: -1 },
} as const satisfies Partial<Record<NodeJS.Signals, SignalCommand>>;

export type MasterSignal = keyof typeof MASTER_SIGNALS;

/** The part of a supervisor the signals drive. */
export interface SignalTarget {
  readonly desired: number;
  stop(options: { force: boolean }): unknown;
  requestReload(reason: string): void;
  scale(instances: number): void;
}

/**
 * Pure: what `signal` does, given how many stop signals came before it. The
 * second stop forces, whichever signal the first was.
 */
export function signalAction(signal: MasterSignal, previousStops: number): SignalCommand {
  const action: SignalCommand = MASTER_SIGNALS[signal];
  if (action.command === 'stop' && previousStops > 0) return { command: 'stop', force: true };
  return action;
}

/** The worker count a scale signal asks for. */
export function scaledCount(desired: number, by: 1 | -1): number {
  return Math.max(1, desired + by);
}

/**
 * Installs the table on this process; returns the function that removes it.
 * onStop runs before each stop (a daemon-run master records that a stop was asked for).
 */
export function installMasterSignals(target: () => SignalTarget | undefined, hooks: { onStop?: () => void } = {}): () => void {
  let stops = 0;
  const installed: Array<[NodeJS.Signals, () => void]> = [];
  for (const signal of Object.keys(MASTER_SIGNALS) as MasterSignal[]) {
    const listener = () => {
      const t = target();
      const action = signalAction(signal, stops);
      if (action.command === 'stop') stops++;
      if (!t) return;
      switch (action.command) {
        case 'stop':
          hooks.onStop?.();
          void t.stop({ force: action.force });
          return;
        case 'reload':
          t.requestReload(signal);
          return;
        case 'scale':
          t.scale(scaledCount(t.desired, action.by));
          return;
        default: {
          const unhandled: never = action;
          throw new Error(`unhandled signal command ${JSON.stringify(unhandled)}`);
        }
      }
    };
    process.on(signal, listener);
    installed.push([signal, listener]);
  }
  return () => {
    for (const [signal, listener] of installed) process.off(signal, listener);
  };
}

