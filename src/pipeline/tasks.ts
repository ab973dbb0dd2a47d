// Tracks background work (settlements, the sweeper's passes) so shutdown can await
// it: nothing runcap starts is a fire-and-forget promise.

export interface TaskTracker {
  /** Runs `task` and keeps it tracked until it settles; errors go to `onError`, never unhandled. */
  track(task: Promise<unknown>): void;
  /** Resolves when every tracked task has settled, or after `timeoutMs` (returns false then). */
  drain(timeoutMs: number): Promise<boolean>;
  readonly size: number;
}

export function createTaskTracker(onError: (error: unknown) => void): TaskTracker {
  const pending = new Set<Promise<unknown>>();
  return {
    track(task) {
      const tracked = task.catch(onError).finally(() => pending.delete(tracked));
      pending.add(tracked);
    },
    async drain(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (pending.size > 0) {
        const remaining = deadline - Date.now();
        if (remaining <= 0) return false;
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, remaining);
        });
        await Promise.race([Promise.allSettled([...pending]), timeout]);
        clearTimeout(timer);
      }
      return true;
    },
    get size() {
      return pending.size;
    },
  };
}
