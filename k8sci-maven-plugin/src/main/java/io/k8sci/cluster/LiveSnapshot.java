package io.k8sci.cluster;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What was live in the cluster for each object of a rollout, read just before applying: the object
 * as the server had it, or "absent". It is what {@link Rollback} restores and how {@link
 * ServerSideApplier} tells "created" from "configured" and "unchanged".
 *
 * <p>Immutable after {@link #take}; the stored objects are deep copies.
 */
public final class LiveSnapshot {

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  /** One object: the rendered one and what was live (null when absent). */
  public record Entry(ObjectRef ref, HasMetadata rendered, HasMetadata live) {
    public boolean absent() {
      return live == null;
    }
  }

  private final String namespace;
  private final Map<String, Entry> entries;

  private LiveSnapshot(String namespace, Map<String, Entry> entries) {
    this.namespace = namespace;
    this.entries = Collections.unmodifiableMap(entries);
  }

  /**
   * Reads every object with one namespaced GET each.
   *
   * @param identity who we act as, for 403 messages (may be null)
   */
  public static LiveSnapshot take(
      KubernetesClient client, String namespace, List<HasMetadata> rendered, String identity) {
    Map<String, Entry> entries = new LinkedHashMap<>();
    for (HasMetadata o : rendered) {
      ObjectRef ref = ObjectRef.of(o);
      HasMetadata live;
      try {
        live = client.resource(o).inNamespace(namespace).get();
      } catch (RuntimeException e) {
        throw ApiErrors.explain(e, "get", ref, namespace, identity);
      }
      entries.put(ref.key(), new Entry(ref, o, live == null ? null : SERIALIZATION.clone(live)));
    }
    return new LiveSnapshot(namespace, entries);
  }

  public String namespace() {
    return namespace;
  }

  /** Entries in the order the objects were given (the apply order). */
  public List<Entry> entries() {
    return new ArrayList<>(entries.values());
  }

  /** What was live for this object before the apply, empty when it was absent or not taken. */
  public Optional<HasMetadata> before(HasMetadata object) {
    Entry e = entries.get(ObjectRef.of(object).key());
    return e == null ? Optional.empty() : Optional.ofNullable(e.live());
  }

  public boolean contains(HasMetadata object) {
    return entries.containsKey(ObjectRef.of(object).key());
  }
}
