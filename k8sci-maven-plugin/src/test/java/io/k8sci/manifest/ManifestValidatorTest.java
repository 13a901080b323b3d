package io.k8sci.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.k8sci.K8sciException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ManifestValidatorTest {

  static final Path FILE = Path.of("k8s", "app.yaml");
  static final ManifestValidator VALIDATOR = new ManifestValidator("team", false);

  static List<ManifestDocument> docs(String content) {
    return ManifestSource.split(FILE, content);
  }

  static List<ManifestProblem> problems(ManifestValidator validator, String content) {
    try {
      validator.validate(docs(content));
      return List.of();
    } catch (ManifestException e) {
      return e.problems();
    }
  }

  /** content → "line:column message part" of each problem (line 1 = first line). */
  static Stream<Arguments> invalid() {
    return Stream.of(
        arguments(
            "no apiVersion",
            "kind: ConfigMap\nmetadata: {name: a}\n",
            List.of("1:0 apiVersion is missing")),
        arguments(
            "no kind", "apiVersion: v1\nmetadata: {name: a}\n", List.of("1:0 kind is missing")),
        arguments(
            "no name",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {a: b}\n",
            List.of("3:1 ConfigMap: metadata.name is missing")),
        arguments(
            "no metadata",
            "apiVersion: v1\nkind: ConfigMap\ndata: {}\n",
            List.of("1:0 ConfigMap: metadata.name is missing")),
        arguments(
            "generateName",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  generateName: job-\n",
            List.of("3:1 Pod: metadata.name is missing (generateName cannot be applied")),
        arguments(
            "all three missing",
            "data: {a: b}\n",
            List.of(
                "1:0 apiVersion is missing",
                "1:0 kind is missing",
                "1:0 object: metadata.name is missing")),
        arguments("a scalar", "just text\n", List.of("1:0 not a Kubernetes object")),
        arguments("a list", "- a\n- b\n", List.of("1:0 not a Kubernetes object")),
        arguments(
            "bad indentation",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n   labels: x\n",
            List.of("5:10 not valid YAML: mapping values are not allowed here")),
        arguments(
            "duplicate key",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n",
            List.of("5:3 not valid YAML: found duplicate key name")),
        arguments(
            "wrong type",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: three\n",
            List.of("5:3 spec.replicas: expected an integer")),
        arguments(
            "wrong type in a list",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n"
                + "    ports:\n    - containerPort: http\n",
            List.of("8:7 spec.containers[0].ports[0].containerPort: expected an integer")),
        arguments(
            "other namespace",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: prod\n",
            List.of(
                "5:3 ConfigMap \"a\" has metadata.namespace \"prod\", but the rollout targets"
                    + " namespace \"team\"")),
        arguments(
            "Namespace object",
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n",
            List.of(
                "1:0 Namespace \"team\" is cluster-scoped: the rollout applies namespaced objects only")),
        arguments(
            "ClusterRole",
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\n",
            List.of("1:0 ClusterRole \"r\" is cluster-scoped")),
        arguments(
            "CustomResourceDefinition",
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
                + "metadata: {name: foos.example.com}\n",
            List.of("1:0 CustomResourceDefinition \"foos.example.com\" is cluster-scoped")),
        arguments(
            "generic cluster-scoped kind",
            "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: letsencrypt}\n",
            List.of("1:0 ClusterIssuer \"letsencrypt\" is cluster-scoped")),
        arguments(
            "label that YAML reads as a number",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n    version: 1.10\n",
            List.of(
                "6:5 metadata.labels.version is a number in YAML, but labels values are strings: quote it")),
        arguments(
            "annotation that YAML reads as a boolean",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations: {enabled: true}\n",
            List.of("5:17 metadata.annotations.enabled is a boolean in YAML")),
        arguments(
            "ConfigMap data that YAML reads as a number",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  port: 8080\n",
            List.of("5:3 data.port is a number in YAML, but data values are strings: quote it")),
        arguments(
            "env value that YAML reads as a boolean",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n"
                + "    spec:\n      containers:\n      - name: app\n        env:\n"
                + "        - {name: DEBUG, value: true}\n",
            List.of("10:25 spec.template.spec.containers[0].env[0].value is a boolean in YAML")),
        arguments(
            "label value the API server refuses",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n    branch: feature/x\n",
            List.of("6:5 metadata.labels.branch: 'feature/x' is not a valid label value")),
        arguments(
            "deployment name with a slash",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web/feature}\n",
            List.of("3:12 Deployment name 'web/feature' is not valid")),
        arguments(
            "service name starting with a digit",
            "apiVersion: v1\nkind: Service\nmetadata: {name: 1web}\n",
            List.of("3:12 Service name '1web' is not valid")),
        arguments(
            "duplicate object",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n"
                + "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: team}\n",
            List.of(
                "5:0 ConfigMap \"a\" in namespace \"team\" is defined twice: also at "
                    + FILE
                    + ":1")),
        arguments(
            "problems of several documents together",
            "kind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Secret\n"
                + "metadata: {name: s, namespace: other}\n---\nfoo: [\n",
            List.of(
                "1:0 apiVersion is missing",
                "6:21 Secret \"s\" has metadata.namespace \"other\"",
                "9:1 not valid YAML")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalid")
  void reportsEveryProblemWithItsLocation(
      String description, String content, List<String> expected) {
    List<ManifestProblem> problems = problems(VALIDATOR, content);
    List<String> actual = new ArrayList<>();
    for (ManifestProblem problem : problems) {
      assertThat(problem.location().file()).isEqualTo(FILE);
      actual.add(
          problem.location().line() + ":" + problem.location().column() + " " + problem.message());
    }
    assertThat(actual).hasSameSizeAs(expected);
    for (int i = 0; i < expected.size(); i++) {
      assertThat(actual.get(i)).startsWith(expected.get(i));
    }
  }

  static Stream<Arguments> valid() {
    return Stream.of(
        arguments(
            "ConfigMap",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {port: '8080'}\n"),
        arguments(
            "Deployment with its namespace",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: team}\n"),
        arguments(
            "Role and RoleBinding with colons in their names",
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: 'app:reader'}\n"),
        arguments(
            "custom resource",
            "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 3}\n"),
        arguments(
            "labels from strings",
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  labels: {version: '1.10', x: ''}\n"
                + "spec:\n  selector: {app: web}\n  ports: [{port: 80}]\n"),
        arguments(
            "same name, different kinds",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n---\n"
                + "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("valid")
  void acceptsValidManifests(String description, String content) {
    assertThat(VALIDATOR.validate(docs(content))).isNotEmpty();
  }

  @Test
  void setsTheTargetNamespaceWhereMissingAndReadsTypedObjects() {
    List<RenderedManifest> manifests =
        VALIDATOR.validate(
            docs(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n---\n"
                    + "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"));
    assertThat(manifests.get(0).object()).isInstanceOf(Deployment.class);
    assertThat(manifests.get(1).object()).isInstanceOf(GenericKubernetesResource.class);
    assertThat(manifests)
        .extracting(m -> m.object().getMetadata().getNamespace())
        .containsExactly("team", "team");
    assertThat(manifests)
        .extracting(m -> m.source().toString())
        .containsExactly(FILE + ":1", FILE + ":5");
  }

  @Test
  void expandsKindList() {
    List<RenderedManifest> manifests =
        VALIDATOR.validate(
            docs(
                """
                apiVersion: v1
                kind: List
                items:
                - apiVersion: v1
                  kind: ConfigMap
                  metadata: {name: a}
                - apiVersion: v1
                  kind: Secret
                  metadata: {name: b}
                """));
    assertThat(manifests)
        .extracting(RenderedManifest::displayName)
        .containsExactly("configmap/a", "secret/b");
    assertThat(manifests).extracting(m -> m.source().line()).containsExactly(4, 7);
  }

  @Test
  void clusterScopedObjectsPassWhenAllowedButWithoutNamespace() {
    ManifestValidator allowing = new ManifestValidator("team", true);
    List<RenderedManifest> manifests =
        allowing.validate(docs("apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n"));
    assertThat(manifests.get(0).object().getMetadata().getNamespace()).isNull();
    assertThat(
            problems(
                allowing,
                "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n"
                    + "metadata: {name: r, namespace: team}\n"))
        .extracting(ManifestProblem::message)
        .containsExactly("ClusterRole \"r\" is cluster-scoped: remove its metadata.namespace");
  }

  @Test
  void malformedSecondFileMeansNothingIsReturnedAndTheErrorNamesIt() {
    Path first = Path.of("k8s", "a-config.yaml");
    Path second = Path.of("k8s", "b-deploy.yaml");
    List<ManifestDocument> documents = new ArrayList<>();
    documents.addAll(
        ManifestSource.split(first, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"));
    documents.addAll(
        ManifestSource.split(
            second,
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\n"
                + "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n    bad: indent\n"));
    assertThatThrownBy(() -> VALIDATOR.validate(documents))
        .isInstanceOf(ManifestException.class)
        .hasMessageContaining(second + ":9:")
        .hasMessageContaining("not valid YAML")
        .hasMessageContaining("nothing was applied")
        .hasMessageNotContaining(first.toString());
  }

  @Test
  void problemsNeverShowSecretValues() {
    String secret =
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: other}\n"
            + "stringData: {password: hunter2-secret, pin: 1234}\n---\n"
            + "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
            + "  replicas: hunter2-secret\n---\n"
            + "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  k: v\n  k2: hunter2-secret: x\n";
    assertThatThrownBy(() -> VALIDATOR.validate(docs(secret)))
        .isInstanceOf(ManifestException.class)
        .hasMessageContaining("stringData.pin is a number")
        .hasMessageContaining("spec.replicas: expected an integer")
        .hasMessageContaining("not valid YAML")
        .hasMessageNotContaining("hunter2")
        .hasMessageNotContaining("1234");
  }

  @Test
  void validObjectsAreTyped() {
    List<RenderedManifest> manifests =
        VALIDATOR.validate(
            docs(
                "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {p: x}\n---\n"
                    + "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"c\"}}\n"));
    assertThat(manifests.get(0).object()).isInstanceOf(Secret.class);
    assertThat(manifests.get(1).object()).isInstanceOf(ConfigMap.class);
    assertThat(manifests.get(0).toString()).isEqualTo("secret/s (" + FILE + ":1)");
  }

  @Test
  void refusesAnInvalidTargetNamespace() {
    assertThatThrownBy(() -> new ManifestValidator("Team_A", false))
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining("'Team_A'");
  }
}
