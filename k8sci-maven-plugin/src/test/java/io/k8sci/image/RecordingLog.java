package io.k8sci.image;

import io.k8sci.log.BuildLog;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A {@link BuildLog} that keeps every line, prefixed with its level, for assertions. */
final class RecordingBuildLog implements BuildLog {
  final List<String> lines = new CopyOnWriteArrayList<>();

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

  List<String> info() {
    return lines.stream().filter(l -> l.startsWith("INFO ")).map(l -> l.substring(5)).toList();
  }
}
