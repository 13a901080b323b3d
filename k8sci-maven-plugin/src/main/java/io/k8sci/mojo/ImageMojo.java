package io.k8sci.mojo;

import io.k8sci.K8sciException;
import io.k8sci.image.ImageBuildRequest;
import io.k8sci.image.ImageBuildResult;
import io.k8sci.image.ImageBuilder;
import io.k8sci.log.BuildLog;
import io.k8sci.registry.Credential;
import io.k8sci.registry.CredentialChain;
import io.k8sci.registry.ImageReference;
import java.io.File;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.maven.artifact.Artifact;
import org.apache.maven.execution.MavenSession;
import org.apache.maven.plugins.annotations.Component;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.plugins.annotations.ResolutionScope;
import org.apache.maven.project.MavenProject;
import org.apache.maven.settings.Server;
import org.apache.maven.settings.Settings;
import org.apache.maven.settings.building.SettingsProblem;
import org.apache.maven.settings.crypto.DefaultSettingsDecryptionRequest;
import org.apache.maven.settings.crypto.SettingsDecrypter;
import org.apache.maven.settings.crypto.SettingsDecryptionResult;

/**
 * Builds the project's image from its Spring Boot jar without a Docker daemon (Jib core), one layer
 * per Boot layer, and pushes it to the target repository — or, with no target registry, writes
 * {@code target/k8sci/image.tar}. Records the result in {@code target/k8sci/image.json} and {@code
 * image.env} for {@code k8sci:rollout} and GitLab's {@code dotenv} artifacts.
 */
@Mojo(
    name = "image",
    defaultPhase = LifecyclePhase.PACKAGE,
    requiresDependencyResolution = ResolutionScope.RUNTIME,
    threadSafe = true)
public class ImageMojo extends AbstractK8sciMojo {

  /** Skips this goal only. */
  @Parameter(property = "k8sci.image.skip", defaultValue = "false")
  boolean imageSkip;

  /**
   * The jar to containerize. Default: the project's main artifact (after {@code
   * spring-boot:repackage}), else {@code
   * ${project.build.directory}/${project.build.finalName}.jar}.
   */
  @Parameter(property = "k8sci.jar")
  File jar;

  /**
   * Base image: a reference (pinning by digest works), {@code jlink} (a Java runtime {@code
   * jlink}-ed from the JDK running the build, on an empty base: nothing to pull), or {@code
   * scratch}. Default: {@code eclipse-temurin:<maven.compiler.release>-jre}.
   */
  @Parameter(property = "k8sci.from")
  String from;

  /** User name for the base image's registry (overrides every other credential source). */
  @Parameter(property = "k8sci.from.username")
  String fromUsername;

  /**
   * Password for the base image's registry; prefer an environment variable, ${env.X}, over a
   * literal.
   */
  @Parameter(property = "k8sci.from.password")
  String fromPassword;

  /**
   * Target repository, {@code registry/group/project} (a tag here is used as the first tag).
   * Default: {@code $CI_REGISTRY_IMAGE}; with neither, the image is written to {@code
   * target/k8sci/image.tar}.
   */
  @Parameter(property = "k8sci.to")
  String to;

  /** User name for the target registry (overrides every other credential source). */
  @Parameter(property = "k8sci.to.username")
  String toUsername;

  /** Password for the target registry; prefer an environment variable, ${env.X}, over a literal. */
  @Parameter(property = "k8sci.to.password")
  String toPassword;

  /**
   * Tags to push (comma-separated on the command line). Default: {@code $IMAGE_VERSION}, else the
   * project version.
   */
  @Parameter(property = "k8sci.tags")
  List<String> tags;

  /**
   * Tags pushed in addition to {@code tags} or its default, e.g. the commit's short SHA and latest:
   * -Dk8sci.additionalTags=$CI_COMMIT_SHORT_SHA,latest
   */
  @Parameter(property = "k8sci.additionalTags")
  List<String> additionalTags;

  /** Where the exploded jar lives in the image. */
  @Parameter(property = "k8sci.appRoot", defaultValue = "/app")
  String appRoot;

  /** JVM flags placed before the launcher class, e.g. {@code -XX:MaxRAMPercentage=75}. */
  @Parameter(property = "k8sci.jvmFlags")
  List<String> jvmFlags;

  /** Program arguments after the launcher class. */
  @Parameter List<String> args;

  /** Environment variables of the container. */
  @Parameter Map<String, String> environment;

  /** Exposed ports: {@code 8080}, {@code 8080/tcp}, {@code 9000/udp}, {@code 7000-7002}. */
  @Parameter(property = "k8sci.ports")
  List<String> ports;

  /** Image labels. */
  @Parameter Map<String, String> labels;

  /** The user the container runs as ({@code name}, {@code uid}, {@code uid:gid}). */
  @Parameter(property = "k8sci.user")
  String user;

  /** The container's working directory; default: the app root. */
  @Parameter(property = "k8sci.workingDirectory")
  String workingDirectory;

  /**
   * The image's creation time: {@code EPOCH} (default, reproducible), {@code
   * USE_CURRENT_TIMESTAMP}, or an ISO-8601 instant.
   */
  @Parameter(property = "k8sci.creationTime", defaultValue = "EPOCH")
  String creationTime;

  /** File modification time in the layers; from {@code project.build.outputTimestamp} when set. */
  @Parameter(defaultValue = "${project.build.outputTimestamp}")
  String outputTimestamp;

  /** Registry mirrors for pulls of the base image (also {@code $DOCKER_REGISTRY_MIRROR}). */
  @Parameter List<RegistryMirror> registryMirrors;

  /** Allows plain http and unverified TLS for registries. Only for registries you control. */
  @Parameter(property = "k8sci.allowInsecureRegistries", defaultValue = "false")
  boolean allowInsecureRegistries;

  /** Sends credentials over plain http too (needs {@code allowInsecureRegistries}). */
  @Parameter(property = "k8sci.sendCredentialsOverHttp", defaultValue = "false")
  boolean sendCredentialsOverHttp;

  /**
   * A PEM file (or a directory of them) of CA certificates to trust for registries, in addition to
   * the JRE's, e.g. a self-signed Harbor's CA.
   */
  @Parameter(property = "k8sci.caCertificates")
  File caCertificates;

  /** Cache of base and application layers; point CI's cache here. */
  @Parameter(property = "k8sci.cacheDir", defaultValue = "${user.home}/.cache/k8sci")
  File cacheDir;

  /** Modules added to those {@code jdeps} finds, for {@code from = jlink}. */
  @Parameter(property = "k8sci.jlinkModules")
  List<String> jlinkModules;

  /** The Java release the application targets; picks the default base image. */
  @Parameter(defaultValue = "${maven.compiler.release}")
  String javaRelease;

  /** Where image.json, image.env and image.tar go. */
  @Parameter(defaultValue = "${project.build.directory}/k8sci", readonly = true)
  File outputDirectory;

  @Parameter(defaultValue = "${project}", readonly = true, required = true)
  MavenProject project;

  @Parameter(defaultValue = "${session}", readonly = true, required = true)
  MavenSession session;

  @Parameter(defaultValue = "${settings}", readonly = true, required = true)
  Settings settings;

  @Component SettingsDecrypter settingsDecrypter;

  @Override
  boolean skipGoal() {
    return imageSkip;
  }

  @Override
  void run(BuildLog log) {
    Map<String, String> env = environment();
    ImageBuildRequest.Builder request =
        ImageBuildRequest.builder()
            .jar(jarFile())
            .runtimeDependencies(runtimeDependencies())
            .javaRelease(javaRelease())
            .appRoot(appRoot)
            .jvmFlags(orEmpty(jvmFlags))
            .args(orEmpty(args))
            .environment(environment == null ? Map.of() : environment)
            .ports(orEmpty(ports))
            .labels(labels == null ? Map.of() : labels)
            .creationTime(parseCreationTime())
            .registryMirrors(mirrors())
            .allowInsecureRegistries(allowInsecureRegistries)
            .sendCredentialsOverHttp(sendCredentialsOverHttp)
            .outputDirectory(outputDirectory.toPath())
            .cacheDirectory(cacheDir.toPath())
            .systemEnvironment(env)
            .log(log);
    if (from != null && !from.isBlank()) {
      request.from(from.trim());
    }
    if (user != null && !user.isBlank()) {
      request.user(user);
    }
    if (workingDirectory != null && !workingDirectory.isBlank()) {
      request.workingDirectory(workingDirectory);
    }
    if (caCertificates != null) {
      request.caCertificates(caCertificates.toPath());
    }
    if (jlinkModules != null) {
      request.additionalJlinkModules(new LinkedHashSet<>(jlinkModules));
    }
    parseOutputTimestamp().ifPresent(request::filesModificationTime);

    Map<String, Credential> servers = settingsServers(log);
    Optional<String> target = firstNonBlank(to, env.get("CI_REGISTRY_IMAGE"));
    List<String> allTags = tags(env, target);
    if (target.isPresent()) {
      ImageReference repository = ImageReference.parse(target.get());
      String primary = allTags.get(0);
      request.to(repository.withTag(primary).toString());
      request.tags(allTags.subList(1, allTags.size()));
      request.targetCredentials(
          credentials(
              repository.registry(), toUsername, toPassword, "k8sci.to", servers, env, log));
    } else {
      log.info("No target registry (k8sci.to / $CI_REGISTRY_IMAGE): the image goes to a tar file.");
      request.tarImageName(project.getArtifactId().toLowerCase() + ":" + allTags.get(0));
    }
    String base = from == null || from.isBlank() ? null : from.trim();
    String baseRegistry = baseRegistry(base);
    request.baseCredentials(
        credentials(baseRegistry, fromUsername, fromPassword, "k8sci.from", servers, env, log));

    ImageBuildResult result = new ImageBuilder().build(request.build());
    log.debug("Image record: " + result.recordFile());
  }

  private Path jarFile() {
    if (jar != null) {
      return jar.toPath();
    }
    Artifact artifact = project.getArtifact();
    if (artifact != null && artifact.getFile() != null && artifact.getFile().isFile()) {
      return artifact.getFile().toPath();
    }
    return Path.of(project.getBuild().getDirectory(), project.getBuild().getFinalName() + ".jar");
  }

  private List<Path> runtimeDependencies() {
    List<Path> jars = new ArrayList<>();
    for (Artifact artifact : project.getArtifacts()) {
      if (artifact.getFile() != null
          && artifact.getArtifactHandler().isAddedToClasspath()
          && (Artifact.SCOPE_COMPILE.equals(artifact.getScope())
              || Artifact.SCOPE_RUNTIME.equals(artifact.getScope()))) {
        jars.add(artifact.getFile().toPath());
      }
    }
    return jars;
  }

  private int javaRelease() {
    if (javaRelease == null || javaRelease.isBlank()) {
      return ImageBuildRequest.DEFAULT_JAVA_RELEASE;
    }
    String value = javaRelease.trim();
    if (value.startsWith("1.")) {
      value = value.substring(2);
    }
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new K8sciException(
          "maven.compiler.release is '" + javaRelease + "': expected a Java release such as 17");
    }
  }

  private List<String> tags(Map<String, String> env, Optional<String> target) {
    List<String> result = new ArrayList<>();
    if (tags != null && !tags.isEmpty()) {
      tags.stream().map(String::trim).filter(t -> !t.isEmpty()).forEach(result::add);
    }
    if (result.isEmpty() && target.isPresent()) {
      String tagInTarget = ImageReference.parse(target.get()).tag();
      if (tagInTarget != null && target.get().endsWith(":" + tagInTarget)) {
        result.add(tagInTarget);
      }
    }
    if (result.isEmpty()) {
      result.add(firstNonBlank(env.get("IMAGE_VERSION"), null).orElse(project.getVersion()));
    }
    if (additionalTags != null) {
      additionalTags.stream().map(String::trim).filter(t -> !t.isEmpty()).forEach(result::add);
    }
    List<String> distinct = new ArrayList<>(new LinkedHashSet<>(result));
    distinct.forEach(ImageReference::validateTag);
    return distinct;
  }

  private static String baseRegistry(String base) {
    if (base == null
        || base.equals(ImageBuildRequest.JLINK)
        || base.equals(ImageBuildRequest.SCRATCH)) {
      return "docker.io";
    }
    return ImageReference.parse(base).registry();
  }

  private CredentialChain credentials(
      String registry,
      String username,
      String password,
      String property,
      Map<String, Credential> servers,
      Map<String, String> env,
      BuildLog log) {
    CredentialChain.Builder chain =
        CredentialChain.builder().settingsServers(servers).environment(env).log(log);
    boolean hasUser = username != null && !username.isBlank();
    boolean hasPassword = password != null && !password.isEmpty();
    if (hasUser != hasPassword) {
      throw new K8sciException(
          property
              + ".username and "
              + property
              + ".password must be given together (only "
              + (hasUser ? "the user name" : "the password")
              + " is set)");
    }
    if (hasUser) {
      chain.explicit(registry, new Credential(username, password));
    }
    return chain.build();
  }

  /** settings.xml servers with a user name, decrypted (Maven's encrypted passwords work). */
  private Map<String, Credential> settingsServers(BuildLog log) {
    Map<String, Credential> servers = new LinkedHashMap<>();
    if (settings == null) {
      return servers;
    }
    for (Server server : settings.getServers()) {
      if (server.getUsername() == null || server.getPassword() == null) {
        continue;
      }
      Server decrypted = server;
      if (settingsDecrypter != null) {
        SettingsDecryptionResult result =
            settingsDecrypter.decrypt(new DefaultSettingsDecryptionRequest(server));
        boolean failed = false;
        for (SettingsProblem problem : result.getProblems()) {
          if (problem.getSeverity() != SettingsProblem.Severity.WARNING) {
            // Only fatal for the registry that needs it: that push then fails naming its registry.
            log.warn(
                "Could not decrypt the password of settings.xml server '"
                    + server.getId()
                    + "' ("
                    + problem.getMessage()
                    + "); check ~/.m2/settings-security.xml. The server is ignored.");
            failed = true;
          }
        }
        if (failed) {
          continue;
        }
        if (result.getServer() != null) {
          decrypted = result.getServer();
        }
      }
      servers.put(server.getId(), new Credential(decrypted.getUsername(), decrypted.getPassword()));
    }
    return servers;
  }

  private Map<String, List<String>> mirrors() {
    Map<String, List<String>> result = new LinkedHashMap<>();
    if (registryMirrors != null) {
      for (RegistryMirror mirror : registryMirrors) {
        if (mirror.registry == null || mirror.registry.isBlank()) {
          throw new K8sciException("registryMirrors: every <registryMirror> needs a <registry>");
        }
        result
            .computeIfAbsent(mirror.registry.trim(), r -> new ArrayList<>())
            .addAll(mirror.mirrors);
      }
    }
    return result;
  }

  private Instant parseCreationTime() {
    String value = creationTime == null ? "EPOCH" : creationTime.trim();
    if (value.isEmpty() || value.equalsIgnoreCase("EPOCH")) {
      return Instant.EPOCH;
    }
    if (value.equalsIgnoreCase("USE_CURRENT_TIMESTAMP")) {
      return Instant.now();
    }
    try {
      return Instant.parse(value);
    } catch (DateTimeParseException e) {
      throw new K8sciException(
          "k8sci.creationTime is '"
              + value
              + "': expected EPOCH, USE_CURRENT_TIMESTAMP or an ISO-8601 instant such as"
              + " 2026-01-01T00:00:00Z");
    }
  }

  /**
   * {@code project.build.outputTimestamp}: ISO-8601 or seconds since the epoch, as Maven reads it.
   */
  private Optional<Instant> parseOutputTimestamp() {
    if (outputTimestamp == null || outputTimestamp.isBlank() || outputTimestamp.length() < 2) {
      return Optional.empty();
    }
    String value = outputTimestamp.trim();
    try {
      if (value.chars().allMatch(Character::isDigit)) {
        return Optional.of(Instant.ofEpochSecond(Long.parseLong(value)));
      }
      return Optional.of(java.time.OffsetDateTime.parse(value).toInstant());
    } catch (DateTimeParseException | NumberFormatException e) {
      throw new K8sciException(
          "project.build.outputTimestamp is '"
              + value
              + "': expected an ISO-8601 date-time such as 2026-01-01T00:00:00Z or seconds since"
              + " the epoch");
    }
  }

  private static List<String> orEmpty(List<String> list) {
    return list == null ? List.of() : list;
  }

  private static Optional<String> firstNonBlank(String first, String second) {
    if (first != null && !first.isBlank()) {
      return Optional.of(first.trim());
    }
    if (second != null && !second.isBlank()) {
      return Optional.of(second.trim());
    }
    return Optional.empty();
  }
}
