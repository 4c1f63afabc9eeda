// A function of one of Node's internal bindings through process.binding, which Node still hands
// out for a few (v8, tty_wrap) but warns is deprecated (DEP0111): the warning is kept quiet for
// that one call (process.noDeprecation is read when a warning is emitted). Used where the public
// module would load far more than the one function (v8-flags.ts, isatty.ts).

/** `process.binding(binding)[name]` if it is a function, else undefined. */
export function bindingFunction(binding: string, name: string): ((...args: never[]) => unknown) | undefined {
  const p = process as unknown as { binding?: (name: string) => Record<string, unknown> | undefined; noDeprecation?: boolean };
  const quiet = p.noDeprecation;
  try {
    p.noDeprecation = true;
    const f = p.binding?.(binding)?.[name];
    return typeof f === 'function' ? (f as (...args: never[]) => unknown) : undefined;
  } catch {
    return undefined; // no such binding
  } finally {
    p.noDeprecation = quiet;
  }
}
