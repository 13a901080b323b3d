package io.k8sci.archetype;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The project that the archetype plugin's integration-test generated (and built with goal.txt) from
 * {@code src/test/resources/projects/NAME/archetype.properties}, read for the checks.
 */
final class GeneratedProject {

  private static final Path PROJECTS =
      Paths.get(required("k8sci.archetype.projects")).toAbsolutePath();

  /** The version of the archetype under test, i.e. of the k8sci plugin it must name. */
  static final String ARCHETYPE_VERSION = required("k8sci.archetype.version");

  /** The archetype's template directory, as packaged (after the build's own filtering). */
  static final Path TEMPLATE = Paths.get(required("k8sci.archetype.resources")).toAbsolutePath();

  final Properties generation;
  final Path dir;

  private GeneratedProject(Properties generation, Path dir) {
    this.generation = generation;
    this.dir = dir;
  }

  static GeneratedProject named(String itName) {
    Path it = PROJECTS.resolve(itName);
    Properties generation = new Properties();
    try (Reader in = Files.newBufferedReader(it.resolve("archetype.properties"))) {
      generation.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Path dir = it.resolve("project").resolve(generation.getProperty("artifactId"));
    if (!Files.isRegularFile(dir.resolve("pom.xml"))) {
      throw new AssertionError(
          "No generated project at "
              + dir
              + ": the archetype plugin's integration-test did not run before this test");
    }
    return new GeneratedProject(generation, dir);
  }

  String artifactId() {
    return generation.getProperty("artifactId");
  }

  String read(String relative) {
    try {
      return Files.readString(dir.resolve(relative), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Document pom() {
    try {
      // Not namespace aware, so XPath needs no prefix for the POM namespace.
      return DocumentBuilderFactory.newInstance()
          .newDocumentBuilder()
          .parse(dir.resolve("pom.xml").toFile());
    } catch (Exception e) {
      throw new AssertionError("The generated pom.xml is not well-formed XML: " + e, e);
    }
  }

  static String text(Node context, String xpath) {
    try {
      return ((String) XPathFactory.newInstance().newXPath().evaluate(xpath, context)).strip();
    } catch (Exception e) {
      throw new IllegalArgumentException(xpath, e);
    }
  }

  static List<Node> nodes(Node context, String xpath) {
    try {
      NodeList list =
          (NodeList)
              XPathFactory.newInstance()
                  .newXPath()
                  .evaluate(xpath, context, XPathConstants.NODESET);
      List<Node> result = new ArrayList<>();
      for (int i = 0; i < list.getLength(); i++) {
        result.add(list.item(i));
      }
      return result;
    } catch (Exception e) {
      throw new IllegalArgumentException(xpath, e);
    }
  }

  /** One YAML document (the pipeline). */
  Map<String, Object> yaml(String relative) {
    return cast(newYaml().load(read(relative)));
  }

  /** Every document of a multi-document YAML file (a manifest). */
  List<Map<String, Object>> yamlDocuments(String relative) {
    List<Map<String, Object>> documents = new ArrayList<>();
    for (Object document : newYaml().loadAll(read(relative))) {
      if (document != null) {
        documents.add(cast(document));
      }
    }
    return documents;
  }

  /** The generated text files, relative to the project (not the build's own output). */
  List<Path> sourceFiles() {
    try (Stream<Path> files = Files.walk(dir)) {
      return files
          .filter(Files::isRegularFile)
          .map(dir::relativize)
          .filter(p -> !p.startsWith("target") && !p.toString().equals("build.log"))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Yaml newYaml() {
    return new Yaml(new SafeConstructor(new LoaderOptions()));
  }

  @SuppressWarnings("unchecked")
  static <T> T cast(Object value) {
    return (T) value;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object parent, String... path) {
    Object current = parent;
    for (String key : path) {
      if (!(current instanceof Map)) {
        throw new AssertionError("No mapping at '" + key + "' of " + String.join(".", path));
      }
      current = ((Map<String, Object>) current).get(key);
    }
    if (!(current instanceof Map)) {
      throw new AssertionError(String.join(".", path) + " is not a mapping: " + current);
    }
    return (Map<String, Object>) current;
  }

  private static String required(String property) {
    String value = System.getProperty(property);
    if (value == null || value.isBlank()) {
      throw new IllegalStateException(
          "System property " + property + " is not set: run this test through Maven (failsafe)");
    }
    return value;
  }
}
