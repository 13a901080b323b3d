package io.k8sci.manifest;

import java.nio.file.Path;

/**
 * One YAML or JSON document of a manifest file, as raw text, with where it starts in its file.
 *
 * @param file the file it comes from
 * @param firstLine 1-based line of the file where {@code text} begins (the line of its {@code ---}
 *     marker, if any), so that line {@code n} of the text is line {@code firstLine + n - 1} of the
 *     file
 * @param text the document's text, line terminators kept
 */
public record ManifestDocument(Path file, int firstLine, String text) {

  /** The location of line {@code lineInText} (1-based) and column (1-based, 0 = unknown). */
  public SourceLocation locate(int lineInText, int column) {
    return new SourceLocation(file, firstLine + lineInText - 1, column);
  }

  /**
   * The first line holding content (not blank, not a comment, not a document marker): where a
   * reader looks for the object, and the line named by problems that concern the whole document.
   */
  public SourceLocation start() {
    String[] lines = text.split("\r?\n|\r", -1);
    for (int i = 0; i < lines.length; i++) {
      String trimmed = lines[i].strip();
      if (!trimmed.isEmpty() && !trimmed.startsWith("#") && !ManifestSource.isMarker(lines[i])) {
        return SourceLocation.of(file, firstLine + i);
      }
    }
    return SourceLocation.of(file, firstLine);
  }

  /** The same document with other text (rendered), at the same place. */
  public ManifestDocument withText(String newText) {
    return new ManifestDocument(file, firstLine, newText);
  }

  /** Never the text: it may hold Secret data. */
  @Override
  public String toString() {
    return "ManifestDocument[" + file + ":" + firstLine + "]";
  }
}
