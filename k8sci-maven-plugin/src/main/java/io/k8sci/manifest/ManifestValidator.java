package io.k8sci.manifest;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.k8sci.K8sciException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.exc.MismatchedInputException;

/**
 * Reads rendered documents into fabric8 objects and checks them all before anything is applied,
 * collecting every problem with its {@code file:line}: one bad document means nothing is applied.
 *
 * <p>Checks: each document parses; {@code apiVersion}, {@code kind} and {@code metadata.name} are
 * present (no {@code generateName}: server-side apply needs a name); names that the API server
 * would refuse for the common kinds (Namespace, Service, workloads, ConfigMap, Secret...), since a
 * name is often built from placeholders; values that Kubernetes reads as strings but YAML reads as
 * numbers or booleans (labels, annotations, ConfigMap/Secret data, env values — fabric8 would turn
 * {@code 1.10} into {@code "1.1"} silently where kubectl refuses); label values the API server
 * refuses; namespaces; duplicates (the same group, kind, namespace and name twice).
 *
 * <p>Namespaces: a namespaced object without {@code metadata.namespace} gets the target namespace;
 * one with another namespace is an error. Kinds fabric8 does not know (custom resources) are taken
 * as namespaced unless their kind is a well-known cluster-scoped one.
 *
 * <p>Cluster-scoped objects (Namespace, ClusterRole, ClusterRoleBinding, PersistentVolume,
 * StorageClass, CustomResourceDefinition, ...) are an error unless {@code allowClusterScoped}: the
 * rollout is meant to run with a namespaced Role only, which cannot create them, so applying would
 * fail halfway with a 403 after the first objects were applied. Cluster-wide objects are shared by
 * every team of the cluster and belong to its platform setup, not to one service's deploy job; a
 * team that does deploy them with cluster rights says so explicitly. Such objects must not carry
 * {@code metadata.namespace}.
 *
 * <p>Thread-safe.
 */
public final class ManifestValidator {

  static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  /** Cluster-scoped kinds recognised also when fabric8 reads them as generic resources. */
  static final Set<String> CLUSTER_SCOPED_KINDS =
      Set.of(
          "Namespace",
          "Node",
          "PersistentVolume",
          "StorageClass",
          "CustomResourceDefinition",
          "ClusterRole",
          "ClusterRoleBinding",
          "PriorityClass",
          "RuntimeClass",
          "IngressClass",
          "CSIDriver",
          "CSINode",
          "VolumeAttachment",
          "ValidatingWebhookConfiguration",
          "MutatingWebhookConfiguration",
          "ValidatingAdmissionPolicy",
          "ValidatingAdmissionPolicyBinding",
          "APIService",
          "CertificateSigningRequest",
          "ClusterIssuer",
          "ClusterSecretStore");

  private static final Pattern DNS1123_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final Pattern DNS1035_LABEL = Pattern.compile("[a-z]([-a-z0-9]*[a-z0-9])?");
  private static final Pattern DNS1123_SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  private static final Pattern LABEL_VALUE =
      Pattern.compile("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?");
  private static final Set<String> SUBDOMAIN_NAMED =
      Set.of(
          "Deployment",
          "StatefulSet",
          "DaemonSet",
          "ReplicaSet",
          "Job",
          "CronJob",
          "Pod",
          "ConfigMap",
          "Secret",
          "ServiceAccount",
          "PersistentVolumeClaim",
          "Ingress",
          "HorizontalPodAutoscaler",
          "PodDisruptionBudget",
          "NetworkPolicy");

  private final String namespace;
  private final boolean allowClusterScoped;

  /**
   * @param namespace the namespace the rollout targets
   * @param allowClusterScoped let cluster-scoped objects through (needs cluster rights to apply)
   * @throws K8sciException when the namespace is not a valid namespace name
   */
  public ManifestValidator(String namespace, boolean allowClusterScoped) {
    if (namespace == null
        || namespace.length() > 63
        || !DNS1123_LABEL.matcher(namespace).matches()) {
      throw new K8sciException(
          "Namespace '"
              + namespace
              + "' is not a valid namespace name (lowercase letters, digits and '-', at most 63"
              + " characters, starting and ending with a letter or digit)");
    }
    this.namespace = namespace;
    this.allowClusterScoped = allowClusterScoped;
  }

  /**
   * Parses and checks every document; sets missing namespaces.
   *
   * @return the objects in document order (a {@code kind: List} contributes its items)
   * @throws ManifestException with every problem of every document
   */
  public List<RenderedManifest> validate(List<ManifestDocument> documents) {
    List<ManifestProblem> problems = new ArrayList<>();
    List<RenderedManifest> manifests = new ArrayList<>();
    Map<String, RenderedManifest> seen = new HashMap<>();
    for (ManifestDocument document : documents) {
      YamlDocument yaml = YamlDocument.read(document, problems).orElse(null);
      if (yaml == null || yaml.value() == null) {
        continue;
      }
      for (Candidate candidate : candidates(yaml, problems)) {
        RenderedManifest manifest = check(candidate, problems);
        if (manifest == null) {
          continue;
        }
        String key = identity(manifest.object());
        RenderedManifest earlier = seen.putIfAbsent(key, manifest);
        if (earlier != null) {
          problems.add(
              new ManifestProblem(
                  manifest.source(),
                  describe(manifest.object())
                      + " is defined twice: also at "
                      + earlier.source()
                      + " (each object once; the later would silently win)"));
          continue;
        }
        manifests.add(manifest);
      }
    }
    if (!problems.isEmpty()) {
      throw new ManifestException("Invalid manifests", problems, null);
    }
    return List.copyOf(manifests);
  }

  /** A map to read as one object, with its path inside the document. */
  private record Candidate(YamlDocument yaml, Map<?, ?> map, List<Object> path) {
    SourceLocation at(Object... more) {
      List<Object> full = new ArrayList<>(path);
      full.addAll(List.of(more));
      return full.isEmpty() ? yaml.document().start() : yaml.locate(full);
    }
  }

  private static List<Candidate> candidates(YamlDocument yaml, List<ManifestProblem> problems) {
    if (!(yaml.value() instanceof Map<?, ?> map)) {
      problems.add(
          new ManifestProblem(
              yaml.document().start(),
              "not a Kubernetes object: expected a mapping with apiVersion, kind and metadata"));
      return List.of();
    }
    if ("List".equals(map.get("kind")) && map.get("items") instanceof List<?> items) {
      List<Candidate> candidates = new ArrayList<>();
      for (int i = 0; i < items.size(); i++) {
        if (items.get(i) instanceof Map<?, ?> item) {
          candidates.add(new Candidate(yaml, item, List.of("items", i)));
        } else {
          problems.add(
              new ManifestProblem(
                  yaml.locate(List.of("items", i)), "items[" + i + "] is not a Kubernetes object"));
        }
      }
      return candidates;
    }
    return List.of(new Candidate(yaml, map, List.of()));
  }

  private RenderedManifest check(Candidate candidate, List<ManifestProblem> problems) {
    Map<?, ?> map = candidate.map();
    SourceLocation start = candidate.at();
    int before = problems.size();
    Object apiVersion = map.get("apiVersion");
    Object kind = map.get("kind");
    if (!(apiVersion instanceof String a) || a.isBlank()) {
      problems.add(new ManifestProblem(start, "apiVersion is missing"));
    }
    if (!(kind instanceof String k) || k.isBlank()) {
      problems.add(new ManifestProblem(start, "kind is missing"));
    }
    String what = (kind instanceof String k ? k : "object");
    Object metadata = map.get("metadata");
    Object name = metadata instanceof Map<?, ?> m ? m.get("name") : null;
    if (!(name instanceof String n) || n.isBlank()) {
      boolean generated = metadata instanceof Map<?, ?> m && m.get("generateName") != null;
      problems.add(
          new ManifestProblem(
              metadata == null ? start : candidate.at("metadata"),
              what
                  + ": metadata.name is missing"
                  + (generated
                      ? " (generateName cannot be applied: apply needs a fixed name)"
                      : "")));
    }
    checkStrings(candidate, map, new ArrayList<>(), null, problems);
    if (problems.size() > before) {
      return null;
    }
    HasMetadata object = convert(candidate, problems);
    if (object == null) {
      return null;
    }
    RenderedManifest manifest = new RenderedManifest(object, start);
    checkName(candidate, object, problems);
    checkNamespace(candidate, object, problems);
    return problems.size() > before ? null : manifest;
  }

  private static HasMetadata convert(Candidate candidate, List<ManifestProblem> problems) {
    try {
      Object converted = SERIALIZATION.convertValue(candidate.map(), KubernetesResource.class);
      if (converted instanceof HasMetadata object) {
        return object;
      }
      problems.add(new ManifestProblem(candidate.at(), "not a Kubernetes object"));
      return null;
    } catch (RuntimeException e) {
      JacksonException jackson = jacksonCause(e);
      List<Object> path = new ArrayList<>();
      StringBuilder field = new StringBuilder();
      if (jackson != null) {
        for (JacksonException.Reference reference : jackson.getPath()) {
          if (reference.getPropertyName() != null) {
            path.add(reference.getPropertyName());
            field.append(field.length() == 0 ? "" : ".").append(reference.getPropertyName());
          } else if (reference.getIndex() >= 0) {
            path.add(reference.getIndex());
            field.append('[').append(reference.getIndex()).append(']');
          }
        }
      }
      String expected =
          jackson instanceof MismatchedInputException mismatch && mismatch.getTargetType() != null
              ? "expected " + typeName(mismatch.getTargetType())
              : "cannot be read";
      problems.add(
          new ManifestProblem(
              candidate.at(path.toArray()),
              (field.length() == 0 ? "the object" : field) + ": " + expected));
      return null;
    }
  }

  private static String typeName(Class<?> type) {
    if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
      return "an integer";
    }
    if (type == Boolean.class || type == boolean.class) {
      return "true or false";
    }
    if (type == String.class) {
      return "a string";
    }
    if (List.class.isAssignableFrom(type)) {
      return "a list";
    }
    if (Map.class.isAssignableFrom(type)) {
      return "a mapping";
    }
    return "a " + type.getSimpleName() + " (a mapping)";
  }

  private static JacksonException jacksonCause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof JacksonException jackson) {
        return jackson;
      }
    }
    return null;
  }

  /**
   * Values Kubernetes types as strings must be strings in YAML: under labels, annotations,
   * matchLabels, ConfigMap/Secret data and env values.
   */
  private static void checkStrings(
      Candidate candidate,
      Object node,
      List<Object> path,
      String stringsOf,
      List<ManifestProblem> problems) {
    if (node instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        String key = String.valueOf(entry.getKey());
        List<Object> child = new ArrayList<>(path);
        child.add(key);
        Object value = entry.getValue();
        if (stringsOf != null) {
          checkScalarIsString(candidate, child, value, stringsOf, problems);
          if ("labels".equals(stringsOf) || "matchLabels".equals(stringsOf)) {
            checkLabelValue(candidate, child, value, problems);
          }
          continue;
        }
        String nested = null;
        if (key.equals("labels") || key.equals("annotations") || key.equals("matchLabels")) {
          nested = key;
        } else if (path.isEmpty()
            && (key.equals("data") || key.equals("stringData") || key.equals("binaryData"))
            && ("ConfigMap".equals(candidate.map().get("kind"))
                || "Secret".equals(candidate.map().get("kind")))) {
          nested = key;
        }
        if (nested != null && value instanceof Map<?, ?>) {
          checkStrings(candidate, value, child, nested, problems);
        } else if (key.equals("env") && value instanceof List<?> env) {
          for (int i = 0; i < env.size(); i++) {
            if (env.get(i) instanceof Map<?, ?> variable && variable.containsKey("value")) {
              List<Object> at = new ArrayList<>(child);
              at.add(i);
              at.add("value");
              checkScalarIsString(candidate, at, variable.get("value"), "env", problems);
            }
          }
          checkStrings(candidate, value, child, null, problems);
        } else {
          checkStrings(candidate, value, child, null, problems);
        }
      }
    } else if (node instanceof List<?> list) {
      for (int i = 0; i < list.size(); i++) {
        List<Object> child = new ArrayList<>(path);
        child.add(i);
        checkStrings(candidate, list.get(i), child, null, problems);
      }
    }
  }

  private static void checkScalarIsString(
      Candidate candidate,
      List<Object> path,
      Object value,
      String what,
      List<ManifestProblem> problems) {
    if (value == null || value instanceof String) {
      return;
    }
    String type =
        value instanceof Boolean
            ? "a boolean"
            : value instanceof Number ? "a number" : "not a string";
    problems.add(
        new ManifestProblem(
            candidate.at(path.toArray()),
            dotted(path)
                + " is "
                + type
                + " in YAML, but "
                + what
                + " values are strings: quote it"));
  }

  private static void checkLabelValue(
      Candidate candidate, List<Object> path, Object value, List<ManifestProblem> problems) {
    if (value instanceof String label
        && (label.length() > 63 || !LABEL_VALUE.matcher(label).matches())) {
      problems.add(
          new ManifestProblem(
              candidate.at(path.toArray()),
              dotted(path)
                  + ": '"
                  + label
                  + "' is not a valid label value (at most 63 letters, digits, '-', '_' or '.',"
                  + " starting and ending with a letter or digit)"));
    }
  }

  private static void checkName(
      Candidate candidate, HasMetadata object, List<ManifestProblem> problems) {
    String kind = object.getKind();
    String name = object.getMetadata().getName();
    String rule = null;
    if ("Namespace".equals(kind)) {
      if (name.length() > 63 || !DNS1123_LABEL.matcher(name).matches()) {
        rule = "lowercase letters, digits and '-', at most 63 characters";
      }
    } else if ("Service".equals(kind)) {
      if (name.length() > 63 || !DNS1035_LABEL.matcher(name).matches()) {
        rule = "lowercase letters, digits and '-', starting with a letter, at most 63 characters";
      }
    } else if (SUBDOMAIN_NAMED.contains(kind)
        && (name.length() > 253 || !DNS1123_SUBDOMAIN.matcher(name).matches())) {
      rule = "lowercase letters, digits, '-' and '.', at most 253 characters";
    }
    if (rule != null) {
      problems.add(
          new ManifestProblem(
              candidate.at("metadata", "name"),
              kind + " name '" + name + "' is not valid (" + rule + ")"));
    }
  }

  private void checkNamespace(
      Candidate candidate, HasMetadata object, List<ManifestProblem> problems) {
    String written = object.getMetadata().getNamespace();
    boolean hasNamespace = written != null && !written.isEmpty();
    if (isClusterScoped(object)) {
      if (!allowClusterScoped) {
        problems.add(
            new ManifestProblem(
                candidate.at(),
                kindAndName(object)
                    + " is cluster-scoped: the rollout applies namespaced objects only, as its"
                    + " Role in namespace \""
                    + namespace
                    + "\" cannot create cluster-wide ones. Leave it to the cluster's setup, or"
                    + " set allowClusterScoped to apply it with cluster rights"));
      } else if (hasNamespace) {
        problems.add(
            new ManifestProblem(
                candidate.at("metadata", "namespace"),
                kindAndName(object) + " is cluster-scoped: remove its metadata.namespace"));
      }
      return;
    }
    if (!hasNamespace) {
      object.getMetadata().setNamespace(namespace);
    } else if (!written.equals(namespace)) {
      problems.add(
          new ManifestProblem(
              candidate.at("metadata", "namespace"),
              kindAndName(object)
                  + " has metadata.namespace \""
                  + written
                  + "\", but the rollout targets namespace \""
                  + namespace
                  + "\": remove metadata.namespace (it defaults to the target) or target \""
                  + written
                  + "\""));
    }
  }

  /** True for kinds that live outside namespaces. */
  public static boolean isClusterScoped(HasMetadata object) {
    if (object instanceof GenericKubernetesResource) {
      return CLUSTER_SCOPED_KINDS.contains(object.getKind());
    }
    return !(object instanceof Namespaced);
  }

  private static String identity(HasMetadata object) {
    String apiVersion = object.getApiVersion() == null ? "" : object.getApiVersion();
    int slash = apiVersion.indexOf('/');
    String group = slash < 0 ? "" : apiVersion.substring(0, slash);
    return group
        + "/"
        + object.getKind()
        + "/"
        + object.getMetadata().getNamespace()
        + "/"
        + object.getMetadata().getName();
  }

  private static String kindAndName(HasMetadata object) {
    return object.getKind() + " \"" + object.getMetadata().getName() + "\"";
  }

  private static String describe(HasMetadata object) {
    String ns = object.getMetadata().getNamespace();
    return object.getKind()
        + " \""
        + object.getMetadata().getName()
        + "\""
        + (ns == null || ns.isEmpty() ? "" : " in namespace \"" + ns + "\"");
  }

  private static String dotted(List<Object> path) {
    StringBuilder out = new StringBuilder();
    for (Object step : path) {
      if (step instanceof Integer index) {
        out.append('[').append(index).append(']');
      } else {
        out.append(out.length() == 0 ? "" : ".").append(step);
      }
    }
    return out.toString();
  }
}
