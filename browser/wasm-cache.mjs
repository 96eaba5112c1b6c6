// One compilation of pyodide.asm.wasm per worker, shared by its interpreters.

/**
 * Compile pyodide.asm.wasm once per worker: every later interpreter (a fresh
 * one for each snippet that needs its own process) is instantiated from the
 * same compiled module instead of compiling 9.6 MB of WebAssembly again.
 * `cache.compileMs` is how long the first compilation (with its download,
 * when streamed) took.
 */
export function cacheCompiledWasm() {
  const WA = globalThis.WebAssembly;
  if (!WA || WA.__guideCache) return WA?.__guideCache;
  const cache = { module: null, compiling: null, compileMs: null };
  WA.__guideCache = cache;
  const instantiate = WA.instantiate.bind(WA);
  const timed = async (compile) => {
    const started = performance.now();
    const result = await compile();
    cache.module = result.module ?? result;
    cache.compileMs ??= Math.round(performance.now() - started);
    return result;
  };
  /** Compile `url` now, streaming, before Pyodide asks (its download then overlaps others). */
  cache.precompile = (url) => {
    if (cache.module || cache.compiling || !WA.compileStreaming) return;
    cache.compiling = timed(() => WA.compileStreaming(fetch(url)));
    cache.compiling.catch(() => {
      cache.compiling = null; // Pyodide's own download then tries again and reports the failure
    });
  };
  const cached = async () => {
    if (!cache.module && cache.compiling) await cache.compiling.catch(() => {});
    return cache.module;
  };
  WA.instantiate = async (source, imports) => {
    if (source instanceof WA.Module) return instantiate(source, imports);
    const module = await cached();
    if (module) return { module, instance: await instantiate(module, imports) };
    return timed(() => instantiate(source, imports));
  };
  if (WA.instantiateStreaming) {
    const streaming = WA.instantiateStreaming.bind(WA);
    WA.instantiateStreaming = async (response, imports) => {
      const module = await cached();
      if (module) return { module, instance: await instantiate(module, imports) };
      return timed(() => streaming(response, imports));
    };
  }
  return cache;
}
