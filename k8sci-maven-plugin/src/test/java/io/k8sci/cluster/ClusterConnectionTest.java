package io.k8sci.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.k8sci.K8sciException;
import io.k8sci.testing.RecordingBuildLog;
import io.k8sci.testing.kube.TestApiServer;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ClusterConnectionTest {

  static TestApiServer server;
  @TempDir Path dir;
  RecordingBuildLog log;

  @BeforeAll
  static void start() {
    server = TestApiServer.start();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @BeforeEach
  void reset() {
    server.reset();
    log = new RecordingBuildLog();
  }

  private static Map<String, String> contexts(String... nameNamespacePairs) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < nameNamespacePairs.length; i += 2) {
      m.put(nameNamespacePairs[i], nameNamespacePairs[i + 1]);
    }
    return m;
  }

  @Test
  void gitlabAgentContextFromOneOfSeveralKubeconfigFilesIsUsedForRealCalls() {
    Path first = server.writeKubeconfig(dir.resolve("a/config"), contexts("dev", "dev-ns"), "dev");
    Path agent =
        server.writeKubeconfig(
            dir.resolve("b/agent"), contexts("group/project:agent", "team-a"), null);
    Map<String, String> env = Map.of("KUBECONFIG", first + File.pathSeparator + agent);

    try (ClusterConnection c =
        ClusterConnection.builder()
            .environment(env)
            .context("group/project:agent")
            .log(log)
            .build()) {
      assertThat(c.source()).isEqualTo(ClusterConnection.Source.KUBECONFIG);
      assertThat(c.contextName()).isEqualTo("group/project:agent");
      assertThat(c.namespace()).isEqualTo("team-a");
      assertThat(c.namespaceOrigin()).isEqualTo("context");
      c.client()
          .configMaps()
          .resource(new ConfigMapBuilder().withNewMetadata().withName("x").endMetadata().build())
          .create();
    }
    assertThat(server.client().configMaps().inNamespace("team-a").withName("x").get()).isNotNull();
    assertThat(log.info())
        .containsExactly(
            "Kubernetes: kubeconfig ["
                + first
                + ", "
                + agent
                + "], context \"group/project:agent\", server "
                + server.url()
                + "/, namespace team-a (context)");
    assertThat(String.join("\n", log.lines())).doesNotContain(TestApiServer.TOKEN);
  }

  @Test
  void currentContextIsUsedWhenNoneIsGiven() {
    Path k =
        server.writeKubeconfig(
            dir.resolve("config"), contexts("one", "ns-one", "two", "ns-two"), "two");
    ClusterConnection c =
        ClusterConnection.builder().environment(Map.of("KUBECONFIG", k.toString())).build();
    assertThat(c.contextName()).isEqualTo("two");
    assertThat(c.namespace()).isEqualTo("ns-two");
  }

  @Test
  void unknownContextListsTheAvailableOnes() {
    Path k =
        server.writeKubeconfig(
            dir.resolve("config"), contexts("group/project:agent", "a", "local", null), null);
    assertThatThrownBy(
            () ->
                ClusterConnection.builder()
                    .environment(Map.of("KUBECONFIG", k.toString()))
                    .context("group/other:agent")
                    .build())
        .isInstanceOf(K8sciException.class)
        .hasMessage(
            "kubeconfig context \"group/other:agent\" not found in "
                + k
                + "; available contexts: \"group/project:agent\", \"local\" (a GitLab agent"
                + " context only appears when the agent's configuration authorizes this project)");
  }

  @Test
  void noCurrentContextAsksForOne() {
    Path k = server.writeKubeconfig(dir.resolve("config"), contexts("g/p:agent", "a"), null);
    assertThatThrownBy(
            () ->
                ClusterConnection.builder().environment(Map.of("KUBECONFIG", k.toString())).build())
        .hasMessage(
            "kubeconfig " + k + " has no current-context: set the context to one of \"g/p:agent\"");
  }

  @Test
  void homeKubeconfigIsTheFallback() {
    server.writeKubeconfig(dir.resolve(".kube/config"), contexts("home", "home-ns"), "home");
    ClusterConnection c = ClusterConnection.builder().homeDirectory(dir).build();
    assertThat(c.contextName()).isEqualTo("home");
  }

  @ParameterizedTest(name = "parameter={0} KUBE_NAMESPACE={1} context={2} -> {3} ({4})")
  @CsvSource(
      nullValues = "-",
      value = {
        "param, env, ctx, param, parameter",
        "-, env, ctx, env, $KUBE_NAMESPACE",
        "-, -, ctx, ctx, context",
        "-, -, -, default, default",
        "param, -, -, param, parameter",
      })
  void namespaceResolutionOrder(
      String parameter, String env, String contextNs, String expected, String origin) {
    Path k = server.writeKubeconfig(dir.resolve("config"), contexts("c", contextNs), "c");
    Map<String, String> environment = new LinkedHashMap<>();
    environment.put("KUBECONFIG", k.toString());
    if (env != null) {
      environment.put("KUBE_NAMESPACE", env);
    }
    ClusterConnection c =
        ClusterConnection.builder().environment(environment).namespace(parameter).build();
    assertThat(c.namespace()).isEqualTo(expected);
    assertThat(c.namespaceOrigin()).isEqualTo(origin);
    assertThat(c.config().getNamespace()).isEqualTo(expected);
  }

  static String jwt(String subject) {
    Base64.Encoder b = Base64.getUrlEncoder().withoutPadding();
    return b.encodeToString("{\"alg\":\"RS256\"}".getBytes(StandardCharsets.UTF_8))
        + "."
        + b.encodeToString(
            ("{\"iss\":\"kubernetes/serviceaccount\",\"sub\":\"" + subject + "\"}")
                .getBytes(StandardCharsets.UTF_8))
        + ".c2lnbmF0dXJl";
  }

  @Test
  void identityOfAKubeconfigTokenIsItsSubject() throws Exception {
    String token = jwt("system:serviceaccount:team-a:ci");
    Path k = dir.resolve("token-config");
    Files.writeString(
        k,
        """
        apiVersion: v1
        kind: Config
        clusters:
          - name: c
            cluster:
              server: https://127.0.0.1:6443
        users:
          - name: some-user-name
            user:
              token: %s
        contexts:
          - name: ci
            context:
              cluster: c
              user: some-user-name
              namespace: team-a
        current-context: ci
        """
            .formatted(token));

    ClusterConnection c =
        ClusterConnection.builder().kubeconfig(List.of(k)).environment(Map.of()).log(log).build();

    assertThat(c.identity()).isEqualTo("system:serviceaccount:team-a:ci");
    assertThat(String.join("\n", log.lines())).doesNotContain(token);
  }

  @Test
  void inClusterServiceAccountFromInjectedPaths() throws Exception {
    Path sa = Files.createDirectories(dir.resolve("sa"));
    String token = jwt("system:serviceaccount:team-a:deployer");
    Files.writeString(sa.resolve("token"), token + "\n");
    Files.writeString(sa.resolve("namespace"), "team-a");
    Files.writeString(sa.resolve("ca.crt"), "not read until a request is made");

    ClusterConnection c =
        ClusterConnection.builder()
            .environment(
                Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1", "KUBERNETES_SERVICE_PORT", "443"))
            .serviceAccountDirectory(sa)
            .log(log)
            .build();

    assertThat(c.source()).isEqualTo(ClusterConnection.Source.IN_CLUSTER);
    assertThat(c.server()).startsWith("https://10.96.0.1:443");
    assertThat(c.namespace()).isEqualTo("team-a");
    assertThat(c.namespaceOrigin()).isEqualTo("ServiceAccount");
    assertThat(c.identity()).isEqualTo("system:serviceaccount:team-a:deployer");
    assertThat(c.config().getCaCertFile())
        .isEqualTo(sa.resolve("ca.crt").toAbsolutePath().toString());
    assertThat(c.config().getOauthTokenProvider().getToken()).isEqualTo(token);
    assertThat(String.join("\n", log.lines())).doesNotContain(token);
  }

  @Test
  void kubeconfigWinsOverTheServiceAccountLikeKubectl() throws Exception {
    Path sa = Files.createDirectories(dir.resolve("sa"));
    Files.writeString(sa.resolve("token"), "t");
    Path k = server.writeKubeconfig(dir.resolve("config"), contexts("c", "n"), "c");
    ClusterConnection c =
        ClusterConnection.builder()
            .environment(Map.of("KUBECONFIG", k.toString(), "KUBERNETES_SERVICE_HOST", "10.0.0.1"))
            .serviceAccountDirectory(sa)
            .build();
    assertThat(c.source()).isEqualTo(ClusterConnection.Source.KUBECONFIG);
  }

  @Test
  void explicitServerTokenAndInsecureFlag() {
    ClusterConnection c =
        ClusterConnection.builder()
            .server("https://api.example:6443")
            .token("secret-token")
            .insecureSkipTlsVerify(true)
            .environment(Map.of("KUBE_NAMESPACE", "prod"))
            .log(log)
            .build();
    assertThat(c.source()).isEqualTo(ClusterConnection.Source.EXPLICIT);
    assertThat(c.namespace()).isEqualTo("prod");
    assertThat(c.config().isTrustCerts()).isTrue();
    assertThat(log.lines())
        .anyMatch(
            l -> l.startsWith("WARN TLS verification of the Kubernetes API server is disabled"));
    assertThat(String.join("\n", log.lines()) + c.describe()).doesNotContain("secret-token");
  }

  @Test
  void certificatesAreVerifiedByDefault() {
    ClusterConnection c =
        ClusterConnection.builder().server("https://api.example:6443").token("t").build();
    assertThat(c.config().isTrustCerts()).isFalse();
    assertThat(c.config().isDisableHostnameVerification()).isFalse();
  }

  @Test
  void nothingConfiguredIsAClearError() {
    assertThatThrownBy(() -> ClusterConnection.builder().environment(Map.of()).build())
        .isInstanceOf(K8sciException.class)
        .hasMessageStartingWith("no Kubernetes connection found: set KUBECONFIG");
  }

  @Test
  void contextWithoutKubeconfigIsAClearError() {
    assertThatThrownBy(
            () -> ClusterConnection.builder().environment(Map.of()).context("g/p:agent").build())
        .hasMessageStartingWith(
            "kubeconfig context \"g/p:agent\" was requested but no kubeconfig was found");
  }
}
