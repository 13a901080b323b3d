package io.k8sci.testing.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code skopeo} CLI as an independent witness of what reached a registry: tests push with our
 * code and read back with a different implementation.
 *
 * <p>Image arguments are registry references without transport ({@code 127.0.0.1:5000/app:1}); the
 * {@code docker://} transport is added here. {@link #copy(String, String)} takes full transport
 * strings ({@code oci:/dir:tag}, {@code docker://...}).
 *
 * <p>Skopeo never reads the user's auth files here: without credentials it runs with {@code
 * --no-creds}, and {@code REGISTRY_AUTH_FILE} points to an empty file.
 */
public final class Skopeo {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final boolean tlsVerify;
  private final Path certificateDirectory;
  private final String username;
  private final String password;

  private Skopeo(boolean tlsVerify, Path certificateDirectory, String username, String password) {
    this.tlsVerify = tlsVerify;
    this.certificateDirectory = certificateDirectory;
    this.username = username;
    this.password = password;
  }

  /**
   * Skopeo configured for this registry: plain HTTP → {@code --tls-verify=false}; TLS → {@code
   * --cert-dir} with the test CA; authenticated → {@code --creds user:password}.
   */
  public static Skopeo forRegistry(RegistryServer registry) {
    return new Skopeo(
        registry.isTls(),
        registry.isTls() ? registry.certificateDirectory() : null,
        registry.requiresAuth() ? registry.username() : null,
        registry.requiresAuth() ? registry.password() : null);
  }

  /** Skopeo for a plain-HTTP registry (or any registry, without TLS verification), anonymous. */
  public static Skopeo insecure() {
    return new Skopeo(false, null, null, null);
  }

  /** The same settings with other credentials (null, null for anonymous). */
  public Skopeo withCredentials(String username, String password) {
    return new Skopeo(tlsVerify, certificateDirectory, username, password);
  }

  /** The essentials of {@code skopeo inspect}: what a test asserts on. */
  public record Inspection(
      String digest,
      List<String> layers,
      String architecture,
      String os,
      Map<String, String> labels,
      List<String> env,
      JsonNode json) {}

  /** The image configuration ({@code skopeo inspect --config}), OCI/Docker config JSON. */
  public record ImageConfig(
      List<String> entrypoint,
      List<String> cmd,
      List<String> env,
      List<String> exposedPorts,
      Map<String, String> labels,
      String user,
      String workingDir,
      String created,
      String architecture,
      String os,
      List<String> diffIds,
      JsonNode json) {

    /** The value of one environment variable, or null. */
    public String envValue(String name) {
      for (String entry : env) {
        if (entry.startsWith(name + "=")) {
          return entry.substring(name.length() + 1);
        }
      }
      return null;
    }
  }

  /** {@code skopeo inspect docker://IMAGE}. */
  public Inspection inspect(String image) {
    JsonNode json = runJson(withImageOptions("inspect", List.of(), "docker://" + image));
    return new Inspection(
        text(json, "Digest"),
        strings(json.path("Layers")),
        text(json, "Architecture"),
        text(json, "Os"),
        stringMap(json.path("Labels")),
        strings(json.path("Env")),
        json);
  }

  /** {@code skopeo inspect --config docker://IMAGE}. */
  public ImageConfig inspectConfig(String image) {
    JsonNode json = runJson(withImageOptions("inspect", List.of("--config"), "docker://" + image));
    JsonNode config = json.path("config");
    List<String> ports = new ArrayList<>();
    config.path("ExposedPorts").fieldNames().forEachRemaining(ports::add);
    return new ImageConfig(
        strings(config.path("Entrypoint")),
        strings(config.path("Cmd")),
        strings(config.path("Env")),
        ports,
        stringMap(config.path("Labels")),
        text(config, "User"),
        text(config, "WorkingDir"),
        text(json, "created"),
        text(json, "architecture"),
        text(json, "os"),
        strings(json.path("rootfs").path("diff_ids")),
        json);
  }

  /** {@code skopeo inspect --raw docker://IMAGE}: the manifest (or index) exactly as stored. */
  public JsonNode inspectRaw(String image) {
    return runJson(withImageOptions("inspect", List.of("--raw"), "docker://" + image));
  }

  /** {@code skopeo list-tags docker://REPOSITORY} (a reference without tag). */
  public List<String> listTags(String repository) {
    JsonNode json = runJson(withImageOptions("list-tags", List.of(), "docker://" + repository));
    return strings(json.path("Tags"));
  }

  /**
   * {@code skopeo copy SOURCE DESTINATION} with full transport strings; this instance's TLS and
   * credential settings apply to whichever side is a {@code docker://} reference.
   */
  public void copy(String source, String destination) {
    List<String> command = new ArrayList<>(List.of("skopeo", "--insecure-policy", "copy"));
    command.add("--quiet");
    command.addAll(sideOptions(source, "--src-"));
    command.addAll(sideOptions(destination, "--dest-"));
    command.add(source);
    command.add(destination);
    run(command);
  }

  /** Pushes {@code oci:LAYOUT:TAG} to {@code docker://IMAGE}. */
  public void pushOciLayout(Path layout, String tag, String image) {
    copy("oci:" + layout.toAbsolutePath() + ":" + tag, "docker://" + image);
  }

  /** Pulls {@code docker://IMAGE} into {@code oci:LAYOUT:TAG}. */
  public void pullToOciLayout(String image, Path layout, String tag) {
    copy("docker://" + image, "oci:" + layout.toAbsolutePath() + ":" + tag);
  }

  /** {@code skopeo delete docker://IMAGE} (the registry must have deletes enabled). */
  public void delete(String image) {
    run(withImageOptions("delete", List.of(), "docker://" + image));
  }

  private List<String> withImageOptions(String verb, List<String> extra, String image) {
    List<String> command = new ArrayList<>(List.of("skopeo", verb));
    command.addAll(extra);
    command.addAll(sideOptions(image, "--"));
    command.add(image);
    return command;
  }

  private List<String> sideOptions(String transportReference, String prefix) {
    if (!transportReference.startsWith("docker://")) {
      return List.of();
    }
    List<String> options = new ArrayList<>();
    options.add(prefix + "tls-verify=" + tlsVerify);
    if (certificateDirectory != null) {
      options.add(prefix + "cert-dir=" + certificateDirectory.toAbsolutePath());
    }
    if (username != null) {
      options.add(prefix + "creds=" + username + ":" + password);
    } else {
      options.add(prefix + "no-creds");
    }
    return options;
  }

  private String run(List<String> command) {
    return CommandLine.run(
        command,
        password == null ? List.of() : List.of(password),
        // an auth file that does not exist: skopeo must not pick up the user's real credentials
        Map.of("REGISTRY_AUTH_FILE", "/nonexistent/k8sci-test-auth.json"));
  }

  private JsonNode runJson(List<String> command) {
    String out = run(command);
    try {
      return JSON.readTree(out);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("skopeo printed no JSON:\n" + out, e);
    }
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value == null || value.isNull() ? null : value.asText();
  }

  private static List<String> strings(JsonNode array) {
    List<String> values = new ArrayList<>();
    if (array != null && array.isArray()) {
      array.forEach(v -> values.add(v.asText()));
    }
    return values;
  }

  private static Map<String, String> stringMap(JsonNode object) {
    Map<String, String> values = new LinkedHashMap<>();
    if (object != null && object.isObject()) {
      Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> field = fields.next();
        values.put(field.getKey(), field.getValue().asText());
      }
    }
    return values;
  }

  @Override
  public String toString() {
    return "Skopeo[tlsVerify="
        + tlsVerify
        + ", certDir="
        + Objects.toString(certificateDirectory)
        + ", user="
        + username
        + "]";
  }
}
