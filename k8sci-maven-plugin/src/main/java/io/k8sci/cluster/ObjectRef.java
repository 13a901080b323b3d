package io.k8sci.cluster;

import io.fabric8.kubernetes.api.Pluralize;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.Locale;

/**
 * How kubectl names an object in its output ({@code deployment.apps/web}, {@code service/web}) and
 * how RBAC names its resource ({@code deployments} in group {@code apps}).
 *
 * @param group API group, "" for the core group
 * @param version API version
 * @param kind object kind
 * @param resource plural resource name
 * @param name object name
 */
public record ObjectRef(String group, String version, String kind, String resource, String name) {

  public static ObjectRef of(HasMetadata o) {
    String apiVersion = o.getApiVersion() == null ? "v1" : o.getApiVersion();
    int slash = apiVersion.indexOf('/');
    String group = slash < 0 ? "" : apiVersion.substring(0, slash);
    String version = slash < 0 ? apiVersion : apiVersion.substring(slash + 1);
    String kind = o.getKind();
    String resource;
    try {
      resource = HasMetadata.getPlural(o.getClass());
    } catch (RuntimeException e) {
      resource = null;
    }
    if (resource == null
        || resource.isEmpty()
        || o.getClass().getSimpleName().equals("GenericKubernetesResource")) {
      resource = Pluralize.toPlural(kind.toLowerCase(Locale.ROOT));
    }
    return new ObjectRef(group, version, kind, resource, o.getMetadata().getName());
  }

  /** {@code deployment.apps/web}, {@code configmap/web-config} as kubectl prints them. */
  public String display() {
    String k = kind.toLowerCase(Locale.ROOT);
    return (group.isEmpty() ? k : k + "." + group) + "/" + name;
  }

  /** {@code deployments.apps} or {@code services}. */
  public String groupResource() {
    return group.isEmpty() ? resource : resource + "." + group;
  }

  /** Identity of the object within a namespace (group, kind, name; version ignored). */
  public String key() {
    return group + "/" + kind + "/" + name;
  }

  @Override
  public String toString() {
    return display();
  }
}
