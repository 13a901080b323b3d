package io.k8sci.testing.registry;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/**
 * A real CNCF distribution registry ({@code docker-registry serve}, distribution 2.8 as packaged by
 * Debian) running as a child process on a free port of 127.0.0.1, for tests that must talk to the
 * same server software teams push to.
 *
 * <p>Two variants: plain HTTP without authentication ({@link #startPlain()}), and HTTPS with a
 * freshly generated CA plus htpasswd basic authentication ({@link #startSecured()}). Storage is a
 * temporary directory (deleted on {@link #close()}), deletes are enabled.
 *
 * <p>The registry's access log (one line per request on its stdout) is captured so tests can count
 * what the registry really received, e.g. {@link #blobUploadCount()} to prove layer reuse.
 *
 * <p>Usage, one server per test class:
 *
 * <pre>{@code
 * @AutoClose static RegistryServer registry = RegistryServer.startPlain();
 * }</pre>
 *
 * (or start in {@code @BeforeAll} and {@link #close()} in {@code @AfterAll}). A JVM shutdown hook
 * kills every server still running, so a crashed test run leaves no registry behind.
 */
public final class RegistryServer implements AutoCloseable {

  /** The default user name of {@link #startSecured()}. */
  public static final String DEFAULT_USERNAME = "k8sci-tester";

  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");

  /**
   * Combined log format as written by distribution's access log: {@code 127.0.0.1 - - [date]
   * "METHOD URI HTTP/1.1" STATUS SIZE "referer" "agent"}.
   */
  private static final Pattern ACCESS_LINE =
      Pattern.compile("^\\S+ \\S+ \\S+ \\[[^\\]]*\\] \"(\\S+) (\\S+) [^\"]*\" (\\d{3}) .*");

  private static final String MARKER_PARAMETER = "k8sci-log-marker";

  private static final Set<RegistryServer> RUNNING = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(() -> RUNNING.forEach(RegistryServer::destroyProcess), "registry-reaper"));
  }

  private final Path workDirectory;
  private final Process process;
  private final int port;
  private final boolean tls;
  private final TestCertificates certificates;
  private final Path caCertificatePem;
  private final Path certificateDirectory;
  private final String username;
  private final String password;
  private final List<String> stdoutLines;
  private final List<String> stderrLines;
  private final HttpClient httpClient;

  private RegistryServer(Builder builder) throws IOException {
    this.tls = builder.tls;
    this.username = builder.username;
    this.password = builder.password;
    this.workDirectory = Files.createTempDirectory("k8sci-registry-");
    Path storage = Files.createDirectories(workDirectory.resolve("storage"));
    StringBuilder config = new StringBuilder();
    config
        .append("version: 0.1\n")
        .append("log:\n")
        .append("  level: info\n")
        .append("  formatter: text\n")
        .append("  accesslog:\n")
        .append("    disabled: false\n")
        .append("storage:\n")
        .append("  filesystem:\n")
        .append("    rootdirectory: ")
        .append(quote(storage))
        .append('\n')
        .append("  delete:\n")
        .append("    enabled: true\n")
        .append("  maintenance:\n")
        .append("    uploadpurging:\n")
        .append("      enabled: false\n")
        .append("http:\n")
        // port 0: the kernel picks a free port, the registry logs which one: no race with others.
        .append("  addr: 127.0.0.1:0\n")
        .append("  secret: ")
        .append(HexFormat.of().formatHex(randomBytes(16)))
        .append('\n');
    if (tls) {
      certificates = TestCertificates.generate();
      caCertificatePem = certificates.writeCaPem(workDirectory.resolve("ca.pem"));
      certificateDirectory = Files.createDirectories(workDirectory.resolve("certs.d"));
      certificates.writeCaPem(certificateDirectory.resolve("ca.crt"));
      Path serverCert = certificates.writeServerChainPem(workDirectory.resolve("server.crt"));
      Path serverKey = certificates.writeServerKeyPem(workDirectory.resolve("server.key"));
      config
          .append("  tls:\n")
          .append("    certificate: ")
          .append(quote(serverCert))
          .append('\n')
          .append("    key: ")
          .append(quote(serverKey))
          .append('\n');
    } else {
      certificates = null;
      caCertificatePem = null;
      certificateDirectory = null;
    }
    if (username != null) {
      Path htpasswd = workDirectory.resolve("htpasswd");
      String hash = OpenBSDBCrypt.generate("2a", password.toCharArray(), randomBytes(16), 5);
      Files.writeString(htpasswd, username + ":" + hash + "\n", StandardCharsets.UTF_8);
      config
          .append("auth:\n")
          .append("  htpasswd:\n")
          .append("    realm: k8sci-test-registry\n")
          .append("    path: ")
          .append(quote(htpasswd))
          .append('\n');
    }
    Path configFile = workDirectory.resolve("config.yml");
    Files.writeString(configFile, config.toString(), StandardCharsets.UTF_8);

    ProcessBuilder processBuilder =
        new ProcessBuilder(registryBinary(), "serve", configFile.toString())
            .directory(workDirectory.toFile());
    // REGISTRY_* variables override the config file: keep the child's configuration ours alone.
    processBuilder.environment().keySet().removeIf(k -> k.startsWith("REGISTRY_"));
    this.process = processBuilder.start();
    RUNNING.add(this);
    this.stdoutLines = new CopyOnWriteArrayList<>();
    this.stderrLines = new CopyOnWriteArrayList<>();
    drain(process.getInputStream(), stdoutLines, "registry-stdout");
    drain(process.getErrorStream(), stderrLines, "registry-stderr");

    HttpClient.Builder client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
    if (tls) {
      client.sslContext(certificates.clientContextTrustingCa());
    }
    this.httpClient = client.build();
    try {
      this.port = awaitListeningPort();
      awaitV2();
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** A registry over plain HTTP without authentication. */
  public static RegistryServer startPlain() {
    return builder().start();
  }

  /**
   * A registry over HTTPS (certificate from a fresh test CA, see {@link #caCertificatePem()}) that
   * requires basic authentication as {@link #DEFAULT_USERNAME} with a random password.
   */
  public static RegistryServer startSecured() {
    return builder()
        .tls(true)
        .basicAuth(DEFAULT_USERNAME, HexFormat.of().formatHex(randomBytes(12)))
        .start();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Options of a registry under test. */
  public static final class Builder {
    private boolean tls;
    private String username;
    private String password;

    private Builder() {}

    /** Serve HTTPS with a certificate for 127.0.0.1 and localhost signed by a fresh test CA. */
    public Builder tls(boolean enabled) {
      this.tls = enabled;
      return this;
    }

    /** Require htpasswd basic authentication with this single user. */
    public Builder basicAuth(String username, String password) {
      this.username = Objects.requireNonNull(username);
      this.password = Objects.requireNonNull(password);
      return this;
    }

    public RegistryServer start() {
      try {
        return new RegistryServer(this);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start docker-registry", e);
      }
    }
  }

  /** {@code 127.0.0.1:PORT}: the registry part of an image reference. */
  public String host() {
    return "127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /** {@code http://127.0.0.1:PORT} or {@code https://127.0.0.1:PORT}. */
  public URI baseUri() {
    return URI.create((tls ? "https://" : "http://") + host());
  }

  /** {@code host()/repositoryAndTag}, e.g. {@code image("team/app:1.0")}. */
  public String image(String repositoryAndTag) {
    return host() + "/" + repositoryAndTag;
  }

  public boolean isTls() {
    return tls;
  }

  public boolean requiresAuth() {
    return username != null;
  }

  /** The PEM file of the CA that signed the registry's certificate (TLS variant only). */
  public Path caCertificatePem() {
    requireTls();
    return caCertificatePem;
  }

  /**
   * A directory holding {@code ca.crt}, the layout {@code skopeo --cert-dir} and {@code
   * /etc/containers/certs.d/HOST/} expect (TLS variant only).
   */
  public Path certificateDirectory() {
    requireTls();
    return certificateDirectory;
  }

  /** A client-side SSLContext that trusts the registry's CA and nothing else (TLS variant only). */
  public SSLContext clientSslContext() {
    requireTls();
    return certificates.clientContextTrustingCa();
  }

  public TestCertificates certificates() {
    requireTls();
    return certificates;
  }

  /** The user name the registry accepts (authenticated variant only). */
  public String username() {
    requireAuth();
    return username;
  }

  /** The password the registry accepts (authenticated variant only). */
  public String password() {
    requireAuth();
    return password;
  }

  /** The registry's storage root (filesystem driver). */
  public Path storageDirectory() {
    return workDirectory.resolve("storage");
  }

  /** One request from the registry's access log. */
  public record LoggedRequest(String method, String uri, int status) {
    /** The URI without its query string. */
    public String path() {
      int query = uri.indexOf('?');
      return query < 0 ? uri : uri.substring(0, query);
    }

    /** A query parameter, URL-decoded, or null. */
    public String queryParameter(String name) {
      int query = uri.indexOf('?');
      if (query < 0) {
        return null;
      }
      for (String pair : uri.substring(query + 1).split("&")) {
        int eq = pair.indexOf('=');
        String key = eq < 0 ? pair : pair.substring(0, eq);
        if (key.equals(name)) {
          return eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        }
      }
      return null;
    }

    /**
     * True for a request that completed a blob upload: the final {@code PUT
     * /v2/NAME/blobs/uploads/UUID?digest=...} or a monolithic {@code POST
     * /v2/NAME/blobs/uploads/?digest=...}, answered 201. Cross-repository mounts are not uploads.
     */
    public boolean isCompletedBlobUpload() {
      if (status != 201 || !path().matches("/v2/.+/blobs/uploads/.*")) {
        return false;
      }
      return (method.equals("PUT") || method.equals("POST")) && queryParameter("digest") != null;
    }
  }

  /**
   * Every request the registry logged so far, in order (synchronised with the log first, so a
   * request whose response the caller has already received is included).
   */
  public List<LoggedRequest> requests() {
    syncAccessLog();
    List<LoggedRequest> requests = new ArrayList<>();
    for (String line : stdoutLines) {
      Matcher m = ACCESS_LINE.matcher(line);
      if (m.matches() && !m.group(2).contains(MARKER_PARAMETER)) {
        requests.add(new LoggedRequest(m.group(1), m.group(2), Integer.parseInt(m.group(3))));
      }
    }
    return requests;
  }

  /** Number of completed blob uploads the registry received (see {@link LoggedRequest}). */
  public long blobUploadCount() {
    return requests().stream().filter(LoggedRequest::isCompletedBlobUpload).count();
  }

  /** Digests of the completed blob uploads, in order (a digest twice means it was pushed twice). */
  public List<String> uploadedBlobDigests() {
    return requests().stream()
        .filter(LoggedRequest::isCompletedBlobUpload)
        .map(r -> r.queryParameter("digest"))
        .collect(Collectors.toList());
  }

  /** Number of logged requests with this method whose path matches {@code pathRegex}. */
  public long countRequests(String method, String pathRegex) {
    Pattern pattern = Pattern.compile(pathRegex);
    return requests().stream()
        .filter(r -> r.method().equals(method) && pattern.matcher(r.path()).matches())
        .count();
  }

  /** What the registry wrote to stderr so far (its application log): for failure messages. */
  public String stderr() {
    return String.join("\n", stderrLines);
  }

  /**
   * Waits until the access log holds every request answered before this call: sends a marker
   * request and waits for its log line (the registry writes a line after the response, from another
   * goroutine than the client sees).
   */
  private void syncAccessLog() {
    if (!process.isAlive()) {
      return;
    }
    String marker = UUID.randomUUID().toString();
    send("/v2/?" + MARKER_PARAMETER + "=" + marker);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      if (stdoutLines.stream().anyMatch(line -> line.contains(marker))) {
        return;
      }
      sleep(5);
    }
    throw new IllegalStateException(
        "the registry did not log the marker request " + marker + "; stderr:\n" + stderr());
  }

  /** Stops the registry and deletes its storage. */
  public void stop() {
    close();
  }

  @Override
  public void close() {
    destroyProcess();
    RUNNING.remove(this);
    deleteRecursively(workDirectory);
  }

  private void destroyProcess() {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private int awaitListeningPort() {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      for (String line : stderrLines) {
        Matcher m = LISTENING.matcher(line);
        if (m.find()) {
          return Integer.parseInt(m.group(1));
        }
      }
      if (!process.isAlive()) {
        sleep(100); // let the drainer threads read the last lines
        throw new IllegalStateException(
            "docker-registry exited with code "
                + process.exitValue()
                + " before listening; stderr:\n"
                + stderr()
                + "\nstdout:\n"
                + String.join("\n", stdoutLines));
      }
      sleep(10);
    }
    throw new IllegalStateException(
        "docker-registry did not log 'listening on' within "
            + START_TIMEOUT.toSeconds()
            + " s; stderr:\n"
            + stderr());
  }

  private void awaitV2() {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    Exception last = null;
    while (System.nanoTime() < deadline) {
      try {
        int status = send("/v2/").statusCode();
        if (status == 200 || status == 401) {
          return;
        }
        last = new IllegalStateException("GET /v2/ answered " + status);
      } catch (RuntimeException e) {
        last = e;
      }
      if (!process.isAlive()) {
        break;
      }
      sleep(20);
    }
    throw new IllegalStateException(
        "docker-registry at " + baseUri() + " did not answer /v2/; stderr:\n" + stderr(), last);
  }

  private HttpResponse<Void> send(String pathAndQuery) {
    HttpRequest request =
        HttpRequest.newBuilder(baseUri().resolve(pathAndQuery))
            .timeout(Duration.ofSeconds(5))
            .GET()
            .build();
    try {
      return httpClient.send(request, HttpResponse.BodyHandlers.discarding());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private void requireTls() {
    if (!tls) {
      throw new IllegalStateException("this registry serves plain HTTP: use startSecured()");
    }
  }

  private void requireAuth() {
    if (username == null) {
      throw new IllegalStateException("this registry has no authentication: use startSecured()");
    }
  }

  private static String registryBinary() {
    String configured = System.getProperty("k8sci.test.registry.binary");
    if (configured != null && !configured.isBlank()) {
      return configured;
    }
    return Files.isExecutable(Path.of("/usr/bin/docker-registry"))
        ? "/usr/bin/docker-registry"
        : "docker-registry";
  }

  private static void drain(InputStream stream, List<String> lines, String name) {
    Thread thread =
        new Thread(
            () -> {
              try (BufferedReader reader =
                  new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                  lines.add(line);
                }
              } catch (IOException ignored) {
                // the process ended
              }
            },
            name);
    thread.setDaemon(true);
    thread.start();
  }

  private static String quote(Path path) {
    // YAML double-quoted scalar; temp paths hold no quotes or backslashes, but be safe.
    return "\""
        + path.toAbsolutePath().toString().replace("\\", "\\\\").replace("\"", "\\\"")
        + "\"";
  }

  private static byte[] randomBytes(int length) {
    byte[] bytes = new byte[length];
    new SecureRandom().nextBytes(bytes);
    return bytes;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the registry", e);
    }
  }

  static void deleteRecursively(Path root) {
    if (root == null || !Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      paths
          .sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException ignored) {
                  // best effort: a temp dir
                }
              });
    } catch (IOException ignored) {
      // best effort
    }
  }

  @Override
  public String toString() {
    return "RegistryServer[" + baseUri() + (username != null ? ", basic auth" : "") + "]";
  }

  /** For debugging a failing test: the raw access-log lines. */
  public List<String> accessLogLines() {
    syncAccessLog();
    return List.copyOf(stdoutLines);
  }
}
