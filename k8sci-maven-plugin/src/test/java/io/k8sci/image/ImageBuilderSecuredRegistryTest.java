package io.k8sci.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.k8sci.K8sciException;
import io.k8sci.registry.Credential;
import io.k8sci.registry.CredentialResolver;
import io.k8sci.registry.ResolvedCredential;
import io.k8sci.testing.RecordingBuildLog;
import io.k8sci.testing.image.TestJars;
import io.k8sci.testing.registry.RegistryServer;
import io.k8sci.testing.registry.Skopeo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pushes to a registry that speaks TLS (certificate from a test CA) and requires basic auth. */
class ImageBuilderSecuredRegistryTest {

  @AutoClose static RegistryServer registry = RegistryServer.startSecured();

  @TempDir Path dir;

  private Path jar() {
    return TestJars.boot().lib("spring-core-6.1.0.jar").writeTo(dir.resolve("demo.jar"));
  }

  /** Answers for the registry only, and records which hosts were asked. */
  private static final class FixedCredentials implements CredentialResolver {
    final List<String> asked = new ArrayList<>();
    final ResolvedCredential answer;

    FixedCredentials(ResolvedCredential answer) {
      this.answer = answer;
    }

    @Override
    public ResolvedCredential resolve(String registryHost) {
      asked.add(registryHost);
      return answer;
    }
  }

  private ImageBuildRequest.Builder push(
      String to, CredentialResolver credentials, RecordingBuildLog log) {
    return ImageBuildRequest.builder()
        .jar(jar())
        .from("scratch")
        .to(to)
        .caCertificates(registry.caCertificatePem())
        .targetCredentials(credentials)
        .outputDirectory(dir.resolve("target/k8sci"))
        .cacheDirectory(dir.resolve("cache"))
        .initialBackoff(Duration.ZERO)
        .log(log);
  }

  @Test
  void rightCredentialsOverVerifiedTlsPushAndTheSecretIsNowhere() throws Exception {
    RecordingBuildLog log = new RecordingBuildLog();
    FixedCredentials credentials =
        new FixedCredentials(
            ResolvedCredential.of(
                new Credential(registry.username(), registry.password()),
                "settings.xml <server> '" + registry.host() + "'"));
    String to = registry.image("team/secure:1.0");

    ImageBuildResult result = new ImageBuilder().build(push(to, credentials, log).build());

    assertThat(credentials.asked).containsOnly(registry.host());
    assertThat(Skopeo.forRegistry(registry).inspect(to).digest())
        .isEqualTo(result.record().digest());
    assertThat(log.visible())
        .contains(
            "INFO Using credentials for "
                + registry.host()
                + " from settings.xml <server> '"
                + registry.host()
                + "'");
    assertThat(log.text()).doesNotContain(registry.password());
    assertThat(Files.readString(result.recordFile())).doesNotContain(registry.password());
    assertThat(Files.readString(result.envFile())).doesNotContain(registry.password());
  }

  @Test
  void wrongCredentialsFailNamingTheRegistryAndWhereTheyCameFrom() {
    FixedCredentials credentials =
        new FixedCredentials(
            ResolvedCredential.of(
                new Credential(registry.username(), "not-the-password"),
                "$CI_REGISTRY_USER/$CI_REGISTRY_PASSWORD"));
    RecordingBuildLog log = new RecordingBuildLog();

    assertThatThrownBy(
            () ->
                new ImageBuilder()
                    .build(push(registry.image("team/secure:2.0"), credentials, log).build()))
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining("Pushing " + registry.image("team/secure:2.0") + " failed")
        .hasMessageContaining(
            "The registry "
                + registry.host()
                + " refused the credentials from $CI_REGISTRY_USER/$CI_REGISTRY_PASSWORD")
        .hasMessageContaining("may push to team/secure")
        .message()
        .doesNotContain("not-the-password");
    assertThat(log.text()).doesNotContain("not-the-password");
    assertThat(log.lines()).noneMatch(l -> l.contains("retrying"));
  }

  @Test
  void missingCredentialsFailSayingNoneWereFound() {
    FixedCredentials anonymous = new FixedCredentials(ResolvedCredential.anonymous());

    assertThatThrownBy(
            () ->
                new ImageBuilder()
                    .build(
                        push(registry.image("team/secure:3.0"), anonymous, new RecordingBuildLog())
                            .build()))
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining("The registry " + registry.host())
        .hasMessageContaining("none were found: anonymous");
  }

  @Test
  void registryWithAnUntrustedCertificateFailsPointingAtCaCertificates() {
    try (RegistryServer untrusted = RegistryServer.startSecured()) {
      FixedCredentials credentials =
          new FixedCredentials(
              ResolvedCredential.of(
                  new Credential(untrusted.username(), untrusted.password()), "explicit"));

      assertThatThrownBy(
              () ->
                  new ImageBuilder()
                      .build(
                          ImageBuildRequest.builder()
                              .jar(jar())
                              .from("scratch")
                              .to(untrusted.image("team/app:1"))
                              .targetCredentials(credentials)
                              .outputDirectory(dir.resolve("untrusted"))
                              .cacheDirectory(dir.resolve("cache"))
                              .initialBackoff(Duration.ZERO)
                              .build()))
          .isInstanceOf(K8sciException.class)
          .hasMessageContaining("Cannot talk to the registry " + untrusted.host() + " (to)")
          .hasMessageContaining("its certificate is not trusted")
          .hasMessageContaining("set caCertificates to the PEM file of the CA")
          .hasMessageContaining("allowInsecureRegistries=true");
      assertThat(untrusted.blobUploadCount()).isZero();
    }
  }
}
