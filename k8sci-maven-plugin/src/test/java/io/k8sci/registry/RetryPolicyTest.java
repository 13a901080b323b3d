package io.k8sci.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.k8sci.log.BuildLog;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RetryPolicyTest {

  /** A failure as a registry client would report it. */
  static final class StatusException extends IOException {
    final int status;

    StatusException(int status) {
      super("HTTP " + status);
      this.status = status;
    }
  }

  /** 5xx and 429 are transient, 429 with the Retry-After this test wants. */
  static final RetryPolicy.Classifier STATUS_CLASSIFIER =
      failure -> {
        if (failure instanceof StatusException s && (s.status >= 500 || s.status == 429)) {
          Duration retryAfter = s.status == 429 ? Duration.ofSeconds(7) : null;
          return Optional.of(RetryPolicy.TransientFailure.of("answered " + s.status, retryAfter));
        }
        return Optional.empty();
      };

  final List<Duration> sleeps = new ArrayList<>();
  final List<String> warnings = new ArrayList<>();
  final BuildLog log =
      new BuildLog() {
        @Override
        public void info(String message) {}

        @Override
        public void warn(String message) {
          warnings.add(message);
        }

        @Override
        public void debug(String message) {}
      };

  RetryPolicy.Builder policy() {
    return RetryPolicy.builder()
        .classifier(STATUS_CLASSIFIER)
        .sleeper(sleeps::add)
        .random(() -> 0.5) // no jitter offset
        .log(log);
  }

  @AfterEach
  void noInterruptLeaks() {
    assertThat(Thread.interrupted()).isFalse();
  }

  @Test
  void retriesTransientFailuresWithGrowingDelaysUntilSuccess() throws IOException {
    AtomicInteger calls = new AtomicInteger();
    RetryPolicy retry =
        policy().maxAttempts(5).initialDelay(Duration.ofMillis(1200)).multiplier(2).build();

    String result =
        retry.call(
            "Registry 127.0.0.1:5000",
            () -> {
              if (calls.incrementAndGet() < 4) {
                throw new StatusException(503);
              }
              return "pushed";
            });

    assertThat(result).isEqualTo("pushed");
    assertThat(calls).hasValue(4);
    assertThat(sleeps)
        .containsExactly(Duration.ofMillis(1200), Duration.ofMillis(2400), Duration.ofMillis(4800));
    assertThat(warnings)
        .containsExactly(
            "Registry 127.0.0.1:5000 answered 503; retrying in 1.2 s (attempt 2 of 5)",
            "Registry 127.0.0.1:5000 answered 503; retrying in 2.4 s (attempt 3 of 5)",
            "Registry 127.0.0.1:5000 answered 503; retrying in 4.8 s (attempt 4 of 5)");
  }

  @Test
  void rethrowsTheLastFailureWhenAttemptsAreUsedUp() {
    AtomicInteger calls = new AtomicInteger();
    List<StatusException> thrown = new ArrayList<>();
    RetryPolicy retry = policy().maxAttempts(3).build();

    assertThatThrownBy(
            () ->
                retry.run(
                    "Registry r",
                    () -> {
                      calls.incrementAndGet();
                      StatusException e = new StatusException(500 + thrown.size());
                      thrown.add(e);
                      throw e;
                    }))
        .hasMessage("HTTP 502")
        .satisfies(e -> assertThat(e).isSameAs(thrown.get(2)))
        .satisfies(
            e -> assertThat(e.getSuppressed()).containsExactly(thrown.get(0), thrown.get(1)));
    assertThat(calls).hasValue(3);
    assertThat(sleeps).hasSize(2);
    assertThat(warnings).last().isEqualTo("Registry r answered 502; giving up after 3 attempts");
  }

  @Test
  void doesNotRetryPermanentFailures() {
    AtomicInteger calls = new AtomicInteger();
    StatusException unauthorized = new StatusException(401);

    assertThatThrownBy(
            () ->
                policy()
                    .build()
                    .run(
                        "Registry r",
                        () -> {
                          calls.incrementAndGet();
                          throw unauthorized;
                        }))
        .isSameAs(unauthorized);
    assertThat(calls).hasValue(1);
    assertThat(sleeps).isEmpty();
    assertThat(warnings).isEmpty();
  }

  @Test
  void uncheckedFailuresPassThroughUnchanged() {
    IllegalStateException bug = new IllegalStateException("bug");

    assertThatThrownBy(
            () ->
                policy()
                    .build()
                    .call(
                        "x",
                        () -> {
                          throw bug;
                        }))
        .isSameAs(bug);
  }

  @Test
  void honoursRetryAfterUpToTheMaximumDelay() throws IOException {
    AtomicInteger calls = new AtomicInteger();
    RetryPolicy retry =
        policy().initialDelay(Duration.ofSeconds(1)).maxDelay(Duration.ofSeconds(5)).build();

    retry.call(
        "Registry r",
        () -> {
          if (calls.incrementAndGet() == 1) {
            throw new StatusException(429); // asks for 7 s
          }
          return null;
        });

    assertThat(sleeps).containsExactly(Duration.ofSeconds(5));
    assertThat(warnings)
        .containsExactly("Registry r answered 429; retrying in 5.0 s (attempt 2 of 5)");
  }

  @ParameterizedTest(name = "attempt {0}, random {1} -> {2} ms")
  @CsvSource({
    // initial 1000 ms, x2, max 10 s, jitter 0.2 => spread 0.8 .. 1.2
    "2, 0.5, 1000",
    "2, 0.0, 800",
    "2, 0.999999, 1200",
    "3, 0.5, 2000",
    "4, 0.0, 3200",
    "5, 0.5, 8000",
    "6, 0.5, 10000",
    "6, 0.0, 8000",
    "6, 0.999999, 10000",
    "20, 0.5, 10000",
  })
  void delaysGrowExponentiallyWithJitterAndACap(int attempt, double random, long expectedMillis) {
    RetryPolicy retry =
        RetryPolicy.builder()
            .initialDelay(Duration.ofSeconds(1))
            .maxDelay(Duration.ofSeconds(10))
            .multiplier(2)
            .jitter(0.2)
            .random(() -> random)
            .build();

    assertThat(retry.delayBefore(attempt, null)).isEqualTo(Duration.ofMillis(expectedMillis));
  }

  @Test
  void anInterruptedWaitStopsRetryingAndKeepsTheInterruptFlag() {
    StatusException failure = new StatusException(503);
    RetryPolicy retry =
        policy()
            .sleeper(
                d -> {
                  throw new InterruptedException("stop");
                })
            .build();

    assertThatThrownBy(
            () ->
                retry.run(
                    "Registry r",
                    () -> {
                      throw failure;
                    }))
        .isSameAs(failure)
        .satisfies(
            e ->
                assertThat(e.getSuppressed())
                    .singleElement()
                    .isInstanceOf(InterruptedException.class));
    assertThat(Thread.interrupted()).isTrue(); // and clears it for the next test
  }

  @Test
  void noneRunsOnce() {
    AtomicInteger calls = new AtomicInteger();

    assertThatThrownBy(
            () ->
                RetryPolicy.none()
                    .run(
                        "Registry r",
                        () -> {
                          calls.incrementAndGet();
                          throw new StatusException(503);
                        }))
        .isInstanceOf(StatusException.class);
    assertThat(calls).hasValue(1);
  }

  @Test
  void retryWhenDescribesTheFailure() {
    RetryPolicy retry =
        RetryPolicy.builder()
            .maxAttempts(2)
            .retryWhen(e -> e instanceof IOException)
            .sleeper(sleeps::add)
            .log(log)
            .build();

    assertThatThrownBy(
            () ->
                retry.run(
                    "Registry r",
                    () -> {
                      throw new IOException("Connection reset");
                    }))
        .hasMessage("Connection reset");
    assertThat(warnings.get(0))
        .startsWith("Registry r failed (IOException: Connection reset); retrying in ")
        .endsWith("(attempt 2 of 2)");
  }

  @Test
  void rejectsNonsenseSettings() {
    assertThatThrownBy(() -> RetryPolicy.builder().maxAttempts(0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RetryPolicy.builder().jitter(1.5))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RetryPolicy.builder().multiplier(0.5))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                RetryPolicy.builder()
                    .initialDelay(Duration.ofSeconds(10))
                    .maxDelay(Duration.ofSeconds(1))
                    .build())
        .isInstanceOf(IllegalArgumentException.class);
  }
}
