package io.k8sci.manifest;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Fills the placeholders of manifest text before it is parsed, so that line and column numbers in
 * every error are those of the file the user edits.
 *
 * <p>Placeholders:
 *
 * <ul>
 *   <li>{@code __IMAGE_VERSION_SLUG__} — the image tag, exactly what the replaced pipeline's {@code
 *       sed -i "s/__IMAGE_VERSION_SLUG__/${IMAGE_VERSION}/"} put there (every occurrence);
 *   <li>{@code ${k8sci.image}} — the full image reference pushed by {@code k8sci:image} (e.g. {@code
 *       registry:5000/team/web:1.2.0}); {@code ${k8sci.imageRepository}} (without tag and digest),
 *       {@code ${k8sci.imageTag}}, {@code ${k8sci.imageDigest}} ({@code sha256:...});
 *   <li>{@code ${k8sci.namespace}} — the namespace the rollout targets;
 *   <li>{@code ${project.version}} — the Maven project's version;
 *   <li>{@code ${name}} — a user variable;
 *   <li>{@code ${env.NAME}} — an environment variable (e.g. {@code ${env.CI_COMMIT_SHORT_SHA}}).
 * </ul>
 *
 * <p>Strict on purpose: a {@code ${...}} that is not known, or {@code __IMAGE_VERSION_SLUG__} while
 * no tag is known, is an error naming file, line and column — a typo must not reach the cluster as
 * a literal {@code ${k8sci.imag}}. All unresolved placeholders of all documents are reported
 * together. Placeholders are rendered everywhere in the text, comments included, and do not span
 * lines; there are no default values (declare a variable instead).
 *
 * <p>Literals: {@code $${...}} renders as {@code ${...}} (the same doubling Kubernetes uses for
 * {@code $$(VAR)}), e.g. for a shell script in a ConfigMap. Kubernetes' own {@code $(VAR)} syntax
 * (container {@code args}, {@code command}, {@code env}) and a {@code $} not followed by {@code {}
 * are left untouched.
 *
 * <p>Values are never logged nor put in error messages: environment variables and user variables
 * may be secrets. Immutable and thread-safe.
 */
public final class PlaceholderRenderer {

  public static final String IMAGE_VERSION_SLUG = "__IMAGE_VERSION_SLUG__";
  public static final String ESCAPE_HINT = "Write $${...} for a literal ${...}.";

  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]*");
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final String ENV_PREFIX = "env.";

  private final Map<String, Optional<String>> builtIns;
  private final Map<String, String> variables;
  private final Map<String, String> environment;
  private final Optional<String> imageTag;

  /**
   * @param builtIns the {@code k8sci.*} and {@code project.version} values; an empty Optional marks
   *     a known name whose value is not available in this build (an error when used)
   * @param variables user variables by name
   * @param environment the environment, by variable name ({@code System.getenv()} in the Mojo)
   * @param imageTag the tag for {@code __IMAGE_VERSION_SLUG__}
   * @throws IllegalArgumentException when a variable shadows a built-in name or has an invalid name
   */
  public PlaceholderRenderer(
      Map<String, Optional<String>> builtIns,
      Map<String, String> variables,
      Map<String, String> environment,
      Optional<String> imageTag) {
    this.builtIns = Map.copyOf(builtIns);
    this.variables = Map.copyOf(variables);
    this.environment = Map.copyOf(environment);
    this.imageTag = imageTag;
    for (String name : variables.keySet()) {
      if (!NAME.matcher(name).matches()) {
        throw new IllegalArgumentException(
            "Variable name '" + name + "' is not valid: use letters, digits, '_', '.' and '-'");
      }
      if (builtIns.containsKey(name) || name.startsWith(ENV_PREFIX)) {
        throw new IllegalArgumentException(
            "Variable '" + name + "' shadows a built-in placeholder: rename it");
      }
    }
  }

  /**
   * Renders every document.
   *
   * @throws ManifestException listing every unresolved or malformed placeholder with file, line and
   *     column
   */
  public List<ManifestDocument> renderAll(List<ManifestDocument> documents) {
    List<ManifestProblem> problems = new ArrayList<>();
    List<ManifestDocument> rendered = new ArrayList<>();
    for (ManifestDocument document : documents) {
      rendered.add(document.withText(render(document, problems)));
    }
    if (!problems.isEmpty()) {
      throw new ManifestException(
          "Unresolved placeholders in the manifests", problems, knownNamesHint());
    }
    return List.copyOf(rendered);
  }

  /** Renders one document, adding a problem for each placeholder that cannot be filled. */
  public String render(ManifestDocument document, List<ManifestProblem> problems) {
    List<String> lines = ManifestSource.linesWithTerminators(document.text());
    StringBuilder out = new StringBuilder(document.text().length() + 64);
    for (int i = 0; i < lines.size(); i++) {
      renderLine(lines.get(i), document, i + 1, out, problems);
    }
    return out.toString();
  }

  private void renderLine(
      String line,
      ManifestDocument document,
      int lineInText,
      StringBuilder out,
      List<ManifestProblem> problems) {
    int c = 0;
    while (c < line.length()) {
      if (line.startsWith("$${", c)) {
        out.append("${");
        c += 3;
      } else if (line.startsWith("${", c)) {
        int end = line.indexOf('}', c + 2);
        SourceLocation at = document.locate(lineInText, c + 1);
        if (end < 0) {
          problems.add(new ManifestProblem(at, "'${' is not closed by '}' on the same line"));
          out.append(line, c, line.length());
          return;
        }
        String name = line.substring(c + 2, end);
        String value = resolve(name, at, problems);
        out.append(value == null ? line.substring(c, end + 1) : value);
        c = end + 1;
      } else if (line.startsWith(IMAGE_VERSION_SLUG, c)) {
        if (imageTag.isPresent()) {
          out.append(imageTag.get());
        } else {
          problems.add(
              new ManifestProblem(
                  document.locate(lineInText, c + 1),
                  IMAGE_VERSION_SLUG
                      + " needs the image tag, but no image tag is known"
                      + " (run k8sci:image in the same build, or give the image tag)"));
          out.append(IMAGE_VERSION_SLUG);
        }
        c += IMAGE_VERSION_SLUG.length();
      } else {
        out.append(line.charAt(c));
        c++;
      }
    }
  }

  private String resolve(String name, SourceLocation at, List<ManifestProblem> problems) {
    if (name.startsWith(ENV_PREFIX)) {
      String variable = name.substring(ENV_PREFIX.length());
      if (!ENV_NAME.matcher(variable).matches()) {
        problems.add(
            new ManifestProblem(at, "${" + name + "} is not a valid environment variable name"));
        return null;
      }
      String value = environment.get(variable);
      if (value == null) {
        problems.add(
            new ManifestProblem(
                at, "${" + name + "}: environment variable " + variable + " is not set"));
      }
      return value;
    }
    if (!NAME.matcher(name).matches()) {
      problems.add(new ManifestProblem(at, "'${" + name + "}' is not a valid placeholder name"));
      return null;
    }
    Optional<String> builtIn = builtIns.get(name);
    if (builtIn != null) {
      if (builtIn.isEmpty()) {
        problems.add(
            new ManifestProblem(
                at,
                "${"
                    + name
                    + "} has no value in this build"
                    + (name.startsWith("k8sci.image")
                        ? " (no image known: run k8sci:image in the same build, or give the image)"
                        : "")));
        return null;
      }
      return builtIn.get();
    }
    String value = variables.get(name);
    if (value == null) {
      problems.add(new ManifestProblem(at, "${" + name + "} is not known"));
    }
    return value;
  }

  private String knownNamesHint() {
    TreeSet<String> known = new TreeSet<>(builtIns.keySet());
    StringBuilder hint = new StringBuilder("Known placeholders: ");
    hint.append(IMAGE_VERSION_SLUG);
    for (String name : known) {
      hint.append(", ${").append(name).append('}');
    }
    hint.append(", ${env.NAME} for environment variables");
    if (!variables.isEmpty()) {
      hint.append(", variables: ").append(String.join(", ", new TreeMap<>(variables).keySet()));
    } else {
      hint.append(", and user variables (none defined)");
    }
    hint.append(". ").append(ESCAPE_HINT);
    return hint.toString();
  }
}
