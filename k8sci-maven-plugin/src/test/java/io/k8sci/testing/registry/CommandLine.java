package io.k8sci.testing.registry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a CLI (skopeo, umoci) to completion and returns its stdout; a non-zero exit becomes an
 * {@link CommandFailedException} carrying the command line (secrets masked) and stderr.
 */
final class CommandLine {

  private static final long TIMEOUT_SECONDS = 120;

  private CommandLine() {}

  /**
   * @param command the command and arguments
   * @param secrets strings to mask in the failure message (passwords given as arguments)
   * @param environment variables to set for the child (on top of the inherited environment)
   */
  static String run(List<String> command, List<String> secrets, Map<String, String> environment) {
    String printable = String.join(" ", command);
    for (String secret : secrets) {
      if (secret != null && !secret.isEmpty()) {
        printable = printable.replace(secret, "****");
      }
    }
    Path stdout = null;
    Path stderr = null;
    try {
      stdout = Files.createTempFile("k8sci-cli-", ".out");
      stderr = Files.createTempFile("k8sci-cli-", ".err");
      ProcessBuilder builder =
          new ProcessBuilder(new ArrayList<>(command))
              .redirectOutput(stdout.toFile())
              .redirectError(stderr.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
      builder.environment().putAll(environment);
      Process process = builder.start();
      if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly().waitFor();
        throw new CommandFailedException(
            printable, -1, "timed out after " + TIMEOUT_SECONDS + " s\n" + read(stderr));
      }
      if (process.exitValue() != 0) {
        String err = read(stderr);
        for (String secret : secrets) {
          if (secret != null && !secret.isEmpty()) {
            err = err.replace(secret, "****");
          }
        }
        throw new CommandFailedException(printable, process.exitValue(), err);
      }
      return read(stdout);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + printable, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + printable, e);
    } finally {
      deleteQuietly(stdout);
      deleteQuietly(stderr);
    }
  }

  private static String read(Path file) throws IOException {
    return Files.readString(file, StandardCharsets.UTF_8);
  }

  private static void deleteQuietly(Path file) {
    if (file != null) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException ignored) {
        // temp file
      }
    }
  }
}
