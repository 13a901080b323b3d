package io.k8sci.rbac;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.k8sci.cluster.AppliedObject;
import io.k8sci.cluster.ApplyResult;
import io.k8sci.cluster.ClusterConnection;
import io.k8sci.cluster.Rollback;
import io.k8sci.cluster.ServerSideApplier;
import io.k8sci.manifest.ManifestRenderRequest;
import io.k8sci.manifest.ManifestRenderer;
import io.k8sci.rollout.FailureDiagnosis;
import io.k8sci.rollout.RolloutStatusRules;
import io.k8sci.rollout.RolloutWatcher;
import io.k8sci.rollout.RolloutWatcher.Outcome;
import io.k8sci.rollout.RolloutWatcher.Result;
import io.k8sci.rollout.RolloutWatcher.Target;
import io.k8sci.rollout.Undo;
import io.k8sci.testing.RecordingBuildLog;
import io.k8sci.testing.kube.ApiRequest;
import io.k8sci.testing.kube.InstantWorkloadStatus;
import io.k8sci.testing.kube.SimulatedDeploymentController;
import io.k8sci.testing.kube.TestApiServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * THE PROOF that the Role k8sci:rbac generates fits k8sci:rollout exactly: the rollout's steps run
 * against the recording {@link TestApiServer} in the scenarios a pipeline meets (first deploy,
 * no-op, update, undo, failing update with diagnosis and rollback, failing first deploy with
 * rollback), with manifests holding every workload kind; then
 *
 * <ol>
 *   <li>(a) every authorization check those calls cause is allowed by the generated Role;
 *   <li>(b) every (group, resource, verb) the Role grants was checked at least once, and dropping
 *       any single one of them leaves a call unauthorized: nothing more is granted;
 *   <li>(c) no cluster-scoped call was made (the server also runs with {@code
 *       restrictToNamespace}).
 * </ol>
 *
 * The Role comes from the same manifests, rendered by {@link ManifestRenderer} as the goals do, and
 * {@link RbacPlan}; the calls are only those of the code under test (the simulated controllers and
 * the test's own client use other user agents). The steps run in the order of the rollout goal:
 * connect → snapshot + apply → watch → on failure diagnose → roll back → watch; and undo.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RolePermitsExactlyTheRolloutTest {

  static final String NS = "team-a";

  Path dir;
  TestApiServer server;
  SimulatedDeploymentController controller;
  InstantWorkloadStatus workloads;
  ClusterConnection connection;
  final RecordingBuildLog log = new RecordingBuildLog();
  RbacPlan plan;
  List<ApiRequest> checks;

  // ------------------------------------------------------------------ manifests

  /** ConfigMap, Service, Deployment web, StatefulSet cache, DaemonSet agent, and extras. */
  static String manifests(
      String webImage, String config, int port, String sideVersion, String... extra) {
    StringBuilder y =
        new StringBuilder(
            """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: web-config}
            data: {value: "%s"}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec:
              selector: {app: web}
              ports: [{port: %d, targetPort: 8080}]
            ---
            %s
            ---
            %s
            ---
            %s
            """
                .formatted(
                    config,
                    port,
                    workload("Deployment", "web", webImage),
                    workload("StatefulSet", "cache", "cache:" + sideVersion),
                    workload("DaemonSet", "agent", "agent:" + sideVersion)));
    for (String e : extra) {
      y.append("---\n").append(e).append('\n');
    }
    return y.toString();
  }

  static String workload(String kind, String name, String image) {
    return """
        apiVersion: apps/v1
        kind: %s
        metadata: {name: %s}
        spec:
          selector: {matchLabels: {app: %s}}
          template:
            metadata: {labels: {app: %s}}
            spec:
              containers:
              - {name: app, image: "%s"}
        """
        .formatted(kind, name, name, name, image);
  }

  static String configMap(String name) {
    return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + "}\ndata: {a: b}\n";
  }

  static String service(String name) {
    return "apiVersion: v1\nkind: Service\nmetadata: {name: "
        + name
        + "}\nspec:\n  selector: {app: web}\n  ports: [{port: 9090}]\n";
  }

  /** Renders one version of the manifest directory as k8sci:rollout and k8sci:rbac do. */
  List<HasMetadata> render(String version, String yaml) {
    try {
      Path d = Files.createDirectories(dir.resolve(version));
      Files.writeString(d.resolve("app.yaml"), yaml);
      return new ManifestRenderer()
          .render(ManifestRenderRequest.builder(d, NS).pinDigest(false).build())
          .objects();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ------------------------------------------------------------------ the rollout goal's steps

  record Run(
      ServerSideApplier.Report report,
      List<Result> results,
      List<String> diagnoses,
      Rollback.Result rollback,
      List<Result> afterRollback) {
    boolean succeeded() {
      return results.stream().allMatch(Result::succeeded);
    }
  }

  RolloutWatcher watcher() {
    return new RolloutWatcher(connection.client(), NS, log)
        .identity(connection.identity())
        .timeout(Duration.ofSeconds(30));
  }

  /** apply → watch → (failure: diagnose each failed workload → roll back → watch the restored). */
  Run rollout(List<HasMetadata> objects) {
    ServerSideApplier.Report report =
        new ServerSideApplier(connection.client(), NS, log)
            .identity(connection.identity())
            .apply(objects);
    List<Target> targets =
        report.applied().stream()
            .filter(a -> RolloutStatusRules.hasRolloutStatus(a.live()))
            .map(a -> Target.of(a.live(), a.before()))
            .collect(Collectors.toList());
    List<Result> results = watcher().watch(targets);
    if (results.stream().allMatch(Result::succeeded)) {
      return new Run(report, results, List.of(), null, List.of());
    }
    List<String> diagnoses = new ArrayList<>();
    for (Result r : results) {
      if (r.outcome() == Outcome.FAILED) {
        diagnoses.add(new FailureDiagnosis(connection.client(), NS).diagnose(r.lastSeen()));
      }
    }
    Rollback.Result rollback =
        new Rollback(connection.client(), NS, log)
            .identity(connection.identity())
            .restore(report.applied());
    List<Result> after =
        watcher()
            .watch(
                rollback.restoredWorkloads().stream()
                    .map(w -> Target.of(w, null))
                    .collect(Collectors.toList()));
    return new Run(report, results, diagnoses, rollback, after);
  }

  static Map<String, ApplyResult> results(Run run) {
    return run.report().applied().stream()
        .collect(Collectors.toMap(a -> a.ref().display(), AppliedObject::result));
  }

  // ------------------------------------------------------------------ the scenarios, once

  @BeforeAll
  void runTheScenarios(@TempDir Path tempDir) {
    dir = tempDir;
    server = TestApiServer.start();
    server.restrictToNamespace(NS);
    controller = SimulatedDeploymentController.start(server);
    workloads = InstantWorkloadStatus.start(server, NS);
    connection =
        ClusterConnection.builder()
            .server(server.url())
            .token(TestApiServer.TOKEN)
            .namespace(NS)
            .log(log) // the goal's default transport retries
            .build();

    List<HasMetadata> v1 = render("v1", manifests("web:1", "v1", 80, "1"));
    List<HasMetadata> v2 = render("v2", manifests("web:2", "v2", 80, "1"));
    List<HasMetadata> v3 =
        render(
            "v3",
            manifests(
                "web:3-crashloop", "v3", 8080, "3", configMap("web-extra"), service("web-admin")));
    List<HasMetadata> v4 =
        render(
            "v4",
            manifests(
                "web:2",
                "v2",
                80,
                "1",
                workload("Deployment", "worker", "worker:1-unpullable"),
                workload("StatefulSet", "cache2", "cache:2"),
                workload("DaemonSet", "agent2", "agent:2")));
    // the Role for these manifests, as k8sci:rbac derives it
    List<HasMetadata> all = new ArrayList<>();
    for (List<HasMetadata> v : List.of(v1, v2, v3, v4)) {
      all.addAll(v);
    }
    plan = RbacPlan.builder(NS).objects(all).build();

    // 1. first deploy
    Run first = rollout(v1);
    assertThat(first.succeeded()).as("first deploy: %s", first.results()).isTrue();
    assertThat(results(first).values()).containsOnly(ApplyResult.CREATED);
    // 2. the same manifests again
    Run noop = rollout(v1);
    assertThat(noop.succeeded()).isTrue();
    assertThat(results(noop).values()).containsOnly(ApplyResult.UNCHANGED);
    // 3. an update
    Run update = rollout(v2);
    assertThat(update.succeeded()).as("update: %s", update.results()).isTrue();
    assertThat(results(update))
        .containsEntry("deployment.apps/web", ApplyResult.CONFIGURED)
        .containsEntry("configmap/web-config", ApplyResult.CONFIGURED);
    // 4. k8sci:undo
    Undo.Result undo =
        new Undo(connection.client(), NS, log).identity(connection.identity()).undo("web", null);
    assertThat(undo.skipped()).isFalse();
    assertThat(watcher().watch(List.of(Target.of(undo.after(), undo.before()))))
        .allMatch(Result::succeeded);
    // 5. a failing update: diagnosed, rolled back (changed objects restored, new ones deleted)
    Run failing = rollout(v3);
    assertThat(failing.results())
        .anyMatch(r -> r.outcome() == Outcome.FAILED && r.ref().name().equals("web"));
    assertThat(failing.diagnoses()).singleElement().asString().contains("(previous instance)");
    assertThat(failing.rollback().deleted())
        .extracting(ref -> ref.display())
        .containsExactlyInAnyOrder("configmap/web-extra", "service/web-admin");
    assertThat(failing.rollback().restored())
        .extracting(HasMetadata::getKind)
        .contains("ConfigMap", "Service", "Deployment", "StatefulSet", "DaemonSet");
    assertThat(failing.afterRollback()).isNotEmpty().allMatch(Result::succeeded);
    // 6. a failing first deploy of new workloads: rolled back by deleting them
    Run failingNew = rollout(v4);
    assertThat(failingNew.results())
        .anyMatch(r -> r.outcome() == Outcome.FAILED && r.ref().name().equals("worker"));
    assertThat(failingNew.rollback().deleted())
        .extracting(ref -> ref.display())
        .contains("deployment.apps/worker", "statefulset.apps/cache2", "daemonset.apps/agent2");

    checks = server.authorizationChecks();
    // the simulated controllers are test-side: a request of theirs that timed out on a loaded
    // machine is retried on their next tick and says nothing about the Role; anything else is a bug
    assertThat(rootCauses(controller.errors()))
        .filteredOn(e -> !e.contains("HttpTimeoutException"))
        .isEmpty();
    assertThat(rootCauses(workloads.errors()))
        .filteredOn(e -> !e.contains("HttpTimeoutException"))
        .isEmpty();
  }

  static List<String> rootCauses(List<Throwable> errors) {
    List<String> out = new ArrayList<>();
    for (Throwable e : errors) {
      Throwable root = e;
      while (root.getCause() != null) {
        root = root.getCause();
      }
      out.add(e.getMessage() + " <- " + root);
    }
    return out;
  }

  @AfterAll
  void stop() {
    if (connection != null) {
      connection.close();
    }
    if (workloads != null) {
      workloads.close();
    }
    if (controller != null) {
      controller.close();
    }
    if (server != null) {
      server.close();
    }
  }

  // ------------------------------------------------------------------ the assertions

  /**
   * The object name the authorizer sees: from the path, or a list/watch's metadata.name selector.
   */
  static String authorizedName(ApiRequest r) {
    if (r.name() != null) {
      return r.name();
    }
    String selector = r.queryParameters().getOrDefault("fieldSelector", "");
    for (String term : selector.split(",")) {
      if (term.startsWith("metadata.name=")) {
        return term.substring("metadata.name=".length());
      }
    }
    return null;
  }

  static List<ApiRequest> notAllowed(List<ApiRequest> checks, List<PolicyRule> rules) {
    return checks.stream()
        .filter(r -> !r.nonResource())
        .filter(
            r ->
                !PolicyRules.allows(
                    rules, r.verb(), r.group(), r.resource(), r.subresource(), authorizedName(r)))
        .collect(Collectors.toList());
  }

  static Set<String> checkedKeys(List<ApiRequest> checks) {
    return checks.stream()
        .filter(r -> !r.nonResource())
        .map(r -> r.verb() + " " + r.groupResource())
        .collect(Collectors.toCollection(LinkedHashSet::new));
  }

  @Test
  void a_everyCallOfTheRolloutIsAllowedByTheGeneratedRole() {
    assertThat(checks).hasSizeGreaterThan(50);
    assertThat(notAllowed(checks, plan.rules())).isEmpty();
    // the SSA-created objects were also checked for create, and only those
    assertThat(checks).anyMatch(r -> r.verb().equals("create") && "PATCH".equals(r.method()));
  }

  @Test
  void b_everyPermissionOfTheRoleWasUsedAndEachIsNecessary() {
    Set<String> used = checkedKeys(checks);
    List<Permission> granted = PolicyRules.expand(plan.rules());
    assertThat(granted).extracting(Permission::key).allSatisfy(k -> assertThat(used).contains(k));
    // necessity: without any single permission, some call of the rollout would be refused
    for (Permission p : plan.permissions()) {
      List<Permission> without = new ArrayList<>(plan.permissions());
      without.remove(p);
      assertThat(notAllowed(checks, PolicyRules.compact(without)))
          .as("calls refused without %s", p.key())
          .isNotEmpty();
    }
  }

  @Test
  void b_aPermissionTheRolloutDoesNotUseWouldBeDetected() {
    List<Permission> widened = new ArrayList<>(plan.permissions());
    widened.add(new Permission("", "secrets", "get", "not used by the rollout"));
    Set<String> used = checkedKeys(checks);
    assertThat(PolicyRules.expand(PolicyRules.compact(widened)))
        .extracting(Permission::key)
        .filteredOn(k -> !used.contains(k))
        .containsExactly("get secrets");
  }

  @Test
  void c_noClusterScopedCallWasMade() {
    assertThat(checks).filteredOn(ApiRequest::clusterScoped).isEmpty();
    assertThat(checks)
        .filteredOn(r -> !r.nonResource())
        .allSatisfy(r -> assertThat(r.namespace()).isEqualTo(NS));
    // non-resource calls, if any, are discovery, which every authenticated user may read
    assertThat(checks)
        .filteredOn(ApiRequest::nonResource)
        .allSatisfy(r -> assertThat(r.path()).matches("/(api|apis|version)(/.*)?"));
  }

  @Test
  void theRoleCoversEveryWorkloadKindAndEveryRolloutStep() {
    // the scenarios really went through every step the model names
    assertThat(plan.permissions())
        .extracting(Permission::reason)
        .anyMatch(r -> r.contains(RolloutPermissions.APPLY_CREATE))
        .anyMatch(r -> r.contains(RolloutPermissions.ROLLBACK_DELETE))
        .anyMatch(r -> r.contains(RolloutPermissions.LOGS))
        .anyMatch(r -> r.contains(RolloutPermissions.UNDO));
    assertThat(plan.kinds())
        .containsExactly(
            "ConfigMap", "DaemonSet.apps", "Deployment.apps", "Service", "StatefulSet.apps");
  }
}
