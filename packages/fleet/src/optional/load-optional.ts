import { createRequire } from 'node:module';
import { SiloError } from '../errors';

const require = createRequire(import.meta.url);
const loaded = new Map<string, unknown>();

/**
 * An optional peer dependency, loaded on first use: the AWS SDK and libsql weigh hundreds of
 * milliseconds and megabytes, and only fleets that configure S3 backups or Turso need them.
 * `require` (not `import()`) keeps the callers synchronous; Node loads ESM-only packages through
 * it too. `purpose` says which setting asked for the package.
 */
export function loadOptional<T>(pkg: string, purpose: string): T {
  if (loaded.has(pkg)) return loaded.get(pkg) as T;
  let module: unknown;
  try {
    module = require(pkg);
  } catch (error) {
    if (isMissing(error, pkg)) {
      throw new SiloError('CONFIG_INVALID', `${purpose} needs the package ${pkg}, which is not installed. Run: npm install ${pkg}`, { cause: error });
    }
    throw error;
  }
  loaded.set(pkg, module);
  return module as T;
}

function isMissing(error: unknown, pkg: string): boolean {
  if (!(error instanceof Error) || !('code' in error)) return false;
  return (error.code === 'MODULE_NOT_FOUND' || error.code === 'ERR_MODULE_NOT_FOUND') && error.message.includes(pkg);
}

/**
 * A stand-in for one export of an optional package that loads the package only when it is
 * called, constructed, read or used with `instanceof`, so modules can keep plain named imports.
 */
export function lazyMember<M, K extends keyof M & string>(load: () => M, key: K): M[K] {
  const real = (): object => load()[key] as object;
  // A function target, so the proxy can be called and constructed.
  const target = function lazy() {} as unknown as object;
  return new Proxy(target, {
    apply: (_target, thisArg, args: unknown[]) => Reflect.apply(real() as (...a: unknown[]) => unknown, thisArg, args),
    construct: (_target, args: unknown[]) => Reflect.construct(real() as new (...a: unknown[]) => object, args),
    get: (_target, property) => Reflect.get(real(), property),
    has: (_target, property) => Reflect.has(real(), property),
  }) as M[K];
}
