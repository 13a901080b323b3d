package io.k8sci.testing;

import io.k8sci.log.BuildLog;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link BuildLog} that keeps every line as {@code "LEVEL message"}, for assertions on exactly
 * what a user reads. Thread-safe: services log from worker threads.
 */
public final class RecordingBuildLog implements BuildLog {

  private final List<String> lines = new CopyOnWriteArrayList<>();

  @Override
  public void info(String message) {
    lines.add("INFO " + message);
  }

  @Override
  public void warn(String message) {
    lines.add("WARN " + message);
  }

  @Override
  public void debug(String message) {
    lines.add("DEBUG " + message);
  }

  @Override
  public boolean isDebugEnabled() {
    return true;
  }

  /** All lines, as {@code "LEVEL message"}. */
  public List<String> lines() {
    return List.copyOf(lines);
  }

  /** Messages logged at {@code level} (INFO, WARN, DEBUG), without the level. */
  public List<String> lines(String level) {
    return lines.stream()
        .filter(line -> line.startsWith(level + " "))
        .map(line -> line.substring(level.length() + 1))
        .toList();
  }

  /** Messages logged at INFO, without the level. */
  public List<String> info() {
    return lines("INFO");
  }

  /** INFO messages that start with a prefix, the prefix removed. */
  public List<String> infoWithPrefix(String prefix) {
    return info().stream()
        .filter(line -> line.startsWith(prefix))
        .map(line -> line.substring(prefix.length()))
        .toList();
  }

  /** Lines at INFO and WARN: what a user sees without {@code -X}. */
  public List<String> visible() {
    return lines.stream().filter(line -> !line.startsWith("DEBUG ")).toList();
  }

  /** Every line, joined with newlines. */
  public String text() {
    return String.join("\n", lines);
  }

  public void clear() {
    lines.clear();
  }
}
