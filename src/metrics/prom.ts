// prom-client, loaded on first use: an app master without metrics never pays for it.
export type Prom = typeof import('prom-client');

let loading: Promise<Prom> | undefined;

export function loadProm(): Promise<Prom> {
  loading ??= import('prom-client').then((m) => ((m as { default?: Prom }).default ?? m) as Prom);
  return loading;
}
