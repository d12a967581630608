/**
 * Imported first by every service's main.ts, before the modules that take seconds to load (in
 * development deploy/local/register.js does the same before ts-node loads): SIGTERM and Ctrl-C are
 * listened for from the first moment, so that one that comes while the service is still loading ends
 * it with exit 0 (nothing has started, nothing is lost), as one after start-up does, rather than
 * Node's default of dying by the signal.
 *
 * One listener for the process's life, which calls the handler of the moment: module loading is
 * synchronous, so a signal that comes meanwhile is handled only once the event loop turns, after
 * runService may have set its shutdown (`handleSignals`). Replacing the listener instead would drop it.
 */
type SignalHandler = (signal: NodeJS.Signals) => void;
interface SignalSlot {
  handle: SignalHandler;
}

const SLOT = Symbol.for('handover-balance.signals');
const holder = globalThis as typeof globalThis & { [SLOT]?: SignalSlot };

function slot(): SignalSlot {
  let current = holder[SLOT];
  if (!current) {
    const created: SignalSlot = {
      // until a handler is set: exit, unless the program listens for the signal itself
      handle: (signal) => {
        if (process.listenerCount(signal) === 1) process.exit(0);
      },
    };
    const listener = (signal: NodeJS.Signals) => created.handle(signal);
    process.on('SIGTERM', listener);
    process.on('SIGINT', listener);
    holder[SLOT] = current = created;
  }
  return current;
}

slot();

/** From now on SIGTERM and SIGINT call `handler` (also one that came while modules were loading). */
export function handleSignals(handler: SignalHandler): void {
  slot().handle = handler;
}
