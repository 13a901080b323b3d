package io.k8sci.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.k8sci.K8sciException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CredentialChainTest {

  static final String REGISTRY = "registry.example.com:5000";

  @TempDir Path temp;
  Path home;
  Map<String, String> env;

  @BeforeEach
  void setUp() throws IOException {
    home = Files.createDirectories(temp.resolve("home"));
    env = new HashMap<>();
    env.put("PATH", Files.createDirectories(temp.resolve("bin")).toString());
  }

  CredentialChain.Builder chain() {
    return CredentialChain.builder().environment(env).homeDirectory(home);
  }

  // ---- precedence -------------------------------------------------------------------------

  @Test
  void explicitCredentialWinsOverEverything() throws IOException {
    everySourceHasACredentialFor(REGISTRY);

    ResolvedCredential resolved =
        chain()
            .explicit(REGISTRY, new Credential("explicit-user", "explicit-pw"))
            .settingsServers(Map.of(REGISTRY, new Credential("settings-user", "settings-pw")))
            .build()
            .resolve(REGISTRY);

    assertThat(resolved.credential()).contains(new Credential("explicit-user", "explicit-pw"));
    assertThat(resolved.source()).isEqualTo("explicit credential configured for " + REGISTRY);
  }

  @Test
  void settingsServerWinsOverGitlabAndDockerConfig() throws IOException {
    everySourceHasACredentialFor(REGISTRY);

    ResolvedCredential resolved =
        chain()
            .explicit("other.example.com", new Credential("explicit-user", "explicit-pw"))
            .settingsServers(
                Map.of(
                    "other-server",
                    new Credential("x", "y"),
                    REGISTRY,
                    new Credential("settings-user", "settings-pw")))
            .build()
            .resolve(REGISTRY);

    assertThat(resolved.credential()).contains(new Credential("settings-user", "settings-pw"));
    assertThat(resolved.source()).isEqualTo("settings.xml <server> '" + REGISTRY + "'");
  }

  @Test
  void gitlabJobTokenWinsOverDockerConfigWhenTheRegistryIsCiRegistry() throws IOException {
    everySourceHasACredentialFor(REGISTRY);

    ResolvedCredential resolved = chain().build().resolve(REGISTRY);

    assertThat(resolved.credential()).contains(new Credential("gitlab-ci-token", "job-token"));
    assertThat(resolved.source()).startsWith("$CI_REGISTRY_USER/$CI_REGISTRY_PASSWORD");
  }

  @Test
  void dockerConfigIsUsedWhenNothingElseMatches() throws IOException {
    everySourceHasACredentialFor(REGISTRY);
    env.put("CI_REGISTRY", "registry.gitlab.com");

    ResolvedCredential resolved = chain().build().resolve(REGISTRY);

    assertThat(resolved.credential()).contains(new Credential("docker-user", "docker-pw"));
    assertThat(resolved.source())
        .isEqualTo(
            "Docker config "
                + home.resolve(".docker/config.json")
                + " (auths entry '"
                + REGISTRY
                + "')");
  }

  @Test
  void anonymousWhenNoSourceKnowsTheRegistry() throws IOException {
    everySourceHasACredentialFor(REGISTRY);

    ResolvedCredential resolved =
        chain()
            .settingsServers(Map.of(REGISTRY, new Credential("u", "p")))
            .build()
            .resolve("elsewhere.example.com");

    assertThat(resolved.isAnonymous()).isTrue();
    assertThat(resolved.source()).isEqualTo("anonymous");
  }

  private void everySourceHasACredentialFor(String registry) throws IOException {
    env.put("CI_REGISTRY", registry);
    env.put("CI_REGISTRY_USER", "gitlab-ci-token");
    env.put("CI_REGISTRY_PASSWORD", "job-token");
    writeDockerConfig(
        home.resolve(".docker"),
        "{\"auths\":{\""
            + registry
            + "\":{\"auth\":\""
            + base64("docker-user:docker-pw")
            + "\"}}}");
  }

  // ---- settings.xml and GitLab matching ----------------------------------------------------

  @ParameterizedTest
  @CsvSource({
    "registry.example.com:5000, registry.example.com:5000, true",
    "Registry.Example.COM:5000, registry.example.com:5000, true",
    "https://registry.example.com:5000/, registry.example.com:5000, true",
    "registry.example.com, registry.example.com:5000, false",
    "registry.example.com:5001, registry.example.com:5000, false",
    "docker.io, index.docker.io, true",
    "index.docker.io, docker.io, true",
    "registry-1.docker.io, docker.io, true",
    "my-nexus, registry.example.com:5000, false",
  })
  void settingsServerIdMustNameTheRegistry(String serverId, String registry, boolean matches) {
    ResolvedCredential resolved =
        chain()
            .settingsServers(Map.of(serverId, new Credential("u", "p")))
            .build()
            .resolve(registry);

    assertThat(resolved.isAnonymous()).isEqualTo(!matches);
  }

  @Test
  void gitlabVariablesAreIgnoredWhenIncomplete() throws IOException {
    env.put("CI_REGISTRY", REGISTRY);
    env.put("CI_REGISTRY_USER", "gitlab-ci-token");
    writeDockerConfig(
        home.resolve(".docker"),
        "{\"auths\":{\"" + REGISTRY + "\":{\"username\":\"d\",\"password\":\"dp\"}}}");

    ResolvedCredential resolved = chain().build().resolve(REGISTRY);

    assertThat(resolved.credential()).contains(new Credential("d", "dp"));
  }

  @Test
  void gitlabVariablesApplyOnlyToCiRegistry() {
    env.put("CI_REGISTRY", "registry.gitlab.com");
    env.put("CI_REGISTRY_USER", "gitlab-ci-token");
    env.put("CI_REGISTRY_PASSWORD", "job-token");

    assertThat(chain().build().resolve("registry.gitlab.com").credential())
        .contains(new Credential("gitlab-ci-token", "job-token"));
    assertThat(chain().build().resolve("ghcr.io").isAnonymous()).isTrue();
  }

  // ---- Docker config ----------------------------------------------------------------------

  @Test
  void dockerConfigEnvironmentVariableWinsOverHome() throws IOException {
    Path custom = temp.resolve("custom-docker");
    writeDockerConfig(custom, auths("ghcr.io", "{\"auth\":\"" + base64("custom:c-pw") + "\"}"));
    writeDockerConfig(
        home.resolve(".docker"), auths("ghcr.io", "{\"auth\":\"" + base64("home:h-pw") + "\"}"));
    env.put("DOCKER_CONFIG", custom.toString());

    ResolvedCredential resolved = chain().build().resolve("ghcr.io");

    assertThat(resolved.credential()).contains(new Credential("custom", "c-pw"));
    assertThat(resolved.source()).contains(custom.resolve("config.json").toString());
  }

  @ParameterizedTest(name = "{0} for {1}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          https://index.docker.io/v1/         | docker.io
          index.docker.io                     | docker.io
          https://registry.example.com/v1/    | registry.example.com
          http://registry.example.com         | registry.example.com
          Registry.Example.com                | registry.example.com
          registry.example.com:5000/some/path | registry.example.com:5000
          """)
  void dockerConfigKeysMatchTheWayDockerWritesThem(String key, String registry) throws IOException {
    writeDockerConfig(
        home.resolve(".docker"), auths(key, "{\"auth\":\"" + base64("u:p:with:colons") + "\"}"));

    ResolvedCredential resolved = chain().build().resolve(registry);

    assertThat(resolved.credential()).contains(new Credential("u", "p:with:colons"));
    assertThat(resolved.source()).contains("auths entry '" + key + "'");
  }

  @Test
  void dockerConfigKeysForOtherRegistriesDoNotMatch() throws IOException {
    writeDockerConfig(
        home.resolve(".docker"),
        "{\"auths\":{\"registry.example.com.evil.io\":{\"auth\":\""
            + base64("u:p")
            + "\"},\"registry.example.com:5001\":{\"auth\":\""
            + base64("u:p")
            + "\"}}}");

    assertThat(chain().build().resolve("registry.example.com").isAnonymous()).isTrue();
    assertThat(chain().build().resolve("registry.example.com:5000").isAnonymous()).isTrue();
  }

  @Test
  void identityTokenBecomesATokenCredential() throws IOException {
    writeDockerConfig(
        home.resolve(".docker"),
        auths("myacr.azurecr.io", "{\"identitytoken\":\"refresh-token\"}"));

    ResolvedCredential resolved = chain().build().resolve("myacr.azurecr.io");

    assertThat(resolved.credential()).contains(new Credential("<token>", "refresh-token"));
  }

  @Test
  void credHelpersEntryRunsTheHelperWithTheRegistryOnStdin() throws IOException {
    fakeHelper("fake");
    writeDockerConfig(
        home.resolve(".docker"),
        "{\"auths\":{\"registry.example.com\":{\"auth\":\""
            + base64("stale:stale")
            + "\"}},\"credHelpers\":{\"registry.example.com\":\"fake\"}}");

    ResolvedCredential resolved = chain().build().resolve("registry.example.com");

    assertThat(resolved.credential()).contains(new Credential("helper-user", "helper-secret"));
    assertThat(resolved.source())
        .startsWith("Docker credential helper docker-credential-fake (credHelpers in ");
  }

  @Test
  void credsStoreIsUsedWhenAuthsHoldsOnlyTheLoginMarker() throws IOException {
    fakeHelper("desktop");
    writeDockerConfig(
        home.resolve(".docker"),
        "{\"auths\":{\"https://index.docker.io/v1/\":{}},\"credsStore\":\"desktop\"}");

    ResolvedCredential resolved = chain().build().resolve("docker.io");

    assertThat(resolved.credential()).contains(new Credential("hub-user", "hub-secret"));
    assertThat(resolved.source()).contains("docker-credential-desktop (credsStore in ");
  }

  @Test
  void helperThatHasNoCredentialMeansAnonymous() throws IOException {
    fakeHelper("desktop");
    writeDockerConfig(home.resolve(".docker"), "{\"credsStore\":\"desktop\"}");

    assertThat(chain().build().resolve("unknown.example.com").isAnonymous()).isTrue();
  }

  @Test
  void missingHelperIsAnErrorNamingTheHelperAndTheFile() throws IOException {
    writeDockerConfig(home.resolve(".docker"), "{\"credHelpers\":{\"ghcr.io\":\"absent\"}}");

    assertThatThrownBy(() -> chain().build().resolve("ghcr.io"))
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining("docker-credential-absent")
        .hasMessageContaining(home.resolve(".docker/config.json").toString())
        .hasMessageContaining("not on the PATH");
  }

  @Test
  void failingHelperIsAnErrorWithItsMessage() throws IOException {
    Path helper = temp.resolve("bin/docker-credential-broken");
    Files.writeString(helper, "#!/bin/sh\necho 'keychain locked' >&2\nexit 3\n");
    makeExecutable(helper);
    writeDockerConfig(home.resolve(".docker"), "{\"credsStore\":\"broken\"}");

    assertThatThrownBy(() -> chain().build().resolve("ghcr.io"))
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining("docker-credential-broken failed for ghcr.io (exit code 3)")
        .hasMessageContaining("keychain locked");
  }

  @Test
  void brokenJsonNamesTheFileButNotItsContent() throws IOException {
    writeDockerConfig(
        home.resolve(".docker"), "{\"auths\":{\"ghcr.io\":{\"auth\": secret-looking-token}}}");

    assertThatThrownBy(() -> chain().build().resolve("ghcr.io"))
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining(home.resolve(".docker/config.json").toString())
        .hasMessageContaining("not valid JSON at line 1")
        .hasMessageNotContaining("secret-looking-token");
  }

  @Test
  void authThatIsNotBase64IsAnError() throws IOException {
    writeDockerConfig(home.resolve(".docker"), auths("ghcr.io", "{\"auth\":\"%%%not-base64\"}"));

    assertThatThrownBy(() -> chain().build().resolve("ghcr.io"))
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining("auths entry 'ghcr.io'")
        .hasMessageContaining("not base64")
        .hasMessageNotContaining("%%%not-base64");
  }

  @Test
  void missingDockerConfigMeansAnonymous() {
    assertThat(chain().build().resolve("ghcr.io").isAnonymous()).isTrue();
  }

  // ---- secrets -----------------------------------------------------------------------------

  @Test
  void noStringFormContainsAPassword() throws IOException {
    everySourceHasACredentialFor(REGISTRY);
    CredentialChain chain =
        chain()
            .explicit("a.example.com", new Credential("user-a", "explicit-pw"))
            .settingsServers(Map.of("b.example.com", new Credential("user-b", "settings-pw")))
            .build();
    String[] secrets = {"explicit-pw", "settings-pw", "job-token", "docker-pw"};

    for (String registry : new String[] {"a.example.com", "b.example.com", REGISTRY}) {
      ResolvedCredential resolved = chain.resolve(registry);
      assertThat(resolved.toString()).doesNotContain(secrets);
      assertThat(resolved.source()).doesNotContain(secrets);
      assertThat(resolved.describeFor(registry)).doesNotContain(secrets);
      assertThat(resolved.credential().orElseThrow().toString()).doesNotContain(secrets);
    }
    assertThat(chain.toString()).doesNotContain(secrets);
    env.put("CI_REGISTRY", "elsewhere");
    assertThat(chain().build().resolve(REGISTRY).toString()).doesNotContain(secrets);
  }

  // ---- helpers -----------------------------------------------------------------------------

  private static String auths(String key, String entry) {
    return "{\"auths\":{\"" + key + "\":" + entry + "}}";
  }

  private static String base64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  private static void writeDockerConfig(Path directory, String json) throws IOException {
    Files.createDirectories(directory);
    Files.writeString(directory.resolve("config.json"), json);
  }

  /** A docker-credential-NAME that knows registry.example.com and Docker Hub. */
  private void fakeHelper(String name) throws IOException {
    Path helper = temp.resolve("bin/docker-credential-" + name);
    Files.writeString(
        helper,
        """
        #!/bin/sh
        [ "$1" = get ] || exit 2
        read -r url
        case "$url" in
          registry.example.com)
            echo '{"ServerURL":"registry.example.com","Username":"helper-user","Secret":"helper-secret"}' ;;
          https://index.docker.io/v1/)
            echo '{"ServerURL":"https://index.docker.io/v1/","Username":"hub-user","Secret":"hub-secret"}' ;;
          *)
            echo 'credentials not found in native keychain'; exit 1 ;;
        esac
        """);
    makeExecutable(helper);
  }

  private static void makeExecutable(Path file) throws IOException {
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }
}
