package io.k8sci.testing.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.k8sci.testing.registry.Skopeo;
import io.k8sci.testing.registry.Umoci;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Looks into an image tar (Docker archive, as Jib writes it) with the same tools a user would:
 * {@code skopeo inspect docker-archive:...} for the configuration, skopeo + umoci to unpack the
 * file tree, and a plain tar reader for the exact layer entries (owner, mode, time).
 */
public final class ImageTar {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path tar;

  public ImageTar(Path tar) {
    this.tar = tar;
  }

  /** {@code skopeo inspect --config docker-archive:TAR}. */
  public JsonNode config() {
    return json(run("skopeo", "inspect", "--config", "docker-archive:" + tar.toAbsolutePath()));
  }

  /** {@code skopeo inspect docker-archive:TAR}. */
  public JsonNode inspect() {
    return json(run("skopeo", "inspect", "docker-archive:" + tar.toAbsolutePath()));
  }

  /** Copies the archive into an OCI layout with skopeo and unpacks it with umoci; the rootfs. */
  public Path unpack(Path work) {
    Path layout = work.resolve("layout");
    try {
      Files.createDirectories(work);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Skopeo.insecure()
        .copy("docker-archive:" + tar.toAbsolutePath(), "oci:" + layout.toAbsolutePath() + ":t");
    return Umoci.unpack(layout, "t", work.resolve("bundle"));
  }

  /** One entry of a layer tar. */
  public record Entry(
      String name, boolean directory, int mode, long uid, long gid, long mtimeMillis, long size) {}

  /**
   * One layer as stored in the archive: its file name, sha256 of the stored bytes, size, entries.
   */
  public record Layer(String file, String digest, long size, List<Entry> entries) {}

  /** The layers in manifest order, read directly from the archive. */
  public List<Layer> layers() {
    Map<String, byte[]> files = files();
    JsonNode manifest = json(new String(files.get("manifest.json"), StandardCharsets.UTF_8));
    List<Layer> layers = new ArrayList<>();
    for (JsonNode name : manifest.get(0).get("Layers")) {
      byte[] bytes = files.get(name.asText());
      layers.add(new Layer(name.asText(), "sha256:" + sha256(bytes), bytes.length, entries(bytes)));
    }
    return layers;
  }

  /** The RepoTags of the archive's manifest. */
  public List<String> repoTags() {
    JsonNode manifest = json(new String(files().get("manifest.json"), StandardCharsets.UTF_8));
    List<String> tags = new ArrayList<>();
    manifest.get(0).get("RepoTags").forEach(t -> tags.add(t.asText()));
    return tags;
  }

  private Map<String, byte[]> files() {
    Map<String, byte[]> files = new LinkedHashMap<>();
    try (InputStream in = Files.newInputStream(tar);
        TarArchiveInputStream archive = new TarArchiveInputStream(in)) {
      for (TarArchiveEntry e = archive.getNextEntry(); e != null; e = archive.getNextEntry()) {
        if (e.isFile()) {
          files.put(e.getName(), archive.readAllBytes());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return files;
  }

  private static List<Entry> entries(byte[] gzippedLayer) {
    List<Entry> entries = new ArrayList<>();
    try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(gzippedLayer));
        TarArchiveInputStream layer = new TarArchiveInputStream(in)) {
      for (TarArchiveEntry e = layer.getNextEntry(); e != null; e = layer.getNextEntry()) {
        entries.add(
            new Entry(
                e.getName(),
                e.isDirectory(),
                e.getMode() & 07777,
                e.getLongUserId(),
                e.getLongGroupId(),
                e.getModTime().getTime(),
                e.getSize()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return entries;
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static JsonNode json(String text) {
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String run(String... command) {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(false).start();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      Thread errors = new Thread(() -> copy(process.getErrorStream(), err));
      errors.start();
      process.getInputStream().transferTo(out);
      if (!process.waitFor(120, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException("timed out: " + String.join(" ", command));
      }
      errors.join();
      if (process.exitValue() != 0) {
        throw new IllegalStateException(
            String.join(" ", command)
                + " failed ("
                + process.exitValue()
                + "): "
                + err.toString(StandardCharsets.UTF_8));
      }
      return out.toString(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void copy(InputStream in, ByteArrayOutputStream out) {
    try {
      in.transferTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
