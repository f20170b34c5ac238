/**
 * The exhaustive default of a switch over a union: when a variant is added and
 * not handled, `value` is no longer `never` and the call fails to compile. At
 * run time (a value from outside the types) it throws, which callers that read
 * untrusted input catch before it reaches here.
 */
export function assertNever(value: never, what = 'variant'): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(value)}`);
}
