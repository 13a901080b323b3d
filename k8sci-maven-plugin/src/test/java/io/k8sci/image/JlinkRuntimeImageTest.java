package io.k8sci.image;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.TarImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import com.google.cloud.tools.jib.api.buildplan.FileEntry;
import io.k8sci.testing.RecordingBuildLog;
import io.k8sci.testing.jar.TestJars;
import io.k8sci.testing.podman.Podman;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Links a runtime for a tiny application, puts it with the application on an empty base, and runs
 * the image with podman: proof that the runtime needs nothing else. jlink runs once for the class
 * (cache in a temporary directory), once more for the concurrency check.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JlinkRuntimeImageTest {

  private static final String MAIN =
      """
      import com.sun.net.httpserver.HttpServer;
      import java.net.InetAddress;
      import java.net.InetSocketAddress;
      import java.nio.charset.StandardCharsets;
      import java.nio.file.Files;
      import java.nio.file.Path;

      public class Main {
        public static void main(String[] args) throws Exception {
          java.util.logging.Logger.getLogger("app").info("logging works");
          if (args.length == 2 && args[0].equals("serve")) {
            HttpServer server =
                HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[1])), 0);
            server.createContext("/", exchange -> {
              byte[] body = ("pong from " + System.getProperty("user.name"))
                  .getBytes(StandardCharsets.UTF_8);
              exchange.sendResponseHeaders(200, body.length);
              exchange.getResponseBody().write(body);
              exchange.close();
            });
            server.start();
            System.out.println("listening on " + args[1]);
            return;
          }
          Path file = Files.createTempFile("k8sci", ".txt");
          Files.writeString(file, "written");
          System.out.println("user " + System.getProperty("user.name"));
          System.out.println("java.home " + System.getProperty("java.home"));
          System.out.println("tmp file " + file.getParent() + " " + Files.readString(file));
          System.out.println("tmp mode "
              + Integer.toOctalString((Integer) Files.getAttribute(Path.of("/tmp"), "unix:mode")));
          javax.net.ssl.TrustManagerFactory trust = javax.net.ssl.TrustManagerFactory.getInstance(
              javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
          trust.init((java.security.KeyStore) null);
          javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getInstance("TLSv1.3");
          tls.init(null, trust.getTrustManagers(), null);
          int cas = ((javax.net.ssl.X509TrustManager) trust.getTrustManagers()[0])
              .getAcceptedIssuers().length;
          System.out.println("tls " + tls.getProtocol() + " trusts " + (cas > 0 ? "CAs" : "nothing"));
          System.out.println("localhost " + InetAddress.getByName("localhost").isLoopbackAddress());
        }
      }
      """;

  /** Shared by all tests of the class: the jlink cache, the app jar, the image tar. */
  private Path tmp;

  private final Podman podman = new Podman();
  private final RecordingBuildLog firstLog = new RecordingBuildLog();
  private Path appJar;
  private Path cache;
  private JavaRuntime runtime;
  private String image;

  @BeforeAll
  void linkRuntimeAndBuildImage(@TempDir Path sharedDirectory) throws Exception {
    tmp = sharedDirectory;
    Path classes = TestJars.compile(Map.of("Main", MAIN), tmp.resolve("classes"));
    appJar = TestJars.jar(classes, tmp.resolve("app.jar"), Map.of("Main-Class", "Main"));
    cache = tmp.resolve("cache");
    runtime = create(cache, firstLog);

    Path tar = tmp.resolve("image.tar");
    String name = "localhost/k8sci-test/jlink:" + UUID.randomUUID();
    var container = Jib.fromScratch();
    runtime.layers().forEach(container::addFileEntriesLayer);
    container
        .addFileEntriesLayer(
            FileEntriesLayer.builder()
                .setName("app")
                .addEntry(appJar, AbsoluteUnixPath.get("/app/app.jar"))
                .build())
        .setEntrypoint(List.of(runtime.javaExecutable(), "-cp", "/app/app.jar", "Main"))
        .containerize(
            Containerizer.to(TarImage.at(tar).named(name))
                .setBaseImageLayersCache(tmp.resolve("jib-base-cache"))
                .setApplicationLayersCache(tmp.resolve("jib-app-cache"))
                .setToolName("k8sci-test"));
    image = podman.load(tar);
  }

  @AfterAll
  void removeImage() {
    if (image != null) {
      podman.rmi(image);
    }
  }

  private JavaRuntime create(Path cacheDirectory, RecordingBuildLog log) {
    return JlinkRuntime.builder()
        .applicationJars(List.of(appJar))
        .cacheDirectory(cacheDirectory)
        .log(log)
        .build()
        .create();
  }

  @Test
  void runtimeHasTheModulesTheApplicationUses() {
    assertThat(runtime.modules()).contains("java.base", "java.logging", "jdk.httpserver");
    assertThat(runtime.modules()).doesNotContain("java.desktop", "java.sql", "jdk.compiler");
    assertThat(runtime.javaExecutable()).isEqualTo("/opt/java/bin/java");
    assertThat(firstLog.info())
        .anyMatch(
            l ->
                l.startsWith("jlink runtime: " + runtime.modules().size() + " modules, ")
                    && l.contains(" MB ")
                    && l.contains("(linked in "));
  }

  @Test
  void layersHoldTheRuntimeTheLoaderLibrariesAndOsFiles() throws IOException {
    assertThat(runtime.layers())
        .extracting(FileEntriesLayer::getName)
        .containsExactly(JlinkRuntime.RUNTIME_LAYER, JlinkRuntime.OS_LAYER);
    Map<String, FileEntry> jre = byPath(runtime.layers().get(0));
    Map<String, FileEntry> os = byPath(runtime.layers().get(1));

    assertThat(jre.get("/opt/java/bin/java").getPermissions().toOctalString()).isEqualTo("755");
    assertThat(jre.get("/opt/java/lib/modules").getPermissions().toOctalString()).isEqualTo("644");
    assertThat(jre.get("/opt/java/lib/server/libjvm.so").getPermissions().toOctalString())
        .isEqualTo("755");
    assertThat(jre.keySet()).allMatch(p -> p.startsWith("/opt/java"));

    assertThat(os.keySet())
        .anyMatch(p -> p.matches("/lib[^/]*/ld-linux-[^/]+\\.so\\.\\d|/lib/ld-musl-.*"))
        .anyMatch(p -> p.endsWith("/libc.so.6") || p.contains("ld-musl"))
        .anyMatch(p -> p.endsWith("/libz.so.1"))
        .contains("/etc/passwd", "/etc/group", "/etc/nsswitch.conf", "/tmp");
    assertThat(os.get("/tmp").getPermissions().getPermissionBits()).isEqualTo(01777);
    assertThat(Files.readString(os.get("/etc/passwd").getSourceFile()))
        .contains("root:x:0:0:", "k8sci:x:1000:1000:");
    for (FileEntriesLayer layer : runtime.layers()) {
      List<String> paths =
          layer.getEntries().stream().map(e -> e.getExtractionPath().toString()).toList();
      assertThat(paths).isSorted().doesNotHaveDuplicates();
      assertThat(layer.getEntries())
          .allMatch(e -> e.getModificationTime().equals(Instant.ofEpochSecond(1)));
    }
    long size = 0;
    for (FileEntriesLayer layer : runtime.layers()) {
      for (FileEntry e : layer.getEntries()) {
        if (Files.isRegularFile(e.getSourceFile())) {
          size += Files.size(e.getSourceFile());
        }
      }
    }
    assertThat(runtime.sizeBytes()).isEqualTo(size);
  }

  @Test
  void secondCreateWithSameInputsIsServedFromTheCache() throws Exception {
    RecordingBuildLog second = new RecordingBuildLog();

    JavaRuntime again = create(cache, second);

    assertThat(second.info())
        .anyMatch(l -> l.startsWith("jlink runtime: ") && l.endsWith("(cached)"));
    assertThat(second.info()).noneMatch(l -> l.contains("linked in"));
    assertThat(fingerprint(again)).isEqualTo(fingerprint(runtime));
    assertThat(again.sizeBytes()).isEqualTo(runtime.sizeBytes());
    assertThat(again.modules()).isEqualTo(runtime.modules());
  }

  @Test
  void concurrentBuildsOfTheSameRuntimeAgreeAndLeaveOneCacheEntry() throws Exception {
    Path freshCache = tmp.resolve("concurrent-cache");
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<JavaRuntime> a = pool.submit(() -> create(freshCache, new RecordingBuildLog()));
      Future<JavaRuntime> b = pool.submit(() -> create(freshCache, new RecordingBuildLog()));
      List<String> fa = fingerprint(a.get());
      List<String> fb = fingerprint(b.get());

      assertThat(fa).isEqualTo(fb);
      // a separate jlink run from the same inputs gives the same bytes: layers are reproducible
      assertThat(fa).isEqualTo(fingerprint(runtime));
    } finally {
      pool.shutdownNow();
    }
    try (Stream<Path> entries = Files.list(freshCache.resolve("jlink"))) {
      assertThat(entries.map(p -> p.getFileName().toString()).toList())
          .hasSize(1)
          .noneMatch(n -> n.startsWith(".tmp-"));
    }
  }

  @Test
  void imageRunsAsRoot() {
    Podman.Result r = podman.run(Podman.run(image));

    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.stdout())
        .contains("user root")
        .contains("java.home /opt/java")
        .contains("tmp file /tmp written")
        .contains("tmp mode 41777")
        .contains("tls TLSv1.3 trusts CAs")
        .contains("localhost true");
    assertThat(r.stderr()).contains("logging works");
  }

  @Test
  void imageRunsAsTheNonRootUserAndCanWriteTmp() {
    Podman.Result r =
        podman.run(Podman.run(image).user(Integer.toString(JlinkRuntime.NON_ROOT_UID)));

    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.stdout()).contains("user k8sci").contains("tmp file /tmp written");
  }

  @Test
  void imageServesHttp() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    try (Podman.Container c =
        podman.start(Podman.run(image).user("1000").command("serve", Integer.toString(port)))) {
      c.awaitLog(l -> l.contains("listening on " + port), Duration.ofSeconds(60));

      HttpResponse<String> response =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                      .timeout(Duration.ofSeconds(10))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());

      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).isEqualTo("pong from k8sci");
    }
  }

  private static Map<String, FileEntry> byPath(FileEntriesLayer layer) {
    Map<String, FileEntry> map = new java.util.LinkedHashMap<>();
    layer.getEntries().forEach(e -> map.put(e.getExtractionPath().toString(), e));
    return map;
  }

  /** Path, permissions and content hash of every entry of every layer, in order. */
  private static List<String> fingerprint(JavaRuntime r) throws Exception {
    List<String> lines = new ArrayList<>();
    for (FileEntriesLayer layer : r.layers()) {
      for (FileEntry e : layer.getEntries()) {
        String hash = "dir";
        if (Files.isRegularFile(e.getSourceFile())) {
          MessageDigest sha = MessageDigest.getInstance("SHA-256");
          try (InputStream in = Files.newInputStream(e.getSourceFile())) {
            sha.update(in.readAllBytes());
          }
          hash = HexFormat.of().formatHex(sha.digest());
        }
        lines.add(
            layer.getName()
                + " "
                + e.getExtractionPath()
                + " "
                + e.getPermissions().toOctalString()
                + " "
                + e.getModificationTime()
                + " "
                + hash);
      }
    }
    return lines;
  }
}
