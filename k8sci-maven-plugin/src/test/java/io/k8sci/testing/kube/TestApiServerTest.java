package io.k8sci.testing.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TestApiServerTest {

  private TestApiServer server;
  private KubernetesClient codeUnderTest;

  @BeforeEach
  void start() {
    server = TestApiServer.start();
    codeUnderTest = new KubernetesClientBuilder().withConfig(server.config("team-a")).build();
  }

  @AfterEach
  void stop() {
    codeUnderTest.close();
    server.close();
  }

  static Deployment deployment(String image) {
    return new DeploymentBuilder()
        .withNewMetadata()
        .withName("web")
        .withNamespace("team-a")
        .addToLabels("app", "web")
        .endMetadata()
        .withNewSpec()
        .withReplicas(2)
        .withNewSelector()
        .addToMatchLabels("app", "web")
        .endSelector()
        .withNewTemplate()
        .withNewMetadata()
        .addToLabels("app", "web")
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("app")
        .withImage(image)
        .endContainer()
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  private Deployment apply(Deployment d) {
    return codeUnderTest.resource(d).fieldManager("k8sci").forceConflicts().serverSideApply();
  }

  @Test
  void serverSideApplyCreatesThenOverlaysAndBumpsGenerationOnlyOnSpecChange() {
    Deployment created = apply(deployment("app:1"));
    assertThat(created.getMetadata().getGeneration()).isEqualTo(1L);
    assertThat(created.getMetadata().getUid()).isNotBlank();

    // something else (an autoscaler, the controller) owns other fields: they survive our apply
    server
        .client()
        .apps()
        .deployments()
        .inNamespace("team-a")
        .withName("web")
        .edit(
            d ->
                new DeploymentBuilder(d)
                    .editMetadata()
                    .addToAnnotations("other", "kept")
                    .endMetadata()
                    .build());
    Deployment same = apply(deployment("app:1"));
    assertThat(same.getMetadata().getGeneration()).isEqualTo(1L);
    assertThat(same.getMetadata().getAnnotations()).containsEntry("other", "kept");
    assertThat(same.getMetadata().getUid()).isEqualTo(created.getMetadata().getUid());

    Deployment changed = apply(deployment("app:2"));
    assertThat(changed.getMetadata().getGeneration()).isEqualTo(2L);
    assertThat(changed.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
        .isEqualTo("app:2");
    assertThat(changed.getMetadata().getResourceVersion())
        .isNotEqualTo(same.getMetadata().getResourceVersion());

    List<ApiRequest> patches = server.requests(r -> r.verb().equals("patch"));
    assertThat(patches).hasSize(3);
    assertThat(patches.get(0).groupResource()).isEqualTo("deployments.apps");
    assertThat(patches.get(0).namespace()).isEqualTo("team-a");
    assertThat(patches.get(0).contentType()).startsWith("application/apply-patch+yaml");
    assertThat(patches.get(0).queryParameters()).containsEntry("fieldManager", "k8sci");
    // the harness's own edit is not attributed to the code under test
    assertThat(server.requests(r -> r.verb().equals("update"))).isEmpty();
  }

  @Test
  void updateOfMainResourceKeepsStatusLikeTheRealServer() {
    apply(deployment("app:1"));
    var ops = server.client().apps().deployments().inNamespace("team-a").withName("web");
    Deployment live = ops.get();
    live.setStatus(
        new io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder()
            .withObservedGeneration(1L)
            .withReplicas(2)
            .build());
    server.client().resource(live).updateStatus();
    Deployment withoutStatus = ops.get();
    withoutStatus.setStatus(null);
    withoutStatus.getMetadata().getLabels().put("extra", "x");
    server.client().resource(withoutStatus).update();
    assertThat(ops.get().getStatus().getReplicas()).isEqualTo(2);
  }

  @Test
  void watchWithNameFieldSelectorSeesOnlyThatObject() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    CountDownLatch modified = new CountDownLatch(1);
    apply(deployment("app:1"));
    try (Watch w =
        codeUnderTest
            .apps()
            .deployments()
            .inNamespace("team-a")
            .withName("web")
            .watch(
                new Watcher<>() {
                  @Override
                  public void eventReceived(Action action, Deployment resource) {
                    seen.add(action + " " + resource.getMetadata().getName());
                    if (action == Action.MODIFIED) {
                      modified.countDown();
                    }
                  }

                  @Override
                  public void onClose(WatcherException cause) {}
                })) {
      Deployment other = deployment("app:1");
      other.getMetadata().setName("other");
      apply(other);
      apply(deployment("app:2"));
      assertThat(modified.await(5, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(seen).allMatch(s -> s.endsWith(" web"));
    assertThat(server.requests(r -> r.verb().equals("watch")).get(0).queryParameters())
        .containsEntry("fieldSelector", "metadata.name=web");
  }

  @Test
  void injectedFaultsAnswerTheNextMatchingRequestsWithAStatus() {
    server.failNext("patch", "deployments.apps", 1, 409);
    assertThatThrownBy(() -> apply(deployment("app:1")))
        .isInstanceOf(KubernetesClientException.class)
        .satisfies(
            e -> {
              KubernetesClientException k = (KubernetesClientException) e;
              assertThat(k.getCode()).isEqualTo(409);
              assertThat(k.getStatus().getReason()).isEqualTo("Conflict");
            });
    assertThat(apply(deployment("app:1"))).isNotNull();
  }

  @Test
  void namespaceRestrictionForbidsClusterScopedAndForeignNamespaceCalls() {
    server.restrictToNamespace("team-a");
    assertThatThrownBy(() -> codeUnderTest.namespaces().list())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining(
            "namespaces is forbidden: User \"system:serviceaccount:team-a:k8sci-deployer\" cannot"
                + " list resource \"namespaces\" in API group \"\" at the cluster scope");
    assertThatThrownBy(() -> codeUnderTest.configMaps().inNamespace("team-b").withName("x").get())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("in the namespace \"team-b\"");
    codeUnderTest
        .configMaps()
        .inNamespace("team-a")
        .resource(new ConfigMapBuilder().withNewMetadata().withName("ok").endMetadata().build())
        .create();
    assertThat(server.requests(ApiRequest::clusterScoped)).hasSize(1);
  }

  @Test
  void servesPodLogsWithTailAndPrevious() {
    server
        .client()
        .pods()
        .inNamespace("team-a")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("web-1")
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("app")
                .withImage("x")
                .endContainer()
                .endSpec()
                .build())
        .create();
    server.setPodLog("team-a", "web-1", "app", true, "one\ntwo\nthree\n");
    String tail =
        codeUnderTest
            .pods()
            .inNamespace("team-a")
            .withName("web-1")
            .inContainer("app")
            .terminated()
            .tailingLines(2)
            .getLog();
    assertThat(tail).isEqualTo("two\nthree\n");
    assertThat(server.requests(r -> "log".equals(r.subresource())).get(0).groupResource())
        .isEqualTo("pods/log");
  }

  @Test
  void filtersEventsByInvolvedObject() {
    for (String pod : List.of("web-1", "web-2")) {
      server
          .client()
          .v1()
          .events()
          .inNamespace("team-a")
          .resource(
              new EventBuilder()
                  .withNewMetadata()
                  .withName(pod + ".1")
                  .endMetadata()
                  .withNewInvolvedObject()
                  .withKind("Pod")
                  .withName(pod)
                  .endInvolvedObject()
                  .withReason("BackOff")
                  .build())
          .create();
    }
    var events =
        codeUnderTest
            .v1()
            .events()
            .inNamespace("team-a")
            .withField("involvedObject.name", "web-2")
            .list()
            .getItems();
    assertThat(events).extracting(e -> e.getMetadata().getName()).containsExactly("web-2.1");
  }
}
