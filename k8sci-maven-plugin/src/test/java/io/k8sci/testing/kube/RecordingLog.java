package io.k8sci.testing.kube;

import io.k8sci.log.BuildLog;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/** A {@link BuildLog} that keeps every line, prefixed by its level, for assertions. */
public final class RecordingLog implements BuildLog {

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

  /** All lines, as "LEVEL message". */
  public List<String> lines() {
    return List.copyOf(lines);
  }

  /** Messages logged at INFO, without the level. */
  public List<String> info() {
    return lines.stream()
        .filter(l -> l.startsWith("INFO "))
        .map(l -> l.substring(5))
        .collect(Collectors.toList());
  }

  /** INFO messages that start with a prefix, the prefix removed. */
  public List<String> infoWithPrefix(String prefix) {
    return info().stream()
        .filter(l -> l.startsWith(prefix))
        .map(l -> l.substring(prefix.length()))
        .collect(Collectors.toList());
  }

  public void clear() {
    lines.clear();
  }
}
