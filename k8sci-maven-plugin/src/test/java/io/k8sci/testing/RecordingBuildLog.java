package io.k8sci.testing;

import io.k8sci.log.BuildLog;
import java.util.ArrayList;
import java.util.List;

/** A {@link BuildLog} that keeps every line, prefixed with its level, for assertions. */
public final class RecordingBuildLog implements BuildLog {

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

  public synchronized List<String> lines(String level) {
    return lines.stream()
        .filter(line -> line.startsWith(level + " "))
        .map(line -> line.substring(level.length() + 1))
        .toList();
  }

  public synchronized String all() {
    return String.join("\n", lines);
  }
}
