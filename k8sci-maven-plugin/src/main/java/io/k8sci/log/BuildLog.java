package io.k8sci.log;

/**
 * The only logging surface the build services see.
 *
 * <p>Services under {@code io.k8sci} know nothing of Maven so that they can be unit-tested without
 * a Maven runtime; the Mojos adapt Maven's {@code Log} to this interface. Implementations must be
 * thread-safe: services log from worker threads (Jib's executor, rollout watchers).
 *
 * <p>No implementation may be handed a secret: callers never pass passwords or tokens.
 */
public interface BuildLog {

  void info(String message);

  void warn(String message);

  void debug(String message);

  default boolean isDebugEnabled() {
    return false;
  }

  /** A log that drops everything, for callers that do not care. */
  static BuildLog silent() {
    return new BuildLog() {
      @Override
      public void info(String message) {}

      @Override
      public void warn(String message) {}

      @Override
      public void debug(String message) {}
    };
  }
}
