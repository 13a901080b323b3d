package io.k8sci.testing.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@code umoci} CLI: makes tiny OCI images for tests (no base image download, no daemon) and
 * unpacks images so tests can look at the files a container would see. All commands run with {@code
 * --rootless} so they behave the same for root and non-root users.
 *
 * <p>Layouts are OCI image layout directories; {@code skopeo} moves them to and from registries
 * ({@link Skopeo#pushOciLayout}, {@link Skopeo#pullToOciLayout}).
 */
public final class Umoci {

  private static final ObjectMapper JSON = new ObjectMapper();

  private Umoci() {}

  /** {@code umoci init --layout LAYOUT} + {@code umoci new --image LAYOUT:TAG}: an empty image. */
  public static Path newImage(Path layout, String tag) {
    if (!Files.exists(layout.resolve("index.json"))) {
      run(List.of("umoci", "init", "--layout", layout.toString()));
    }
    run(List.of("umoci", "new", "--image", image(layout, tag)));
    return layout;
  }

  /** Adds {@code source} (file or directory) at {@code target} in a new layer of LAYOUT:TAG. */
  public static void insert(Path layout, String tag, Path source, String target) {
    run(
        List.of(
            "umoci",
            "insert",
            "--rootless",
            "--image",
            image(layout, tag),
            source.toAbsolutePath().toString(),
            target));
  }

  /** {@code umoci config --image LAYOUT:TAG ARGS...}, e.g. {@code "--config.env", "A=b"}. */
  public static void config(Path layout, String tag, String... arguments) {
    List<String> command =
        new ArrayList<>(List.of("umoci", "config", "--image", image(layout, tag)));
    command.addAll(List.of(arguments));
    run(command);
  }

  /**
   * A small image in a fresh layout: one layer per entry of {@code files} (path in the image →
   * content), entrypoint {@code /bin/true}. Returns the layout.
   */
  public static Path tinyImage(Path layout, String tag, Map<String, String> files) {
    newImage(layout, tag);
    try {
      Path staging = Files.createTempDirectory("k8sci-umoci-");
      try {
        int index = 0;
        for (Map.Entry<String, String> file : files.entrySet()) {
          Path source = staging.resolve("file-" + index++);
          Files.writeString(source, file.getValue(), StandardCharsets.UTF_8);
          insert(layout, tag, source, file.getKey());
        }
      } finally {
        RegistryServer.deleteRecursively(staging);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    config(layout, tag, "--config.entrypoint", "/bin/true");
    return layout;
  }

  /**
   * {@code umoci unpack --rootless --image LAYOUT:TAG BUNDLE}; returns the bundle's {@code rootfs}
   * directory.
   */
  public static Path unpack(Path layout, String tag, Path bundle) {
    run(
        List.of(
            "umoci",
            "unpack",
            "--rootless",
            "--image",
            image(layout, tag),
            bundle.toAbsolutePath().toString()));
    return bundle.resolve("rootfs");
  }

  /** The runtime spec umoci generated when unpacking ({@code BUNDLE/config.json}). */
  public static JsonNode runtimeConfig(Path bundle) {
    try {
      return JSON.readTree(bundle.resolve("config.json").toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code umoci ls --layout LAYOUT}: the tags in a layout. */
  public static List<String> tags(Path layout) {
    String out = run(List.of("umoci", "ls", "--layout", layout.toString()));
    return out.lines().map(String::strip).filter(s -> !s.isEmpty()).toList();
  }

  private static String image(Path layout, String tag) {
    return layout.toAbsolutePath() + ":" + tag;
  }

  private static String run(List<String> command) {
    return CommandLine.run(command, List.of(), Map.of());
  }
}
