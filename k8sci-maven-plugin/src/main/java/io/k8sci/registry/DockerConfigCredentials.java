package io.k8sci.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.k8sci.K8sciException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Reads credentials the way {@code docker login} stores them: a {@code config.json} with {@code
 * auths} (base64 {@code auth}, or {@code username}/{@code password}, or {@code identitytoken}),
 * {@code credHelpers} (per-registry helper) and {@code credsStore} (default helper), the helpers
 * being {@code docker-credential-NAME} programs found on {@code PATH}.
 *
 * <p>Why our own reader rather than jib-core's {@code CredentialRetrieverFactory.dockerConfig}:
 * Jib's ignores {@code username}/{@code password} entries and identity tokens, and cannot say which
 * entry or helper answered; the build log must name the source. Key matching follows Jib and the
 * Docker CLI: exact host, {@code https://host}, {@code host/...} and {@code https://host/...}, with
 * Docker Hub's aliases ({@code https://index.docker.io/v1/} is where {@code docker login} stores
 * Docker Hub credentials).
 *
 * <p>Order within one file: a {@code credHelpers} entry for the registry, then an {@code auths}
 * entry holding credentials, then {@code credsStore}. (An {@code auths} entry that is an empty
 * object is only the marker {@code docker login} leaves next to a {@code credsStore}.)
 */
final class DockerConfigCredentials {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern HELPER_NAME = Pattern.compile("[A-Za-z0-9._-]+");
  private static final long HELPER_TIMEOUT_SECONDS = 30;
  private static final List<String> DOCKER_HUB_ALIASES =
      List.of("docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com");

  private final Path configFile;
  private final Map<String, String> environment;

  DockerConfigCredentials(Path configFile, Map<String, String> environment) {
    this.configFile = configFile;
    this.environment = environment;
  }

  Path configFile() {
    return configFile;
  }

  /** The credential for {@code registry}, or empty when the file does not exist or has none. */
  Optional<ResolvedCredential> lookup(String registry) {
    if (!Files.isRegularFile(configFile)) {
      return Optional.empty();
    }
    JsonNode root;
    try {
      root = JSON.readTree(configFile.toFile());
    } catch (JsonProcessingException e) {
      // Only the position: the parser's message may quote a token, which could be a secret.
      String where =
          e.getLocation() == null
              ? ""
              : " at line "
                  + e.getLocation().getLineNr()
                  + ", column "
                  + e.getLocation().getColumnNr();
      throw new K8sciException(
          "Docker config "
              + configFile
              + " is not valid JSON"
              + where
              + ". Fix or remove it, or set DOCKER_CONFIG to a directory with a valid config.json.");
    } catch (IOException e) {
      throw new K8sciException("Cannot read Docker config " + configFile + ": " + e, e);
    }
    if (root == null || !root.isObject()) {
      throw new K8sciException(
          "Docker config " + configFile + " is not a JSON object. Fix or remove it.");
    }

    List<String> aliases = aliases(registry);

    Optional<Map.Entry<String, JsonNode>> helperEntry = find(root.path("credHelpers"), aliases);
    if (helperEntry.isPresent()) {
      String helper = helperEntry.get().getValue().asText();
      return runHelper(helper, registry, "credHelpers");
    }

    Optional<Map.Entry<String, JsonNode>> auth =
        find(root.path("auths"), aliases, DockerConfigCredentials::holdsCredentials);
    if (auth.isPresent()) {
      String key = auth.get().getKey();
      return Optional.of(
          ResolvedCredential.of(
              fromAuthEntry(key, auth.get().getValue()),
              "Docker config " + configFile + " (auths entry '" + key + "')"));
    }

    JsonNode credsStore = root.get("credsStore");
    if (credsStore != null && credsStore.isTextual() && !credsStore.asText().isBlank()) {
      return runHelper(credsStore.asText(), registry, "credsStore");
    }
    return Optional.empty();
  }

  private static boolean holdsCredentials(JsonNode entry) {
    return entry.isObject()
        && (nonBlank(entry.get("auth"))
            || nonBlank(entry.get("identitytoken"))
            || (nonBlank(entry.get("username")) && entry.hasNonNull("password")));
  }

  private Credential fromAuthEntry(String key, JsonNode entry) {
    if (nonBlank(entry.get("identitytoken"))) {
      return new Credential(
          Credential.IDENTITY_TOKEN_USERNAME, entry.get("identitytoken").asText());
    }
    if (nonBlank(entry.get("auth"))) {
      String decoded;
      try {
        decoded =
            new String(
                Base64.getDecoder().decode(entry.get("auth").asText().trim()),
                StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new K8sciException(
            "Docker config "
                + configFile
                + ": auths entry '"
                + key
                + "' has an 'auth' value that is not base64. Run 'docker login "
                + key
                + "' again or fix the entry.");
      }
      int colon = decoded.indexOf(':');
      if (colon <= 0) {
        throw new K8sciException(
            "Docker config "
                + configFile
                + ": auths entry '"
                + key
                + "' has an 'auth' value that does not decode to 'username:password'. Run"
                + " 'docker login "
                + key
                + "' again or fix the entry.");
      }
      return new Credential(decoded.substring(0, colon), decoded.substring(colon + 1));
    }
    return new Credential(entry.get("username").asText(), entry.get("password").asText());
  }

  /**
   * Runs {@code docker-credential-NAME get} with the server URL on stdin, as the Docker CLI does.
   * "credentials not found" is not an error: the chain goes on to anonymous.
   */
  private Optional<ResolvedCredential> runHelper(String name, String registry, String field) {
    String program = "docker-credential-" + name;
    String source =
        "Docker credential helper " + program + " (" + field + " in " + configFile + ")";
    if (!HELPER_NAME.matcher(name).matches()) {
      throw new K8sciException(
          "Docker config "
              + configFile
              + ": "
              + field
              + " names an invalid helper '"
              + name
              + "'.");
    }
    Path executable =
        findOnPath(program)
            .orElseThrow(
                () ->
                    new K8sciException(
                        "Docker config "
                            + configFile
                            + " asks for the credential helper "
                            + program
                            + " ("
                            + field
                            + ") for "
                            + registry
                            + ", but it is not on the PATH. Install it, or remove '"
                            + field
                            + "' from the file, or give the credentials another way (settings.xml"
                            + " <server> with id '"
                            + registry
                            + "')."));
    String serverUrl = isDockerHub(registry) ? "https://index.docker.io/v1/" : registry;
    ProcessBuilder builder = new ProcessBuilder(executable.toString(), "get");
    builder.environment().clear();
    builder.environment().putAll(environment);
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new K8sciException("Cannot run " + executable + ": " + e.getMessage(), e);
    }
    try {
      CompletableFuture<byte[]> stdout = readAsync(process.getInputStream());
      CompletableFuture<byte[]> stderr = readAsync(process.getErrorStream());
      try (OutputStream in = process.getOutputStream()) {
        in.write(serverUrl.getBytes(StandardCharsets.UTF_8));
      } catch (IOException ignored) {
        // a helper may exit without reading stdin; its exit code tells
      }
      if (!process.waitFor(HELPER_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new K8sciException(
            program + " did not answer within " + HELPER_TIMEOUT_SECONDS + " s for " + registry);
      }
      String out = new String(stdout.join(), StandardCharsets.UTF_8);
      String err = new String(stderr.join(), StandardCharsets.UTF_8);
      if (process.exitValue() != 0) {
        if ((out + err).toLowerCase(Locale.ROOT).contains("credentials not found")) {
          return Optional.empty();
        }
        throw new K8sciException(
            program
                + " failed for "
                + registry
                + " (exit code "
                + process.exitValue()
                + "): "
                + firstLine(err.isBlank() ? out : err));
      }
      JsonNode answer;
      try {
        answer = JSON.readTree(out);
      } catch (IOException e) {
        throw new K8sciException(program + " printed no JSON for " + registry + ".");
      }
      if (answer == null || !nonBlank(answer.get("Secret"))) {
        return Optional.empty();
      }
      String username = answer.path("Username").asText("");
      return Optional.of(
          ResolvedCredential.of(new Credential(username, answer.get("Secret").asText()), source));
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new K8sciException("Interrupted while running " + program, e);
    }
  }

  private Optional<Path> findOnPath(String program) {
    String path = environment.get("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String directory : path.split(File.pathSeparator)) {
      if (directory.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(directory, program);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  private static CompletableFuture<byte[]> readAsync(InputStream stream) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (stream) {
            return stream.readAllBytes();
          } catch (IOException e) {
            return new byte[0];
          }
        });
  }

  private static String firstLine(String text) {
    String line = text.strip().lines().findFirst().orElse("(no output)");
    return line.length() > 300 ? line.substring(0, 300) + "..." : line;
  }

  static boolean isDockerHub(String registry) {
    return DOCKER_HUB_ALIASES.contains(registry);
  }

  private static List<String> aliases(String registry) {
    if (isDockerHub(registry)) {
      List<String> aliases = new ArrayList<>(DOCKER_HUB_ALIASES);
      aliases.remove(registry);
      aliases.add(0, registry);
      return aliases;
    }
    return List.of(registry);
  }

  private static Optional<Map.Entry<String, JsonNode>> find(JsonNode object, List<String> aliases) {
    return find(object, aliases, entry -> true);
  }

  /**
   * The first entry whose key (case-insensitively) names one of the aliases, which are lowercase:
   * per alias, exact, then {@code https://} or {@code http://} + alias, then alias + {@code /...},
   * then scheme + alias + {@code /...}.
   */
  private static Optional<Map.Entry<String, JsonNode>> find(
      JsonNode object, List<String> aliases, Predicate<JsonNode> usable) {
    if (object == null || !object.isObject()) {
      return Optional.empty();
    }
    for (String alias : aliases) {
      List<Predicate<String>> matchers =
          List.of(
              alias::equals,
              key -> key.equals("https://" + alias) || key.equals("http://" + alias),
              key -> key.startsWith(alias + "/"),
              key ->
                  key.startsWith("https://" + alias + "/")
                      || key.startsWith("http://" + alias + "/"));
      for (Predicate<String> matcher : matchers) {
        Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
        while (fields.hasNext()) {
          Map.Entry<String, JsonNode> field = fields.next();
          String key = field.getKey().trim().toLowerCase(Locale.ROOT);
          if (matcher.test(key) && usable.test(field.getValue())) {
            return Optional.of(field);
          }
        }
      }
    }
    return Optional.empty();
  }

  private static boolean nonBlank(JsonNode node) {
    return node != null && node.isTextual() && !node.asText().isBlank();
  }
}
