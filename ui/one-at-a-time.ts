// A view's loads run one at a time, each from what the one before left: a refresh that started
// before a "Load more" and answered after it would put back the first page alone (its limit was
// taken from the shorter list), and a "Load more" sent before a refresh would append after a cursor
// of the list the refresh replaced. Pure.

/** Returns a queue: each step starts once the steps queued before it settled; one that throws does not stop the rest. */
export function oneAtATime(): (step: () => Promise<void>) => Promise<void> {
  let last: Promise<void> = Promise.resolve();
  return (step) => {
    const done = last.then(step);
    last = done.catch(() => undefined);
    return done;
  };
}
