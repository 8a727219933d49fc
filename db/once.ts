/** Runs a start-up step (migrations, indexes) once it succeeds, and again on the next call after a failure. */
export function onceSucceeded(step: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  return () => {
    running ??= step().catch((error) => {
      running = null;
      throw error;
    });
    return running;
  };
}
