package io.k8sci.testing.kube;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.DeploymentConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A test-side stand-in for kube-controller-manager's deployment and replica-set controllers and for
 * the kubelet, running against a {@link TestApiServer} (which runs no controllers).
 *
 * <p>Why: {@code k8sci:rollout} is only as good as its reaction to what a real cluster does during
 * a rollout. This controller produces the same sequence of objects and status fields the real
 * controllers produce, one step per tick so that the watcher sees several intermediate states:
 *
 * <ol>
 *   <li>a Deployment whose pod template has no ReplicaSet yet gets one, named {@code NAME-HASH}
 *       with label {@code pod-template-hash}, annotation {@code deployment.kubernetes.io/revision}
 *       = highest revision + 1 and an ownerReference (a rollback to an older template reuses that
 *       ReplicaSet and gives it the next revision); the Deployment's own revision annotation
 *       follows; {@code status.observedGeneration} is set;
 *   <li>rolling update with maxSurge 1 / maxUnavailable 0: scale the new ReplicaSet up by one while
 *       the total stays within replicas + 1, scale an old one down by one as soon as enough new
 *       pods are available;
 *   <li>each ReplicaSet gets Pods (labels + pod-template-hash, ownerReference); the "kubelet" moves
 *       each pod Pending/ContainerCreating → Running/Ready, or into a failure chosen by the first
 *       container's image name (see {@link PodBehaviour});
 *   <li>Deployment status: replicas, updatedReplicas, readyReplicas, availableReplicas,
 *       unavailableReplicas, conditions {@code Available} and {@code Progressing} (reason
 *       NewReplicaSetCreated / ReplicaSetUpdated / NewReplicaSetAvailable, or
 *       ProgressDeadlineExceeded once no progress was made for {@code progressDeadlineSeconds} —
 *       simulated seconds, see {@link Builder#simulatedSecond});
 *   <li>garbage collection: ReplicaSets and Pods whose owner is gone are deleted.
 * </ol>
 *
 * Simplifications: the strategy is always RollingUpdate with surge 1 / unavailable 0 whatever the
 * spec says; minReadySeconds is 0 (ready = available); no scheduling, nodes or resources.
 * StatefulSets and DaemonSets are not simulated. It polls the server every tick (test side only;
 * its requests carry {@link TestApiServer#CONTROLLER_USER_AGENT} and are not attributed to the code
 * under test).
 */
public final class SimulatedDeploymentController implements AutoCloseable {

  static final String REVISION = "deployment.kubernetes.io/revision";
  static final String HASH_LABEL = "pod-template-hash";

  /**
   * What the simulated kubelet does with a pod, chosen by a marker in the first container's image
   * reference (e.g. {@code registry.example/web:1.0-crashloop}).
   */
  public enum PodBehaviour {
    /** Ready one tick after creation. */
    HEALTHY(""),
    /** Ready after {@link Builder#slowTicks} ticks. */
    SLOW("slow"),
    /** ErrImagePull, then ImagePullBackOff forever; events Failed / BackOff. */
    UNPULLABLE("unpullable"),
    /** Starts, exits with code 1, CrashLoopBackOff with growing restartCount; log text. */
    CRASHLOOP("crashloop"),
    /** Killed for memory: lastState terminated OOMKilled exit 137, then CrashLoopBackOff. */
    OOMKILLED("oomkilled"),
    /** Running but the readiness probe keeps failing; event Unhealthy. */
    NEVER_READY("never-ready");

    private final String marker;

    PodBehaviour(String marker) {
      this.marker = marker;
    }

    public String marker() {
      return marker;
    }

    static PodBehaviour of(String image) {
      for (PodBehaviour b : values()) {
        if (!b.marker.isEmpty() && image != null && image.contains(b.marker)) {
          return b;
        }
      }
      return HEALTHY;
    }
  }

  /** Log lines a crash-looping container printed before it exited. */
  public static final String CRASH_LOG =
      "Starting WebApplication using Java 17\n"
          + "The following 1 profile is active: \"prod\"\n"
          + "Application run failed\n"
          + "java.lang.IllegalStateException: DATABASE_URL is not set\n"
          + "\tat com.example.web.DatabaseConfig.dataSource(DatabaseConfig.java:21)\n";

  private final TestApiServer server;
  private final KubernetesClient client;
  private final Duration tick;
  private final Duration simulatedSecond;
  private final int slowTicks;
  private final Thread thread;
  private volatile boolean running = true;
  private final Map<String, Integer> podAge = new ConcurrentHashMap<>();
  private final Map<String, Progress> progress = new ConcurrentHashMap<>();
  private final Set<String> emittedEvents = ConcurrentHashMap.newKeySet();
  private final List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final Map<String, Long> completions = new ConcurrentHashMap<>();

  private record Progress(String fingerprint, Instant since) {}

  private SimulatedDeploymentController(Builder b) {
    this.server = b.server;
    this.tick = b.tick;
    this.simulatedSecond = b.simulatedSecond;
    this.slowTicks = b.slowTicks;
    this.client = server.newClient(TestApiServer.CONTROLLER_USER_AGENT, "default");
    this.thread = new Thread(this::loop, "simulated-deployment-controller");
    this.thread.setDaemon(true);
  }

  public static Builder builder(TestApiServer server) {
    return new Builder(server);
  }

  /** Starts a controller with defaults (tick 40 ms, simulated second 10 ms, slow = 10 ticks). */
  public static SimulatedDeploymentController start(TestApiServer server) {
    return builder(server).start();
  }

  public static final class Builder {
    private final TestApiServer server;
    private Duration tick = Duration.ofMillis(40);
    private Duration simulatedSecond = Duration.ofMillis(10);
    private int slowTicks = 10;

    private Builder(TestApiServer server) {
      this.server = server;
    }

    /** Time between two steps. */
    public Builder tick(Duration tick) {
      this.tick = tick;
      return this;
    }

    /**
     * How long one second of {@code progressDeadlineSeconds} lasts here (default 10 ms, so the
     * default deadline of 600 s passes after 6 s without progress).
     */
    public Builder simulatedSecond(Duration d) {
      this.simulatedSecond = d;
      return this;
    }

    public Builder slowTicks(int ticks) {
      this.slowTicks = ticks;
      return this;
    }

    public SimulatedDeploymentController start() {
      SimulatedDeploymentController c = new SimulatedDeploymentController(this);
      c.thread.start();
      return c;
    }
  }

  /**
   * When this controller wrote the status that completes the rollout of a Deployment's generation
   * (all replicas updated, available, no old ones left), as {@link System#nanoTime()} taken just
   * before the write was sent; empty while that has not happened. For latency measurements (the
   * rollout benchmark): the time from here to the moment a watcher reports success.
   */
  public java.util.OptionalLong completedAt(String namespace, String name, long generation) {
    Long nanos = completions.get(completionKey(namespace, name, generation));
    return nanos == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(nanos);
  }

  private static String completionKey(String namespace, String name, Long generation) {
    return namespace + "/" + name + "/" + generation;
  }

  /** Unexpected errors of the loop (conflicts with concurrent writers are retried, not listed). */
  public List<Throwable> errors() {
    return List.copyOf(errors);
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    client.close();
  }

  private void loop() {
    while (running) {
      try {
        reconcile();
      } catch (RuntimeException e) {
        if (running && !isConflict(e)) {
          errors.add(e);
        }
      }
      try {
        Thread.sleep(tick.toMillis());
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private static boolean isConflict(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof io.fabric8.kubernetes.client.KubernetesClientException k
          && (k.getCode() == 409 || k.getCode() == 404)) {
        return true;
      }
    }
    return false;
  }

  // ------------------------------------------------------------------ reconcile

  private void reconcile() {
    List<Deployment> deployments = client.apps().deployments().inAnyNamespace().list().getItems();
    List<ReplicaSet> replicaSets = client.apps().replicaSets().inAnyNamespace().list().getItems();
    List<Pod> pods = client.pods().inAnyNamespace().list().getItems();

    Set<String> deploymentUids =
        deployments.stream().map(d -> d.getMetadata().getUid()).collect(Collectors.toSet());
    for (ReplicaSet rs : replicaSets) {
      String owner = controllerUid(rs.getMetadata());
      if (owner != null && !deploymentUids.contains(owner)) {
        client.resource(rs).delete();
      }
    }
    for (Deployment d : deployments) {
      reconcileDeployment(
          d,
          replicaSets.stream()
              .filter(rs -> d.getMetadata().getUid().equals(controllerUid(rs.getMetadata())))
              .collect(Collectors.toList()));
    }
    // kubelet + garbage collection of pods
    Map<String, ReplicaSet> rsByUid = new HashMap<>();
    client
        .apps()
        .replicaSets()
        .inAnyNamespace()
        .list()
        .getItems()
        .forEach(rs -> rsByUid.put(rs.getMetadata().getUid(), rs));
    pods = client.pods().inAnyNamespace().list().getItems();
    for (Pod pod : pods) {
      String owner = controllerUid(pod.getMetadata());
      if (owner != null && !rsByUid.containsKey(owner)) {
        client.resource(pod).delete();
        continue;
      }
      kubelet(pod);
    }
  }

  private void reconcileDeployment(Deployment d, List<ReplicaSet> owned) {
    String ns = d.getMetadata().getNamespace();
    int replicas = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
    String hash = templateHash(d.getSpec().getTemplate());
    long maxRevision =
        owned.stream().mapToLong(SimulatedDeploymentController::revision).max().orElse(0);
    ReplicaSet newRs =
        owned.stream()
            .filter(rs -> hash.equals(labels(rs.getMetadata()).get(HASH_LABEL)))
            .findFirst()
            .orElse(null);
    boolean created = false;
    if (newRs == null) {
      newRs = createReplicaSet(d, hash, maxRevision + 1);
      owned = new ArrayList<>(owned);
      owned.add(newRs);
      created = true;
    } else if (revision(newRs) < maxRevision) {
      // rollback to an older template: that ReplicaSet becomes the newest revision
      long next = maxRevision + 1;
      newRs =
          client
              .apps()
              .replicaSets()
              .inNamespace(ns)
              .withName(newRs.getMetadata().getName())
              .edit(
                  rs ->
                      new ReplicaSetBuilder(rs)
                          .editMetadata()
                          .addToAnnotations(REVISION, Long.toString(next))
                          .endMetadata()
                          .build());
    }
    String rev = Long.toString(revision(newRs));
    if (!rev.equals(annotations(d.getMetadata()).get(REVISION))) {
      d =
          client
              .apps()
              .deployments()
              .inNamespace(ns)
              .withName(d.getMetadata().getName())
              .edit(
                  x ->
                      new io.fabric8.kubernetes.api.model.apps.DeploymentBuilder(x)
                          .editMetadata()
                          .addToAnnotations(REVISION, rev)
                          .endMetadata()
                          .build());
    }

    String newName = newRs.getMetadata().getName();
    List<ReplicaSet> old =
        owned.stream()
            .filter(rs -> !rs.getMetadata().getName().equals(newName))
            .collect(Collectors.toList());
    int newSpec = specReplicas(newRs);
    int oldSpec = old.stream().mapToInt(SimulatedDeploymentController::specReplicas).sum();
    int newAvailable = availablePods(newRs);

    if (!created) {
      if (newSpec > replicas) {
        scale(newRs, replicas);
      } else if (newSpec < replicas && newSpec + oldSpec < replicas + 1) {
        scale(newRs, newSpec + 1);
      } else if (oldSpec > 0 && newAvailable + oldSpec > replicas) {
        ReplicaSet victim =
            old.stream()
                .filter(rs -> specReplicas(rs) > 0)
                .min(Comparator.comparingLong(SimulatedDeploymentController::revision))
                .orElseThrow();
        scale(victim, specReplicas(victim) - 1);
      }
    }
    ensurePods(newRs);
    old.forEach(this::ensurePods);
    updateStatuses(d, newRs, old, replicas, created);
  }

  private ReplicaSet createReplicaSet(Deployment d, String hash, long revision) {
    PodTemplateSpec template = Serialization.clone(d.getSpec().getTemplate());
    if (template.getMetadata() == null) {
      template.setMetadata(new ObjectMeta());
    }
    Map<String, String> podLabels = new LinkedHashMap<>(labels(template.getMetadata()));
    podLabels.put(HASH_LABEL, hash);
    template.getMetadata().setLabels(podLabels);
    Map<String, String> selector = new LinkedHashMap<>();
    if (d.getSpec().getSelector() != null && d.getSpec().getSelector().getMatchLabels() != null) {
      selector.putAll(d.getSpec().getSelector().getMatchLabels());
    }
    selector.put(HASH_LABEL, hash);
    ReplicaSet rs =
        new ReplicaSetBuilder()
            .withNewMetadata()
            .withName(d.getMetadata().getName() + "-" + hash)
            .withNamespace(d.getMetadata().getNamespace())
            .withLabels(podLabels)
            .addToAnnotations(REVISION, Long.toString(revision))
            .addToAnnotations(
                "deployment.kubernetes.io/desired-replicas",
                String.valueOf(d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas()))
            .withOwnerReferences(ownerRef("apps/v1", "Deployment", d.getMetadata()))
            .endMetadata()
            .withNewSpec()
            .withReplicas(0)
            .withNewSelector()
            .withMatchLabels(selector)
            .endSelector()
            .withTemplate(template)
            .endSpec()
            .build();
    return client
        .apps()
        .replicaSets()
        .inNamespace(d.getMetadata().getNamespace())
        .resource(rs)
        .create();
  }

  private void scale(ReplicaSet rs, int replicas) {
    client
        .apps()
        .replicaSets()
        .inNamespace(rs.getMetadata().getNamespace())
        .withName(rs.getMetadata().getName())
        .edit(
            x -> {
              x.getSpec().setReplicas(replicas);
              return x;
            });
    rs.getSpec().setReplicas(replicas);
  }

  private List<Pod> podsOf(ReplicaSet rs) {
    return client
        .pods()
        .inNamespace(rs.getMetadata().getNamespace())
        .withLabel(HASH_LABEL, labels(rs.getMetadata()).get(HASH_LABEL))
        .list()
        .getItems()
        .stream()
        .filter(p -> rs.getMetadata().getUid().equals(controllerUid(p.getMetadata())))
        .sorted(Comparator.comparing(p -> p.getMetadata().getName()))
        .collect(Collectors.toList());
  }

  private int availablePods(ReplicaSet rs) {
    return (int) podsOf(rs).stream().filter(SimulatedDeploymentController::isReady).count();
  }

  private void ensurePods(ReplicaSet rs) {
    List<Pod> pods = podsOf(rs);
    int desired = specReplicas(rs);
    for (int i = pods.size(); i < desired; i++) {
      String name = rs.getMetadata().getName() + "-" + randomSuffix(5);
      Pod pod =
          new PodBuilder()
              .withNewMetadata()
              .withName(name)
              .withNamespace(rs.getMetadata().getNamespace())
              .withLabels(labels(rs.getSpec().getTemplate().getMetadata()))
              .withOwnerReferences(ownerRef("apps/v1", "ReplicaSet", rs.getMetadata()))
              .endMetadata()
              .withSpec(Serialization.clone(rs.getSpec().getTemplate().getSpec()))
              .withStatus(
                  new PodStatusBuilder()
                      .withPhase("Pending")
                      .withContainerStatuses(
                          waiting(
                              rs.getSpec().getTemplate().getSpec().getContainers().get(0).getName(),
                              rs.getSpec()
                                  .getTemplate()
                                  .getSpec()
                                  .getContainers()
                                  .get(0)
                                  .getImage(),
                              "ContainerCreating",
                              null,
                              0,
                              null))
                      .build())
              .build();
      client.pods().inNamespace(rs.getMetadata().getNamespace()).resource(pod).create();
    }
    if (pods.size() > desired) {
      List<Pod> victims = new ArrayList<>(pods);
      victims.sort(Comparator.comparing(SimulatedDeploymentController::isReady));
      for (Pod p : victims.subList(0, pods.size() - desired)) {
        client.resource(p).delete();
        podAge.remove(p.getMetadata().getUid());
      }
    }
    int ready = availablePods(rs);
    int total = Math.min(podsOf(rs).size(), Math.max(desired, 0));
    var status =
        new ReplicaSetStatusBuilder()
            .withReplicas(total)
            .withReadyReplicas(ready)
            .withAvailableReplicas(ready)
            .withFullyLabeledReplicas(total)
            .withObservedGeneration(rs.getMetadata().getGeneration())
            .build();
    if (!status.equals(rs.getStatus())) {
      ReplicaSet live =
          client
              .apps()
              .replicaSets()
              .inNamespace(rs.getMetadata().getNamespace())
              .withName(rs.getMetadata().getName())
              .get();
      if (live != null) {
        live.setStatus(status);
        client.resource(live).updateStatus();
      }
    }
  }

  private void updateStatuses(
      Deployment d, ReplicaSet newRs, List<ReplicaSet> old, int replicas, boolean created) {
    List<Pod> newPods = podsOf(newRs);
    List<Pod> oldPods = new ArrayList<>();
    old.forEach(rs -> oldPods.addAll(podsOf(rs)));
    int updated = newPods.size();
    int total = updated + oldPods.size();
    int ready =
        (int)
            (newPods.stream().filter(SimulatedDeploymentController::isReady).count()
                + oldPods.stream().filter(SimulatedDeploymentController::isReady).count());
    int newReady = (int) newPods.stream().filter(SimulatedDeploymentController::isReady).count();
    boolean complete = updated == replicas && total == replicas && newReady == replicas && !created;

    String key = d.getMetadata().getUid();
    String fingerprint =
        d.getMetadata().getGeneration() + "/" + updated + "/" + total + "/" + newReady;
    Instant now = Instant.now();
    Progress p = progress.get(key);
    if (p == null || !p.fingerprint.equals(fingerprint)) {
      p = new Progress(fingerprint, now);
      progress.put(key, p);
    }
    int deadlineSeconds =
        d.getSpec().getProgressDeadlineSeconds() == null
            ? 600
            : d.getSpec().getProgressDeadlineSeconds();
    boolean deadlineExceeded =
        !complete
            && Duration.between(p.since, now)
                    .compareTo(simulatedSecond.multipliedBy(deadlineSeconds))
                > 0;

    String rsName = newRs.getMetadata().getName();
    String ts = now.toString();
    DeploymentCondition progressing;
    if (complete) {
      progressing =
          condition(
              "Progressing",
              "True",
              "NewReplicaSetAvailable",
              "ReplicaSet \"" + rsName + "\" has successfully progressed.",
              ts);
    } else if (deadlineExceeded) {
      progressing =
          condition(
              "Progressing",
              "False",
              "ProgressDeadlineExceeded",
              "ReplicaSet \"" + rsName + "\" has timed out progressing.",
              ts);
    } else if (created) {
      progressing =
          condition(
              "Progressing",
              "True",
              "NewReplicaSetCreated",
              "Created new replica set \"" + rsName + "\"",
              ts);
    } else {
      progressing =
          condition(
              "Progressing",
              "True",
              "ReplicaSetUpdated",
              "ReplicaSet \"" + rsName + "\" is progressing.",
              ts);
    }
    int minAvailable = replicas - (int) Math.floor(replicas * 0.25);
    DeploymentCondition available =
        ready >= minAvailable
            ? condition(
                "Available",
                "True",
                "MinimumReplicasAvailable",
                "Deployment has minimum availability.",
                ts)
            : condition(
                "Available",
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.",
                ts);
    DeploymentStatus status =
        new DeploymentStatusBuilder()
            .withObservedGeneration(d.getMetadata().getGeneration())
            .withReplicas(total)
            .withUpdatedReplicas(updated)
            .withReadyReplicas(ready)
            .withAvailableReplicas(ready)
            .withUnavailableReplicas(Math.max(0, total - ready))
            .withConditions(available, progressing)
            .build();
    if (!sameIgnoringTimes(status, d.getStatus())) {
      keepTransitionTimes(status, d.getStatus());
      Deployment live =
          client
              .apps()
              .deployments()
              .inNamespace(d.getMetadata().getNamespace())
              .withName(d.getMetadata().getName())
              .get();
      if (live != null
          && Objects.equals(live.getMetadata().getGeneration(), d.getMetadata().getGeneration())) {
        live.setStatus(status);
        // recorded before the write, so that whoever sees this status also finds the record
        String completion =
            completionKey(
                d.getMetadata().getNamespace(),
                d.getMetadata().getName(),
                d.getMetadata().getGeneration());
        long writing = System.nanoTime();
        boolean recorded = complete && completions.putIfAbsent(completion, writing) == null;
        try {
          client.resource(live).updateStatus();
        } catch (RuntimeException e) {
          if (recorded) {
            completions.remove(completion, writing);
          }
          throw e;
        }
      }
    }
  }

  private static DeploymentCondition condition(
      String type, String status, String reason, String message, String ts) {
    return new DeploymentConditionBuilder()
        .withType(type)
        .withStatus(status)
        .withReason(reason)
        .withMessage(message)
        .withLastUpdateTime(ts)
        .withLastTransitionTime(ts)
        .build();
  }

  private static boolean sameIgnoringTimes(DeploymentStatus a, DeploymentStatus b) {
    if (b == null) {
      return false;
    }
    DeploymentStatus x = Serialization.clone(a);
    DeploymentStatus y = Serialization.clone(b);
    for (DeploymentStatus s : List.of(x, y)) {
      if (s.getConditions() != null) {
        s.getConditions()
            .forEach(
                c -> {
                  c.setLastUpdateTime(null);
                  c.setLastTransitionTime(null);
                });
      }
    }
    return x.equals(y);
  }

  private static void keepTransitionTimes(DeploymentStatus now, DeploymentStatus before) {
    if (before == null || before.getConditions() == null) {
      return;
    }
    for (DeploymentCondition c : now.getConditions()) {
      before.getConditions().stream()
          .filter(b -> b.getType().equals(c.getType()) && b.getStatus().equals(c.getStatus()))
          .findFirst()
          .ifPresent(b -> c.setLastTransitionTime(b.getLastTransitionTime()));
    }
  }

  // ------------------------------------------------------------------ kubelet

  private void kubelet(Pod pod) {
    if (pod.getSpec() == null || pod.getSpec().getContainers().isEmpty()) {
      return;
    }
    String uid = pod.getMetadata().getUid();
    int age = podAge.merge(uid, 1, Integer::sum);
    var container = pod.getSpec().getContainers().get(0);
    String c = container.getName();
    String image = container.getImage();
    PodBehaviour behaviour = PodBehaviour.of(image);
    String ns = pod.getMetadata().getNamespace();
    String name = pod.getMetadata().getName();
    PodStatus status;
    switch (behaviour) {
      case HEALTHY, SLOW -> {
        int readyAfter = behaviour == PodBehaviour.SLOW ? slowTicks : 1;
        status = age > readyAfter ? running(c, image, true) : pending(c, image);
      }
      case UNPULLABLE -> {
        event(pod, "Normal", "Pulling", "Pulling image \"" + image + "\"");
        if (age <= 1) {
          status = pending(c, image);
        } else {
          String reason = age == 2 ? "ErrImagePull" : "ImagePullBackOff";
          String msg =
              age == 2
                  ? "failed to pull and unpack image \""
                      + image
                      + "\": failed to resolve reference \""
                      + image
                      + "\": "
                      + image
                      + ": not found"
                  : "Back-off pulling image \"" + image + "\"";
          status = waitingPod(c, image, reason, msg, 0, null);
          event(
              pod,
              "Warning",
              "Failed",
              "Failed to pull image \""
                  + image
                  + "\": rpc error: code = NotFound desc = failed to pull and unpack image \""
                  + image
                  + "\": failed to resolve reference \""
                  + image
                  + "\": "
                  + image
                  + ": not found");
          event(pod, "Warning", "Failed", "Error: ErrImagePull");
          if (age > 2) {
            event(pod, "Normal", "BackOff", "Back-off pulling image \"" + image + "\"");
            event(pod, "Warning", "Failed", "Error: ImagePullBackOff");
          }
        }
      }
      case CRASHLOOP, OOMKILLED -> {
        boolean oom = behaviour == PodBehaviour.OOMKILLED;
        if (age <= 1) {
          status = pending(c, image);
        } else if (age == 2) {
          status = running(c, image, false);
          server.setPodLog(
              ns, name, c, false, oom ? "Starting WebApplication using Java 17\n" : CRASH_LOG);
        } else {
          int restarts = (age - 1) / 2;
          var terminated =
              new io.fabric8.kubernetes.api.model.ContainerStateTerminatedBuilder()
                  .withExitCode(oom ? 137 : 1)
                  .withReason(oom ? "OOMKilled" : "Error")
                  .withStartedAt(Instant.now().minusSeconds(3).toString())
                  .withFinishedAt(Instant.now().toString())
                  .build();
          status =
              waitingPod(
                  c,
                  image,
                  "CrashLoopBackOff",
                  "back-off "
                      + Math.min(300, 10 << Math.min(restarts - 1, 5))
                      + "s restarting failed container="
                      + c
                      + " pod="
                      + name
                      + "_"
                      + ns
                      + "("
                      + uid
                      + ")",
                  restarts,
                  terminated);
          server.setPodLog(
              ns, name, c, true, oom ? "Starting WebApplication using Java 17\n" : CRASH_LOG);
          server.setPodLog(ns, name, c, false, "Starting WebApplication using Java 17\n");
          event(
              pod,
              "Warning",
              "BackOff",
              "Back-off restarting failed container "
                  + c
                  + " in pod "
                  + name
                  + "_"
                  + ns
                  + "("
                  + uid
                  + ")");
        }
      }
      case NEVER_READY -> {
        status = age <= 1 ? pending(c, image) : running(c, image, false);
        // The kubelet's probe fails as soon as the container runs: the event comes with it.
        if (age > 1) {
          event(
              pod,
              "Warning",
              "Unhealthy",
              "Readiness probe failed: HTTP probe failed with statuscode: 503");
        }
      }
      default -> throw new IllegalStateException();
    }
    if (!sameStatus(status, pod.getStatus())) {
      pod.setStatus(status);
      client.resource(pod).updateStatus();
    }
  }

  private static boolean sameStatus(PodStatus a, PodStatus b) {
    if (b == null) {
      return false;
    }
    return Objects.equals(a.getPhase(), b.getPhase()) && Objects.equals(summary(a), summary(b));
  }

  private static String summary(PodStatus s) {
    if (s.getContainerStatuses() == null) {
      return "";
    }
    return s.getContainerStatuses().stream()
        .map(
            cs ->
                cs.getName()
                    + cs.getReady()
                    + cs.getRestartCount()
                    + (cs.getState().getWaiting() != null
                        ? cs.getState().getWaiting().getReason()
                        : "")
                    + (cs.getState().getRunning() != null ? "running" : ""))
        .collect(Collectors.joining(","));
  }

  private static PodStatus pending(String c, String image) {
    return new PodStatusBuilder()
        .withPhase("Pending")
        .withConditions(podCondition("Ready", "False", "ContainersNotReady"))
        .withContainerStatuses(waiting(c, image, "ContainerCreating", null, 0, null))
        .build();
  }

  private static PodStatus waitingPod(
      String c,
      String image,
      String reason,
      String message,
      int restarts,
      io.fabric8.kubernetes.api.model.ContainerStateTerminated last) {
    return new PodStatusBuilder()
        .withPhase(restarts > 0 || last != null ? "Running" : "Pending")
        .withConditions(podCondition("Ready", "False", "ContainersNotReady"))
        .withContainerStatuses(waiting(c, image, reason, message, restarts, last))
        .build();
  }

  private static PodStatus running(String c, String image, boolean ready) {
    return new PodStatusBuilder()
        .withPhase("Running")
        .withConditions(
            podCondition("Ready", ready ? "True" : "False", ready ? null : "ContainersNotReady"))
        .withContainerStatuses(
            new ContainerStatusBuilder()
                .withName(c)
                .withImage(image)
                .withReady(ready)
                .withStarted(true)
                .withRestartCount(0)
                .withNewState()
                .withNewRunning()
                .withStartedAt(Instant.now().toString())
                .endRunning()
                .endState()
                .build())
        .build();
  }

  private static ContainerStatus waiting(
      String c,
      String image,
      String reason,
      String message,
      int restarts,
      io.fabric8.kubernetes.api.model.ContainerStateTerminated last) {
    var b =
        new ContainerStatusBuilder()
            .withName(c)
            .withImage(image)
            .withReady(false)
            .withStarted(false)
            .withRestartCount(restarts)
            .withNewState()
            .withNewWaiting()
            .withReason(reason)
            .withMessage(message)
            .endWaiting()
            .endState();
    if (last != null) {
      b.withNewLastState().withTerminated(last).endLastState();
    }
    return b.build();
  }

  private static PodCondition podCondition(String type, String status, String reason) {
    return new PodConditionBuilder().withType(type).withStatus(status).withReason(reason).build();
  }

  private void event(Pod pod, String type, String reason, String message) {
    String key = pod.getMetadata().getUid() + "/" + reason + "/" + message;
    if (!emittedEvents.add(key)) {
      return;
    }
    String ts = Instant.now().toString();
    client
        .v1()
        .events()
        .inNamespace(pod.getMetadata().getNamespace())
        .resource(
            new EventBuilder()
                .withNewMetadata()
                .withName(pod.getMetadata().getName() + "." + Long.toHexString(System.nanoTime()))
                .withNamespace(pod.getMetadata().getNamespace())
                .endMetadata()
                .withNewInvolvedObject()
                .withApiVersion("v1")
                .withKind("Pod")
                .withName(pod.getMetadata().getName())
                .withNamespace(pod.getMetadata().getNamespace())
                .withUid(pod.getMetadata().getUid())
                .withFieldPath(
                    "spec.containers{" + pod.getSpec().getContainers().get(0).getName() + "}")
                .endInvolvedObject()
                .withType(type)
                .withReason(reason)
                .withMessage(message)
                .withCount(1)
                .withFirstTimestamp(ts)
                .withLastTimestamp(ts)
                .withNewSource()
                .withComponent("kubelet")
                .endSource()
                .build())
        .create();
  }

  // ------------------------------------------------------------------ helpers

  static boolean isReady(Pod p) {
    return p.getStatus() != null
        && p.getStatus().getConditions() != null
        && p.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private static int specReplicas(ReplicaSet rs) {
    return rs.getSpec().getReplicas() == null ? 1 : rs.getSpec().getReplicas();
  }

  static long revision(ReplicaSet rs) {
    String r = annotations(rs.getMetadata()).get(REVISION);
    return r == null ? 0 : Long.parseLong(r);
  }

  private static Map<String, String> labels(ObjectMeta m) {
    return m == null || m.getLabels() == null ? Map.of() : m.getLabels();
  }

  private static Map<String, String> annotations(ObjectMeta m) {
    return m == null || m.getAnnotations() == null ? Map.of() : m.getAnnotations();
  }

  private static String controllerUid(ObjectMeta m) {
    if (m.getOwnerReferences() == null) {
      return null;
    }
    return m.getOwnerReferences().stream()
        .filter(o -> Boolean.TRUE.equals(o.getController()))
        .map(OwnerReference::getUid)
        .findFirst()
        .orElse(null);
  }

  private static OwnerReference ownerRef(String apiVersion, String kind, ObjectMeta owner) {
    return new OwnerReferenceBuilder()
        .withApiVersion(apiVersion)
        .withKind(kind)
        .withName(owner.getName())
        .withUid(owner.getUid())
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
  }

  private static final String ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

  /**
   * Like the controller's pod-template-hash: a stable hash of the pod template (map keys sorted,
   * the hash label itself ignored) encoded with Kubernetes' "safe" alphabet.
   */
  public static String templateHash(PodTemplateSpec template) {
    JsonNode node = Serialization.jsonMapper().valueToTree(template);
    JsonNode labels = node.path("metadata").path("labels");
    if (labels instanceof ObjectNode o) {
      o.remove(HASH_LABEL);
    }
    String canonical = canonical(node);
    int h = 0x811c9dc5;
    for (byte b : canonical.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 16777619;
    }
    long v = Integer.toUnsignedLong(h);
    StringBuilder s = new StringBuilder();
    do {
      s.append(ALPHABET.charAt((int) (v % ALPHABET.length())));
      v /= ALPHABET.length();
    } while (v > 0);
    return s.toString();
  }

  private static String canonical(JsonNode node) {
    if (node.isObject()) {
      TreeMap<String, String> sorted = new TreeMap<>();
      for (Map.Entry<String, JsonNode> e : node.properties()) {
        if (!e.getValue().isNull()) {
          sorted.put(e.getKey(), canonical(e.getValue()));
        }
      }
      return sorted.entrySet().stream()
          .filter(e -> !e.getValue().equals("{}") && !e.getValue().equals("[]"))
          .map(e -> "\"" + e.getKey() + "\":" + e.getValue())
          .collect(Collectors.joining(",", "{", "}"));
    }
    if (node.isArray()) {
      List<String> items = new ArrayList<>();
      node.forEach(n -> items.add(canonical(n)));
      return items.stream().collect(Collectors.joining(",", "[", "]"));
    }
    return node.toString();
  }

  private static String randomSuffix(int n) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < n; i++) {
      s.append(ALPHABET.charAt(ThreadLocalRandom.current().nextInt(ALPHABET.length())));
    }
    return s.toString();
  }
}
