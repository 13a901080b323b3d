package io.k8sci.registry;

import io.k8sci.log.BuildLog;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Finds a registry's credential in the places a CI build and a developer's machine keep them, the
 * first match winning:
 *
 * <ol>
 *   <li>an explicit credential given for this registry (plugin configuration);
 *   <li>a {@code settings.xml} {@code <server>} whose id is the registry ({@code host[:port]}),
 *       handed in already decrypted by the Mojo;
 *   <li>{@code $CI_REGISTRY_USER}/{@code $CI_REGISTRY_PASSWORD} when the registry is {@code
 *       $CI_REGISTRY} (a GitLab job pushing to its project's registry needs no configuration);
 *   <li>Docker's {@code config.json} ({@code $DOCKER_CONFIG/config.json}, else {@code
 *       ~/.docker/config.json}): {@code credHelpers}, {@code auths}, {@code credsStore};
 *   <li>anonymous.
 * </ol>
 *
 * <p>{@link ResolvedCredential#source()} names the place, never the secret, so the build log can
 * say which credential was used. The environment and the home directory are injected so that tests
 * (and the Mojo, from Maven's view of the environment) decide what is read. Immutable and
 * thread-safe once built.
 */
public final class CredentialChain implements CredentialResolver {

  private final Map<String, Credential> explicit;
  private final Map<String, Credential> settingsServers;
  private final Map<String, String> environment;
  private final Path homeDirectory;
  private final BuildLog log;

  private CredentialChain(Builder builder) {
    this.explicit = Map.copyOf(builder.explicit);
    this.settingsServers = Map.copyOf(builder.settingsServers);
    this.environment = Map.copyOf(builder.environment);
    this.homeDirectory = builder.homeDirectory;
    this.log = builder.log;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Options of a {@link CredentialChain}; defaults read the real environment and home. */
  public static final class Builder {
    private final Map<String, Credential> explicit = new LinkedHashMap<>();
    private final Map<String, Credential> settingsServers = new LinkedHashMap<>();
    private Map<String, String> environment = System.getenv();
    private Path homeDirectory = Path.of(System.getProperty("user.home"));
    private BuildLog log = BuildLog.silent();

    private Builder() {}

    /** A credential given in the plugin configuration for images on {@code registry}. */
    public Builder explicit(String registry, Credential credential) {
      explicit.put(normalise(registry), Objects.requireNonNull(credential, "credential"));
      return this;
    }

    /**
     * The {@code settings.xml} servers, id → decrypted credential. Only ids that name a registry
     * ({@code host[:port]}) ever match; others are ignored.
     */
    public Builder settingsServers(Map<String, Credential> servers) {
      servers.forEach((id, credential) -> settingsServers.put(id, credential));
      return this;
    }

    /** The environment to read ($CI_REGISTRY*, $DOCKER_CONFIG, $PATH for credential helpers). */
    public Builder environment(Map<String, String> environment) {
      this.environment = Objects.requireNonNull(environment, "environment");
      return this;
    }

    /** The home directory holding {@code .docker/config.json}. */
    public Builder homeDirectory(Path homeDirectory) {
      this.homeDirectory = Objects.requireNonNull(homeDirectory, "homeDirectory");
      return this;
    }

    /** Where to write debug lines about the sources that did not match. */
    public Builder log(BuildLog log) {
      this.log = Objects.requireNonNull(log, "log");
      return this;
    }

    public CredentialChain build() {
      return new CredentialChain(this);
    }
  }

  @Override
  public ResolvedCredential resolve(String registryHost) {
    String registry = normalise(Objects.requireNonNull(registryHost, "registryHost"));

    Credential given = explicit.get(registry);
    if (given != null) {
      return ResolvedCredential.of(given, "explicit credential configured for " + registry);
    }

    Optional<Map.Entry<String, Credential>> server = settingsServer(registry);
    if (server.isPresent()) {
      return ResolvedCredential.of(
          server.get().getValue(), "settings.xml <server> '" + server.get().getKey() + "'");
    }
    log.debug("No settings.xml <server> with id '" + registry + "'");

    Optional<ResolvedCredential> gitlab = gitlabJobCredential(registry);
    if (gitlab.isPresent()) {
      return gitlab.get();
    }

    DockerConfigCredentials dockerConfig =
        new DockerConfigCredentials(dockerConfigFile(), environment);
    Optional<ResolvedCredential> fromDocker = dockerConfig.lookup(registry);
    if (fromDocker.isPresent()) {
      return fromDocker.get();
    }
    log.debug("No credential for " + registry + " in " + dockerConfig.configFile());

    return ResolvedCredential.anonymous();
  }

  /** {@code $DOCKER_CONFIG/config.json}, else {@code HOME/.docker/config.json}. */
  public Path dockerConfigFile() {
    String dockerConfig = environment.get("DOCKER_CONFIG");
    if (dockerConfig != null && !dockerConfig.isBlank()) {
      return Path.of(dockerConfig).resolve("config.json");
    }
    return homeDirectory.resolve(".docker").resolve("config.json");
  }

  private Optional<Map.Entry<String, Credential>> settingsServer(String registry) {
    for (Map.Entry<String, Credential> server : settingsServers.entrySet()) {
      if (sameRegistry(server.getKey(), registry)) {
        return Optional.of(server);
      }
    }
    return Optional.empty();
  }

  private Optional<ResolvedCredential> gitlabJobCredential(String registry) {
    String ciRegistry = environment.get("CI_REGISTRY");
    if (ciRegistry == null || ciRegistry.isBlank() || !sameRegistry(ciRegistry, registry)) {
      return Optional.empty();
    }
    String user = environment.get("CI_REGISTRY_USER");
    String password = environment.get("CI_REGISTRY_PASSWORD");
    if (user == null || user.isBlank() || password == null || password.isEmpty()) {
      log.debug(
          "$CI_REGISTRY is "
              + ciRegistry
              + " but $CI_REGISTRY_USER or $CI_REGISTRY_PASSWORD is not set; trying Docker config");
      return Optional.empty();
    }
    return Optional.of(
        ResolvedCredential.of(
            new Credential(user, password),
            "$CI_REGISTRY_USER/$CI_REGISTRY_PASSWORD (GitLab job token for $CI_REGISTRY "
                + ciRegistry.trim()
                + ")"));
  }

  private static boolean sameRegistry(String candidate, String registry) {
    return normalise(candidate).equals(registry);
  }

  /**
   * Host names compare case-insensitively; a scheme or trailing slash some users write in ids is
   * dropped; Docker Hub's aliases all become {@code docker.io}.
   */
  static String normalise(String registry) {
    String value = registry.trim().toLowerCase(Locale.ROOT);
    if (value.startsWith("https://")) {
      value = value.substring("https://".length());
    } else if (value.startsWith("http://")) {
      value = value.substring("http://".length());
    }
    int slash = value.indexOf('/');
    if (slash >= 0) {
      value = value.substring(0, slash);
    }
    return DockerConfigCredentials.isDockerHub(value) ? ImageReference.DOCKER_HUB : value;
  }

  @Override
  public String toString() {
    return "CredentialChain[explicit for "
        + explicit.keySet()
        + ", settings.xml servers "
        + settingsServers.keySet()
        + ", Docker config "
        + dockerConfigFile()
        + "]";
  }
}
