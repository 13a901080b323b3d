package io.k8sci.testing.image;

import io.k8sci.log.BuildLog;
import java.util.ArrayList;
import java.util.List;

/** A {@link BuildLog} that keeps every line (prefixed with its level) for assertions. */
public final class RecordingLog implements BuildLog {

  private final List<String> lines = new ArrayList<>();

  @Override
  public synchronized void info(String message) {
    lines.add("INFO " + message);
  }

  @Override
  public synchronized void warn(String message) {
    lines.add("WARN " + message);
  }

  @Override
  public synchronized void debug(String message) {
    lines.add("DEBUG " + message);
  }

  @Override
  public boolean isDebugEnabled() {
    return true;
  }

  public synchronized List<String> lines() {
    return List.copyOf(lines);
  }

  /** Lines at INFO and WARN, what a user sees without -X. */
  public synchronized List<String> visible() {
    return lines.stream().filter(l -> !l.startsWith("DEBUG ")).toList();
  }

  public synchronized String text() {
    return String.join("\n", lines);
  }
}
