package io.k8sci.rbac;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Config;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.internal.KubeConfigUtils;
import io.k8sci.K8sciException;
import io.k8sci.cluster.ClusterConnection;
import io.k8sci.testing.RecordingBuildLog;
import io.k8sci.testing.kube.TestApiServer;
import io.k8sci.testing.registry.TestCertificates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** k8sci:kubeconfig against the test API server. */
class KubeconfigWriterTest {

  static final String NS = "team-a";
  static TestApiServer server;
  static String caPem;
  @TempDir Path dir;
  ClusterConnection admin;
  RecordingBuildLog log;
  final List<String> messages = new ArrayList<>();

  @BeforeAll
  static void startServer() throws Exception {
    server = TestApiServer.start();
    Path ca = Files.createTempFile("k8sci-test-ca", ".pem");
    caPem = Files.readString(TestCertificates.generate().writeCaPem(ca));
    Files.delete(ca);
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @BeforeEach
  void setUp() {
    server.reset();
    log = new RecordingBuildLog();
    admin = adminConnection(null);
    new RbacApplier(admin, log).apply(RbacPlan.builder(NS).kind("v1", "ConfigMap").build());
    log.clear();
  }

  ClusterConnection adminConnection(String ca) {
    return ClusterConnection.builder()
        .server(server.url())
        .token(TestApiServer.TOKEN)
        .caCertificate(ca)
        .namespace(NS)
        .requestRetries(0)
        .log(log)
        .build();
  }

  @AfterEach
  void tearDown() {
    admin.close();
    // whatever happened, no token reached a log line or an exception message
    List<String> tokens = List.copyOf(server.issuedTokens().keySet());
    for (String token : tokens) {
      assertThat(log.lines()).noneMatch(l -> l.contains(token));
      assertThat(messages).noneMatch(m -> m.contains(token));
    }
  }

  void createRootCaConfigMap() {
    server
        .client()
        .configMaps()
        .inNamespace(NS)
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("kube-root-ca.crt")
                .endMetadata()
                .addToData("ca.crt", caPem)
                .build())
        .create();
  }

  KubeconfigRequest.Builder request() {
    return KubeconfigRequest.builder(NS, dir.resolve("target/k8sci/kubeconfig"));
  }

  KubeconfigResult write(KubeconfigRequest request) {
    try {
      KubeconfigResult r = new KubeconfigWriter(admin, log).write(request);
      messages.add(r.toString());
      return r;
    } catch (RuntimeException e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        messages.add(String.valueOf(t.getMessage()));
        messages.add(t.toString());
      }
      throw e;
    }
  }

  static String onlyToken() {
    assertThat(server.issuedTokens()).hasSize(1);
    return server.issuedTokens().keySet().iterator().next();
  }

  @Test
  void writesAnOwnerOnlyKubeconfigWithServerCaNamespaceAndAFreshToken() throws Exception {
    createRootCaConfigMap();
    Instant before = Instant.now();

    KubeconfigResult result = write(request().build());

    Path file = dir.resolve("target/k8sci/kubeconfig").toAbsolutePath();
    assertThat(result.file()).isEqualTo(file);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    Config kubeconfig = KubeConfigUtils.parseConfig(file.toFile());
    assertThat(kubeconfig.getCurrentContext()).isEqualTo("k8sci-deployer@team-a");
    var context = kubeconfig.getContexts().get(0);
    assertThat(context.getName()).isEqualTo("k8sci-deployer@team-a");
    assertThat(context.getContext().getNamespace()).isEqualTo(NS);
    var cluster = kubeconfig.getClusters().get(0).getCluster();
    assertThat(cluster.getServer()).isEqualTo(server.url());
    assertThat(
            new String(
                Base64.getDecoder().decode(cluster.getCertificateAuthorityData()),
                StandardCharsets.US_ASCII))
        .isEqualTo(caPem);
    assertThat(kubeconfig.getUsers().get(0).getUser().getToken()).isEqualTo(onlyToken());
    assertThat(kubeconfig.getUsers().get(0).getName())
        .isEqualTo(context.getContext().getUser())
        .isEqualTo("system:serviceaccount:team-a:k8sci-deployer");
    assertThat(server.issuedTokens()).containsValue("system:serviceaccount:team-a:k8sci-deployer");

    assertThat(result.expiresAt())
        .isBetween(
            before.plus(Duration.ofDays(30)).minusSeconds(1),
            Instant.now().plus(Duration.ofDays(30)));
    assertThat(result.caSource()).isEqualTo("ConfigMap team-a/kube-root-ca.crt");
    assertThat(result.user()).isEqualTo("system:serviceaccount:team-a:k8sci-deployer");
    assertThat(log.info())
        .anyMatch(l -> l.startsWith("Wrote kubeconfig " + file + " (readable by you only)"))
        .anyMatch(
            l -> l.startsWith("The token expires at " + result.expiresAt() + " (in 30 days)"));
    // the temporary file was moved, not left behind
    try (Stream<Path> files = Files.list(file.getParent())) {
      assertThat(files).containsExactly(file);
    }
  }

  @Test
  void replacesAWorldReadableFileWithAnOwnerOnlyOne() throws Exception {
    Path file = Files.createDirectories(dir.resolve("out")).resolve("kubeconfig");
    Files.writeString(file, "old");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

    write(KubeconfigRequest.builder(NS, file).tokenDuration("12h").build());

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    assertThat(Files.readString(file)).contains(onlyToken());
  }

  @Test
  void embedsTheAdministratorsCaFirst() throws Exception {
    createRootCaConfigMap();
    String otherCa;
    Path ca = Files.createTempFile(dir, "admin-ca", ".pem");
    otherCa = Files.readString(TestCertificates.generate().writeCaPem(ca));
    admin.close();
    admin = adminConnection(otherCa);

    KubeconfigResult result = write(request().build());

    assertThat(result.caSource()).isEqualTo("the administrator's kubeconfig");
    Config kubeconfig = KubeConfigUtils.parseConfig(result.file().toFile());
    assertThat(
            new String(
                Base64.getDecoder()
                    .decode(
                        kubeconfig.getClusters().get(0).getCluster().getCertificateAuthorityData()),
                StandardCharsets.US_ASCII))
        .isEqualTo(otherCa);
  }

  @Test
  void anotherServerUrlGetsTheClusterCaAndNoCaIsNotAnError() throws Exception {
    KubeconfigResult none = write(request().build());
    assertThat(none.caSource()).isNull();
    assertThat(
            KubeConfigUtils.parseConfig(none.file().toFile())
                .getClusters()
                .get(0)
                .getCluster()
                .getCertificateAuthorityData())
        .isNull();

    createRootCaConfigMap();
    KubeconfigResult other =
        write(request().server("https://api.example.com:6443").contextName("ci").build());
    assertThat(other.server()).isEqualTo("https://api.example.com:6443");
    assertThat(other.caSource()).isEqualTo("ConfigMap team-a/kube-root-ca.crt");
    Config kubeconfig = KubeConfigUtils.parseConfig(other.file().toFile());
    assertThat(kubeconfig.getClusters().get(0).getCluster().getServer())
        .isEqualTo("https://api.example.com:6443");
    assertThat(kubeconfig.getCurrentContext()).isEqualTo("ci");
  }

  @Test
  void aCappedLifetimeIsReportedAsTheServerAnsweredIt() {
    server.maxTokenExpiration(Duration.ofDays(1));
    Instant before = Instant.now();

    KubeconfigResult result = write(request().build());

    assertThat(result.requested()).isEqualTo(Duration.ofDays(30));
    assertThat(result.expiresAt())
        .isBetween(
            before.plus(Duration.ofDays(1)).minusSeconds(1),
            Instant.now().plus(Duration.ofDays(1)));
    assertThat(log.lines())
        .anyMatch(
            l ->
                l.startsWith(
                    "WARN The API server shortened the token's lifetime to 1 day (requested 30"
                        + " days)"));
  }

  @Test
  void aMissingServiceAccountSaysToApplyTheRbacFirstAndWritesNothing() {
    server.client().serviceAccounts().inNamespace(NS).withName("k8sci-deployer").delete();

    assertThatThrownBy(() -> write(request().build()))
        .isInstanceOf(K8sciException.class)
        .hasMessage(
            "ServiceAccount \"k8sci-deployer\" not found in namespace \"team-a\": create it first"
                + " with k8sci:rbac -Dk8sci.apply (as an administrator)");
    assertThat(dir.resolve("target/k8sci/kubeconfig")).doesNotExist();
  }

  @Test
  void forbiddenNamesTheTokenSubresource() {
    server.failNext("create", "serviceaccounts/token", 1, 403);

    assertThatThrownBy(() -> write(request().serviceAccount("k8sci-deployer").build()))
        .isInstanceOf(K8sciException.class)
        .hasMessageStartingWith(
            "forbidden: the current credentials may not request tokens for ServiceAccount"
                + " \"k8sci-deployer\" in namespace \"team-a\" (needs verb \"create\" on"
                + " \"serviceaccounts/token\")");
    assertThat(dir.resolve("target/k8sci/kubeconfig")).doesNotExist();
  }

  @Test
  void aFailedWriteNamesTheFileButNeverTheToken() throws Exception {
    Path directory = Files.createDirectories(dir.resolve("target/k8sci/kubeconfig"));
    assertThatThrownBy(() -> write(request().build()))
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining("it is a directory");

    Path notADirectory = Files.writeString(dir.resolve("plain-file"), "x");
    assertThatThrownBy(
            () -> write(KubeconfigRequest.builder(NS, notADirectory.resolve("kc")).build()))
        .isInstanceOf(K8sciException.class)
        .hasMessageStartingWith("cannot write the kubeconfig to " + notADirectory.resolve("kc"));
    assertThat(server.issuedTokens()).isNotEmpty(); // the token was obtained, then not leaked
    try (Stream<Path> files = Files.list(directory.getParent())) {
      assertThat(files).containsExactly(directory);
    }
  }

  @ParameterizedTest
  @CsvSource({
    "30d, PT720H",
    "12h, PT12H",
    "90m, PT1H30M",
    "1d12h, PT36H",
    "3600s, PT1H",
    "P30D, PT720H",
    "pt12h, PT12H",
    "' 7D ', PT168H",
    "10m, PT10M",
  })
  void tokenDurations(String text, Duration expected) {
    assertThat(KubeconfigRequest.parseDuration(text)).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"abc", "30", "d", "30x", "-1d", "1d 2h", "P", "9m", "599s", "PT5M"})
  void badTokenDurationsNameTheProperty(String text) {
    assertThatThrownBy(() -> KubeconfigRequest.parseDuration(text))
        .isInstanceOf(K8sciException.class)
        .hasMessageStartingWith("k8sci.tokenDuration \"" + text + "\"");
  }

  @Test
  void theDefaultLifetimeIsThirtyDays() {
    assertThat(KubeconfigRequest.parseDuration(null)).isEqualTo(Duration.ofDays(30));
    assertThat(request().build().tokenDuration()).isEqualTo(Duration.ofDays(30));
    assertThat(request().build().serviceAccount()).isEqualTo("k8sci-deployer");
  }
}
