package io.k8sci.rbac;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.k8sci.K8sciException;
import io.k8sci.cluster.ObjectRef;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The RBAC objects a deploy identity needs for {@code k8sci:rollout} in one namespace: a
 * ServiceAccount, a Role with exactly the calls the rollout makes for the kinds in the manifests
 * ({@link RolloutPermissions}) and a RoleBinding between them.
 *
 * <p>Why derived from the manifests: the hand-made setup bound the deploy user to the {@code admin}
 * role, which can also read every Secret, create Roles and exec into pods. The rollout only ever
 * touches the kinds it applies plus a few reads for status and diagnosis, so the Role names those
 * and nothing else. A kind added to the manifests later needs a new {@code k8sci:rbac} run; the
 * rollout's 403 message says which rule is missing.
 *
 * <p>Why no {@code resourceNames}: pods, ReplicaSets and events are found by label, logs by
 * generated pod names, and a rollback may re-create an object by POST, which carries no name. And
 * pinning Secret names would not protect the other Secrets of the namespace anyway: whoever may
 * change a Deployment there can mount any of them.
 *
 * <p>The ServiceAccount has {@code automountServiceAccountToken: false}: it is used by the CI job
 * through a token from {@code k8sci:kubeconfig}, never by a pod. Immutable; thread-safe.
 */
public final class RbacPlan {

  /** Default name of the ServiceAccount, Role and RoleBinding. */
  public static final String DEFAULT_NAME = "k8sci-deployer";

  static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
  private static final Pattern DNS1123_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final Pattern DNS1123_SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  private static final Map<String, String> LABELS = Map.of("app.kubernetes.io/managed-by", "k8sci");

  private final String namespace;
  private final String serviceAccountName;
  private final String roleName;
  private final List<String> kinds;
  private final List<Permission> permissions;
  private final List<PolicyRule> rules;
  private final List<String> warnings;

  private RbacPlan(Builder b, List<String> kinds, List<Permission> permissions) {
    this.namespace = b.namespace;
    this.serviceAccountName = b.serviceAccount;
    this.roleName = b.roleName == null ? b.serviceAccount : b.roleName;
    this.kinds = List.copyOf(kinds);
    this.permissions = List.copyOf(permissions);
    this.rules = PolicyRules.compact(permissions);
    List<String> w = new ArrayList<>();
    if (kinds.stream().anyMatch(k -> k.endsWith(".rbac.authorization.k8s.io"))) {
      w.add(
          "the manifests contain RBAC objects: Kubernetes only lets the deploy identity create a"
              + " Role or RoleBinding granting permissions it holds itself (or with the escalate"
              + " and bind verbs), so applying them will be refused; create them out of band with"
              + " an administrator's rights instead");
    }
    this.warnings = List.copyOf(w);
  }

  /**
   * @param namespace the namespace the rollout deploys into (the Role's namespace)
   */
  public static Builder builder(String namespace) {
    return new Builder(namespace);
  }

  public String namespace() {
    return namespace;
  }

  public String serviceAccountName() {
    return serviceAccountName;
  }

  public String roleName() {
    return roleName;
  }

  /** The applied kinds the Role was derived from, e.g. {@code deployments.apps}, sorted. */
  public List<String> kinds() {
    return kinds;
  }

  /** Each granted (group, resource, verb) with the rollout steps that need it. */
  public List<Permission> permissions() {
    return permissions;
  }

  /** The Role's rules (see {@link PolicyRules#compact}). */
  public List<PolicyRule> rules() {
    return rules;
  }

  /** Things the administrator should know about this Role (log them as warnings). */
  public List<String> warnings() {
    return warnings;
  }

  /** The user name Kubernetes gives the ServiceAccount, for 403 messages and RoleBindings. */
  public String serviceAccountUser() {
    return "system:serviceaccount:" + namespace + ":" + serviceAccountName;
  }

  public ServiceAccount serviceAccount() {
    return new ServiceAccountBuilder()
        .withNewMetadata()
        .withName(serviceAccountName)
        .withNamespace(namespace)
        .withLabels(LABELS)
        .endMetadata()
        .withAutomountServiceAccountToken(false)
        .build();
  }

  public Role role() {
    return new RoleBuilder()
        .withNewMetadata()
        .withName(roleName)
        .withNamespace(namespace)
        .withLabels(LABELS)
        .addToAnnotations("k8sci.io/derived-from-kinds", String.join(", ", kinds))
        .endMetadata()
        .withRules(rules)
        .build();
  }

  public RoleBinding roleBinding() {
    return new RoleBindingBuilder()
        .withNewMetadata()
        .withName(roleName)
        .withNamespace(namespace)
        .withLabels(LABELS)
        .endMetadata()
        .withNewRoleRef()
        .withApiGroup("rbac.authorization.k8s.io")
        .withKind("Role")
        .withName(roleName)
        .endRoleRef()
        .addNewSubject()
        .withKind("ServiceAccount")
        .withName(serviceAccountName)
        .withNamespace(namespace)
        .endSubject()
        .build();
  }

  /** ServiceAccount, Role, RoleBinding: the apply order. */
  public List<HasMetadata> objects() {
    return List.of(serviceAccount(), role(), roleBinding());
  }

  /**
   * The three objects as one multi-document YAML, preceded by comments saying why each permission
   * is granted and how to apply the file.
   */
  public String toYaml() {
    StringBuilder y = new StringBuilder();
    y.append("# Generated by k8sci:rbac for namespace ")
        .append(namespace)
        .append(". Apply it with an administrator's credentials:\n")
        .append(
            "#   mvn k8sci:rbac -Dk8sci.apply   or   kubectl apply --server-side -f rbac.yaml\n")
        .append("# then create the deploy kubeconfig with: mvn k8sci:kubeconfig\n")
        .append("#\n")
        .append("# Role ")
        .append(roleName)
        .append(" grants exactly the calls k8sci:rollout and k8sci:undo make for the kinds in the")
        .append(" manifests\n# (")
        .append(String.join(", ", kinds))
        .append("):\n");
    for (Permission p : permissions) {
      y.append("#   ").append(p.key()).append(": ").append(p.reason()).append('\n');
    }
    for (String w : warnings) {
      y.append("# WARNING: ").append(w).append('\n');
    }
    for (HasMetadata o : objects()) {
      String doc = SERIALIZATION.asYaml(o);
      if (!doc.startsWith("---")) {
        y.append("---\n");
      }
      y.append(doc);
      if (!doc.endsWith("\n")) {
        y.append('\n');
      }
    }
    return y.toString();
  }

  /** Writes {@link #toYaml()} (creating parent directories) and returns the file. */
  public Path writeYaml(Path file) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.writeString(file, toYaml(), StandardCharsets.UTF_8);
      return file;
    } catch (IOException e) {
      throw new K8sciException("cannot write the RBAC objects to " + file + ": " + e, e);
    }
  }

  @Override
  public String toString() {
    return "RbacPlan[namespace="
        + namespace
        + ", serviceAccount="
        + serviceAccountName
        + ", role="
        + roleName
        + ", kinds="
        + kinds
        + "]";
  }

  /** Collects namespace, names and the applied objects (or kinds). */
  public static final class Builder {
    private final String namespace;
    private String serviceAccount = DEFAULT_NAME;
    private String roleName;
    private final List<HasMetadata> objects = new ArrayList<>();

    private Builder(String namespace) {
      this.namespace = namespace;
    }

    /** ServiceAccount name (default {@value #DEFAULT_NAME}). */
    public Builder serviceAccount(String name) {
      this.serviceAccount = name == null || name.isBlank() ? DEFAULT_NAME : name.trim();
      return this;
    }

    /** Role and RoleBinding name (default: the ServiceAccount's name). */
    public Builder roleName(String name) {
      this.roleName = name == null || name.isBlank() ? null : name.trim();
      return this;
    }

    /**
     * The objects the rollout applies, as {@code ManifestRenderer} renders them ({@code
     * RenderedManifests.objects()}); only their apiVersion and kind matter.
     */
    public Builder objects(Collection<? extends HasMetadata> objects) {
      this.objects.addAll(Objects.requireNonNull(objects));
      return this;
    }

    /**
     * A kind to grant although the manifests do not contain it yet, e.g. {@code ("apps/v1",
     * "StatefulSet")}.
     */
    public Builder kind(String apiVersion, String kind) {
      if (apiVersion == null || apiVersion.isBlank() || kind == null || kind.isBlank()) {
        throw new K8sciException(
            "an additional kind needs both apiVersion and kind, got \""
                + apiVersion
                + "\" / \""
                + kind
                + "\"");
      }
      Map<String, Object> raw = new LinkedHashMap<>();
      raw.put("apiVersion", apiVersion.trim());
      raw.put("kind", kind.trim());
      raw.put("metadata", Map.of("name", "any"));
      objects.add(SERIALIZATION.convertValue(raw, HasMetadata.class));
      return this;
    }

    /**
     * Checks names and kinds and derives the permissions.
     *
     * @throws K8sciException for an invalid name, no objects at all, or a cluster-scoped kind
     */
    public RbacPlan build() {
      if (namespace == null || !DNS1123_LABEL.matcher(namespace).matches()) {
        throw new K8sciException(
            "namespace \""
                + namespace
                + "\" is not a valid namespace name (lower-case letters, digits and '-')");
      }
      for (String[] n :
          new String[][] {{"serviceAccount", serviceAccount}, {"roleName", roleName}}) {
        if (n[1] != null && (n[1].length() > 253 || !DNS1123_SUBDOMAIN.matcher(n[1]).matches())) {
          throw new K8sciException(
              n[0]
                  + " \""
                  + n[1]
                  + "\" is not a valid Kubernetes name (lower-case letters, digits, '-' and '.')");
        }
      }
      if (objects.isEmpty()) {
        throw new K8sciException(
            "no manifests to derive the Role from: k8sci:rbac grants the calls k8sci:rollout makes"
                + " for the kinds in the manifests; point it at the same manifests as"
                + " k8sci:rollout");
      }
      TreeSet<String> kinds = new TreeSet<>();
      for (HasMetadata o : objects) {
        ObjectRef ref = ObjectRef.of(o);
        if (!(o instanceof Namespaced) && !(o instanceof GenericKubernetesResource)) {
          throw new K8sciException(
              ref.kind()
                  + " is cluster-scoped: a namespaced Role cannot grant it and k8sci:rollout does"
                  + " not apply cluster-scoped objects; remove "
                  + ref.display()
                  + " from the manifests and create it out of band");
        }
        kinds.add(ref.kind() + (ref.group().isEmpty() ? "" : "." + ref.group()));
      }
      return new RbacPlan(this, List.copyOf(kinds), RolloutPermissions.of(objects));
    }
  }
}
