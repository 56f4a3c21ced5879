/**
 * Reading the CA store once for many requests without ever giving a request
 * a list read before it started.
 *
 * @module
 */

const ignore = () => undefined;

/**
 * Wraps `read` so that concurrent callers share calls. A caller gets the
 * result of a call that began at or after its own call: the one it starts
 * when nothing is running, or else the next one, which starts when the
 * running call ends and is shared by everyone who arrived meanwhile. So a
 * change committed before a caller called is always seen by that caller,
 * while a burst of callers costs at most two reads.
 */
export function freshRead<T>(read: () => Promise<T> | T): () => Promise<T> {
  let running: Promise<T> | null = null;
  let next: Promise<T> | null = null;

  const start = (): Promise<T> => {
    const call = (async () => read())();
    running = call;
    const done = () => {
      if (running === call) running = null;
    };
    call.then(done, done);
    return call;
  };

  return () => {
    if (!running) return start();
    if (!next) {
      next = running.then(ignore, ignore).then(() => {
        next = null;
        return start();
      });
    }
    return next;
  };
}
