/**
 * Runs synchronous cleanups when the process ends — normally, by an uncaught error, or by
 * SIGINT/SIGTERM — so brokers started by a test run never outlive it. Signal handlers are
 * installed only while a cleanup is registered and re-raise the signal afterwards (unless the
 * application handles it), so the process still ends the way it would have.
 */
const cleanups = new Set<() => void>()

function runAll(): void {
  for (const cleanup of cleanups) {
    try {
      cleanup()
    } catch {
      // Best effort at exit: one failing cleanup must not stop the others.
    }
  }
  cleanups.clear()
}

function onSignal(signal: NodeJS.Signals): void {
  runAll()
  uninstall()
  // Leave the signal to the application's own handlers when it has them.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
}

function install(): void {
  process.on('exit', runAll)
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
}

function uninstall(): void {
  process.off('exit', runAll)
  process.off('SIGINT', onSignal)
  process.off('SIGTERM', onSignal)
}

/** Registers `cleanup` to run at process exit; returns a function that unregisters it. */
export function onProcessExit(cleanup: () => void): () => void {
  if (cleanups.size === 0) install()
  cleanups.add(cleanup)
  return () => {
    cleanups.delete(cleanup)
    if (cleanups.size === 0) uninstall()
  }
}
