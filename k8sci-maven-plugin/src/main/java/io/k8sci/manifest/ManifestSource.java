package io.k8sci.manifest;

import io.k8sci.K8sciException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads the manifests a rollout applies: a single file, or every {@code *.yaml}, {@code *.yml} and
 * {@code *.json} file of a directory, sorted by file name, split into documents.
 *
 * <p>Why not recursive: it is what {@code kubectl apply -f DIR} does without {@code -R}, which is
 * what the replaced pipelines run; and subdirectories of a manifest directory commonly hold other
 * environments or kustomize overlays that must not be applied together with the base. Hidden files
 * (editor backups such as {@code .#web.yaml}) are ignored. Sorting by name gives the same order on
 * every machine, which makes the apply order (stable within a kind group) reproducible.
 *
 * <p>A YAML file may hold several documents separated by {@code ---} lines (a {@code ...} line ends
 * a document too); documents holding only blanks and comments are skipped. A JSON file is one
 * document. Each document keeps its file and the line where it starts so that every later problem
 * (unresolved placeholder, parse error, validation) names {@code file:line}. Thread-safe.
 */
public final class ManifestSource {

  private static final Pattern MARKER = Pattern.compile("^(---|\\.\\.\\.)([ \\t].*)?$");

  private ManifestSource() {}

  /**
   * Loads a file or directory.
   *
   * @throws K8sciException naming the path when it does not exist, cannot be read, is not UTF-8, or
   *     holds no manifest at all
   */
  public static List<ManifestDocument> load(Path path) {
    if (path == null) {
      throw new K8sciException("No manifests given: set the path of a manifest file or directory");
    }
    if (!Files.exists(path)) {
      throw new K8sciException(
          "Manifests not found: " + path + " does not exist (give a manifest file or directory)");
    }
    List<Path> files = Files.isDirectory(path) ? manifestFiles(path) : List.of(path);
    List<ManifestDocument> documents = new ArrayList<>();
    for (Path file : files) {
      documents.addAll(split(file, read(file)));
    }
    if (documents.isEmpty()) {
      throw new K8sciException(
          "No manifests in "
              + path
              + (Files.isDirectory(path)
                  ? " (looked for *.yaml, *.yml and *.json files directly in the directory)"
                  : " (the file holds no document)"));
    }
    return List.copyOf(documents);
  }

  /** The manifest files directly in {@code directory}, sorted by file name. */
  static List<Path> manifestFiles(Path directory) {
    try (Stream<Path> entries = Files.list(directory)) {
      return entries
          .filter(Files::isRegularFile)
          .filter(ManifestSource::isManifestName)
          .sorted(Comparator.comparing(file -> file.getFileName().toString()))
          .toList();
    } catch (IOException e) {
      throw new K8sciException("Cannot list manifest directory " + directory + ": " + e, e);
    }
  }

  private static boolean isManifestName(Path file) {
    String name = file.getFileName().toString();
    String lower = name.toLowerCase(Locale.ROOT);
    return !name.startsWith(".")
        && (lower.endsWith(".yaml") || lower.endsWith(".yml") || lower.endsWith(".json"));
  }

  private static String read(Path file) {
    try {
      byte[] bytes = Files.readAllBytes(file);
      String text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
      return text.startsWith("\uFEFF") ? text.substring(1) : text;
    } catch (CharacterCodingException e) {
      throw new K8sciException("Manifest " + file + " is not UTF-8 text: save it as UTF-8", e);
    } catch (IOException e) {
      throw new K8sciException("Cannot read manifest " + file + ": " + e, e);
    }
  }

  /**
   * Splits a file's text into its documents; JSON files ({@code *.json}) are one document.
   * Documents without content are dropped.
   */
  public static List<ManifestDocument> split(Path file, String content) {
    List<ManifestDocument> documents = new ArrayList<>();
    if (file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json")) {
      addIfContent(documents, new ManifestDocument(file, 1, content));
      return documents;
    }
    List<String> lines = linesWithTerminators(content);
    StringBuilder current = new StringBuilder();
    int currentFirstLine = 1;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (isMarker(line)) {
        addIfContent(documents, new ManifestDocument(file, currentFirstLine, current.toString()));
        current.setLength(0);
        currentFirstLine = i + 1;
        if (line.startsWith("...")) {
          // an end marker belongs to no document: keep just its line break so lines stay right
          current.append(terminator(line));
        } else {
          current.append(line);
        }
        continue;
      }
      current.append(line);
    }
    addIfContent(documents, new ManifestDocument(file, currentFirstLine, current.toString()));
    return documents;
  }

  static boolean isMarker(String line) {
    return MARKER.matcher(line.stripTrailing()).matches();
  }

  private static String terminator(String line) {
    if (line.endsWith("\r\n")) {
      return "\r\n";
    }
    return line.endsWith("\r") ? "\r" : "\n";
  }

  private static void addIfContent(List<ManifestDocument> documents, ManifestDocument document) {
    for (String line : document.text().split("\r?\n|\r")) {
      String trimmed = line.strip();
      if (!trimmed.isEmpty() && !trimmed.startsWith("#") && !isMarker(line)) {
        documents.add(document);
        return;
      }
    }
  }

  /** Lines with their terminators, so that documents keep the file's text byte for byte. */
  static List<String> linesWithTerminators(String content) {
    List<String> lines = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < content.length(); i++) {
      char c = content.charAt(i);
      if (c == '\n'
          || (c == '\r' && (i + 1 >= content.length() || content.charAt(i + 1) != '\n'))) {
        lines.add(content.substring(start, i + 1));
        start = i + 1;
      }
    }
    if (start < content.length()) {
      lines.add(content.substring(start));
    }
    return lines;
  }
}
