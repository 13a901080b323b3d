package io.k8sci.testing.registry;

/** A CLI (skopeo, umoci) exited with a non-zero code; tests may assert on its stderr. */
public final class CommandFailedException extends RuntimeException {
  private final int exitCode;
  private final String stderr;

  CommandFailedException(String command, int exitCode, String stderr) {
    super(command + " exited with " + exitCode + ":\n" + stderr);
    this.exitCode = exitCode;
    this.stderr = stderr;
  }

  public int exitCode() {
    return exitCode;
  }

  public String stderr() {
    return stderr;
  }
}
