package io.k8sci.rbac;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PolicyRulesTest {

  static PolicyRule rule(String groups, String resources, String verbs, String names) {
    PolicyRuleBuilder b =
        new PolicyRuleBuilder()
            .withApiGroups(split(groups))
            .withResources(split(resources))
            .withVerbs(split(verbs));
    if (!names.isEmpty()) {
      b.withResourceNames(split(names));
    }
    return b.build();
  }

  static List<String> split(String s) {
    return s.equals("<core>") ? List.of("") : List.of(s.split(" "));
  }

  /** The authorizer's semantics (evaluation_helpers.go), one case per line. */
  @ParameterizedTest(name = "[{index}] rule {0}|{1}|{2}|{3} vs {4} {5}|{6}|{7}|{8} → {9}")
  @CsvSource(
      delimiter = '|',
      nullValues = "null",
      value = {
        // rule groups | rule resources | rule verbs | rule names | verb | group | resource | sub |
        // name | allowed
        "apps|deployments|get patch|''|get|apps|deployments|null|web|true",
        "apps|deployments|get patch|''|patch|apps|deployments|null|web|true",
        "apps|deployments|get patch|''|delete|apps|deployments|null|web|false",
        "apps|deployments|get|''|get|<core>|deployments|null|web|false",
        "<core>|pods|get|''|get|apps|pods|null|x|false",
        "<core>|pods|list|''|list|<core>|pods|null|null|true",
        // a subresource needs its own entry
        "<core>|pods|get|''|get|<core>|pods|log|web-1|false",
        "<core>|pods/log|get|''|get|<core>|pods|log|web-1|true",
        "<core>|pods/log|get|''|get|<core>|pods|null|web-1|false",
        "<core>|*/log|get|''|get|<core>|pods|log|web-1|true",
        "<core>|*/log|get|''|get|<core>|pods|status|web-1|false",
        "<core>|*/log|get|''|get|<core>|pods|null|web-1|false",
        // wildcards
        "*|deployments|get|''|get|apps|deployments|null|web|true",
        "apps|*|get|''|get|apps|replicasets|null|web|true",
        "apps|*|get|''|get|apps|deployments|status|web|true",
        "apps|deployments|*|''|deletecollection|apps|deployments|null|null|true",
        // resource names: an empty list allows all; a nameless request matches none
        "<core>|configmaps|get|a b|get|<core>|configmaps|null|a|true",
        "<core>|configmaps|get|a b|get|<core>|configmaps|null|c|false",
        "<core>|configmaps|list|a|list|<core>|configmaps|null|null|false",
        "<core>|configmaps|create|a|create|<core>|configmaps|null|null|false",
      })
  void allowsLikeTheKubernetesAuthorizer(
      String groups,
      String resources,
      String verbs,
      String names,
      String verb,
      String group,
      String resource,
      String sub,
      String name,
      boolean allowed) {
    String g = group.equals("<core>") ? "" : group;
    assertThat(
            PolicyRules.allows(
                List.of(rule(groups, resources, verbs, names)), verb, g, resource, sub, name))
        .isEqualTo(allowed);
  }

  @Test
  void anyRuleOfSeveralMayAllow() {
    List<PolicyRule> rules =
        List.of(rule("<core>", "pods", "list", ""), rule("apps", "deployments", "get", ""));
    assertThat(PolicyRules.allows(rules, "get", "apps", "deployments", null, "web")).isTrue();
    assertThat(PolicyRules.allows(rules, "list", "", "pods", null, null)).isTrue();
    assertThat(PolicyRules.allows(rules, "get", "", "pods", null, "p")).isFalse();
    assertThat(PolicyRules.allows(List.of(), "get", "", "pods", null, "p")).isFalse();
  }

  @Test
  void compactMakesOneRulePerGroupAndVerbSetWithVerbsInKubectlOrder() {
    List<Permission> permissions =
        List.of(
            new Permission("apps", "deployments", "watch", "w"),
            new Permission("apps", "deployments", "get", "g"),
            new Permission("apps", "deployments", "list", "l"),
            new Permission("apps", "statefulsets", "list", "l"),
            new Permission("apps", "statefulsets", "get", "g"),
            new Permission("apps", "statefulsets", "watch", "w"),
            new Permission("apps", "replicasets", "list", "l"),
            new Permission("", "pods/log", "get", "g"),
            new Permission("", "events", "list", "l"),
            new Permission("", "pods", "list", "l"));

    List<PolicyRule> rules = PolicyRules.compact(permissions);

    assertThat(rules)
        .extracting(r -> r.getApiGroups() + " " + r.getResources() + " " + r.getVerbs())
        .containsExactly(
            "[] [events, pods] [list]",
            "[] [pods/log] [get]",
            "[apps] [deployments, statefulsets] [get, list, watch]",
            "[apps] [replicasets] [list]");
    // nothing lost, nothing added
    assertThat(PolicyRules.expand(rules))
        .extracting(Permission::key)
        .containsExactlyInAnyOrderElementsOf(permissions.stream().map(Permission::key).toList());
  }
}
