package io.k8sci.registry;

import io.k8sci.log.BuildLog;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import java.util.function.Predicate;

/**
 * Runs an operation again when it fails for a reason that may go away (a registry answering 503 or
 * 429, a dropped connection), waiting longer each time, so that one hiccup of a shared registry
 * does not fail a pipeline. jib-core retries only I/O errors by itself, never an HTTP 5xx or 429.
 *
 * <p>Delays grow exponentially from {@code initialDelay} by {@code multiplier} up to {@code
 * maxDelay}, each spread by ±{@code jitter} so that parallel jobs do not retry in lockstep; a
 * server's {@code Retry-After} (when the classifier reports one) is honoured up to {@code
 * maxDelay}. Each retry is logged, e.g. {@code Registry 127.0.0.1:5000 answered 503; retrying in
 * 1.2 s (attempt 2 of 5)}; when the attempts are used up, or the failure is not transient, the last
 * failure is rethrown unchanged (earlier ones attached as suppressed).
 *
 * <p>What is transient is the caller's business ({@link Classifier}); the image builder supplies
 * the Jib-specific one. Immutable and thread-safe.
 */
public final class RetryPolicy {

  /** An operation to run; {@code E} is the checked exception it may throw. */
  @FunctionalInterface
  public interface Operation<T, E extends Exception> {
    T run() throws E;
  }

  /** Decides whether a failure is worth another attempt, and says what happened. */
  @FunctionalInterface
  public interface Classifier {
    /**
     * @return what happened, phrased to follow the subject (e.g. {@code "answered 503"}), when
     *     another attempt may succeed; empty when it cannot
     */
    Optional<TransientFailure> classify(Throwable failure);
  }

  /**
   * A failure worth retrying.
   *
   * @param description what happened, phrased to follow the subject, e.g. {@code answered 503}
   * @param retryAfter the server's requested wait ({@code Retry-After}), or null
   */
  public record TransientFailure(String description, Duration retryAfter) {
    public TransientFailure {
      Objects.requireNonNull(description, "description");
    }

    public static TransientFailure of(String description) {
      return new TransientFailure(description, null);
    }

    public static TransientFailure of(String description, Duration retryAfter) {
      return new TransientFailure(description, retryAfter);
    }
  }

  /** Waits between attempts; tests pass a fake that records the delays. */
  @FunctionalInterface
  public interface Sleeper {
    void sleep(Duration duration) throws InterruptedException;

    static Sleeper system() {
      return duration -> Thread.sleep(duration.toMillis());
    }
  }

  private final int maxAttempts;
  private final Duration initialDelay;
  private final Duration maxDelay;
  private final double multiplier;
  private final double jitter;
  private final Classifier classifier;
  private final Sleeper sleeper;
  private final DoubleSupplier random;
  private final BuildLog log;

  private RetryPolicy(Builder builder) {
    this.maxAttempts = builder.maxAttempts;
    this.initialDelay = builder.initialDelay;
    this.maxDelay = builder.maxDelay;
    this.multiplier = builder.multiplier;
    this.jitter = builder.jitter;
    this.classifier = builder.classifier;
    this.sleeper = builder.sleeper;
    this.random = builder.random;
    this.log = builder.log;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A policy that runs the operation once: for users who turn retries off. */
  public static RetryPolicy none() {
    return builder().maxAttempts(1).build();
  }

  /**
   * Options; defaults: 5 attempts, 1 s initial delay, 30 s maximum, ×2, ±20% jitter, nothing
   * transient (set {@link #classifier} or {@link #retryWhen}).
   */
  public static final class Builder {
    private int maxAttempts = 5;
    private Duration initialDelay = Duration.ofSeconds(1);
    private Duration maxDelay = Duration.ofSeconds(30);
    private double multiplier = 2.0;
    private double jitter = 0.2;
    private Classifier classifier = failure -> Optional.empty();
    private Sleeper sleeper = Sleeper.system();
    private DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();
    private BuildLog log = BuildLog.silent();

    private Builder() {}

    /** Attempts in total, the first included (1 = no retry). */
    public Builder maxAttempts(int maxAttempts) {
      if (maxAttempts < 1) {
        throw new IllegalArgumentException("maxAttempts must be at least 1: " + maxAttempts);
      }
      this.maxAttempts = maxAttempts;
      return this;
    }

    public Builder initialDelay(Duration initialDelay) {
      this.initialDelay = nonNegative(initialDelay, "initialDelay");
      return this;
    }

    public Builder maxDelay(Duration maxDelay) {
      this.maxDelay = nonNegative(maxDelay, "maxDelay");
      return this;
    }

    /** Growth factor between delays (≥ 1). */
    public Builder multiplier(double multiplier) {
      if (!(multiplier >= 1.0)) {
        throw new IllegalArgumentException("multiplier must be at least 1: " + multiplier);
      }
      this.multiplier = multiplier;
      return this;
    }

    /** Fraction (0..1) by which each delay is randomly lengthened or shortened. */
    public Builder jitter(double jitter) {
      if (!(jitter >= 0.0 && jitter <= 1.0)) {
        throw new IllegalArgumentException("jitter must be between 0 and 1: " + jitter);
      }
      this.jitter = jitter;
      return this;
    }

    public Builder classifier(Classifier classifier) {
      this.classifier = Objects.requireNonNull(classifier, "classifier");
      return this;
    }

    /**
     * Retries failures matching {@code isTransient}, described as {@code failed (MESSAGE)}; for
     * callers that need no finer wording.
     */
    public Builder retryWhen(Predicate<Throwable> isTransient) {
      Objects.requireNonNull(isTransient, "isTransient");
      this.classifier =
          failure ->
              isTransient.test(failure)
                  ? Optional.of(TransientFailure.of("failed (" + summary(failure) + ")"))
                  : Optional.empty();
      return this;
    }

    public Builder sleeper(Sleeper sleeper) {
      this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
      return this;
    }

    /** Source of uniform numbers in [0, 1) for the jitter (tests fix it). */
    public Builder random(DoubleSupplier random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    public Builder log(BuildLog log) {
      this.log = Objects.requireNonNull(log, "log");
      return this;
    }

    public RetryPolicy build() {
      if (initialDelay.compareTo(maxDelay) > 0) {
        throw new IllegalArgumentException(
            "initialDelay " + initialDelay + " is longer than maxDelay " + maxDelay);
      }
      return new RetryPolicy(this);
    }

    private static Duration nonNegative(Duration duration, String name) {
      Objects.requireNonNull(duration, name);
      if (duration.isNegative()) {
        throw new IllegalArgumentException(name + " must not be negative: " + duration);
      }
      return duration;
    }
  }

  public int maxAttempts() {
    return maxAttempts;
  }

  /**
   * Runs {@code operation}, retrying transient failures.
   *
   * @param subject who fails, starting the log line, e.g. {@code "Registry 127.0.0.1:5000"}
   * @return the operation's result
   * @throws E the last failure, when it is not transient or the attempts are used up
   */
  public <T, E extends Exception> T call(String subject, Operation<T, E> operation) throws E {
    List<Exception> earlier = new ArrayList<>();
    for (int attempt = 1; ; attempt++) {
      try {
        return operation.run();
      } catch (Exception failure) {
        Optional<TransientFailure> verdict =
            failure instanceof InterruptedException
                ? Optional.empty()
                : classifier.classify(failure);
        if (verdict.isEmpty()) {
          throw RetryPolicy.<E>rethrow(failure, earlier);
        }
        if (attempt >= maxAttempts) {
          if (maxAttempts > 1) {
            log.warn(
                subject
                    + " "
                    + verdict.get().description()
                    + "; giving up after "
                    + maxAttempts
                    + " attempts");
          }
          throw RetryPolicy.<E>rethrow(failure, earlier);
        }
        Duration delay = delayBefore(attempt + 1, verdict.get().retryAfter());
        log.warn(
            subject
                + " "
                + verdict.get().description()
                + "; retrying in "
                + formatSeconds(delay)
                + " (attempt "
                + (attempt + 1)
                + " of "
                + maxAttempts
                + ")");
        earlier.add(failure);
        try {
          sleeper.sleep(delay);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          failure.addSuppressed(interrupted);
          earlier.remove(failure);
          throw RetryPolicy.<E>rethrow(failure, earlier);
        }
      }
    }
  }

  /** As {@link #call} for operations without a result. */
  public <E extends Exception> void run(String subject, Operation<Void, E> operation) throws E {
    call(subject, operation);
  }

  /**
   * The wait before attempt {@code attempt} (2 for the first retry): {@code initialDelay ×
   * multiplier^(attempt-2)}, spread by the jitter, at least the server's {@code Retry-After}, and
   * never above {@code maxDelay}.
   */
  Duration delayBefore(int attempt, Duration retryAfter) {
    double base = initialDelay.toMillis() * Math.pow(multiplier, attempt - 2);
    base = Math.min(base, maxDelay.toMillis());
    double spread = 1.0 - jitter + 2.0 * jitter * random.getAsDouble();
    double millis = Math.min(base * spread, maxDelay.toMillis());
    if (retryAfter != null && !retryAfter.isNegative()) {
      millis = Math.max(millis, Math.min(retryAfter.toMillis(), maxDelay.toMillis()));
    }
    return Duration.ofMillis(Math.round(millis));
  }

  static String formatSeconds(Duration delay) {
    return String.format(Locale.ROOT, "%.1f s", delay.toMillis() / 1000.0);
  }

  @SuppressWarnings("unchecked")
  private static <E extends Exception> E rethrow(Exception failure, List<Exception> earlier) {
    for (Exception previous : earlier) {
      if (previous != failure) {
        failure.addSuppressed(previous);
      }
    }
    // The operation can only throw E or unchecked exceptions; rethrowing as E is exact.
    if (failure instanceof RuntimeException runtime) {
      throw runtime;
    }
    return (E) failure;
  }

  private static String summary(Throwable failure) {
    String message = failure.getMessage();
    return message == null || message.isBlank()
        ? failure.getClass().getSimpleName()
        : failure.getClass().getSimpleName() + ": " + message;
  }

  @Override
  public String toString() {
    return "RetryPolicy[attempts="
        + maxAttempts
        + ", initialDelay="
        + initialDelay
        + ", maxDelay="
        + maxDelay
        + ", multiplier="
        + multiplier
        + ", jitter="
        + jitter
        + "]";
  }
}
