// Replaced at bundle time by scripts/build.mjs; read from package.json in tests.
declare const __SOCKSCOPE_VERSION__: string | undefined;
export const VERSION: string = typeof __SOCKSCOPE_VERSION__ === 'string' ? __SOCKSCOPE_VERSION__ : '0.0.0-dev';
