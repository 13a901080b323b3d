package io.k8sci.testing.registry;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * An HTTP/1.1 proxy on 127.0.0.1 in front of a plain-HTTP registry that fails requests on command:
 * answer N of them with an HTTP error (500, 503, 429, ...), drop N connections without answering,
 * or fail everything from now on (a registry that stays down), optionally only for requests that
 * match a predicate (e.g. only {@code PUT .../manifests/...}). It counts every request it sees.
 *
 * <p>How it works: each client connection gets its own upstream connection. The client-to-upstream
 * direction is parsed one request at a time (request line, headers, then the body framed by {@code
 * Content-Length} or {@code Transfer-Encoding: chunked}) so a fault can be decided per request; the
 * upstream-to-client direction is piped byte for byte. Registry clients do not pipeline requests,
 * so when a request is faulted every earlier response on that connection has been delivered; the
 * proxy then answers (or not) and closes the connection, which every client handles by
 * reconnecting.
 *
 * <p>The registry builds upload {@code Location} URLs from the {@code Host} header, which the proxy
 * forwards unchanged, so follow-up requests come back through the proxy too.
 */
public final class FaultProxy implements AutoCloseable {

  private static final int MAX_HEAD_BYTES = 64 * 1024;

  /** One request as the proxy saw it. {@code target} is the request-target (path + query). */
  public record Request(String method, String target) {
    public String path() {
      int query = target.indexOf('?');
      return query < 0 ? target : target.substring(0, query);
    }

    @Override
    public String toString() {
      return method + " " + target;
    }
  }

  /** What to do instead of forwarding a request. */
  public sealed interface Fault permits HttpError, DropConnection {}

  /** Answer with this status (and an optional {@code Retry-After} in seconds), then close. */
  public record HttpError(int status, Integer retryAfterSeconds) implements Fault {}

  /** Close the connection without answering (the client sees an empty response). */
  public record DropConnection() implements Fault {}

  /** HTTP 500 Internal Server Error. */
  public static final Fault HTTP_500 = new HttpError(500, null);

  /** Close the connection without an answer. */
  public static final Fault DROP = new DropConnection();

  public static Fault httpError(int status) {
    return new HttpError(status, null);
  }

  public static Fault httpError(int status, int retryAfterSeconds) {
    return new HttpError(status, retryAfterSeconds);
  }

  public static Fault dropConnection() {
    return DROP;
  }

  /** Requests with this method whose path (without query) matches {@code pathRegex}. */
  public static Predicate<Request> matching(String method, String pathRegex) {
    Pattern pattern = Pattern.compile(pathRegex);
    return r -> r.method().equalsIgnoreCase(method) && pattern.matcher(r.path()).matches();
  }

  /** Any request. */
  public static Predicate<Request> anyRequest() {
    return r -> true;
  }

  /** A fault to inject {@code remaining} more times (-1: forever) for requests matching. */
  private static final class Rule {
    final Fault fault;
    final Predicate<Request> when;
    int remaining;

    Rule(Fault fault, Predicate<Request> when, int remaining) {
      this.fault = fault;
      this.when = when;
      this.remaining = remaining;
    }
  }

  private final String upstreamHost;
  private final int upstreamPort;
  private final ServerSocket serverSocket;
  private final ExecutorService threads;
  private final List<Rule> rules = new ArrayList<>();
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final List<Request> faulted = new CopyOnWriteArrayList<>();
  private final Set<Socket> openSockets = ConcurrentHashMap.newKeySet();
  private final AtomicInteger connections = new AtomicInteger();
  private volatile boolean closed;

  private FaultProxy(String upstreamHost, int upstreamPort) throws IOException {
    this.upstreamHost = upstreamHost;
    this.upstreamPort = upstreamPort;
    this.serverSocket = new ServerSocket();
    serverSocket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    AtomicInteger threadNumber = new AtomicInteger();
    this.threads =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "fault-proxy-" + threadNumber.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    threads.execute(this::acceptLoop);
  }

  /** A proxy forwarding to {@code upstreamHost:upstreamPort} (plain HTTP). */
  public static FaultProxy start(String upstreamHost, int upstreamPort) {
    try {
      return new FaultProxy(upstreamHost, upstreamPort);
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the fault proxy", e);
    }
  }

  /** A proxy in front of a plain-HTTP {@link RegistryServer}. */
  public static FaultProxy inFrontOf(RegistryServer registry) {
    if (registry.isTls()) {
      throw new IllegalArgumentException("FaultProxy speaks plain HTTP only: use startPlain()");
    }
    return start("127.0.0.1", registry.port());
  }

  /** {@code 127.0.0.1:PORT}: use it as the registry part of image references. */
  public String host() {
    return "127.0.0.1:" + port();
  }

  public int port() {
    return serverSocket.getLocalPort();
  }

  /** {@code host()/repositoryAndTag}. */
  public String image(String repositoryAndTag) {
    return host() + "/" + repositoryAndTag;
  }

  /** Fault the next {@code count} requests (any). */
  public FaultProxy failNext(int count, Fault fault) {
    return failNext(count, fault, anyRequest());
  }

  /** Fault the next {@code count} requests matching {@code when}; others pass. */
  public FaultProxy failNext(int count, Fault fault, Predicate<Request> when) {
    if (count <= 0) {
      throw new IllegalArgumentException("count must be positive: " + count);
    }
    synchronized (rules) {
      rules.add(new Rule(Objects.requireNonNull(fault), Objects.requireNonNull(when), count));
    }
    return this;
  }

  /** Fault every request from now on (a registry that stays down) until {@link #heal()}. */
  public FaultProxy failAlways(Fault fault) {
    return failAlways(fault, anyRequest());
  }

  /** Fault every request matching {@code when} from now on until {@link #heal()}. */
  public FaultProxy failAlways(Fault fault, Predicate<Request> when) {
    synchronized (rules) {
      rules.add(new Rule(Objects.requireNonNull(fault), Objects.requireNonNull(when), -1));
    }
    return this;
  }

  /** Removes every pending fault: requests pass again. */
  public FaultProxy heal() {
    synchronized (rules) {
      rules.clear();
    }
    return this;
  }

  /** Every request seen (forwarded or faulted), in arrival order. */
  public List<Request> requests() {
    return List.copyOf(requests);
  }

  public int requestCount() {
    return requests.size();
  }

  public long requestCount(Predicate<Request> when) {
    return requests.stream().filter(when).count();
  }

  /** The requests that got a fault instead of being forwarded. */
  public List<Request> faultedRequests() {
    return List.copyOf(faulted);
  }

  public int faultCount() {
    return faulted.size();
  }

  /** Client connections accepted so far. */
  public int connectionCount() {
    return connections.get();
  }

  /** Forgets the recorded requests (not the fault rules). */
  public void clearRequests() {
    requests.clear();
    faulted.clear();
  }

  @Override
  public void close() {
    closed = true;
    closeQuietly(serverSocket);
    openSockets.forEach(FaultProxy::closeQuietly);
    threads.shutdownNow();
  }

  @Override
  public String toString() {
    return "FaultProxy[" + host() + " -> " + upstreamHost + ":" + upstreamPort + "]";
  }

  private Fault faultFor(Request request) {
    synchronized (rules) {
      rules.removeIf(rule -> rule.remaining == 0);
      for (Rule rule : rules) {
        if (rule.remaining != 0 && rule.when.test(request)) {
          if (rule.remaining > 0) {
            rule.remaining--;
          }
          return rule.fault;
        }
      }
      return null;
    }
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket client = serverSocket.accept();
        connections.incrementAndGet();
        openSockets.add(client);
        threads.execute(() -> handle(client));
      } catch (IOException e) {
        if (!closed) {
          System.err.println("FaultProxy accept failed: " + e);
        }
        return;
      }
    }
  }

  /** Serves one client connection: request after request until a fault or either side closes. */
  private void handle(Socket client) {
    Socket upstream = null;
    try {
      InputStream in = new BufferedInputStream(client.getInputStream());
      OutputStream clientOut = client.getOutputStream();
      while (true) {
        byte[] head = readHead(in);
        if (head == null) {
          return; // client closed the connection between requests
        }
        RequestHead parsed = RequestHead.parse(head);
        Request request = new Request(parsed.method, parsed.target);
        requests.add(request);
        Fault fault = faultFor(request);
        if (fault != null) {
          faulted.add(request);
          // Read the body first (unless the client waits for 100-continue before sending it), so
          // that closing does not reset the connection under data the client is still writing.
          if (!parsed.expectsContinue) {
            copyBody(parsed, in, OutputStream.nullOutputStream());
          }
          if (fault instanceof HttpError error) {
            clientOut.write(errorResponse(error));
            clientOut.flush();
          }
          return; // close the connection: the client reconnects for the next request
        }
        if (upstream == null) {
          try {
            upstream = new Socket(upstreamHost, upstreamPort);
          } catch (IOException e) {
            clientOut.write(errorResponse(new HttpError(502, null)));
            clientOut.flush();
            return;
          }
          openSockets.add(upstream);
          Socket upstreamSocket = upstream;
          threads.execute(() -> pump(upstreamSocket, client));
        }
        OutputStream upstreamOut = upstream.getOutputStream();
        upstreamOut.write(head);
        copyBody(parsed, in, upstreamOut);
        upstreamOut.flush();
      }
    } catch (IOException e) {
      // either side went away mid-request: end the connection
    } finally {
      closeQuietly(client);
      openSockets.remove(client);
      if (upstream != null) {
        closeQuietly(upstream);
        openSockets.remove(upstream);
      }
    }
  }

  /** Copies upstream responses to the client until upstream closes; then closes the client. */
  private void pump(Socket upstream, Socket client) {
    try {
      upstream.getInputStream().transferTo(client.getOutputStream());
    } catch (IOException ignored) {
      // one side closed
    } finally {
      closeQuietly(client);
      closeQuietly(upstream);
    }
  }

  private static byte[] errorResponse(HttpError error) {
    String body =
        "{\"errors\":[{\"code\":\"UNKNOWN\",\"message\":\"HTTP "
            + error.status()
            + " injected by FaultProxy\"}]}";
    StringBuilder response =
        new StringBuilder()
            .append("HTTP/1.1 ")
            .append(error.status())
            .append(' ')
            .append(reason(error.status()))
            .append("\r\nContent-Type: application/json\r\nContent-Length: ")
            .append(body.getBytes(StandardCharsets.UTF_8).length)
            .append("\r\nConnection: close\r\n");
    if (error.retryAfterSeconds() != null) {
      response.append("Retry-After: ").append(error.retryAfterSeconds()).append("\r\n");
    }
    response.append("\r\n").append(body);
    return response.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static String reason(int status) {
    return switch (status) {
      case 429 -> "Too Many Requests";
      case 500 -> "Internal Server Error";
      case 502 -> "Bad Gateway";
      case 503 -> "Service Unavailable";
      case 504 -> "Gateway Timeout";
      default -> "Injected";
    };
  }

  /** Reads up to and including the blank line ending the head; null on EOF before any byte. */
  private static byte[] readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream(512);
    int lastFour = 0; // the last four bytes read, to spot CR LF CR LF
    while (true) {
      int b = in.read();
      if (b < 0) {
        if (head.size() == 0) {
          return null;
        }
        throw new IOException("connection closed inside a request head");
      }
      if (head.size() == 0 && (b < 'A' || b > 'Z')) {
        // Not an HTTP method: most likely a TLS ClientHello (0x16) from a client that tries HTTPS
        // first (skopeo --tls-verify=false, Jib with allowInsecureRegistries). Closing at once
        // makes it fall back to plain HTTP now instead of after its handshake timeout.
        throw new IOException(
            "not an HTTP/1.1 request (first byte 0x" + Integer.toHexString(b) + ")");
      }
      head.write(b);
      if (head.size() > MAX_HEAD_BYTES) {
        throw new IOException("request head larger than " + MAX_HEAD_BYTES + " bytes");
      }
      lastFour = (lastFour << 8) | b;
      if (lastFour == 0x0D0A0D0A) {
        return head.toByteArray();
      }
    }
  }

  /** Copies the body that follows a head, framed by its headers, to {@code out}. */
  private static void copyBody(RequestHead head, InputStream in, OutputStream out)
      throws IOException {
    if (head.chunked) {
      copyChunked(in, out);
    } else if (head.contentLength > 0) {
      copyExactly(in, out, head.contentLength);
    }
  }

  private static void copyChunked(InputStream in, OutputStream out) throws IOException {
    while (true) {
      String sizeLine = readLine(in, out);
      int semicolon = sizeLine.indexOf(';');
      String hex = (semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim();
      long size;
      try {
        size = Long.parseLong(hex, 16);
      } catch (NumberFormatException e) {
        throw new IOException("bad chunk size line: " + sizeLine);
      }
      if (size == 0) {
        // trailer fields, then an empty line
        while (!readLine(in, out).isEmpty()) {
          // forwarded by readLine
        }
        return;
      }
      copyExactly(in, out, size);
      if (!readLine(in, out).isEmpty()) {
        throw new IOException("missing CRLF after a chunk");
      }
    }
  }

  /** Reads one CRLF-terminated line, forwarding its bytes; returns it without the CRLF. */
  private static String readLine(InputStream in, OutputStream out) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(32);
    while (true) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed inside chunked body");
      }
      out.write(b);
      if (b == '\n') {
        String text = line.toString(StandardCharsets.ISO_8859_1);
        return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
      }
      line.write(b);
      if (line.size() > 8192) {
        throw new IOException("chunk line too long");
      }
    }
  }

  private static void copyExactly(InputStream in, OutputStream out, long length)
      throws IOException {
    byte[] buffer = new byte[64 * 1024];
    long left = length;
    while (left > 0) {
      int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
      if (n < 0) {
        throw new IOException("connection closed inside a request body");
      }
      out.write(buffer, 0, n);
      left -= n;
    }
  }

  /** The parts of a request head the proxy needs. */
  private static final class RequestHead {
    String method;
    String target;
    long contentLength;
    boolean chunked;
    boolean expectsContinue;

    static RequestHead parse(byte[] bytes) throws IOException {
      String[] lines = new String(bytes, StandardCharsets.ISO_8859_1).split("\r\n");
      String[] requestLine = lines[0].split(" ");
      if (requestLine.length != 3) {
        throw new IOException("bad request line: " + lines[0]);
      }
      RequestHead head = new RequestHead();
      head.method = requestLine[0];
      head.target = requestLine[1];
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        if (colon <= 0) {
          continue;
        }
        String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
        String value = lines[i].substring(colon + 1).trim();
        switch (name) {
          case "content-length" -> head.contentLength = Long.parseLong(value);
          case "transfer-encoding" ->
              head.chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
          case "expect" -> head.expectsContinue = value.equalsIgnoreCase("100-continue");
          default -> {}
        }
      }
      return head;
    }
  }

  private static void closeQuietly(java.io.Closeable closeable) {
    try {
      closeable.close();
    } catch (IOException ignored) {
      // closing
    }
  }
}
