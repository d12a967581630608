// Runs TypeScript entry points without a build step: ts-node transpiles (keeping the
// decorator metadata NestJS injection needs) and tsconfig-paths resolves the @app/* aliases.
// SIGTERM and Ctrl-C are listened for before ts-node loads: one while it loads and compiles ends the
// process with exit 0, as one after a service has started does. A program with signal handlers of
// its own (npm start, the simulator) gets the signal there instead. The same slot as
// libs/runtime/src/early-signals.ts, whose handleSignals sets a service's shutdown in it.
const slot = Symbol.for('handover-balance.signals');
if (!globalThis[slot]) {
  const created = {
    handle: (signal) => {
      if (process.listenerCount(signal) === 1) process.exit(0);
    },
  };
  const listener = (signal) => created.handle(signal);
  process.on('SIGTERM', listener);
  process.on('SIGINT', listener);
  globalThis[slot] = created;
}
process.env.TS_NODE_TRANSPILE_ONLY = 'true';
process.env.TS_NODE_PROJECT = require('path').join(__dirname, '..', '..', 'tsconfig.json');
require('ts-node/register');
require('tsconfig-paths/register');
