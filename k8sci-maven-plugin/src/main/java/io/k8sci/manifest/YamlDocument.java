package io.k8sci.manifest;

import java.util.List;
import java.util.Optional;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * A rendered document read with snakeyaml-engine (the YAML 1.2 parser fabric8 itself uses, so
 * values read the same), keeping the node tree to tell the line of any field in errors.
 *
 * <p>Problems are described without the parser's snippet of the offending line: after rendering,
 * that line may hold a secret taken from the environment.
 */
final class YamlDocument {

  private final ManifestDocument document;
  private final Object value;
  private Node root;
  private boolean composed;

  private YamlDocument(ManifestDocument document, Object value) {
    this.document = document;
    this.value = value;
  }

  private static LoadSettings settings(ManifestDocument document) {
    return LoadSettings.builder()
        .setLabel(document.file().toString())
        .setAllowDuplicateKeys(false)
        .build();
  }

  /** Reads the document, or adds a problem at the parser's line and column and returns empty. */
  static Optional<YamlDocument> read(ManifestDocument document, List<ManifestProblem> problems) {
    try {
      Object value = new Load(settings(document)).loadFromString(document.text());
      return Optional.of(new YamlDocument(document, value));
    } catch (MarkedYamlEngineException e) {
      Optional<Mark> mark = e.getProblemMark().or(e::getContextMark);
      SourceLocation at =
          mark.map(m -> document.locate(m.getLine() + 1, m.getColumn() + 1))
              .orElse(document.start());
      problems.add(new ManifestProblem(at, "not valid YAML: " + describe(e)));
    } catch (YamlEngineException e) {
      problems.add(
          new ManifestProblem(document.start(), "not valid YAML: " + e.getClass().getSimpleName()));
    }
    return Optional.empty();
  }

  private static String describe(MarkedYamlEngineException e) {
    String problem = e.getProblem() == null ? "" : e.getProblem().strip();
    String context = e.getContext() == null ? "" : e.getContext().strip();
    if (context.isEmpty()) {
      return problem;
    }
    return problem.isEmpty() ? context : problem + " (" + context + ")";
  }

  ManifestDocument document() {
    return document;
  }

  /** The loaded value: a Map for an object, null for an empty document. */
  Object value() {
    return value;
  }

  /**
   * The location of the node at {@code path} (map keys as Strings, list indices as Integers), or of
   * the deepest existing node on the way; the document's start when nothing matches.
   */
  SourceLocation locate(List<Object> path) {
    if (!composed) {
      composed = true;
      try {
        root = new Compose(settings(document)).composeString(document.text()).orElse(null);
      } catch (YamlEngineException e) {
        root = null;
      }
    }
    Node node = root;
    Optional<Mark> best = Optional.empty();
    for (Object step : path) {
      if (node instanceof MappingNode mapping && step instanceof String key) {
        NodeTuple tuple = entry(mapping, key);
        if (tuple == null) {
          break;
        }
        // the key's line: a block value starts on the next line
        best = tuple.getKeyNode().getStartMark();
        node = tuple.getValueNode();
      } else if (node instanceof SequenceNode sequence
          && step instanceof Integer index
          && index >= 0
          && index < sequence.getValue().size()) {
        node = sequence.getValue().get(index);
        best = node.getStartMark();
      } else {
        break;
      }
    }
    return best.map(m -> document.locate(m.getLine() + 1, m.getColumn() + 1))
        .orElseGet(document::start);
  }

  private static NodeTuple entry(MappingNode mapping, String key) {
    for (NodeTuple tuple : mapping.getValue()) {
      if (tuple.getKeyNode() instanceof ScalarNode scalar && key.equals(scalar.getValue())) {
        return tuple;
      }
    }
    return null;
  }
}
