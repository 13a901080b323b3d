package io.k8sci.rbac;

import java.util.List;
import java.util.Objects;

/**
 * One thing the deploy identity must be allowed to do: an RBAC verb on a resource (optionally a
 * subresource such as {@code pods/log}) of an API group, with the reason the rollout needs it.
 *
 * <p>Why a flat (group, resource, verb) triple and not a PolicyRule: it is the unit the API
 * server's authorizer checks, so a Role can be built from the triples, compared with the calls a
 * rollout makes, and explained rule by rule ({@link #reason()} ends up as a comment in {@code
 * rbac.yaml}).
 *
 * @param apiGroup API group, {@code ""} for the core group
 * @param resource plural resource name, with {@code /subresource} when the call targets one
 * @param verb RBAC verb: get, list, watch, create, update, patch, delete
 * @param reason which rollout step calls it, e.g. {@code server-side apply}
 */
public record Permission(String apiGroup, String resource, String verb, String reason) {

  /** RBAC's verbs in the order kubectl and the docs list them; used to sort rule verbs. */
  public static final List<String> VERB_ORDER =
      List.of("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection");

  public Permission {
    Objects.requireNonNull(apiGroup, "apiGroup");
    Objects.requireNonNull(resource, "resource");
    Objects.requireNonNull(verb, "verb");
    Objects.requireNonNull(reason, "reason");
  }

  /** {@code deployments.apps}, {@code pods/log}: how the API server names the resource. */
  public String groupResource() {
    int slash = resource.indexOf('/');
    String base = slash < 0 ? resource : resource.substring(0, slash);
    String sub = slash < 0 ? "" : resource.substring(slash);
    return (apiGroup.isEmpty() ? base : base + "." + apiGroup) + sub;
  }

  /** The triple without the reason, for set comparisons. */
  public String key() {
    return verb + " " + groupResource();
  }

  static int verbRank(String verb) {
    int i = VERB_ORDER.indexOf(verb);
    return i < 0 ? VERB_ORDER.size() : i;
  }

  @Override
  public String toString() {
    return key() + " (" + reason + ")";
  }
}
