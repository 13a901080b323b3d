package io.k8sci.registry;

import io.k8sci.K8sciException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * An image reference ({@code registry/repository[:tag][@digest]}) validated against the grammar of
 * the CNCF distribution project before any network call, so that a typo or an unexpanded CI
 * variable fails the build with a message that says what to fix instead of a registry's terse
 * {@code NAME_INVALID} after the layers were pushed.
 *
 * <p>Normalisation follows {@code docker}/distribution ({@code ParseNormalizedNamed}): the first
 * path component is the registry when it contains a {@code .} or a {@code :}, is {@code localhost},
 * or has an uppercase letter; otherwise the image lives on Docker Hub, registry {@code docker.io},
 * and a single-component repository gets the {@code library/} prefix ({@code
 * eclipse-temurin:17-jre} is {@code docker.io/library/eclipse-temurin:17-jre}). {@code
 * index.docker.io} and {@code registry-1.docker.io} are normalised to {@code docker.io}; {@link
 * #toJib()} maps it back to the host Jib talks to.
 *
 * @param registry host with optional port, e.g. {@code registry.example.com:5000}; never null
 * @param repository lowercase path, e.g. {@code group/project/app}; never null
 * @param tag the tag, or null when the reference has none (see {@link #tagOrLatest()})
 * @param digest {@code sha256:<64 hex>}, or null
 */
public record ImageReference(String registry, String repository, String tag, String digest) {

  /** Docker Hub's canonical registry name, as distribution and docker name it. */
  public static final String DOCKER_HUB = "docker.io";

  /** Longest full name ({@code registry/repository}) the distribution grammar allows. */
  public static final int NAME_TOTAL_LENGTH_MAX = 255;

  /** Longest tag the distribution grammar allows. */
  public static final int TAG_LENGTH_MAX = 128;

  private static final Pattern DOMAIN_COMPONENT =
      Pattern.compile("[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]");
  private static final Pattern PORT = Pattern.compile("[0-9]+");
  private static final Pattern PATH_COMPONENT =
      Pattern.compile("[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*");
  private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
  private static final Pattern DIGEST = Pattern.compile("sha256:[a-f0-9]{64}");

  /** Validates the parts; {@link #parse(String)} is the usual way in. */
  public ImageReference {
    String shown = format(registry, repository, tag, digest);
    validateRegistry(shown, registry);
    validateRepository(shown, registry, repository);
    if (tag != null) {
      validateTag(shown, tag);
    }
    if (digest != null) {
      validateDigest(shown, digest);
    }
  }

  /**
   * Parses and validates a reference such as {@code registry.example.com:5000/team/app:1.0}, {@code
   * localhost/app@sha256:...} or {@code eclipse-temurin:17-jre}.
   *
   * @throws K8sciException naming the input, the rule it breaks, and what to do
   */
  public static ImageReference parse(String reference) {
    if (reference == null || reference.isBlank()) {
      throw invalid(
          String.valueOf(reference),
          "it is empty",
          "set the image name, e.g. registry.example.com/team/app:1.0; if it comes from a CI"
              + " variable, check that the variable is set in this job");
    }
    if (reference.contains("$")) {
      throw invalid(
          reference,
          "it contains '$', which looks like a variable that was not expanded",
          "check that the variable is defined for this job, or use Maven's ${env.NAME} syntax");
    }
    if (!reference.equals(reference.strip())
        || reference.chars().anyMatch(Character::isWhitespace)) {
      throw invalid(reference, "it contains whitespace", "remove the spaces or line breaks");
    }
    if (reference.contains("://")) {
      throw invalid(
          reference,
          "an image reference has no URL scheme",
          "remove '" + reference.substring(0, reference.indexOf("://") + 3) + "'");
    }

    String remainder = reference;
    String digest = null;
    int at = remainder.indexOf('@');
    if (at >= 0) {
      digest = remainder.substring(at + 1);
      remainder = remainder.substring(0, at);
      validateDigest(reference, digest);
    }

    // Split off the registry: distribution's rule (splitDockerDomain).
    String registry;
    String path;
    int slash = remainder.indexOf('/');
    String first = slash < 0 ? null : remainder.substring(0, slash);
    if (first != null
        && (first.contains(".")
            || first.contains(":")
            || first.equals("localhost")
            || !first.equals(first.toLowerCase(Locale.ROOT)))) {
      registry = first;
      path = remainder.substring(slash + 1);
    } else {
      registry = DOCKER_HUB;
      path = remainder;
    }
    if (first != null
        && registry.equals(first)
        && !first.contains(".")
        && !first.contains(":")
        && !first.equals("localhost")) {
      // Distribution would take "Group/app" as registry host "Group"; that is almost always an
      // uppercase repository by mistake, so say so instead of trying to reach host "Group".
      throw invalid(
          reference,
          "\""
              + first
              + "\" has uppercase letters, so it would be taken as a registry host; repositories"
              + " are lowercase",
          "use \""
              + lowercaseName(remainder)
              + "\", or name the registry with a '.' or a port (e.g. my-registry:5000/...)");
    }

    // The tag follows the first ':' of the path (the registry's port colon is already gone); a
    // '/' or ':' after it is reported by the tag rules, with the $CI_COMMIT_REF_SLUG hint.
    String tag = null;
    int colon = path.indexOf(':');
    if (colon >= 0) {
      tag = path.substring(colon + 1);
      path = path.substring(0, colon);
    }

    registry = normaliseRegistry(registry);
    if (registry.equals(DOCKER_HUB) && !path.contains("/") && !path.isEmpty()) {
      path = "library/" + path;
    }
    validateRegistry(reference, registry);
    validateRepository(reference, registry, path);
    if (tag != null) {
      validateTag(reference, tag);
    }
    return new ImageReference(registry, path, tag, digest);
  }

  /**
   * Validates a tag on its own ({@code [\w][\w.-]{0,127}}), e.g. one of the additional tags.
   *
   * @return the tag
   * @throws K8sciException naming the tag, the rule it breaks and what to do
   */
  public static String validateTag(String tag) {
    validateTag(null, tag);
    return tag;
  }

  /** True if {@code tag} is a valid tag (no exception, for callers that decide themselves). */
  public static boolean isValidTag(String tag) {
    return tag != null && TAG.matcher(tag).matches();
  }

  public ImageReference withTag(String newTag) {
    return new ImageReference(registry, repository, newTag, null);
  }

  public ImageReference withDigest(String newDigest) {
    return new ImageReference(registry, repository, tag, newDigest);
  }

  /** {@code registry/repository} with neither tag nor digest. */
  public String repositoryReference() {
    return registry + "/" + repository;
  }

  /** The tag, or {@code latest} when the reference names neither tag nor digest. */
  public String tagOrLatest() {
    return tag != null ? tag : "latest";
  }

  /** Whether the image lives on Docker Hub. */
  public boolean isDockerHub() {
    return registry.equals(DOCKER_HUB);
  }

  /**
   * The same reference for jib-core. Its parser differs from distribution's on a few inputs (it
   * takes {@code UPPER/app} as a Docker Hub repository), so the image builder must convert from
   * this type rather than re-parse the string.
   */
  public com.google.cloud.tools.jib.api.ImageReference toJib() {
    return com.google.cloud.tools.jib.api.ImageReference.of(registry, repository, tag, digest);
  }

  /** The full reference, {@code registry/repository[:tag][@digest]}. */
  @Override
  public String toString() {
    return format(registry, repository, tag, digest);
  }

  private static String format(String registry, String repository, String tag, String digest) {
    StringBuilder text = new StringBuilder();
    text.append(registry).append('/').append(repository);
    if (tag != null) {
      text.append(':').append(tag);
    }
    if (digest != null) {
      text.append('@').append(digest);
    }
    return text.toString();
  }

  private static final String SLASH_HINT =
      "tags may contain only letters, digits, '_', '.' and '-'; a branch name such as"
          + " $CI_COMMIT_REF_NAME can contain '/': use $CI_COMMIT_REF_SLUG instead";

  private static String normaliseRegistry(String registry) {
    if (registry.equals("index.docker.io") || registry.equals("registry-1.docker.io")) {
      return DOCKER_HUB;
    }
    return registry;
  }

  private static void validateRegistry(String input, String registry) {
    if (registry == null || registry.isEmpty()) {
      throw invalid(input, "the registry is empty", "write it as host[:port]");
    }
    String host = registry;
    int colon = registry.lastIndexOf(':');
    if (colon >= 0) {
      String port = registry.substring(colon + 1);
      host = registry.substring(0, colon);
      if (!PORT.matcher(port).matches()) {
        throw invalid(
            input,
            "the registry \"" + registry + "\" has a port \"" + port + "\" that is not a number",
            "write the registry as host[:port], e.g. registry.example.com:5000; if the ':' was"
                + " meant to start a tag, the tag cannot contain '/' (use $CI_COMMIT_REF_SLUG"
                + " rather than $CI_COMMIT_REF_NAME)");
      }
    }
    if (host.startsWith("[")) {
      throw invalid(
          input, "IPv6 registry addresses are not supported", "use a host name for the registry");
    }
    for (String component : host.split("\\.", -1)) {
      if (!DOMAIN_COMPONENT.matcher(component).matches()) {
        throw invalid(
            input,
            "the registry host \""
                + host
                + "\" is not a valid host name (each dot-separated part holds only letters,"
                + " digits and inner '-')",
            "check the registry part of the reference");
      }
    }
  }

  private static void validateRepository(String input, String registry, String repository) {
    if (repository == null || repository.isEmpty()) {
      throw invalid(input, "the repository is empty", "name the repository, e.g. team/app");
    }
    if (!repository.equals(repository.toLowerCase(Locale.ROOT))) {
      throw invalid(
          input,
          "the repository \"" + repository + "\" has uppercase letters; repositories are lowercase",
          "use \""
              + repository.toLowerCase(Locale.ROOT)
              + "\" (in GitLab CI, $CI_REGISTRY_IMAGE is already lowercase while $CI_PROJECT_PATH"
              + " may not be)");
    }
    for (String component : repository.split("/", -1)) {
      if (component.isEmpty()) {
        throw invalid(
            input,
            "the repository \""
                + repository
                + "\" has an empty path component ('//' or a"
                + " leading or trailing '/')",
            "remove the extra '/'");
      }
      if (!PATH_COMPONENT.matcher(component).matches()) {
        throw invalid(
            input,
            "the repository path component \""
                + component
                + "\" is invalid: components are lowercase letters and digits, separated by one"
                + " '.', one or two '_', or dashes, and start and end with a letter or digit",
            "rename it, e.g. \"" + suggestComponent(component) + "\"");
      }
    }
    int nameLength = registry.length() + 1 + repository.length();
    if (nameLength > NAME_TOTAL_LENGTH_MAX) {
      throw invalid(
          input,
          "the name \""
              + registry
              + "/"
              + repository
              + "\" is "
              + nameLength
              + " characters long; the limit is "
              + NAME_TOTAL_LENGTH_MAX,
          "shorten the repository path");
    }
  }

  private static void validateTag(String input, String tag) {
    if (tag == null || tag.isEmpty()) {
      throw invalidTag(
          input,
          tag,
          "the tag is empty",
          "remove the ':' or set a tag; if it comes from a CI variable, check that it is set in"
              + " this job (e.g. $CI_COMMIT_SHORT_SHA)");
    }
    if (tag.contains("$")) {
      throw invalidTag(
          input,
          tag,
          "the tag contains '$', which looks like a variable that was not expanded",
          "check that the variable is defined for this job");
    }
    if (tag.contains("/")) {
      throw invalidTag(input, tag, "the tag contains '/', which tags cannot", SLASH_HINT);
    }
    if (tag.length() > TAG_LENGTH_MAX) {
      throw invalidTag(
          input,
          tag,
          "the tag is " + tag.length() + " characters long; the limit is " + TAG_LENGTH_MAX,
          "shorten it, e.g. use $CI_COMMIT_SHORT_SHA or $CI_COMMIT_REF_SLUG (at most 63"
              + " characters)");
    }
    if (tag.startsWith(".") || tag.startsWith("-")) {
      throw invalidTag(
          input,
          tag,
          "the tag starts with '" + tag.charAt(0) + "'; a tag starts with a letter, digit or '_'",
          "remove the leading '" + tag.charAt(0) + "'");
    }
    if (!TAG.matcher(tag).matches()) {
      throw invalidTag(
          input,
          tag,
          "the tag has characters other than letters, digits, '_', '.' and '-'",
          "replace them, e.g. \"" + tag.replaceAll("[^\\w.-]", "-") + "\"");
    }
  }

  private static void validateDigest(String input, String digest) {
    if (!DIGEST.matcher(digest).matches()) {
      throw invalid(
          input,
          "the digest \""
              + digest
              + "\" is not 'sha256:' followed by 64 lowercase hexadecimal characters",
          "copy the digest exactly as the registry reports it, e.g. from target/k8sci/image.json");
    }
  }

  private static K8sciException invalidTag(String input, String tag, String rule, String hint) {
    if (input == null) {
      return new K8sciException(
          "Invalid image tag \"" + tag + "\": " + rule + ". Hint: " + hint + ".");
    }
    return invalid(input, rule, hint);
  }

  private static K8sciException invalid(String input, String rule, String hint) {
    return new K8sciException(
        "Invalid image reference \"" + input + "\": " + rule + ". Hint: " + hint + ".");
  }

  /** Lowercases the name part of {@code name[:tag]}, keeping the tag as written. */
  private static String lowercaseName(String nameAndTag) {
    int colon = nameAndTag.indexOf(':');
    return colon < 0
        ? nameAndTag.toLowerCase(Locale.ROOT)
        : nameAndTag.substring(0, colon).toLowerCase(Locale.ROOT) + nameAndTag.substring(colon);
  }

  private static String suggestComponent(String component) {
    String lower = component.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]", "-");
    lower = lower.replaceAll("^[._-]+", "").replaceAll("[._-]+$", "");
    lower = lower.replaceAll("\\.{2,}", ".").replaceAll("_{3,}", "__");
    lower = lower.replaceAll("[._-]*-[._-]*", "-").replaceAll("[._]{2,}", "_");
    return lower.isEmpty() ? "app" : lower;
  }
}
