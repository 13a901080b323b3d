package io.k8sci.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.k8sci.deploy.RolloutReport;
import io.k8sci.image.ImageRecord;
import io.k8sci.testing.kube.SimulatedDeploymentController;
import io.k8sci.testing.kube.TestApiServer;
import io.k8sci.testing.registry.RegistryServer;
import io.k8sci.testing.registry.Skopeo;
import io.k8sci.testing.registry.Umoci;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code it/samples/shop-reactor}: three services in one reactor, built with {@code mvn -T 2
 * deploy}. Each module pushes its own image ({@code $CI_REGISTRY_IMAGE/<module>}) and rolls out its
 * own Deployment, in parallel with the others, through the same plugin instance: nothing may cross
 * over (an image record naming another module's digest, a Deployment pinned to another module's
 * image, a rollout record listing another module's objects).
 *
 * <p>The images need not run, so their base is a small image pushed to the same registry (as a
 * group's base images usually are); credentials come from GitLab's variables, the CA from {@code
 * -Dk8sci.caCertificates}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReactorTest {

  private static final List<String> MODULES = List.of("catalog", "cart", "checkout");
  private static final String NAMESPACE = "shop";

  @TempDir static Path work;

  private RegistryServer registry;
  private TestApiServer api;
  private SimulatedDeploymentController controller;

  @BeforeAll
  void start() {
    registry = RegistryServer.startSecured();
    api = TestApiServer.start();
    controller = SimulatedDeploymentController.start(api);
  }

  @AfterAll
  void stop() {
    if (controller != null) {
      controller.close();
    }
    if (api != null) {
      api.close();
    }
    if (registry != null) {
      registry.close();
    }
  }

  @Test
  void threeModulesInParallelPushThreeImagesAndRollOutThreeDeploymentsWithoutCrossingOver()
      throws Exception {
    Skopeo skopeo = Skopeo.forRegistry(registry);
    String base = registry.image("shop/base/runtime:17");
    Path layout =
        Umoci.tinyImage(
            work.resolve("base"), "17", Map.of("/etc/os-release", "NAME=\"shop base\"\n"));
    skopeo.pushOciLayout(layout, "17", base);
    List<String> baseLayers = skopeo.inspect(base).layers();

    Path project = work.resolve("shop-reactor");
    Path kubeconfig = Cluster.kubeconfig(api, work.resolve("kubeconfig"), "shop:agent", NAMESPACE);
    MavenBuild.Result build =
        MavenBuild.ofSample("shop-reactor", project)
            .env("CI_REGISTRY", registry.host())
            .env("CI_REGISTRY_IMAGE", registry.host() + "/shop")
            .env("CI_REGISTRY_USER", registry.username())
            .env("CI_REGISTRY_PASSWORD", registry.password())
            .env("IMAGE_VERSION", "1.4.0")
            .env("KUBECONFIG", kubeconfig.toString())
            .run(
                "-T",
                "2",
                "deploy",
                "-Dk8sci.from=" + base,
                "-Dk8sci.caCertificates=" + registry.caCertificatePem(),
                "-Dk8sci.cacheDir=" + ItCaches.k8sciCache());
    build.assertSuccess();
    assertThat(build.output())
        .contains("Using the MultiThreadedBuilder implementation with a thread count of 2")
        .doesNotContain(registry.password());

    Set<String> digests = new HashSet<>();
    for (String module : MODULES) {
      String repository = registry.host() + "/shop/" + module;
      Path records = project.resolve(module).resolve("target/k8sci");

      ImageRecord image = ImageRecord.read(records.resolve("image.json"));
      String pushed = skopeo.inspect(repository + ":1.4.0").digest();
      assertThat(image.reference()).as(module).isEqualTo(repository + ":1.4.0");
      assertThat(image.digest()).as(module).isEqualTo(pushed);
      assertThat(skopeo.inspect(repository + ":1.4.0").layers())
          .as(module)
          .startsWith(baseLayers.toArray(String[]::new));
      digests.add(pushed);

      String pinned = repository + ":1.4.0@" + pushed;
      assertThat(Cluster.image(Cluster.deployment(api, NAMESPACE, module)))
          .as(module)
          .isEqualTo(pinned);

      RolloutReport rollout = RolloutReport.read(records.resolve("rollout.json"));
      assertThat(rollout.outcome()).as(module).isEqualTo(RolloutReport.Outcome.SUCCEEDED);
      assertThat(rollout.image()).as(module).isEqualTo(pinned);
      assertThat(rollout.objects())
          .as(module)
          .extracting(RolloutReport.AppliedEntry::object)
          .containsExactly("deployment.apps/" + module);
      assertThat(rollout.workloads())
          .as(module)
          .extracting(RolloutReport.WorkloadEntry::workload)
          .containsExactly("deployment.apps/" + module);

      // No other module's name anywhere in this module's records.
      for (String other : MODULES) {
        if (!other.equals(module)) {
          for (String file : List.of("image.json", "image.env", "rollout.json")) {
            assertThat(Files.readString(records.resolve(file)))
                .as(module + " " + file)
                .doesNotContain("/shop/" + other)
                .doesNotContain("deployment.apps/" + other);
          }
        }
      }
      assertThat(build.output())
          .contains("[INFO] Pushed " + pinned + " in ")
          .contains(
              "[INFO] deployment.apps/"
                  + module
                  + ": deployment \""
                  + module
                  + "\" successfully rolled out");
    }
    assertThat(digests).as("one distinct image per module").hasSize(MODULES.size());
    assertThat(api.client().apps().deployments().inNamespace(NAMESPACE).list().getItems())
        .extracting(d -> d.getMetadata().getName())
        .containsExactlyInAnyOrderElementsOf(MODULES);
  }
}
