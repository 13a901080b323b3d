package io.k8sci.rollout;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.k8sci.cluster.ApiErrors;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Says why a rollout failed, the way {@code kubectl describe pod} and {@code kubectl logs
 * --previous} would, so that the pipeline log alone explains the failure.
 *
 * <p>It looks only at the pods of the <em>new</em> revision (Deployment: the ReplicaSet carrying
 * the Deployment's current revision, selected by its {@code pod-template-hash}; StatefulSet: {@code
 * controller-revision-hash} = {@code status.updateRevision}; DaemonSet: the pods not ready), and
 * for each (at most {@link #maxPods}): phase and readiness, every container's state (waiting reason
 * and message, terminated reason and exit code, last termination, restart count), the recent
 * Warning events of the pod, and the last {@link #logLines} lines of the log of a container that
 * restarted or terminated (the previous instance when it restarted).
 *
 * <p>Only namespaced reads (get/list on the workload, replicasets, pods, events; get on pods/log).
 * Never throws for a missing permission or object: a diagnosis is best effort and says what it
 * could not read.
 */
public final class FailureDiagnosis {

  private final KubernetesClient client;
  private final String namespace;
  private int logLines = 20;
  private int maxPods = 3;
  private int maxEvents = 10;

  public FailureDiagnosis(KubernetesClient client, String namespace) {
    this.client = Objects.requireNonNull(client);
    this.namespace = Objects.requireNonNull(namespace);
  }

  /** Log lines per container (default 20). */
  public FailureDiagnosis logLines(int lines) {
    this.logLines = lines;
    return this;
  }

  /** Pods described at most (default 3; failing ones first). */
  public FailureDiagnosis maxPods(int pods) {
    this.maxPods = pods;
    return this;
  }

  /** Describes the new pods of a workload (the object only gives kind and name). */
  public String diagnose(HasMetadata workload) {
    String kind = workload.getKind();
    String name = workload.getMetadata().getName();
    StringBuilder out = new StringBuilder();
    try {
      List<Pod> pods;
      switch (kind) {
        case "Deployment" -> {
          Deployment d = client.apps().deployments().inNamespace(namespace).withName(name).get();
          if (d == null) {
            return "deployment \"" + name + "\" no longer exists in namespace " + namespace;
          }
          Map<String, String> sel = RolloutWatcher.matchLabels(d);
          String revision = RolloutWatcher.revisionOf(d);
          ReplicaSet newest =
              sel == null
                  ? null
                  : client
                      .apps()
                      .replicaSets()
                      .inNamespace(namespace)
                      .withLabels(sel)
                      .list()
                      .getItems()
                      .stream()
                      .filter(
                          rs -> revision != null && revision.equals(RolloutWatcher.revisionOf(rs)))
                      .filter(
                          rs ->
                              rs.getMetadata().getOwnerReferences() != null
                                  && rs.getMetadata().getOwnerReferences().stream()
                                      .anyMatch(o -> d.getMetadata().getUid().equals(o.getUid())))
                      .findFirst()
                      .orElse(null);
          if (newest == null) {
            out.append("deployment \"")
                .append(name)
                .append("\": no ReplicaSet for revision ")
                .append(revision)
                .append(" yet\n");
            return out.toString();
          }
          String hash = newest.getMetadata().getLabels().get("pod-template-hash");
          pods =
              client
                  .pods()
                  .inNamespace(namespace)
                  .withLabels(sel)
                  .withLabel("pod-template-hash", hash)
                  .list()
                  .getItems();
          int desired = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
          long ready = pods.stream().filter(FailureDiagnosis::ready).count();
          out.append("deployment \"")
              .append(name)
              .append("\" revision ")
              .append(revision)
              .append(" (ReplicaSet ")
              .append(newest.getMetadata().getName())
              .append("): ")
              .append(ready)
              .append(" of ")
              .append(desired)
              .append(" new pods ready\n");
        }
        case "StatefulSet" -> {
          StatefulSet s = client.apps().statefulSets().inNamespace(namespace).withName(name).get();
          if (s == null) {
            return "statefulset \"" + name + "\" no longer exists in namespace " + namespace;
          }
          String rev = s.getStatus() == null ? null : s.getStatus().getUpdateRevision();
          Map<String, String> sel = RolloutWatcher.matchLabels(s);
          var q = client.pods().inNamespace(namespace);
          pods =
              (sel == null ? q.list() : q.withLabels(sel).list())
                  .getItems().stream()
                      .filter(
                          p ->
                              rev == null
                                  || rev.equals(
                                      p.getMetadata().getLabels() == null
                                          ? null
                                          : p.getMetadata()
                                              .getLabels()
                                              .get("controller-revision-hash")))
                      .collect(Collectors.toList());
          out.append("statefulset \"")
              .append(name)
              .append("\" revision ")
              .append(rev)
              .append(": ")
              .append(pods.stream().filter(FailureDiagnosis::ready).count())
              .append(" of ")
              .append(pods.size())
              .append(" updated pods ready\n");
        }
        case "DaemonSet" -> {
          DaemonSet ds = client.apps().daemonSets().inNamespace(namespace).withName(name).get();
          if (ds == null) {
            return "daemon set \"" + name + "\" no longer exists in namespace " + namespace;
          }
          Map<String, String> sel = RolloutWatcher.matchLabels(ds);
          var q = client.pods().inNamespace(namespace);
          pods =
              (sel == null ? q.list() : q.withLabels(sel).list())
                  .getItems().stream().filter(p -> !ready(p)).collect(Collectors.toList());
          out.append("daemon set \"")
              .append(name)
              .append("\": ")
              .append(pods.size())
              .append(" pods not ready\n");
        }
        default -> {
          return kind + " \"" + name + "\": no diagnosis for this kind";
        }
      }
      pods = new ArrayList<>(pods);
      pods.sort(
          Comparator.comparing(FailureDiagnosis::ready)
              .thenComparing(p -> p.getMetadata().getName()));
      if (pods.isEmpty()) {
        out.append(
            "  no pods were created for the new revision (quota, admission webhook, or"
                + " pod security? see the ReplicaSet's events)\n");
      }
      for (Pod p : pods.subList(0, Math.min(maxPods, pods.size()))) {
        describe(p, out);
      }
      if (pods.size() > maxPods) {
        out.append("  (").append(pods.size() - maxPods).append(" more pods not shown)\n");
      }
    } catch (RuntimeException e) {
      out.append("  (could not read the cluster state: ")
          .append(ApiErrors.serverMessage(e))
          .append(")\n");
    }
    return out.toString();
  }

  private void describe(Pod p, StringBuilder out) {
    String podName = p.getMetadata().getName();
    var st = p.getStatus();
    out.append("Pod ")
        .append(podName)
        .append(": ")
        .append(st == null || st.getPhase() == null ? "Unknown" : st.getPhase())
        .append(ready(p) ? ", ready" : ", not ready")
        .append('\n');
    List<ContainerStatus> statuses = new ArrayList<>();
    if (st != null && st.getInitContainerStatuses() != null) {
      statuses.addAll(st.getInitContainerStatuses());
    }
    if (st != null && st.getContainerStatuses() != null) {
      statuses.addAll(st.getContainerStatuses());
    }
    List<ContainerStatus> withLogs = new ArrayList<>();
    for (ContainerStatus cs : statuses) {
      out.append("  container ").append(cs.getName());
      if (cs.getImage() != null) {
        out.append(" (image ").append(cs.getImage()).append(')');
      }
      out.append(":\n");
      var state = cs.getState();
      if (state != null && state.getWaiting() != null) {
        out.append("    State:         Waiting (")
            .append(state.getWaiting().getReason())
            .append(')');
        if (state.getWaiting().getMessage() != null) {
          out.append(": ").append(state.getWaiting().getMessage());
        }
        out.append('\n');
      } else if (state != null && state.getTerminated() != null) {
        out.append("    State:         Terminated (")
            .append(state.getTerminated().getReason())
            .append("), exit code ")
            .append(state.getTerminated().getExitCode())
            .append('\n');
      } else if (state != null && state.getRunning() != null) {
        out.append("    State:         Running\n");
      }
      var last = cs.getLastState() == null ? null : cs.getLastState().getTerminated();
      if (last != null) {
        out.append("    Last State:    Terminated (")
            .append(last.getReason())
            .append("), exit code ")
            .append(last.getExitCode())
            .append(
                "OOMKilled".equals(last.getReason())
                    ? " — the container exceeded its memory limit"
                    : "")
            .append('\n');
      }
      int restarts = cs.getRestartCount() == null ? 0 : cs.getRestartCount();
      out.append("    Ready:         ").append(Boolean.TRUE.equals(cs.getReady())).append('\n');
      out.append("    Restart Count: ").append(restarts).append('\n');
      if (restarts > 0 || last != null || (state != null && state.getTerminated() != null)) {
        withLogs.add(cs);
      }
    }
    appendEvents(podName, out);
    for (ContainerStatus cs : withLogs) {
      appendLog(podName, cs, out);
    }
  }

  private void appendEvents(String podName, StringBuilder out) {
    List<Event> events;
    try {
      events =
          client
              .v1()
              .events()
              .inNamespace(namespace)
              .withField("involvedObject.name", podName)
              .list()
              .getItems()
              .stream()
              .filter(
                  e ->
                      e.getInvolvedObject() != null
                          && podName.equals(e.getInvolvedObject().getName()))
              .filter(e -> "Warning".equals(e.getType()))
              .sorted(Comparator.comparing(FailureDiagnosis::eventTime))
              .collect(Collectors.toList());
    } catch (RuntimeException e) {
      out.append("  Events: (not readable: ").append(ApiErrors.serverMessage(e)).append(")\n");
      return;
    }
    if (events.isEmpty()) {
      return;
    }
    out.append("  Warning events:\n");
    for (Event e : events.subList(Math.max(0, events.size() - maxEvents), events.size())) {
      out.append("    ")
          .append(e.getReason())
          .append(": ")
          .append(e.getMessage())
          .append(e.getCount() != null && e.getCount() > 1 ? " (x" + e.getCount() + ")" : "")
          .append('\n');
    }
  }

  private static String eventTime(Event e) {
    String t =
        e.getLastTimestamp() != null
            ? e.getLastTimestamp()
            : e.getEventTime() == null ? null : e.getEventTime().getTime();
    return t == null ? "" : t;
  }

  private void appendLog(String podName, ContainerStatus cs, StringBuilder out) {
    int restarts = cs.getRestartCount() == null ? 0 : cs.getRestartCount();
    boolean previous = restarts > 0;
    String text;
    try {
      var c = client.pods().inNamespace(namespace).withName(podName).inContainer(cs.getName());
      text =
          previous
              ? c.terminated().tailingLines(logLines).getLog()
              : c.tailingLines(logLines).getLog();
    } catch (RuntimeException e) {
      out.append("  Logs of ")
          .append(cs.getName())
          .append(": (not available: ")
          .append(ApiErrors.serverMessage(e))
          .append(")\n");
      return;
    }
    if (text == null || text.isBlank()) {
      return;
    }
    out.append("  Last ")
        .append(logLines)
        .append(" log lines of container ")
        .append(cs.getName())
        .append(previous ? " (previous instance)" : "")
        .append(":\n");
    for (String line : text.split("\n")) {
      out.append("    | ").append(line).append('\n');
    }
  }

  private static boolean ready(Pod p) {
    return p.getStatus() != null
        && p.getStatus().getConditions() != null
        && p.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }
}
