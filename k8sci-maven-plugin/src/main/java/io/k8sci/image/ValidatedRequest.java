package io.k8sci.image;

import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.Port;
import io.k8sci.K8sciException;
import io.k8sci.registry.ImageReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An {@link ImageBuildRequest} checked field by field, turned into the values Jib takes. All
 * problems are reported at once, each naming its field, before anything touches the network.
 */
final class ValidatedRequest {

  /** Jib's (and the Docker CLI's) name for Docker Hub's registry. */
  static final String DOCKER_HUB = "registry-1.docker.io";

  static final String DOCKER_REGISTRY_MIRROR = "DOCKER_REGISTRY_MIRROR";

  private static final Set<String> DOCKER_HUB_ALIASES =
      Set.of("docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com");
  private static final Pattern PORT =
      Pattern.compile("^(\\d{1,5})(?:-(\\d{1,5}))?(?:/(tcp|udp))?$");
  private static final Pattern ENV_NAME = Pattern.compile("^[A-Za-z_][A-Za-z0-9_]*$");
  private static final Pattern USER =
      Pattern.compile("^[A-Za-z0-9_.][A-Za-z0-9_.-]*(:[A-Za-z0-9_.][A-Za-z0-9_.-]*)?$");
  private static final Pattern MIRROR =
      Pattern.compile("^(?:https?://)?([A-Za-z0-9.-]+(?::\\d{1,5})?(?:/[A-Za-z0-9._-]+)*)/?$");
  private static final Pattern REGISTRY_HOST = Pattern.compile("^[A-Za-z0-9.-]+(?::\\d{1,5})?$");
  private static final Pattern JLINK_MODULE =
      Pattern.compile("^[A-Za-z][A-Za-z0-9_]*(\\.[A-Za-z][A-Za-z0-9_]*)*$");

  enum BaseKind {
    REGISTRY,
    SCRATCH,
    JLINK
  }

  final ImageBuildRequest request;
  final BaseKind baseKind;

  /** The base image, when {@link #baseKind} is {@link BaseKind#REGISTRY}. */
  final Optional<com.google.cloud.tools.jib.api.ImageReference> base;

  /** The image to push; empty: tar. */
  final Optional<com.google.cloud.tools.jib.api.ImageReference> target;

  /** The name written into the tar (tar output only). */
  final com.google.cloud.tools.jib.api.ImageReference tarName;

  final List<String> additionalTags;
  final AbsoluteUnixPath appRoot;
  final AbsoluteUnixPath workingDirectory;
  final Set<Port> ports;
  final Instant filesModificationTime;
  final Map<String, List<String>> registryMirrors;
  final List<String> notes;

  private ValidatedRequest(Builder b) {
    this.request = b.request;
    this.baseKind = b.baseKind;
    this.base = Optional.ofNullable(b.base);
    this.target = Optional.ofNullable(b.target);
    this.tarName = b.tarName;
    this.additionalTags = List.copyOf(b.additionalTags);
    this.appRoot = b.appRoot;
    this.workingDirectory = b.workingDirectory;
    this.ports = b.ports;
    this.filesModificationTime = b.filesModificationTime;
    this.registryMirrors = b.registryMirrors;
    this.notes = List.copyOf(b.notes);
  }

  /** The image named in logs and image.json: the target, or the tar's name. */
  com.google.cloud.tools.jib.api.ImageReference reference() {
    return target.orElse(tarName);
  }

  /**
   * Validates every field.
   *
   * @throws K8sciException listing every problem, each with its field
   */
  static ValidatedRequest of(ImageBuildRequest request) {
    Builder b = new Builder(request);
    List<String> problems = b.problems;

    // from
    String from = request.effectiveFrom();
    if (from.equalsIgnoreCase(ImageBuildRequest.SCRATCH)) {
      b.baseKind = BaseKind.SCRATCH;
    } else if (from.equalsIgnoreCase(ImageBuildRequest.JLINK)) {
      b.baseKind = BaseKind.JLINK;
    } else {
      b.baseKind = BaseKind.REGISTRY;
      ImageReference base = parseReference("from", from, problems);
      b.base = base == null ? null : base.toJib();
    }

    // to, tags: a reference without tag takes the first of tags (else latest)
    List<String> tags = new ArrayList<>();
    for (String tag : request.tags()) {
      try {
        ImageReference.validateTag(tag);
        if (!tags.contains(tag)) {
          tags.add(tag);
        }
      } catch (K8sciException | IllegalArgumentException e) {
        problems.add("tags: " + e.getMessage());
      }
    }
    if (request.to().isPresent()) {
      ImageReference to = parseReference("to", request.to().get(), problems);
      if (to != null && to.digest() != null) {
        problems.add(
            "to: "
                + request.to().get()
                + " names a digest; a pushed image is named by a tag (e.g."
                + " registry.example.com/group/app:1.0), its digest is computed.");
      } else if (to != null) {
        b.target = tagged(to, tags, b.additionalTags);
      }
    }
    String tarImageName = request.tarImageName().orElseGet(() -> defaultTarName(request.jar()));
    ImageReference tar = parseReference("tarImageName", tarImageName, problems);
    if (tar != null && tar.digest() != null) {
      problems.add("tarImageName: " + tarImageName + " must be named by a tag, not a digest.");
    } else if (tar != null && b.target == null) {
      b.tarName = tagged(tar, tags, b.additionalTags);
    } else if (tar != null) {
      b.tarName = tar.toJib();
    }

    // paths in the image
    b.appRoot = absoluteUnixPath("appRoot", request.appRoot(), problems);
    if (b.appRoot != null && b.appRoot.toString().equals("/")) {
      problems.add("appRoot: \"/\" would spread the application over the image's root; use /app.");
    }
    b.workingDirectory =
        request.workingDirectory().isPresent()
            ? absoluteUnixPath("workingDirectory", request.workingDirectory().get(), problems)
            : b.appRoot;

    // ports
    b.ports = new LinkedHashSet<>();
    for (String port : request.ports()) {
      Matcher m = PORT.matcher(port.strip());
      if (!m.matches()) {
        problems.add(
            "ports: \"" + port + "\" is not a port; use 8080, 8080/tcp, 9000/udp or 7000-7002.");
        continue;
      }
      int first = Integer.parseInt(m.group(1));
      int last = m.group(2) == null ? first : Integer.parseInt(m.group(2));
      if (first < 1 || last > 65535 || last < first) {
        problems.add("ports: \"" + port + "\" is out of the range 1-65535.");
        continue;
      }
      String protocol = m.group(3) == null ? "tcp" : m.group(3);
      for (int p = first; p <= last; p++) {
        b.ports.add(Port.parseProtocol(p, protocol));
      }
    }

    // environment, labels, user
    request
        .environment()
        .forEach(
            (name, value) -> {
              if (name == null || !ENV_NAME.matcher(name).matches()) {
                problems.add(
                    "environment: \""
                        + name
                        + "\" is not a variable name ([A-Za-z_][A-Za-z0-9_]*).");
              } else if (value == null) {
                problems.add("environment: " + name + " has no value.");
              }
            });
    request
        .labels()
        .forEach(
            (name, value) -> {
              if (name == null
                  || name.isBlank()
                  || name.chars().anyMatch(Character::isWhitespace)) {
                problems.add("labels: \"" + name + "\" is not a label key (no spaces).");
              } else if (value == null) {
                problems.add("labels: " + name + " has no value.");
              }
            });
    request
        .user()
        .ifPresent(
            user -> {
              if (!USER.matcher(user).matches()) {
                problems.add(
                    "user: \"" + user + "\" is not a user; use a name or uid, optionally :group.");
              }
            });
    for (String flag : request.jvmFlags()) {
      if (flag == null || flag.isBlank()) {
        problems.add("jvmFlags: contains an empty flag.");
      }
    }

    // times
    b.filesModificationTime =
        request.filesModificationTime().orElse(LayerPlan.DEFAULT_FILES_MODIFICATION_TIME);
    if (b.filesModificationTime.isBefore(Instant.EPOCH)) {
      problems.add(
          "filesModificationTime: " + b.filesModificationTime + " is before 1970-01-01T00:00:00Z.");
    }
    if (request.creationTime().isBefore(Instant.EPOCH)) {
      problems.add("creationTime: " + request.creationTime() + " is before 1970-01-01T00:00:00Z.");
    }

    // registries
    b.registryMirrors = mirrors(request, b.notes, problems);
    request
        .caCertificates()
        .ifPresent(
            ca -> {
              if (!Files.exists(ca) || !Files.isReadable(ca)) {
                problems.add(
                    "caCertificates: "
                        + ca
                        + " does not exist or is not readable; give the PEM file (or a directory"
                        + " of .pem/.crt files) of the registry's CA.");
              }
            });
    if (request.maxAttempts() < 1) {
      problems.add("maxAttempts: " + request.maxAttempts() + " must be at least 1.");
    }
    if (request.initialBackoff().isNegative()) {
      problems.add("initialBackoff: must not be negative.");
    }

    // jlink
    if (b.baseKind == BaseKind.JLINK) {
      Path jdk = request.jdkHome().orElse(Path.of(System.getProperty("java.home")));
      if (!Files.isRegularFile(jdk.resolve("bin").resolve("jlink"))) {
        problems.add(
            "jdkHome: "
                + jdk
                + " has no bin/jlink; from = jlink needs a JDK (not a JRE) of at least the"
                + " application's Java release.");
      }
    }
    for (String module : request.additionalJlinkModules()) {
      if (!JLINK_MODULE.matcher(module).matches()) {
        problems.add("additionalJlinkModules: \"" + module + "\" is not a module name.");
      }
    }

    if (!problems.isEmpty()) {
      throw new K8sciException(
          "The image configuration is invalid (nothing was built or pushed):\n  - "
              + String.join("\n  - ", problems));
    }
    return new ValidatedRequest(b);
  }

  private static ImageReference parseReference(
      String field, String reference, List<String> problems) {
    try {
      return ImageReference.parse(reference);
    } catch (K8sciException | IllegalArgumentException e) {
      problems.add(field + ": " + e.getMessage());
      return null;
    }
  }

  /**
   * The reference for Jib: with its own tag, the {@code tags} are additional; without one, the
   * first of {@code tags} is its tag (else {@code latest}) and the rest are additional.
   */
  private static com.google.cloud.tools.jib.api.ImageReference tagged(
      ImageReference reference, List<String> tags, List<String> additionalTags) {
    List<String> remaining = new ArrayList<>(tags);
    ImageReference withTag = reference;
    if (reference.tag() == null) {
      withTag = reference.withTag(remaining.isEmpty() ? "latest" : remaining.remove(0));
    }
    String tag = withTag.tag();
    remaining.stream().filter(t -> !t.equals(tag)).forEach(additionalTags::add);
    return withTag.toJib();
  }

  private static AbsoluteUnixPath absoluteUnixPath(
      String field, String path, List<String> problems) {
    if (path == null
        || !path.startsWith("/")
        || path.contains("\\")
        || path.contains("/../")
        || path.endsWith("/..")) {
      problems.add(field + ": \"" + path + "\" must be an absolute path in the image, e.g. /app.");
      return null;
    }
    return AbsoluteUnixPath.get(
        path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path);
  }

  /**
   * The tar's default name: the jar's file name without {@code .jar}, lower-cased, characters
   * outside {@code [a-z0-9._-]} replaced by {@code -}; no tag (the first of {@code tags}, else
   * {@code latest}).
   */
  static String defaultTarName(Path jar) {
    String name = jar.getFileName().toString();
    if (name.toLowerCase(Locale.ROOT).endsWith(".jar")) {
      name = name.substring(0, name.length() - 4);
    }
    name = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]", "-");
    name = name.replaceAll("^[._-]+", "").replaceAll("[._-]+$", "");
    return name.isEmpty() ? "app" : name;
  }

  /**
   * Normalizes the mirror configuration for Jib: registry names as Jib spells them ({@code
   * docker.io} becomes {@code registry-1.docker.io}), mirrors without a scheme. {@code
   * $DOCKER_REGISTRY_MIRROR} (as GitLab runners set it for Docker-in-Docker) becomes a mirror of
   * Docker Hub, unless the configuration names mirrors for Docker Hub already.
   */
  static Map<String, List<String>> mirrors(
      ImageBuildRequest request, List<String> notes, List<String> problems) {
    Map<String, List<String>> normalized = new LinkedHashMap<>();
    request
        .registryMirrors()
        .forEach(
            (registry, mirrors) -> {
              String key = registry == null ? "" : registry.strip().toLowerCase(Locale.ROOT);
              if (DOCKER_HUB_ALIASES.contains(key)) {
                key = DOCKER_HUB;
              }
              if (!REGISTRY_HOST.matcher(key).matches()) {
                problems.add(
                    "registryMirrors: \""
                        + registry
                        + "\" is not a registry host[:port] (e.g. docker.io).");
                return;
              }
              List<String> list = normalized.computeIfAbsent(key, k -> new ArrayList<>());
              for (String mirror : mirrors) {
                String m = mirror(mirror);
                if (m == null) {
                  problems.add(
                      "registryMirrors: mirror \""
                          + mirror
                          + "\" of "
                          + registry
                          + " is not host[:port][/path].");
                } else if (!list.contains(m)) {
                  list.add(m);
                }
              }
            });
    String fromEnvironment = request.systemEnvironment().get(DOCKER_REGISTRY_MIRROR);
    if (fromEnvironment != null && !fromEnvironment.isBlank()) {
      String m = mirror(fromEnvironment);
      if (m == null) {
        problems.add(
            "$"
                + DOCKER_REGISTRY_MIRROR
                + ": \""
                + fromEnvironment
                + "\" is not a registry mirror (host[:port], optionally with http(s)://).");
      } else if (normalized.containsKey(DOCKER_HUB)) {
        notes.add(
            "$"
                + DOCKER_REGISTRY_MIRROR
                + " is ignored: registryMirrors already configures mirrors of docker.io.");
      } else {
        normalized.put(DOCKER_HUB, List.of(m));
        notes.add("Using $" + DOCKER_REGISTRY_MIRROR + " " + m + " as a mirror of docker.io.");
      }
    }
    Map<String, List<String>> result = new LinkedHashMap<>();
    normalized.forEach((k, v) -> result.put(k, List.copyOf(v)));
    return java.util.Collections.unmodifiableMap(result);
  }

  private static String mirror(String mirror) {
    if (mirror == null) {
      return null;
    }
    Matcher m = MIRROR.matcher(mirror.strip());
    return m.matches() ? m.group(1) : null;
  }

  private static final class Builder {
    final ImageBuildRequest request;
    final List<String> problems = new ArrayList<>();
    final List<String> notes = new ArrayList<>();
    BaseKind baseKind;
    com.google.cloud.tools.jib.api.ImageReference base;
    com.google.cloud.tools.jib.api.ImageReference target;
    com.google.cloud.tools.jib.api.ImageReference tarName;
    final List<String> additionalTags = new ArrayList<>();
    AbsoluteUnixPath appRoot;
    AbsoluteUnixPath workingDirectory;
    Set<Port> ports;
    Instant filesModificationTime;
    Map<String, List<String>> registryMirrors;

    Builder(ImageBuildRequest request) {
      this.request = request;
    }
  }
}
