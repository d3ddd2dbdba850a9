'use strict';
/**
 * Preloaded into a service by tests (NODE_OPTIONS=--require …, asyncHookProbeEnv in async-hooks.ts): writes a line
 * on the service's output when an async hook (an AsyncLocalStorage's among them) gets enabled in the process, with
 * where from, and when promise callbacks start getting async ids, which they do only while a promise hook runs (on
 * Node 20, for every promise of the process). Plain JavaScript: it runs before anything is compiled or loaded.
 */
const asyncHooks = require('node:async_hooks');

const say = (text) => process.stderr.write(`async-hook-probe: ${text}\n`);
const asyncHook = Object.getPrototypeOf(asyncHooks.createHook({}));
const enable = asyncHook.enable;
asyncHook.enable = function enableWatched(...args) {
  const where = (new Error().stack ?? '').split('\n').slice(2, 9).map((line) => line.trim()).join(' < ');
  say(`ENABLED an async hook: ${where}`);
  return enable.apply(this, args);
};
let reported = false;
const timer = setInterval(() => {
  Promise.resolve().then(() => {
    if (reported || asyncHooks.executionAsyncId() === 0) return;
    reported = true;
    say('PROMISE HOOKS ON: promise callbacks have async ids');
  });
}, 100);
timer.unref();
say('installed');
