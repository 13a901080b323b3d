package io.k8sci.rbac;

import io.k8sci.K8sciException;
import io.k8sci.manifest.ManifestDocument;
import io.k8sci.manifest.ManifestSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * The {@code apiVersion}/{@code kind} pairs in a manifests folder, read without rendering.
 *
 * <p>{@code k8sci:rbac} is run by an administrator, usually on a laptop without the CI variables
 * and without an image built: the manifests' placeholders cannot be resolved there, and they do not
 * matter, since a Role depends only on the kinds applied. So the kinds are read from the raw
 * documents; placeholders sit in values and never break the YAML.
 */
public final class ManifestKinds {

  /** One kind found in the manifests. */
  public record Kind(String apiVersion, String kind) {}

  private ManifestKinds() {}

  public static List<Kind> scan(Path manifests) {
    Set<Kind> kinds = new LinkedHashSet<>();
    for (ManifestDocument document : ManifestSource.load(manifests)) {
      Object parsed;
      try {
        parsed = new Load(LoadSettings.builder().build()).loadFromString(document.text());
      } catch (YamlEngineException e) {
        throw new K8sciException(
            document.start()
                + ": not valid YAML: "
                + e.getMessage().lines().findFirst().orElse(""));
      }
      collect(parsed, document, kinds);
    }
    return new ArrayList<>(kinds);
  }

  private static void collect(Object parsed, ManifestDocument document, Set<Kind> kinds) {
    if (!(parsed instanceof Map<?, ?> map)) {
      return;
    }
    Object apiVersion = map.get("apiVersion");
    Object kind = map.get("kind");
    if ("List".equals(kind) && map.get("items") instanceof List<?> items) {
      for (Object item : items) {
        collect(item, document, kinds);
      }
      return;
    }
    if (apiVersion == null || kind == null) {
      throw new K8sciException(document.start() + ": a document without apiVersion or kind");
    }
    kinds.add(new Kind(apiVersion.toString(), kind.toString()));
  }
}
