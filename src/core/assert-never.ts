/**
 * The exhaustive default of a switch over a union: when a variant is added and
 * not handled, `value` is no longer `never` and the call fails to compile. At
 * run time (a value from outside the types) it throws, which callers that read
 * untrusted input catch before it reaches here.
 */
export function assertNever(value: never, what = 'variant'): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(value)}`);
}

/**
 * The exhaustive default for input from another process (an older or newer
 * drover on the other end): it must compile only when every known variant is
 * handled, but an unknown one at run time is ignored, never thrown.
 */
export function ignoreUnknown(_value: never): void {}
