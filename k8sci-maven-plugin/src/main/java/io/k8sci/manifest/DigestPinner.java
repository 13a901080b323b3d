package io.k8sci.manifest;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.ReplicationController;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.k8sci.K8sciException;
import io.k8sci.log.BuildLog;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Pins the containers that run the image {@code k8sci:image} just pushed to its digest: {@code
 * repository:tag} becomes {@code repository:tag@sha256:...}.
 *
 * <p>Why: a tag can be moved (re-pushed, or pushed by another pipeline of the same branch) between
 * push and rollout, and nodes may hold an older image under the same tag; the digest makes every
 * node run exactly the bytes this build produced, and is what a rollback returns to. The tag stays
 * for humans reading {@code kubectl get -o yaml}; the runtime uses the digest.
 *
 * <p>Which containers: every container and init container of the pod templates of Deployment,
 * StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob and of bare Pods whose
 * image repository equals the pushed repository (compared normalized, see {@link ContainerImage}).
 * Other repositories (sidecars, databases) are untouched. An existing digest on our repository is
 * replaced. The tag written is the pushed one, so that tag and digest agree; when the manifest
 * named another tag of our repository that is logged as a warning, since the manifest probably
 * forgot the placeholder. Custom resources with pod templates (unknown to this plugin) are not
 * pinned.
 *
 * <p>Immutable and thread-safe; {@link #pin} changes the objects it is given.
 */
public final class DigestPinner {

  private static final Pattern DIGEST =
      Pattern.compile("[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}");

  private final ContainerImage pushed;
  private final String tag;
  private final String digest;

  /**
   * @param pushedImage the reference {@code k8sci:image} pushed ({@code registry/path[:tag]}, a
   *     digest in it is ignored)
   * @param tag the pushed tag written next to the digest; empty = the tag of {@code pushedImage},
   *     or the manifest's own tag when neither is known
   * @param digest the pushed manifest's digest, {@code sha256:<64 hex>}
   * @throws K8sciException when the digest is malformed
   */
  public DigestPinner(String pushedImage, Optional<String> tag, String digest) {
    if (digest == null || !DIGEST.matcher(digest).matches()) {
      throw new K8sciException(
          "Image digest '"
              + digest
              + "' is not a digest (expected sha256:<64 hex digits>, as recorded by k8sci:image)");
    }
    this.pushed = ContainerImage.parse(pushedImage);
    this.tag = tag.filter(t -> !t.isBlank()).orElse(pushed.tag());
    this.digest = digest;
  }

  /** Pins the matching containers of {@code manifests} in place and logs each one. */
  public List<PinnedContainer> pin(List<RenderedManifest> manifests, BuildLog log) {
    List<PinnedContainer> pinned = new ArrayList<>();
    for (RenderedManifest manifest : manifests) {
      Optional<PodSpec> podSpec = podSpec(manifest.object());
      if (podSpec.isEmpty()) {
        continue;
      }
      pinAll(manifest, podSpec.get().getInitContainers(), true, pinned, log);
      pinAll(manifest, podSpec.get().getContainers(), false, pinned, log);
    }
    if (pinned.isEmpty()) {
      log.warn(
          "No container in the manifests uses "
              + pushed.name()
              + ", the image k8sci:image pushed: nothing was pinned to "
              + digest
              + ". Check the image of your containers.");
    }
    return List.copyOf(pinned);
  }

  private void pinAll(
      RenderedManifest manifest,
      List<Container> containers,
      boolean init,
      List<PinnedContainer> pinned,
      BuildLog log) {
    if (containers == null) {
      return;
    }
    for (Container container : containers) {
      if (container.getImage() == null) {
        continue;
      }
      ContainerImage image = ContainerImage.parse(container.getImage());
      if (!image.sameRepository(pushed)) {
        continue;
      }
      String newTag = tag != null ? tag : image.tag();
      if (tag != null && image.tag() != null && !image.tag().equals(tag)) {
        log.warn(
            manifest.displayName()
                + (init ? " init container " : " container ")
                + container.getName()
                + " named tag "
                + image.tag()
                + " of "
                + image.name()
                + ", but k8sci:image pushed "
                + tag
                + ": pinning to the pushed image (use __IMAGE_VERSION_SLUG__ or ${k8sci.image}"
                + " in the manifest)");
      }
      String after = new ContainerImage(image.name(), newTag, digest).reference();
      String before = container.getImage();
      container.setImage(after);
      PinnedContainer result =
          new PinnedContainer(manifest.displayName(), container.getName(), init, before, after);
      pinned.add(result);
      log.info(
          "Pinned "
              + manifest.displayName()
              + (init ? " init container " : " container ")
              + container.getName()
              + " to "
              + after);
    }
  }

  /** The pod spec of a workload or Pod, if it has one. */
  static Optional<PodSpec> podSpec(HasMetadata object) {
    PodTemplateSpec template = null;
    if (object instanceof Deployment d && d.getSpec() != null) {
      template = d.getSpec().getTemplate();
    } else if (object instanceof StatefulSet s && s.getSpec() != null) {
      template = s.getSpec().getTemplate();
    } else if (object instanceof DaemonSet ds && ds.getSpec() != null) {
      template = ds.getSpec().getTemplate();
    } else if (object instanceof ReplicaSet rs && rs.getSpec() != null) {
      template = rs.getSpec().getTemplate();
    } else if (object instanceof ReplicationController rc && rc.getSpec() != null) {
      template = rc.getSpec().getTemplate();
    } else if (object instanceof Job job && job.getSpec() != null) {
      template = job.getSpec().getTemplate();
    } else if (object instanceof CronJob cronJob
        && cronJob.getSpec() != null
        && cronJob.getSpec().getJobTemplate() != null
        && cronJob.getSpec().getJobTemplate().getSpec() != null) {
      template = cronJob.getSpec().getJobTemplate().getSpec().getTemplate();
    } else if (object instanceof Pod pod) {
      return Optional.ofNullable(pod.getSpec());
    }
    return Optional.ofNullable(template).map(PodTemplateSpec::getSpec);
  }
}
