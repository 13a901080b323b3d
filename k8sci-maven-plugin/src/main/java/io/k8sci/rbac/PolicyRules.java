package io.k8sci.rbac;

import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * RBAC rules as the Kubernetes authorizer reads them: building the fewest {@link PolicyRule}s for a
 * set of {@link Permission}s, and deciding whether rules allow a request.
 *
 * <p>Why our own matcher: the rules k8sci generates are checked against the calls the rollout
 * really makes, without a real cluster. {@link #allows} follows {@code
 * k8s.io/kubernetes/pkg/apis/rbac/v1/evaluation_helpers.go} ({@code RuleAllows}): verb, API group,
 * resource (with {@code resource/subresource}, {@code *} and {@code *}{@code /subresource}) and
 * resource names (an empty list allows every name; a request without a name, such as a list or a
 * create, only matches a rule without resource names). Pure functions; thread-safe.
 */
public final class PolicyRules {

  private PolicyRules() {}

  /**
   * The fewest rules granting exactly the permissions: one rule per API group and verb set, with
   * every resource that needs that same verb set. Deterministic order (core group first, then by
   * group and resources); verbs in {@link Permission#VERB_ORDER}.
   */
  public static List<PolicyRule> compact(Collection<Permission> permissions) {
    // group -> resource -> verbs
    Map<String, Map<String, TreeSet<String>>> byResource = new TreeMap<>();
    for (Permission p : permissions) {
      byResource
          .computeIfAbsent(p.apiGroup(), g -> new TreeMap<>())
          .computeIfAbsent(
              p.resource(),
              r ->
                  new TreeSet<>(
                      Comparator.comparingInt(Permission::verbRank)
                          .thenComparing(Comparator.naturalOrder())))
          .add(p.verb());
    }
    List<PolicyRule> rules = new ArrayList<>();
    byResource.forEach(
        (group, resources) -> {
          // verbs -> resources, in the order of the first resource having them
          Map<List<String>, List<String>> byVerbs = new LinkedHashMap<>();
          resources.forEach(
              (resource, verbs) ->
                  byVerbs
                      .computeIfAbsent(List.copyOf(verbs), v -> new ArrayList<>())
                      .add(resource));
          byVerbs.forEach(
              (verbs, res) ->
                  rules.add(
                      new PolicyRuleBuilder()
                          .withApiGroups(group)
                          .withResources(res)
                          .withVerbs(verbs)
                          .build()));
        });
    return List.copyOf(rules);
  }

  /**
   * Every (group, resource, verb) the rules grant, one {@link Permission} each (reason {@code
   * "granted"}). Wildcards are kept as they are ({@code *}).
   */
  public static List<Permission> expand(Collection<PolicyRule> rules) {
    List<Permission> out = new ArrayList<>();
    for (PolicyRule rule : rules) {
      for (String g : nonNull(rule.getApiGroups())) {
        for (String r : nonNull(rule.getResources())) {
          for (String v : nonNull(rule.getVerbs())) {
            out.add(new Permission(g, r, v, "granted"));
          }
        }
      }
    }
    return out;
  }

  /**
   * Whether the rules allow a resource request.
   *
   * @param verb RBAC verb of the request
   * @param apiGroup its API group ({@code ""} for core)
   * @param resource plural resource
   * @param subresource e.g. {@code log}, or null
   * @param name the object name, or null (list, watch without a name selector, create by POST)
   */
  public static boolean allows(
      Collection<PolicyRule> rules,
      String verb,
      String apiGroup,
      String resource,
      String subresource,
      String name) {
    for (PolicyRule rule : rules) {
      if (verbMatches(rule, verb)
          && apiGroupMatches(rule, apiGroup)
          && resourceMatches(rule, resource, subresource)
          && resourceNameMatches(rule, name)) {
        return true;
      }
    }
    return false;
  }

  static boolean verbMatches(PolicyRule rule, String verb) {
    for (String v : nonNull(rule.getVerbs())) {
      if (v.equals("*") || v.equals(verb)) {
        return true;
      }
    }
    return false;
  }

  static boolean apiGroupMatches(PolicyRule rule, String group) {
    for (String g : nonNull(rule.getApiGroups())) {
      if (g.equals("*") || g.equals(group)) {
        return true;
      }
    }
    return false;
  }

  static boolean resourceMatches(PolicyRule rule, String resource, String subresource) {
    boolean hasSub = subresource != null && !subresource.isEmpty();
    String combined = hasSub ? resource + "/" + subresource : resource;
    for (String r : nonNull(rule.getResources())) {
      if (r.equals("*") || r.equals(combined)) {
        return true;
      }
      if (hasSub && r.equals("*/" + subresource)) {
        return true;
      }
    }
    return false;
  }

  static boolean resourceNameMatches(PolicyRule rule, String name) {
    List<String> names = nonNull(rule.getResourceNames());
    if (names.isEmpty()) {
      return true;
    }
    return name != null && names.contains(name);
  }

  private static List<String> nonNull(List<String> l) {
    return l == null ? List.of() : l;
  }
}
