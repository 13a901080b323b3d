package io.k8sci.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The goal pages under {@code src/site/markdown/goals/} are exactly what {@link GoalPages} makes of
 * the plugin descriptor, so the documentation of parameters, properties and defaults cannot drift
 * from the code. With {@code -Dk8sci.it.writeGoalPages=true} the pages are (re)written first.
 */
class GoalPagesTest {

  private static final Path SITE = MavenBuild.REPOSITORY_ROOT.resolve("src/site/markdown");
  private static final Path GOALS = SITE.resolve("goals");
  private static final String REGENERATE =
      "./mvnw -B -pl it test -Dtest=GoalPagesTest -Dk8sci.it.writeGoalPages=true";

  @Test
  void committedGoalPagesAreWhatThePluginDescriptorSays() throws IOException {
    Path plugin = GoalPages.pluginLocation();
    Map<String, String> expected = GoalPages.fromPlugin(plugin).pages();
    if (Boolean.getBoolean("k8sci.it.writeGoalPages")) {
      write(expected);
    }

    Map<String, String> committed = committedPages();
    String hint =
        "src/site/markdown/goals/ differs from the descriptor in "
            + plugin
            + " (a Mojo's parameters or Javadoc changed?). Regenerate with: "
            + REGENERATE;
    assertThat(committed.keySet()).as(hint).containsExactlyInAnyOrderElementsOf(expected.keySet());
    expected.forEach(
        (file, page) -> assertThat(committed.get(file)).as(file + ": " + hint).isEqualTo(page));
  }

  @Test
  void pagesNameEveryParameterWithItsPropertyAndDefault() {
    Map<String, String> pages = GoalPages.fromPlugin(GoalPages.pluginLocation()).pages();

    assertThat(pages).containsKeys("image.md", "rollout.md", "undo.md", "help.md");
    // Facts from the Mojos' @Parameter annotations.
    assertThat(pages.get("image.md"))
        .startsWith("# `k8sci:image`\n")
        .contains("| Default phase | `package` |")
        .contains("| `from` | `k8sci.from` | — | `String` | ")
        .contains("| `cacheDir` | `k8sci.cacheDir` | `${user.home}/.cache/k8sci` | `File` | ")
        .contains("| `imageSkip` | `k8sci.image.skip` | `false` | `boolean` | ")
        .contains("| `registryMirrors` | — | — | `List` | ")
        .contains("| `outputDirectory` | `${project.build.directory}/k8sci` | `File` | ");
    assertThat(pages.get("rollout.md"))
        .contains("| Default phase | `deploy` |")
        .contains("| `timeout` | `k8sci.timeout` | `PT5M` | `String` | ")
        .contains("| `manifests` | `k8sci.manifests` | `${project.basedir}/manifests` | `File` | ");
    assertThat(pages.get("undo.md"))
        .contains("| Default phase | none: run it on the command line, `mvn k8sci:undo` |")
        .contains("| `toRevision` | `k8sci.toRevision` | — | `Long` | ");
  }

  @Test
  void siteIndexLinksEveryGoalPageAndTheMigrationGuide() throws IOException {
    String index = Files.readString(SITE.resolve("index.md"));
    for (String page : GoalPages.fromPlugin(GoalPages.pluginLocation()).pages().keySet()) {
      assertThat(index).contains("(goals/" + page + ")");
    }
    assertThat(index).contains("(migrating.md)");
  }

  @Test
  void readsPropertiesDefaultsAndReadOnlyParametersFromADescriptor() throws IOException {
    String descriptor =
        """
        <plugin>
          <groupId>g</groupId><artifactId>a-maven-plugin</artifactId><goalPrefix>a</goalPrefix>
          <mojos><mojo>
            <goal>run</goal><description>Runs
              it.</description><threadSafe>true</threadSafe>
            <parameters>
              <parameter><name>speed</name><type>int</type><required>true</required>
                <editable>true</editable><description>How | fast *now* &lt;b&gt;.</description></parameter>
              <parameter><name>out</name><type>java.io.File</type><required>false</required>
                <editable>false</editable><description>Output.</description></parameter>
              <parameter><name>items</name><type>java.util.List</type><required>false</required>
                <editable>true</editable><description>Items.</description></parameter>
            </parameters>
            <configuration>
              <speed implementation="int" default-value="3">${a.speed}</speed>
              <out implementation="java.io.File" default-value="${project.build.directory}/a"/>
            </configuration>
          </mojo></mojos>
        </plugin>
        """;
    GoalPages pages =
        GoalPages.parse(new ByteArrayInputStream(descriptor.getBytes(StandardCharsets.UTF_8)));

    String page = pages.pages().get("run.md");
    assertThat(page)
        .startsWith("# `a:run`\n\n" + GoalPages.GENERATED_NOTE + "\n\nRuns it.\n")
        .contains("| Full name | `g:a-maven-plugin:run` |")
        .contains("| Default phase | none: run it on the command line, `mvn a:run` |")
        .contains("| Thread-safe (`mvn -T`) | yes |")
        .contains(
            "| `speed` (required) | `a.speed` | `3` | `int` | How \\| fast \\*now\\* &lt;b>. |")
        .contains("| `items` | — | — | `List` | Items. |")
        .contains("## Read-only values")
        .contains("| `out` | `${project.build.directory}/a` | `File` | Output. |");
  }

  @ParameterizedTest
  @CsvSource(
      delimiterString = " => ",
      value = {
        "plain text. => plain text.",
        "'two\n   lines' => two lines",
        "a | b => a \\| b",
        "*.yaml files => \\*.yaml files",
        "<goal-name> => &lt;goal-name>",
        "C:\\dir => C:\\\\dir",
        "'  ' => —"
      })
  void descriptorTextBecomesOneMarkdownCell(String text, String cell) {
    assertThat(GoalPages.inline(text)).isEqualTo(cell);
  }

  private static Map<String, String> committedPages() throws IOException {
    Map<String, String> pages = new TreeMap<>();
    if (!Files.isDirectory(GOALS)) {
      return pages;
    }
    try (Stream<Path> files = Files.list(GOALS)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".md")).toList()) {
        pages.put(file.getFileName().toString(), Files.readString(file));
      }
    }
    return pages;
  }

  private static void write(Map<String, String> pages) throws IOException {
    Files.createDirectories(GOALS);
    for (String stale : committedPages().keySet()) {
      if (!pages.containsKey(stale)) {
        Files.delete(GOALS.resolve(stale));
      }
    }
    for (Map.Entry<String, String> page : pages.entrySet()) {
      Files.writeString(GOALS.resolve(page.getKey()), page.getValue());
    }
  }
}
