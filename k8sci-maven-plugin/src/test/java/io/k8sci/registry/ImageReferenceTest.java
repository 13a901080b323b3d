package io.k8sci.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.k8sci.K8sciException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ImageReferenceTest {

  static final String D = "sha256:" + "0123456789abcdef".repeat(4);

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      nullValues = "-",
      delimiter = '|',
      textBlock =
          """
          # input                                      | registry              | repository                 | tag       | digest
          eclipse-temurin:17-jre                       | docker.io             | library/eclipse-temurin    | 17-jre    | -
          busybox                                      | docker.io             | library/busybox            | -         | -
          team/app:1.0                                 | docker.io             | team/app                   | 1.0       | -
          docker.io/library/ubuntu:22.04               | docker.io             | library/ubuntu             | 22.04     | -
          docker.io/ubuntu                             | docker.io             | library/ubuntu             | -         | -
          index.docker.io/team/app                     | docker.io             | team/app                   | -         | -
          registry-1.docker.io/team/app:x              | docker.io             | team/app                   | x         | -
          localhost/app                                | localhost             | app                        | -         | -
          localhost:5000/a/b:1                         | localhost:5000        | a/b                        | 1         | -
          127.0.0.1:5000/team/app:2.0.1                | 127.0.0.1:5000        | team/app                   | 2.0.1     | -
          registry.gitlab.com/group/sub/project:abc123 | registry.gitlab.com   | group/sub/project          | abc123    | -
          Registry.Example.COM/app:1                   | Registry.Example.COM  | app                        | 1         | -
          registry:5000/app                            | registry:5000         | app                        | -         | -
          my-registry.local/a.b/c_d/e__f/g-h/i---j:T_1 | my-registry.local     | a.b/c_d/e__f/g-h/i---j     | T_1       | -
          ghcr.io/o/app:_underscore.start              | ghcr.io               | o/app                      | _underscore.start | -
          example.com/app@SHA                          | example.com           | app                        | -         | SHA
          example.com/app:1.0@SHA                      | example.com           | app                        | 1.0       | SHA
          app@SHA                                      | docker.io             | library/app                | -         | SHA
          """)
  void parsesValidReferences(
      String input, String registry, String repository, String tag, String digest) {
    String expectedDigest = "SHA".equals(digest) ? D : digest;

    ImageReference reference = ImageReference.parse(input.replace("SHA", D));

    assertThat(reference.registry()).isEqualTo(registry);
    assertThat(reference.repository()).isEqualTo(repository);
    assertThat(reference.tag()).isEqualTo(tag);
    assertThat(reference.digest()).isEqualTo(expectedDigest);
    // the canonical string parses back to the same reference
    assertThat(ImageReference.parse(reference.toString())).isEqualTo(reference);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          # input                                      | message fragments, ';'-separated
          registry.example.com/Group/App:1             | repository "Group/App" has uppercase letters;use "group/app"
          MyTeam/app:1                                 | "MyTeam" has uppercase letters;use "myteam/app:1"
          registry.example.com/group/app:feature/login | contains '/';$CI_COMMIT_REF_SLUG
          registry.example.com/app:                    | the tag is empty
          registry.example.com/app:${CI_COMMIT_SHORT_SHA} | variable that was not expanded
          registry.example.com/app:.hidden             | starts with '.'
          registry.example.com/app:-dash               | starts with '-'
          registry.example.com/app:a+b                 | characters other than letters;"a-b"
          registry.example.com/app:1:2                 | characters other than letters
          registry.example.com/-app                    | path component "-app" is invalid;"app"
          registry.example.com/app-                    | path component "app-" is invalid
          registry.example.com/a..b                    | path component "a..b" is invalid
          registry.example.com/a___b                   | path component "a___b" is invalid
          registry.example.com/a//b                    | empty path component
          registry.example.com/                        | the repository is empty
          registry.example.com/app/                    | empty path component
          registry.example.com:port/app                | port "port" that is not a number
          registry_x.example.com/app                   | not a valid host name
          -registry.example.com/app                    | not a valid host name
          https://registry.example.com/app             | no URL scheme;remove 'https://'
          registry.example.com/app@sha256:abc          | sha256:' followed by 64 lowercase
          registry.example.com/app@md5:0123            | sha256:' followed by 64 lowercase
          registry.example.com/app name                | whitespace
          [::1]:5000/app                               | IPv6
          """)
  void rejectsInvalidReferencesSayingWhichRuleAndWhatToDo(String input, String fragments) {
    assertThatThrownBy(() -> ImageReference.parse(input))
        .isInstanceOf(K8sciException.class)
        .hasMessageStartingWith("Invalid image reference \"" + input + "\": ")
        .hasMessageContaining("Hint: ")
        .hasMessageContainingAll(fragments.split(";"));
  }

  @Test
  void rejectsEmptyAndNull() {
    assertThatThrownBy(() -> ImageReference.parse("")).hasMessageContaining("it is empty");
    assertThatThrownBy(() -> ImageReference.parse(null)).hasMessageContaining("it is empty");
  }

  @Test
  void rejectsTagsLongerThan128() {
    String ok = "a".repeat(128);
    String tooLong = "a".repeat(129);

    assertThat(ImageReference.parse("example.com/app:" + ok).tag()).isEqualTo(ok);
    assertThatThrownBy(() -> ImageReference.parse("example.com/app:" + tooLong))
        .hasMessageContaining("129 characters long; the limit is 128")
        .hasMessageContaining("$CI_COMMIT_SHORT_SHA");
  }

  @Test
  void rejectsNamesLongerThan255() {
    String registry = "example.com"; // 11 + '/' = 12
    String fits = registry + "/" + "a".repeat(255 - 12);
    String over = registry + "/" + "a".repeat(256 - 12);

    assertThat(ImageReference.parse(fits).repository()).hasSize(243);
    assertThatThrownBy(() -> ImageReference.parse(over))
        .hasMessageContaining("256 characters long; the limit is 255");
  }

  @ParameterizedTest
  @ValueSource(strings = {"1.0", "latest", "_x", "A-b.C_d", "0", "abc123de"})
  void validTagsPass(String tag) {
    assertThat(ImageReference.validateTag(tag)).isEqualTo(tag);
    assertThat(ImageReference.isValidTag(tag)).isTrue();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          feature/login | contains '/';$CI_COMMIT_REF_SLUG
          .x            | starts with '.'
          a b           | characters other than letters
          ü             | characters other than letters
          """)
  void invalidTagsAreRejectedOnTheirOwn(String tag, String fragments) {
    assertThat(ImageReference.isValidTag(tag)).isFalse();
    assertThatThrownBy(() -> ImageReference.validateTag(tag))
        .isInstanceOf(K8sciException.class)
        .hasMessageStartingWith("Invalid image tag \"" + tag + "\": ")
        .hasMessageContainingAll(fragments.split(";"));
  }

  @Test
  void emptyTagIsRejectedOnItsOwn() {
    assertThatThrownBy(() -> ImageReference.validateTag("")).hasMessageContaining("empty");
    assertThat(ImageReference.isValidTag(null)).isFalse();
  }

  @Test
  void withTagAndWithDigestValidate() {
    ImageReference base = ImageReference.parse("example.com/team/app:1");

    assertThat(base.withTag("2").toString()).isEqualTo("example.com/team/app:2");
    assertThat(base.withDigest(D).toString()).isEqualTo("example.com/team/app:1@" + D);
    assertThat(base.repositoryReference()).isEqualTo("example.com/team/app");
    assertThatThrownBy(() -> base.withTag("feature/x")).hasMessageContaining("CI_COMMIT_REF_SLUG");
    assertThatThrownBy(() -> base.withDigest("sha256:nope")).hasMessageContaining("64 lowercase");
  }

  @Test
  void tagDefaultsToLatestOnlyWhenAsked() {
    ImageReference untagged = ImageReference.parse("example.com/app");

    assertThat(untagged.tag()).isNull();
    assertThat(untagged.tagOrLatest()).isEqualTo("latest");
    assertThat(untagged.toString()).isEqualTo("example.com/app");
  }

  @Test
  void convertsToJibWithTheSameParts() {
    var jib = ImageReference.parse("127.0.0.1:5000/team/app:1.0").toJib();
    var hub = ImageReference.parse("eclipse-temurin:17-jre").toJib();
    var pinned = ImageReference.parse("example.com/app@" + D).toJib();

    assertThat(jib.getRegistry()).isEqualTo("127.0.0.1:5000");
    assertThat(jib.getRepository()).isEqualTo("team/app");
    assertThat(jib.getTag()).hasValue("1.0");
    // Jib talks to Docker Hub's API host
    assertThat(hub.getRegistry()).isEqualTo("registry-1.docker.io");
    assertThat(hub.getRepository()).isEqualTo("library/eclipse-temurin");
    assertThat(pinned.getDigest()).hasValue(D);
  }
}
