package io.k8sci.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ContainerImageTest {

  @ParameterizedTest
  @CsvSource({
    "web,                                         docker.io/library/web",
    "web:1.0,                                     docker.io/library/web",
    "library/web,                                 docker.io/library/web",
    "docker.io/web,                               docker.io/library/web",
    "docker.io/library/web:1.0,                   docker.io/library/web",
    "index.docker.io/library/web,                 docker.io/library/web",
    "team/web,                                    docker.io/team/web",
    "127.0.0.1:5000/team/web:1.2.0,               127.0.0.1:5000/team/web",
    "localhost/web,                               localhost/web",
    "localhost:5000/web:1,                        localhost:5000/web",
    "Registry.Example.COM/team/web,               registry.example.com/team/web",
    "registry.example.com:443/a/b/c@sha256:abc,   registry.example.com:443/a/b/c",
    "registry.example.com/team/web:1.0@sha256:ab, registry.example.com/team/web",
  })
  void normalizesRepositories(String image, String repository) {
    assertThat(ContainerImage.parse(image).normalizedRepository()).isEqualTo(repository);
  }

  @ParameterizedTest
  @CsvSource(
      value = {
        "web                                  | web                   | -     | -",
        "web:1.0                              | web                   | 1.0   | -",
        "127.0.0.1:5000/team/web              | 127.0.0.1:5000/team/web | -   | -",
        "127.0.0.1:5000/team/web:1.2.0        | 127.0.0.1:5000/team/web | 1.2.0 | -",
        "127.0.0.1:5000/team/web@sha256:ab    | 127.0.0.1:5000/team/web | -   | sha256:ab",
        "127.0.0.1:5000/team/web:1@sha256:ab  | 127.0.0.1:5000/team/web | 1   | sha256:ab",
      },
      delimiter = '|',
      nullValues = "-")
  void splitsNameTagAndDigest(String image, String name, String tag, String digest) {
    ContainerImage parsed = ContainerImage.parse(image);
    assertThat(parsed).isEqualTo(new ContainerImage(name, tag, digest));
    assertThat(parsed.reference()).isEqualTo(image);
  }
}
