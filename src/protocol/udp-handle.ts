// The native UDP handle of a dgram.Socket. Node keeps it behind a private
// symbol (lib/internal/dgram.js kStateSymbol, described 'state symbol'); the
// public `_handle` getter is deprecated (DEP0112) and warns. Node's own cluster
// moves these handles between processes the same way (dgram.js replaceHandle).
import type dgram from 'node:dgram';

export function udpHandleOf(socket: dgram.Socket): unknown {
  const key = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  const state = key === undefined ? undefined : (socket as unknown as Record<symbol, { handle?: unknown } | undefined>)[key];
  return state?.handle;
}
