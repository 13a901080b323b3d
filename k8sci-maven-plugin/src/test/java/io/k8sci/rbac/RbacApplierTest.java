package io.k8sci.rbac;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.k8sci.K8sciException;
import io.k8sci.cluster.AppliedObject;
import io.k8sci.cluster.ApplyResult;
import io.k8sci.cluster.ClusterConnection;
import io.k8sci.testing.RecordingBuildLog;
import io.k8sci.testing.kube.ApiRequest;
import io.k8sci.testing.kube.TestApiServer;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** k8sci:rbac -Dk8sci.apply against the test API server. */
class RbacApplierTest {

  static final String NS = "team-a";
  static TestApiServer server;
  ClusterConnection admin;
  RecordingBuildLog log;

  @BeforeAll
  static void startServer() {
    server = TestApiServer.start();
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @BeforeEach
  void setUp() {
    server.reset();
    server.identity("kubernetes-admin");
    log = new RecordingBuildLog();
    admin =
        ClusterConnection.builder()
            .server(server.url())
            .token(TestApiServer.TOKEN)
            .namespace(NS)
            .requestRetries(0)
            .log(log)
            .build();
  }

  @AfterEach
  void tearDown() {
    admin.close();
  }

  static List<HasMetadata> manifests() {
    return List.of(
        new ConfigMapBuilder().withNewMetadata().withName("c").endMetadata().build(),
        new DeploymentBuilder()
            .withNewMetadata()
            .withName("web")
            .endMetadata()
            .withNewSpec()
            .withNewSelector()
            .addToMatchLabels("app", "web")
            .endSelector()
            .endSpec()
            .build());
  }

  @Test
  void applyCreatesTheThreeObjectsWithServerSideApplyAndIsIdempotent() {
    RbacPlan plan = RbacPlan.builder(NS).objects(manifests()).build();

    List<AppliedObject> applied = new RbacApplier(admin, log).apply(plan);

    assertThat(applied).extracting(AppliedObject::result).containsOnly(ApplyResult.CREATED);
    assertThat(log.info())
        .contains(
            "serviceaccount/k8sci-deployer created",
            "role.rbac.authorization.k8s.io/k8sci-deployer created",
            "rolebinding.rbac.authorization.k8s.io/k8sci-deployer created");
    var c = server.client();
    assertThat(c.serviceAccounts().inNamespace(NS).withName("k8sci-deployer").get()).isNotNull();
    Role role = c.rbac().roles().inNamespace(NS).withName("k8sci-deployer").get();
    assertThat(role.getRules()).isEqualTo(plan.rules());
    RoleBinding binding = c.rbac().roleBindings().inNamespace(NS).withName("k8sci-deployer").get();
    assertThat(binding.getSubjects().get(0).getName()).isEqualTo("k8sci-deployer");
    // server-side apply with our field manager, nothing outside the namespace
    List<ApiRequest> patches = server.requests(r -> r.verb().equals("patch"));
    assertThat(patches).hasSize(3);
    assertThat(patches)
        .allSatisfy(
            r -> {
              assertThat(r.contentType()).startsWith("application/apply-patch+yaml");
              assertThat(r.queryParameters()).containsEntry("fieldManager", "k8sci");
            });
    assertThat(server.requests()).noneMatch(ApiRequest::clusterScoped);

    log.clear();
    List<AppliedObject> again = new RbacApplier(admin, log).apply(plan);
    assertThat(again).extracting(AppliedObject::result).containsOnly(ApplyResult.UNCHANGED);
  }

  @Test
  void aNewKindInTheManifestsUpdatesTheRole() {
    new RbacApplier(admin, log).apply(RbacPlan.builder(NS).objects(manifests()).build());
    RbacPlan wider =
        RbacPlan.builder(NS).objects(manifests()).kind("networking.k8s.io/v1", "Ingress").build();

    List<AppliedObject> applied = new RbacApplier(admin, log).apply(wider);

    assertThat(applied)
        .extracting(a -> a.ref().kind() + " " + a.result())
        .containsExactly("ServiceAccount UNCHANGED", "Role CONFIGURED", "RoleBinding UNCHANGED");
    assertThat(server.client().rbac().roles().inNamespace(NS).withName("k8sci-deployer").get())
        .satisfies(r -> assertThat(r.getRules()).isEqualTo(wider.rules()));
  }

  @Test
  void forbiddenSaysThatAnAdministratorMustApplyIt() {
    server.failNext("patch", "roles.rbac.authorization.k8s.io", 1, 403);
    RbacPlan plan = RbacPlan.builder(NS).objects(manifests()).build();

    assertThatThrownBy(() -> new RbacApplier(admin, log).apply(plan))
        .isInstanceOf(K8sciException.class)
        .hasMessageStartingWith(
            "forbidden: the current credentials may not manage ServiceAccounts, Roles and"
                + " RoleBindings in namespace \"team-a\". Applying RBAC needs an administrator's"
                + " own kubeconfig")
        .hasMessageContaining("never the deploy kubeconfig")
        .hasMessageContaining("kubectl apply --server-side -f rbac.yaml")
        .hasMessageContaining(
            "Server said: roles.rbac.authorization.k8s.io \"k8sci-deployer\" is forbidden: User"
                + " \"kubernetes-admin\" cannot patch resource \"roles\"");
  }
}
