package io.k8sci.rollout;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.k8sci.K8sciException;
import io.k8sci.cluster.ApiErrors;
import io.k8sci.cluster.ObjectRef;
import io.k8sci.log.BuildLog;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code kubectl rollout status} for the workloads of one rollout, all at once, plus an early
 * verdict kubectl does not give.
 *
 * <p>For each Deployment/StatefulSet/DaemonSet it runs a namespaced informer (list + watch with
 * {@code fieldSelector=metadata.name=NAME}; no polling) and evaluates {@link
 * RolloutStatusRules#evaluate} on every event. Each distinct message is logged once, prefixed by
 * the workload. A status is only trusted for the object generation our apply produced or later: an
 * object whose {@code metadata.generation} is older than the applied one (a stale cache) counts as
 * "spec update not observed yet", and kubectl's own rule then waits until {@code
 * status.observedGeneration} catches up, so a "successfully rolled out" from before the apply is
 * never accepted.
 *
 * <p>Early failure (default on, {@link #failFast}): kubectl waits for the progress deadline (600 s
 * by default) and never says why. Here, a pod of the <em>new</em> revision (Deployment: the
 * ReplicaSet carrying the Deployment's current revision; StatefulSet: {@code
 * controller-revision-hash} = {@code status.updateRevision}) whose container waits in {@code
 * ImagePullBackOff}, {@code InvalidImageName}, {@code ErrImageNeverPull}, {@code
 * CreateContainerConfigError} or {@code CreateContainerError} fails the rollout at once — these do
 * not fix themselves; {@code CrashLoopBackOff} fails it once the container restarted {@link
 * #crashLoopRestarts} times (a single crash while a dependency starts is tolerated). {@code
 * ErrImagePull} alone is not fatal (the kubelet retries; it turns into ImagePullBackOff). For this
 * it also watches the workload's pods and ReplicaSets (namespaced, by the workload's {@code
 * matchLabels}); DaemonSets get no early verdict.
 *
 * <p>Stops when every workload is done, at the first failure, or at the overall timeout. Thread
 * safe; informer callbacks never block.
 */
public final class RolloutWatcher {

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
  static final String REVISION = "deployment.kubernetes.io/revision";

  /** Waiting reasons that will not resolve by themselves. */
  static final Set<String> FATAL_WAITING_REASONS =
      Set.of(
          "ImagePullBackOff",
          "InvalidImageName",
          "ErrImageNeverPull",
          "CreateContainerConfigError",
          "CreateContainerError");

  private final KubernetesClient client;
  private final String namespace;
  private final BuildLog log;
  private Duration timeout = Duration.ofMinutes(5);
  private boolean failFast = true;
  private int crashLoopRestarts = 2;
  private String identity;

  public RolloutWatcher(KubernetesClient client, String namespace, BuildLog log) {
    this.client = Objects.requireNonNull(client);
    this.namespace = Objects.requireNonNull(namespace);
    this.log = log == null ? BuildLog.silent() : log;
  }

  /** Overall limit for all workloads together (default 5 minutes). */
  public RolloutWatcher timeout(Duration timeout) {
    this.timeout = Objects.requireNonNull(timeout);
    return this;
  }

  /** Fail as soon as a new pod is in a state that will not resolve (default true). */
  public RolloutWatcher failFast(boolean failFast) {
    this.failFast = failFast;
    return this;
  }

  /** Restarts after which CrashLoopBackOff fails the rollout early (default 2). */
  public RolloutWatcher crashLoopRestarts(int restarts) {
    this.crashLoopRestarts = restarts;
    return this;
  }

  /** Who we act as (for 403 messages). */
  public RolloutWatcher identity(String identity) {
    this.identity = identity;
    return this;
  }

  /**
   * A workload to watch.
   *
   * @param applied the object as returned by the apply (its generation is the one to wait for)
   * @param revisionBefore the Deployment revision before the apply, or null
   */
  public record Target(HasMetadata applied, String revisionBefore) {
    /** From the applied object and what was live before (null when it was created). */
    public static Target of(HasMetadata applied, HasMetadata before) {
      return new Target(applied, revisionOf(before));
    }
  }

  /** How a workload's rollout ended. */
  public enum Outcome {
    SUCCEEDED,
    /** Progress deadline exceeded, new pods failing, or the workload was deleted. */
    FAILED,
    TIMED_OUT,
    /** Not finished when another workload of the same rollout failed; we stopped waiting. */
    ABANDONED
  }

  /**
   * The end of one workload's rollout.
   *
   * @param ref the workload
   * @param outcome how it ended
   * @param message the last status message, or the failure message
   * @param duration from the start of the watch to the verdict
   * @param revisionBefore Deployment revision before the apply (null if unknown / not a Deployment)
   * @param revisionAfter Deployment revision at the verdict
   * @param lastSeen the last version of the object seen (null if never seen)
   * @param completionLatency from the event that decided the verdict to the return of {@link
   *     #watch} (null for timeouts)
   */
  public record Result(
      ObjectRef ref,
      Outcome outcome,
      String message,
      Duration duration,
      String revisionBefore,
      String revisionAfter,
      HasMetadata lastSeen,
      Duration completionLatency) {

    public boolean succeeded() {
      return outcome == Outcome.SUCCEEDED;
    }
  }

  /** Watches every target until all are done, one fails, or the timeout passes. */
  public List<Result> watch(List<Target> targets) {
    long start = System.nanoTime();
    CompletableFuture<Void> anyFailure = new CompletableFuture<>();
    List<Tracker> trackers = new ArrayList<>();
    try {
      for (Target t : targets) {
        if (!RolloutStatusRules.hasRolloutStatus(t.applied())) {
          continue;
        }
        trackers.add(new Tracker(t, start, anyFailure));
      }
      List<CompletableFuture<Void>> starts = new ArrayList<>();
      for (Tracker tr : trackers) {
        starts.add(tr.start());
      }
      for (int i = 0; i < trackers.size(); i++) {
        Tracker tr = trackers.get(i);
        try {
          starts
              .get(i)
              .get(
                  Math.max(1, timeout.toNanos() - (System.nanoTime() - start)),
                  TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
          throw ApiErrors.explain(e.getCause(), "list", tr.ref, namespace, identity);
        } catch (TimeoutException e) {
          break; // the overall timeout below reports it
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new K8sciException("interrupted while starting to watch the rollout", e);
        }
      }
      CompletableFuture<?>[] all =
          trackers.stream().map(tr -> tr.result).toArray(CompletableFuture[]::new);
      try {
        CompletableFuture.anyOf(CompletableFuture.allOf(all), anyFailure)
            .get(
                Math.max(0, timeout.toNanos() - (System.nanoTime() - start)), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        for (Tracker tr : trackers) {
          tr.timedOut();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new K8sciException("interrupted while waiting for the rollout", e);
      } catch (ExecutionException e) {
        throw new K8sciException("rollout watch failed: " + e.getCause().getMessage(), e);
      }
      for (Tracker tr : trackers) {
        tr.abandon();
      }
      long returned = System.nanoTime();
      List<Result> results = new ArrayList<>();
      for (Tracker tr : trackers) {
        Result r = tr.result.join();
        Duration latency =
            tr.verdictNanos == 0 || r.outcome() == Outcome.TIMED_OUT
                ? null
                : Duration.ofNanos(returned - tr.verdictNanos);
        results.add(
            new Result(
                r.ref(),
                r.outcome(),
                r.message(),
                r.duration(),
                r.revisionBefore(),
                r.revisionAfter(),
                r.lastSeen(),
                latency));
        if (latency != null) {
          log.debug(r.ref().display() + ": verdict to return took " + latency.toMillis() + " ms");
        }
      }
      return results;
    } finally {
      trackers.forEach(Tracker::stop);
    }
  }

  static String revisionOf(HasMetadata o) {
    if (o == null || o.getMetadata() == null || o.getMetadata().getAnnotations() == null) {
      return null;
    }
    return o.getMetadata().getAnnotations().get(REVISION);
  }

  private static String kindWord(String kind) {
    return switch (kind) {
      case "DaemonSet" -> "daemon set";
      case "StatefulSet" -> "statefulset";
      default -> "deployment";
    };
  }

  /** Watches one workload. */
  private final class Tracker {
    final Target target;
    final ObjectRef ref;
    final String kind;
    final String name;
    final long minGeneration;
    final long start;
    final CompletableFuture<Void> anyFailure;
    final CompletableFuture<Result> result = new CompletableFuture<>();
    final Set<String> logged = ConcurrentHashMap.newKeySet();
    final List<SharedIndexInformer<?>> informers = new CopyOnWriteArrayList<>();
    volatile SharedIndexInformer<Pod> pods;
    volatile SharedIndexInformer<ReplicaSet> replicaSets;
    volatile HasMetadata lastSeen;
    volatile String lastMessage = "";
    volatile long verdictNanos;

    Tracker(Target target, long start, CompletableFuture<Void> anyFailure) {
      this.target = target;
      this.ref = ObjectRef.of(target.applied());
      this.kind = target.applied().getKind();
      this.name = target.applied().getMetadata().getName();
      Long g = target.applied().getMetadata().getGeneration();
      this.minGeneration = g == null ? 0 : g;
      this.start = start;
      this.anyFailure = anyFailure;
    }

    /**
     * Creates and starts the informers without waiting for their first list, so that several
     * workloads start in parallel; {@link #started} completes when all have synced.
     */
    CompletableFuture<Void> start() {
      Map<String, String> matchLabels = matchLabels(target.applied());
      List<CompletableFuture<Void>> starts = new ArrayList<>();
      if (failFast && matchLabels != null && !"DaemonSet".equals(kind)) {
        if ("Deployment".equals(kind)) {
          replicaSets =
              client
                  .apps()
                  .replicaSets()
                  .inNamespace(namespace)
                  .withLabels(matchLabels)
                  .runnableInformer(0);
          replicaSets.addEventHandler(handler(o -> checkPods()));
          informers.add(replicaSets);
        }
        pods = client.pods().inNamespace(namespace).withLabels(matchLabels).runnableInformer(0);
        pods.addEventHandler(handler(o -> checkPods()));
        informers.add(pods);
      }
      SharedIndexInformer<? extends HasMetadata> workload =
          switch (kind) {
            case "Deployment" ->
                client
                    .apps()
                    .deployments()
                    .inNamespace(namespace)
                    .withName(name)
                    .runnableInformer(0);
            case "StatefulSet" ->
                client
                    .apps()
                    .statefulSets()
                    .inNamespace(namespace)
                    .withName(name)
                    .runnableInformer(0);
            case "DaemonSet" ->
                client
                    .apps()
                    .daemonSets()
                    .inNamespace(namespace)
                    .withName(name)
                    .runnableInformer(0);
            default -> throw new IllegalStateException(kind);
          };
      addWorkloadHandler(workload);
      informers.add(workload);
      for (SharedIndexInformer<?> i : informers) {
        starts.add(i.start().toCompletableFuture());
      }
      return CompletableFuture.allOf(starts.toArray(CompletableFuture[]::new));
    }

    private <T extends HasMetadata> void addWorkloadHandler(SharedIndexInformer<T> informer) {
      informer.addEventHandler(workloadHandler());
    }

    private <T extends HasMetadata> ResourceEventHandler<T> workloadHandler() {
      return new ResourceEventHandler<>() {
        @Override
        public void onAdd(T obj) {
          onWorkload(obj);
        }

        @Override
        public void onUpdate(T oldObj, T newObj) {
          onWorkload(newObj);
        }

        @Override
        public void onDelete(T obj, boolean deletedFinalStateUnknown) {
          finish(
              Outcome.FAILED,
              kindWord(kind) + " \"" + name + "\" was deleted while waiting for its rollout");
        }
      };
    }

    private <T extends HasMetadata> ResourceEventHandler<T> handler(
        java.util.function.Consumer<T> onChange) {
      return new ResourceEventHandler<>() {
        @Override
        public void onAdd(T obj) {
          onChange.accept(obj);
        }

        @Override
        public void onUpdate(T oldObj, T newObj) {
          onChange.accept(newObj);
        }

        @Override
        public void onDelete(T obj, boolean deletedFinalStateUnknown) {}
      };
    }

    synchronized void onWorkload(HasMetadata obj) {
      if (result.isDone()) {
        return;
      }
      lastSeen = obj;
      Long g = obj.getMetadata().getGeneration();
      RolloutStatus status;
      if (g != null && g < minGeneration) {
        status =
            RolloutStatus.waiting(
                "Waiting for " + kindWord(kind) + " spec update to be observed...");
      } else {
        status = RolloutStatusRules.evaluate(obj);
      }
      report(status.message());
      if (status.done()) {
        finish(Outcome.SUCCEEDED, status.message());
      } else if (status.failed()) {
        finish(Outcome.FAILED, status.message());
      } else {
        checkPods();
      }
    }

    private void report(String message) {
      lastMessage = message;
      if (logged.add(message)) {
        log.info(ref.display() + ": " + message);
      }
    }

    synchronized void checkPods() {
      if (result.isDone() || pods == null || lastSeen == null) {
        return;
      }
      HasMetadata w = lastSeen;
      Long observed = observedGeneration(w);
      if (observed == null || observed < minGeneration) {
        return;
      }
      String label;
      String value;
      if (w instanceof Deployment d) {
        String revision = revisionOf(d);
        if (revision == null || replicaSets == null) {
          return;
        }
        ReplicaSet newest =
            replicaSets.getStore().list().stream()
                .filter(rs -> revision.equals(revisionOf(rs)))
                .filter(rs -> ownedBy(rs, d.getMetadata().getUid()))
                .findFirst()
                .orElse(null);
        if (newest == null || newest.getMetadata().getLabels() == null) {
          return;
        }
        label = "pod-template-hash";
        value = newest.getMetadata().getLabels().get(label);
      } else if (w instanceof StatefulSet s) {
        label = "controller-revision-hash";
        value = s.getStatus() == null ? null : s.getStatus().getUpdateRevision();
      } else {
        return;
      }
      if (value == null) {
        return;
      }
      for (Pod p : pods.getStore().list()) {
        Map<String, String> labels = p.getMetadata().getLabels();
        if (labels == null || !value.equals(labels.get(label)) || p.getStatus() == null) {
          continue;
        }
        List<ContainerStatus> statuses = new ArrayList<>();
        if (p.getStatus().getInitContainerStatuses() != null) {
          statuses.addAll(p.getStatus().getInitContainerStatuses());
        }
        if (p.getStatus().getContainerStatuses() != null) {
          statuses.addAll(p.getStatus().getContainerStatuses());
        }
        for (ContainerStatus cs : statuses) {
          String why = fatal(cs);
          if (why != null) {
            finish(
                Outcome.FAILED,
                kindWord(kind)
                    + " \""
                    + name
                    + "\" rollout failed: pod "
                    + p.getMetadata().getName()
                    + " container \""
                    + cs.getName()
                    + "\" "
                    + why);
            return;
          }
        }
      }
    }

    private String fatal(ContainerStatus cs) {
      var waiting = cs.getState() == null ? null : cs.getState().getWaiting();
      if (waiting == null || waiting.getReason() == null) {
        return null;
      }
      String reason = waiting.getReason();
      String detail =
          waiting.getMessage() == null || waiting.getMessage().isBlank()
              ? ""
              : ": " + waiting.getMessage();
      if (FATAL_WAITING_REASONS.contains(reason)) {
        return "is in " + reason + detail;
      }
      int restarts = cs.getRestartCount() == null ? 0 : cs.getRestartCount();
      if ("CrashLoopBackOff".equals(reason) && restarts >= crashLoopRestarts) {
        var last = cs.getLastState() == null ? null : cs.getLastState().getTerminated();
        String exit =
            last == null
                ? ""
                : " (last exit: "
                    + (last.getReason() == null ? "" : last.getReason() + ", ")
                    + "exit code "
                    + last.getExitCode()
                    + ")";
        return "is in CrashLoopBackOff after " + restarts + " restarts" + exit;
      }
      return null;
    }

    synchronized void finish(Outcome outcome, String message) {
      if (result.isDone()) {
        return;
      }
      verdictNanos = System.nanoTime();
      if (outcome != Outcome.SUCCEEDED && !message.equals(lastMessage)) {
        lastMessage = message;
      }
      HasMetadata seen = lastSeen == null ? null : lastSeen;
      result.complete(
          new Result(
              ref,
              outcome,
              message,
              Duration.ofNanos(verdictNanos - start),
              target.revisionBefore(),
              revisionOf(seen),
              seen == null ? null : SERIALIZATION.clone(seen),
              null));
      if (outcome == Outcome.FAILED) {
        anyFailure.complete(null);
      }
    }

    void timedOut() {
      finish(
          Outcome.TIMED_OUT,
          "timed out waiting for "
              + kindWord(kind)
              + " \""
              + name
              + "\" rollout to finish: "
              + (lastMessage.isEmpty() ? "no status seen" : lastMessage));
    }

    void abandon() {
      finish(
          Outcome.ABANDONED,
          "stopped waiting for "
              + kindWord(kind)
              + " \""
              + name
              + "\" because another workload failed: "
              + lastMessage);
    }

    void stop() {
      for (SharedIndexInformer<?> i : informers) {
        try {
          i.close();
        } catch (RuntimeException e) {
          log.debug("closing informer: " + e.getMessage());
        }
      }
    }
  }

  private static boolean ownedBy(HasMetadata o, String uid) {
    return o.getMetadata().getOwnerReferences() != null
        && o.getMetadata().getOwnerReferences().stream().anyMatch(r -> uid.equals(r.getUid()));
  }

  private static Long observedGeneration(HasMetadata w) {
    if (w instanceof Deployment d) {
      return d.getStatus() == null ? null : d.getStatus().getObservedGeneration();
    }
    if (w instanceof StatefulSet s) {
      return s.getStatus() == null ? null : s.getStatus().getObservedGeneration();
    }
    if (w instanceof DaemonSet d) {
      return d.getStatus() == null ? null : d.getStatus().getObservedGeneration();
    }
    return null;
  }

  /** The workload's selector matchLabels; null when it has none (matchExpressions only). */
  static Map<String, String> matchLabels(HasMetadata w) {
    LabelSelector s = null;
    HasMetadata typed = w;
    if (!(w instanceof Deployment || w instanceof StatefulSet || w instanceof DaemonSet)) {
      typed = SERIALIZATION.convertValue(w, classFor(w.getKind()));
    }
    if (typed instanceof Deployment d && d.getSpec() != null) {
      s = d.getSpec().getSelector();
    } else if (typed instanceof StatefulSet st && st.getSpec() != null) {
      s = st.getSpec().getSelector();
    } else if (typed instanceof DaemonSet ds && ds.getSpec() != null) {
      s = ds.getSpec().getSelector();
    }
    if (s == null || s.getMatchLabels() == null || s.getMatchLabels().isEmpty()) {
      return null;
    }
    return s.getMatchLabels();
  }

  private static Class<? extends HasMetadata> classFor(String kind) {
    return switch (kind) {
      case "StatefulSet" -> StatefulSet.class;
      case "DaemonSet" -> DaemonSet.class;
      default -> Deployment.class;
    };
  }
}
