package io.k8sci.manifest;

import java.nio.file.Path;

/**
 * A place in a manifest file, as editors and CI logs show it ({@code file:line:column}), so that a
 * problem found before anything is applied points at the line to fix.
 *
 * @param file the manifest file
 * @param line 1-based line in the file
 * @param column 1-based column, 0 when only the line is known
 */
public record SourceLocation(Path file, int line, int column) {

  public static SourceLocation of(Path file, int line) {
    return new SourceLocation(file, line, 0);
  }

  @Override
  public String toString() {
    return file + ":" + line + (column > 0 ? ":" + column : "");
  }
}
