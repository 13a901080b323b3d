package io.k8sci.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.k8sci.K8sciException;
import io.k8sci.testing.RecordingBuildLog;
import io.k8sci.testing.jar.TestJars;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which modules the runtime gets, and the up-front checks, without running jlink. */
class JlinkRuntimeModulesTest {

  @TempDir Path tmp;

  private static final String USES_SQL_AND_LOGGING =
      """
      public class Main {
        public static void main(String[] args) throws Exception {
          java.util.logging.Logger.getLogger("app").info("start");
          System.out.println(java.sql.DriverManager.getLoginTimeout());
        }
      }
      """;

  private static final String USES_HTTP_CLIENT =
      """
      package client;
      public class Client {
        public static Object create() { return java.net.http.HttpClient.newHttpClient(); }
      }
      """;

  private static final String USES_LOGGING_ONLY =
      """
      public class Main {
        public static void main(String[] args) {
          java.util.logging.Logger.getLogger("app").info("start");
        }
      }
      """;

  private Set<String> modules(List<Path> jars, Set<String> additional, RecordingBuildLog log) {
    return JlinkRuntime.builder()
        .applicationJars(jars)
        .additionalModules(additional)
        .cacheDirectory(tmp.resolve("cache"))
        .log(log)
        .build()
        .modules();
  }

  @Test
  void plainJarGetsWhatJdepsFinds() {
    Path classes = TestJars.compile(Map.of("Main", USES_SQL_AND_LOGGING), tmp.resolve("classes"));
    Path jar = TestJars.jar(classes, tmp.resolve("app.jar"), Map.of("Main-Class", "Main"));
    RecordingBuildLog log = new RecordingBuildLog();

    Set<String> modules = modules(List.of(jar), Set.of(), log);

    // java.logging is implied by java.sql (requires transitive); jlink adds it
    assertThat(modules).contains("java.base", "java.sql");
    assertThat(modules).doesNotContain("java.desktop", "java.compiler", "jdk.zipfs");
    assertThat(log.lines())
        .anyMatch(l -> l.startsWith("DEBUG jlink modules: ") && l.contains("java.sql"));
    assertThat(log.info())
        .anyMatch(l -> l.contains(modules.size() + " JDK modules requested (jdeps)"));
  }

  @Test
  void classDirectoryIsAnalysedToo() {
    Path classes = TestJars.compile(Map.of("Main", USES_LOGGING_ONLY), tmp.resolve("classes"));

    assertThat(modules(List.of(classes), Set.of(), new RecordingBuildLog()))
        .containsExactlyInAnyOrder("java.base", "java.logging");
  }

  @Test
  void bootJarGetsNestedJarsModulesAndTheSpringBootBaseline() {
    Path clientClasses =
        TestJars.compile(Map.of("client.Client", USES_HTTP_CLIENT), tmp.resolve("client"));
    Path clientJar = TestJars.jar(clientClasses, tmp.resolve("client-1.0.jar"), Map.of());
    Path appClasses = TestJars.compile(Map.of("Main", USES_LOGGING_ONLY), tmp.resolve("app"));
    Path bootJar = TestJars.bootJar(appClasses, List.of(clientJar), tmp.resolve("boot.jar"));

    Set<String> modules = modules(List.of(bootJar), Set.of(), new RecordingBuildLog());

    assertThat(modules).contains("java.net.http"); // only the nested jar uses it
    assertThat(modules).containsAll(JdepsModuleAnalysis.SPRING_BOOT_BASELINE);
    assertThat(JdepsModuleAnalysis.SPRING_BOOT_BASELINE).contains("java.compiler", "jdk.zipfs");
  }

  @Test
  void modularJarWhoseRequiredModuleIsAbsentIsStillAnalysed() {
    Path libClasses =
        TestJars.compile(
            Map.of(
                "module-info", "module lib { exports lib; }",
                "lib.Lib", "package lib; public class Lib {}"),
            tmp.resolve("lib"));
    Path appClasses =
        TestJars.compile(
            Map.of(
                "module-info",
                "module app { requires lib; requires java.logging; }",
                "app.Main",
                """
                package app;
                public class Main {
                  public static void main(String[] a) {
                    new lib.Lib();
                    java.util.logging.Logger.getLogger("x").info("hi");
                  }
                }
                """),
            tmp.resolve("appmod"),
            "--module-path",
            libClasses.toString());
    Path appJar = TestJars.jar(appClasses, tmp.resolve("app-mod.jar"), Map.of());
    RecordingBuildLog log = new RecordingBuildLog();

    // lib.jar is not given: plain jdeps fails with "Module lib not found, required by app"
    Set<String> modules = modules(List.of(appJar), Set.of(), log);

    assertThat(modules).containsExactlyInAnyOrder("java.base", "java.logging");
    assertThat(log.lines()).anyMatch(l -> l.contains("retrying them as plain jars"));
  }

  @Test
  void additionalModulesAreAdded() {
    Path classes = TestJars.compile(Map.of("Main", USES_LOGGING_ONLY), tmp.resolve("classes"));

    assertThat(
            modules(List.of(classes), Set.of("jdk.jfr", "jdk.localedata"), new RecordingBuildLog()))
        .contains("java.logging", "jdk.jfr", "jdk.localedata");
  }

  @Test
  void unknownAdditionalModuleIsRejectedByName() {
    assertThatThrownBy(() -> modules(List.of(), Set.of("java.nosuch"), new RecordingBuildLog()))
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining("'java.nosuch'")
        .hasMessageContaining("additionalModules");
  }

  @Test
  void missingApplicationJarIsRejectedByPath() {
    Path missing = tmp.resolve("target/missing.jar");

    assertThatThrownBy(() -> modules(List.of(missing), Set.of(), new RecordingBuildLog()))
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining(missing.toString())
        .hasMessageContaining("applicationJars");
  }

  @Test
  void jreWithoutJlinkIsRejectedWithAdvice() throws Exception {
    Path jre = tmp.resolve("jre");
    Files.createDirectories(jre.resolve("bin"));
    Files.createFile(
        jre.resolve("bin/java"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    Files.writeString(jre.resolve("release"), "JAVA_VERSION=\"17.0.9\"\n");

    assertThatThrownBy(
            () ->
                JlinkRuntime.builder()
                    .jdkHome(jre)
                    .cacheDirectory(tmp.resolve("cache"))
                    .build()
                    .create())
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining(jre.toRealPath().toString())
        .hasMessageContaining("no jlink")
        .hasMessageContaining("JRE")
        .hasMessageContaining("full JDK");
  }

  @Test
  void jdkWithoutJmodsIsRejectedWithAdvice() throws Exception {
    Path jdk = tmp.resolve("jdk");
    Files.createDirectories(jdk.resolve("bin"));
    Files.createFile(
        jdk.resolve("bin/jlink"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));

    assertThatThrownBy(() -> JlinkRuntime.builder().jdkHome(jdk).build().create())
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining("no jmods directory");
  }

  @Test
  void jdepsResultIsCachedByContent() {
    Path classes = TestJars.compile(Map.of("Main", USES_SQL_AND_LOGGING), tmp.resolve("classes"));
    Path jar = TestJars.jar(classes, tmp.resolve("app.jar"), Map.of("Main-Class", "Main"));
    RecordingBuildLog first = new RecordingBuildLog();
    RecordingBuildLog second = new RecordingBuildLog();

    Set<String> a = modules(List.of(jar), Set.of(), first);
    Set<String> b = modules(List.of(jar), Set.of(), second);

    assertThat(b).isEqualTo(a);
    assertThat(first.info()).noneMatch(l -> l.contains("analysis cached"));
    assertThat(second.info()).anyMatch(l -> l.contains("analysis cached"));
  }
}
