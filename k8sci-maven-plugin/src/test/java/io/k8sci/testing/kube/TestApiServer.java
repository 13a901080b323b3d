package io.k8sci.testing.kube;

import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.internal.MockDispatcher;
import io.fabric8.mockwebserver.internal.SimpleRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * A Kubernetes API server for tests: fabric8's {@link KubernetesMockServer} in CRUD mode on
 * 127.0.0.1 (plain HTTP, free port), wrapped by a dispatcher that adds what the rollout needs and
 * the mock lacks.
 *
 * <p>What the wrapper adds, in the order it is applied to every request:
 *
 * <ol>
 *   <li><b>Recording</b>: every request is kept as an {@link ApiRequest} (HTTP and RBAC view).
 *       Requests from the test-side clients ({@link #client()}, the simulated controller) carry
 *       their own User-Agent, so {@link #requests()} shows only what the code under test did.
 *   <li><b>Authorization</b> ({@link #restrictToNamespace}): a ServiceAccount that may only work in
 *       one namespace; everything else from the code under test gets 403 with a real Status.
 *   <li><b>Fault injection</b> ({@link #failNext}): the next N requests matching verb + resource
 *       get the given status with a Status body like the real API server's.
 *   <li><b>Server-side apply</b> (PATCH {@code application/apply-patch+yaml}, which the CRUD mock
 *       answers with 415). APPROXIMATION of the real thing: if the object is absent it is created
 *       from the applied body (201); if present, the applied configuration is overlaid onto the
 *       live object (maps merge recursively, any field present in the applied config wins, fields
 *       it does not mention are kept, lists are replaced wholesale, an explicit null removes the
 *       field) and stored through the mock's PUT, which keeps uid/creationTimestamp, bumps
 *       resourceVersion only when something changed and {@code metadata.generation} only when a
 *       field outside metadata/status changed. NOT simulated: managedFields and field ownership (so
 *       no conflicts and {@code force} is ignored; a field a previous apply set and this apply
 *       omits is kept instead of being removed), strategic-merge list keys (containers are replaced
 *       as a whole list, which is what a full rendered manifest does anyway), defaulting and
 *       validation beyond "has apiVersion/kind/metadata.name".
 *   <li><b>Status on update</b>: a PUT of a built-in object's main resource keeps the live {@code
 *       status} (the real server ignores status there; the mock would overwrite it).
 *   <li><b>Pod logs</b> ({@code pods/log}): served as text/plain from {@link #setPodLog}, with
 *       {@code container}, {@code previous} and {@code tailLines}; 400 like the real server when a
 *       previous instance does not exist.
 *   <li><b>Event field selectors</b>: a list of events with {@code fieldSelector=involvedObject.*}
 *       is filtered here (the mock only knows metadata.name/namespace selectors).
 *   <li><b>TokenRequest</b> ({@code POST .../serviceaccounts/NAME/token}, which the CRUD mock does
 *       not know), see {@link #maxTokenExpiration}; and, on demand, <b>authentication</b> of the
 *       code under test with the tokens issued that way ({@link #authenticateIssuedTokensOnly}).
 * </ol>
 *
 * Everything else (get/list/watch with label and name field selectors, create, update, json and
 * merge patch, delete, /status) is the mock's own CRUD behaviour. There is no garbage collector and
 * no controller; see {@link SimulatedDeploymentController}.
 */
public final class TestApiServer implements AutoCloseable {

  /** User-Agent of {@link #client()}; its requests are not in {@link #requests()}. */
  public static final String HARNESS_USER_AGENT = "k8sci-test-harness";

  /** User-Agent of the {@link SimulatedDeploymentController}'s client. */
  public static final String CONTROLLER_USER_AGENT = "k8sci-test-controller";

  /** Bearer token written into kubeconfigs for the code under test (not checked by the mock). */
  public static final String TOKEN = "k8sci-test-token-not-a-secret";

  private static final ObjectMapper JSON = Serialization.jsonMapper();

  /** MockWebServer logs every request at INFO through java.util.logging; keep test output calm. */
  private static final java.util.logging.Logger MOCK_LOG =
      java.util.logging.Logger.getLogger(MockWebServer.class.getName());

  static {
    MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
  }

  private static final YAMLMapper YAML = new YAMLMapper();

  private final KubernetesMockServer server;
  private final KubernetesCrudDispatcher crud = new KubernetesCrudDispatcher();
  private final Map<ServerRequest, Queue<ServerResponse>> expectations = new ConcurrentHashMap<>();
  private final MockDispatcher expectationDispatcher = new MockDispatcher(expectations);
  private final List<ApiRequest> requests = new CopyOnWriteArrayList<>();
  private final List<Fault> faults = new ArrayList<>();
  private final Map<String, String> podLogs = new ConcurrentHashMap<>();
  private final Object writeLock = new Object();
  private final Set<ApiRequest> createdByApply =
      java.util.Collections.synchronizedSet(
          java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>()));
  private final Map<String, String> issuedTokens = new ConcurrentHashMap<>();
  private volatile Duration maxTokenExpiration;
  private volatile boolean issuedTokensOnly;
  private volatile String allowedNamespace;
  private volatile String identity = "system:serviceaccount:default:k8sci-deployer";
  private KubernetesClient harnessClient;

  private TestApiServer() {
    Dispatcher dispatcher =
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            return TestApiServer.this.dispatch(request);
          }
        };
    server =
        new KubernetesMockServer(
            new Context(JSON), new MockWebServer(), expectations, dispatcher, false);
  }

  /** Starts a server on 127.0.0.1 and a free port. Close it when done. */
  public static TestApiServer start() {
    TestApiServer s = new TestApiServer();
    try {
      s.server.init(InetAddress.getByName("127.0.0.1"), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    s.harnessClient = s.newClient(HARNESS_USER_AGENT, "default");
    return s;
  }

  /** Base URL, e.g. {@code http://127.0.0.1:34567}. */
  public String url() {
    return "http://127.0.0.1:" + server.getPort();
  }

  /** A client for the test itself (setup, assertions); not recorded in {@link #requests()}. */
  public KubernetesClient client() {
    return harnessClient;
  }

  /** A new client with its own User-Agent; the caller closes it. */
  public KubernetesClient newClient(String userAgent, String namespace) {
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl(url())
            .withNamespace(namespace)
            .withUserAgent(userAgent)
            .withRequestRetryBackoffLimit(0)
            .build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  /** A fabric8 Config as the code under test would get it from a kubeconfig. */
  public Config config(String namespace) {
    return new ConfigBuilder(Config.empty())
        .withMasterUrl(url())
        .withNamespace(namespace)
        .withOauthToken(TOKEN)
        .build();
  }

  /**
   * Kubeconfig YAML with one cluster (this server), one token user and the given contexts.
   *
   * @param contexts context name → namespace (null: no namespace in the context)
   * @param currentContext the current-context, or null for none
   */
  public String kubeconfigYaml(Map<String, String> contexts, String currentContext) {
    StringBuilder y = new StringBuilder();
    y.append("apiVersion: v1\nkind: Config\nclusters:\n- name: test-cluster\n  cluster:\n")
        .append("    server: ")
        .append(url())
        .append("\ncontexts:\n");
    contexts.forEach(
        (name, ns) -> {
          y.append("- name: \"").append(name).append("\"\n  context:\n");
          y.append("    cluster: test-cluster\n    user: test-user\n");
          if (ns != null) {
            y.append("    namespace: ").append(ns).append('\n');
          }
        });
    if (currentContext != null) {
      y.append("current-context: \"").append(currentContext).append("\"\n");
    }
    y.append("users:\n- name: test-user\n  user:\n    token: ").append(TOKEN).append('\n');
    return y.toString();
  }

  /** Writes {@link #kubeconfigYaml} to a file and returns it. */
  public Path writeKubeconfig(Path file, Map<String, String> contexts, String currentContext) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.writeString(file, kubeconfigYaml(contexts, currentContext));
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---------------------------------------------------------------- recording

  /** Requests made by the code under test (test-side clients excluded), in arrival order. */
  public List<ApiRequest> requests() {
    return requests.stream().filter(r -> !isTestSide(r)).collect(Collectors.toList());
  }

  /** Every request, including the harness's and the simulated controller's. */
  public List<ApiRequest> allRequests() {
    return List.copyOf(requests);
  }

  /** Requests by the code under test matching a predicate. */
  public List<ApiRequest> requests(Predicate<ApiRequest> filter) {
    return requests().stream().filter(filter).collect(Collectors.toList());
  }

  public void clearRequests() {
    requests.clear();
    createdByApply.clear();
  }

  /**
   * The authorization checks the real API server would make for {@link #requests()}: one per
   * request, plus a {@code create} right after each server-side apply that created its object (for
   * an apply PATCH of a missing object kube-apiserver also authorizes {@code create}, see {@code
   * createAuthorizerAttributes} in the apiserver's {@code handlers/patch.go}).
   */
  public List<ApiRequest> authorizationChecks() {
    List<ApiRequest> checks = new ArrayList<>();
    for (ApiRequest r : requests()) {
      checks.add(r);
      if (createdByApply.contains(r)) {
        checks.add(
            new ApiRequest(
                r.method(),
                r.path(),
                r.query(),
                "create",
                r.group(),
                r.resource(),
                r.subresource(),
                r.namespace(),
                r.name(),
                r.userAgent(),
                r.contentType()));
      }
    }
    return checks;
  }

  private static boolean isTestSide(ApiRequest r) {
    return r.userAgent() != null
        && (r.userAgent().startsWith(HARNESS_USER_AGENT)
            || r.userAgent().startsWith(CONTROLLER_USER_AGENT));
  }

  // ---------------------------------------------------------------- authorization and faults

  /**
   * From now on, the code under test acts as a ServiceAccount whose Role lives in one namespace:
   * any cluster-scoped request or request into another namespace gets 403 Forbidden (discovery URLs
   * such as /version stay allowed, as for every authenticated user).
   */
  public void restrictToNamespace(String namespace) {
    this.allowedNamespace = namespace;
    this.identity = "system:serviceaccount:" + namespace + ":k8sci-deployer";
  }

  /** The user named in 403 messages. */
  public void identity(String user) {
    this.identity = user;
  }

  public String identity() {
    return identity;
  }

  /**
   * Answers the next {@code times} requests of the code under test matching {@code verb} (RBAC
   * verb, e.g. "patch") and {@code groupResource} (e.g. "deployments.apps", "pods", "pods/log")
   * with {@code status} (409, 403, 500, 503, ...) and a Status body like the real server's.
   */
  public void failNext(String verb, String groupResource, int times, int status) {
    synchronized (faults) {
      faults.add(new Fault(verb, groupResource, times, status));
    }
  }

  private static final class Fault {
    final String verb;
    final String groupResource;
    int remaining;
    final int status;

    Fault(String verb, String groupResource, int remaining, int status) {
      this.verb = verb;
      this.groupResource = groupResource;
      this.remaining = remaining;
      this.status = status;
    }
  }

  private MockResponse takeFault(ApiRequest r) {
    synchronized (faults) {
      for (Iterator<Fault> it = faults.iterator(); it.hasNext(); ) {
        Fault f = it.next();
        if (f.verb.equals(r.verb()) && f.groupResource.equals(r.groupResource())) {
          if (--f.remaining <= 0) {
            it.remove();
          }
          return statusResponse(r, f.status);
        }
      }
    }
    return null;
  }

  private MockResponse authorize(ApiRequest r) {
    String ns = allowedNamespace;
    if (ns == null || r.nonResource()) {
      return null;
    }
    if (r.clusterScoped() || !ns.equals(r.namespace())) {
      return statusResponse(r, 403);
    }
    return null;
  }

  /** A response with the Status body the real API server sends for this code. */
  MockResponse statusResponse(ApiRequest r, int code) {
    String gr =
        r.group() == null || r.group().isEmpty() ? r.resource() : r.resource() + "." + r.group();
    String target = r.name() == null ? gr : gr + " \"" + r.name() + "\"";
    String reason;
    String message;
    switch (code) {
      case 403 -> {
        reason = "Forbidden";
        String res = r.subresource() == null ? r.resource() : r.resource() + "/" + r.subresource();
        message =
            target
                + " is forbidden: User \""
                + identity
                + "\" cannot "
                + r.verb()
                + " resource \""
                + res
                + "\" in API group \""
                + (r.group() == null ? "" : r.group())
                + "\" "
                + (r.namespace() == null
                    ? "at the cluster scope"
                    : "in the namespace \"" + r.namespace() + "\"");
      }
      case 404 -> {
        reason = "NotFound";
        message = target + " not found";
      }
      case 409 -> {
        reason = "Conflict";
        message =
            "Operation cannot be fulfilled on "
                + target
                + ": the object has been modified; please apply your changes to the latest version"
                + " and try again";
      }
      case 429 -> {
        reason = "TooManyRequests";
        message = "the server has received too many requests and has asked us to try again later";
      }
      case 500 -> {
        reason = "InternalError";
        message = "Internal error occurred: injected by TestApiServer";
      }
      case 503 -> {
        reason = "ServiceUnavailable";
        message = "the server is currently unable to handle the request";
      }
      default -> {
        reason = "Unknown";
        message = "injected failure " + code;
      }
    }
    Status status =
        new StatusBuilder()
            .withApiVersion("v1")
            .withKind("Status")
            .withStatus("Failure")
            .withMessage(message)
            .withReason(reason)
            .withCode(code)
            .withNewDetails()
            .withName(r.name())
            .withGroup(r.group())
            .withKind(r.resource())
            .endDetails()
            .build();
    return new MockResponse()
        .setResponseCode(code)
        .setHeader("Content-Type", "application/json")
        .setBody(Serialization.asJson(status));
  }

  // ---------------------------------------------------------------- pod logs

  /**
   * Registers the log text of a pod's container; {@code previous} is the log of the instance before
   * the last restart (what {@code kubectl logs --previous} shows).
   */
  public void setPodLog(
      String namespace, String pod, String container, boolean previous, String text) {
    podLogs.put(logKey(namespace, pod, container, previous), text);
  }

  private static String logKey(String ns, String pod, String container, boolean previous) {
    return ns + "/" + pod + "/" + container + (previous ? "/previous" : "");
  }

  private MockResponse podLog(ApiRequest r) {
    MockResponse pod = crud.handleGet(r.path().substring(0, r.path().lastIndexOf('/')));
    if (pod.code() != 200) {
      return statusResponse(r, 404);
    }
    JsonNode podJson = JSON.readTree(pod.getBody().readUtf8());
    Map<String, String> q = r.queryParameters();
    String container = q.get("container");
    if (container == null) {
      JsonNode containers = podJson.path("spec").path("containers");
      if (containers.size() != 1) {
        return badRequest(
            r, "a container name must be specified for pod " + r.name() + ", choose one of: ...");
      }
      container = containers.get(0).path("name").asText();
    }
    boolean previous = "true".equals(q.get("previous"));
    String text = podLogs.get(logKey(r.namespace(), r.name(), container, previous));
    if (text == null && previous) {
      return badRequest(
          r,
          "previous terminated container \""
              + container
              + "\" in pod \""
              + r.name()
              + "\" not found");
    }
    text = text == null ? "" : text;
    if (q.containsKey("tailLines")) {
      int n = Integer.parseInt(q.get("tailLines"));
      List<String> lines = Arrays.asList(text.split("\n", -1));
      boolean trailingNewline = text.endsWith("\n");
      List<String> content = trailingNewline ? lines.subList(0, lines.size() - 1) : lines;
      List<String> tail = content.subList(Math.max(0, content.size() - n), content.size());
      text = String.join("\n", tail) + (trailingNewline ? "\n" : "");
    }
    return new MockResponse()
        .setResponseCode(200)
        .setHeader("Content-Type", "text/plain")
        .setBody(text);
  }

  private MockResponse badRequest(ApiRequest r, String message) {
    Status status =
        new StatusBuilder()
            .withApiVersion("v1")
            .withKind("Status")
            .withStatus("Failure")
            .withMessage(message)
            .withReason("BadRequest")
            .withCode(400)
            .build();
    return new MockResponse()
        .setResponseCode(400)
        .setHeader("Content-Type", "application/json")
        .setBody(Serialization.asJson(status));
  }

  // ---------------------------------------------------------------- TokenRequest

  /**
   * Caps the lifetime of issued tokens, like kube-apiserver's {@code
   * --service-account-max-token-expiration}; null (the default) for no cap.
   */
  public void maxTokenExpiration(Duration cap) {
    this.maxTokenExpiration = cap;
  }

  /**
   * From now on, requests of the code under test without {@code Authorization: Bearer T}, T a token
   * issued by the TokenRequest route, get 401 Unauthorized like a real API server's. Proves that a
   * client really uses the token it was given.
   */
  public void authenticateIssuedTokensOnly() {
    this.issuedTokensOnly = true;
  }

  /** The ServiceAccount user ({@code system:serviceaccount:NS:NAME}) each issued token acts as. */
  public Map<String, String> issuedTokens() {
    return Map.copyOf(issuedTokens);
  }

  private MockResponse authenticate(ApiRequest r, String authorization) {
    if (!issuedTokensOnly) {
      return null;
    }
    String token =
        authorization != null && authorization.startsWith("Bearer ")
            ? authorization.substring(7).trim()
            : null;
    if (token != null && issuedTokens.containsKey(token)) {
      return null;
    }
    Status status =
        new StatusBuilder()
            .withApiVersion("v1")
            .withKind("Status")
            .withStatus("Failure")
            .withMessage("Unauthorized")
            .withReason("Unauthorized")
            .withCode(401)
            .build();
    return new MockResponse()
        .setResponseCode(401)
        .setHeader("Content-Type", "application/json")
        .setBody(Serialization.asJson(status));
  }

  /**
   * APPROXIMATION of {@code POST /api/v1/namespaces/NS/serviceaccounts/NAME/token}: 404 when the
   * ServiceAccount does not exist, 422 below the API's minimum of 600 {@code expirationSeconds},
   * otherwise 201 with a TokenRequest whose {@code status.token} is a fake unsigned JWT ({@code
   * sub} = {@code system:serviceaccount:NS:NAME}, {@code exp}) and whose {@code
   * status.expirationTimestamp} is now + the requested seconds (default 3600), shortened to {@link
   * #maxTokenExpiration} when set. NOT simulated: signing with the service-account issuer key,
   * audience checks, bound objects, and the real server's extension of short tokens for pods.
   */
  private MockResponse tokenRequest(ApiRequest r, String body) {
    String saPath = r.path().substring(0, r.path().lastIndexOf('/'));
    if (crud.handleGet(saPath).code() != 200) {
      return statusResponse(r, 404);
    }
    JsonNode spec = JSON.readTree(body == null || body.isBlank() ? "{}" : body).path("spec");
    long seconds = spec.path("expirationSeconds").asLong(3600);
    if (seconds < 600) {
      Status status =
          new StatusBuilder()
              .withApiVersion("v1")
              .withKind("Status")
              .withStatus("Failure")
              .withMessage(
                  "TokenRequest.authentication.k8s.io \""
                      + r.name()
                      + "\" is invalid: spec.expirationSeconds: Invalid value: "
                      + seconds
                      + ": may not specify a duration less than 10 minutes")
              .withReason("Invalid")
              .withCode(422)
              .build();
      return new MockResponse()
          .setResponseCode(422)
          .setHeader("Content-Type", "application/json")
          .setBody(Serialization.asJson(status));
    }
    Duration cap = maxTokenExpiration;
    if (cap != null && seconds > cap.getSeconds()) {
      seconds = cap.getSeconds();
    }
    Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    Instant expires = now.plusSeconds(seconds);
    String user = "system:serviceaccount:" + r.namespace() + ":" + r.name();
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String token =
        b64.encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8))
            + "."
            + b64.encodeToString(
                ("{\"iss\":\"https://kubernetes.default.svc\",\"sub\":\""
                        + user
                        + "\",\"iat\":"
                        + now.getEpochSecond()
                        + ",\"exp\":"
                        + expires.getEpochSecond()
                        + ",\"jti\":\""
                        + UUID.randomUUID()
                        + "\"}")
                    .getBytes(StandardCharsets.UTF_8))
            + "."
            + b64.encodeToString(
                ("fake-signature-" + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8));
    issuedTokens.put(token, user);
    ObjectNode answer = JSON.createObjectNode();
    answer.put("apiVersion", "authentication.k8s.io/v1");
    answer.put("kind", "TokenRequest");
    answer.putObject("metadata").put("name", r.name()).put("namespace", r.namespace());
    ObjectNode answerSpec = answer.putObject("spec");
    answerSpec.putArray("audiences").add("https://kubernetes.default.svc.cluster.local");
    answerSpec.put("expirationSeconds", seconds);
    answer.putObject("status").put("token", token).put("expirationTimestamp", expires.toString());
    return new MockResponse()
        .setResponseCode(201)
        .setHeader("Content-Type", "application/json")
        .setBody(JSON.writeValueAsString(answer));
  }

  // ---------------------------------------------------------------- dispatch

  private MockResponse dispatch(RecordedRequest request) {
    ApiRequest r =
        ApiRequest.parse(
            request.getMethod(),
            request.getPath(),
            request.getHeader("User-Agent"),
            request.getHeader("Content-Type"));
    requests.add(r);
    if (!isTestSide(r)) {
      MockResponse unauthenticated = authenticate(r, request.getHeader("Authorization"));
      if (unauthenticated != null) {
        return unauthenticated;
      }
      MockResponse denied = authorize(r);
      if (denied != null) {
        return denied;
      }
      MockResponse fault = takeFault(r);
      if (fault != null) {
        return fault;
      }
    }
    Queue<ServerResponse> expected =
        expectations.get(
            new SimpleRequest(HttpMethod.valueOf(request.getMethod()), request.getPath()));
    if (expected != null && !expected.isEmpty()) {
      return expectationDispatcher.dispatch(request);
    }
    if ("log".equals(r.subresource()) && "pods".equals(r.resource()) && "get".equals(r.verb())) {
      return podLog(r);
    }
    if ("token".equals(r.subresource())
        && "serviceaccounts".equals(r.resource())
        && "create".equals(r.verb())) {
      return tokenRequest(r, request.getUtf8Body());
    }
    if ("events".equals(r.resource())
        && "list".equals(r.verb())
        && r.queryParameters().getOrDefault("fieldSelector", "").contains("involvedObject.")) {
      return filteredEvents(r);
    }
    String contentType = r.contentType() == null ? "" : r.contentType();
    boolean write = !"GET".equalsIgnoreCase(request.getMethod());
    if (!write) {
      return crud.dispatch(request);
    }
    synchronized (writeLock) {
      if ("PATCH".equalsIgnoreCase(request.getMethod())
          && contentType.startsWith("application/apply-patch")) {
        return serverSideApply(r, request.getUtf8Body());
      }
      if ("PUT".equalsIgnoreCase(request.getMethod())
          && r.subresource() == null
          && r.name() != null) {
        return updateKeepingStatus(r, request);
      }
      return crud.dispatch(request);
    }
  }

  private MockResponse updateKeepingStatus(ApiRequest r, RecordedRequest request) {
    MockResponse live = crud.handleGet(r.path());
    if (live.code() != 200) {
      return crud.dispatch(request);
    }
    JsonNode liveJson = JSON.readTree(live.getBody().readUtf8());
    JsonNode body = JSON.readTree(request.getUtf8Body());
    if (body instanceof ObjectNode o && liveJson.has("status")) {
      o.set("status", liveJson.get("status"));
    }
    return crud.dispatch(rebuilt(request, HttpMethod.PUT, r.path(), JSON.writeValueAsString(body)));
  }

  private MockResponse serverSideApply(ApiRequest r, String body) {
    JsonNode applied;
    try {
      applied = YAML.readTree(body);
    } catch (RuntimeException e) {
      return badRequest(r, "error decoding YAML: " + e.getMessage());
    }
    if (!(applied instanceof ObjectNode appliedObject)
        || applied.path("apiVersion").asText("").isEmpty()
        || applied.path("kind").asText("").isEmpty()
        || applied.path("metadata").path("name").asText("").isEmpty()) {
      return badRequest(r, "apply patch must have apiVersion, kind and metadata.name");
    }
    if (r.name() == null || !r.name().equals(applied.path("metadata").path("name").asText())) {
      return badRequest(r, "the name of the object does not match the name on the URL");
    }
    if (r.namespace() != null) {
      ((ObjectNode) appliedObject.get("metadata")).put("namespace", r.namespace());
    }
    MockResponse live = crud.handleGet(r.path());
    // dryRun=All: like the API server, answer with the object as it would be and store nothing.
    boolean dryRun = "All".equals(r.queryParameters().get("dryRun"));
    if (dryRun) {
      ObjectNode result = appliedObject;
      int code = 201;
      if (live.code() != 404) {
        result = (ObjectNode) JSON.readTree(live.getBody().readUtf8());
        overlay(result, appliedObject);
        code = 200;
      }
      return new MockResponse()
          .setResponseCode(code)
          .setHeader("Content-Type", "application/json")
          .setBody(JSON.writeValueAsString(result));
    }
    if (live.code() == 404) {
      if (!isTestSide(r)) {
        createdByApply.add(r);
      }
      String collection = r.path().substring(0, r.path().lastIndexOf('/'));
      return crud.dispatch(
          rebuilt(null, HttpMethod.POST, collection, JSON.writeValueAsString(appliedObject)));
    }
    ObjectNode merged = (ObjectNode) JSON.readTree(live.getBody().readUtf8());
    overlay(merged, appliedObject);
    return crud.dispatch(rebuilt(null, HttpMethod.PUT, r.path(), JSON.writeValueAsString(merged)));
  }

  /** Applied fields win; maps merge recursively; lists and scalars are replaced; null removes. */
  static void overlay(ObjectNode target, ObjectNode applied) {
    for (Map.Entry<String, JsonNode> e : applied.properties()) {
      JsonNode value = e.getValue();
      JsonNode current = target.get(e.getKey());
      if (value.isNull()) {
        target.remove(e.getKey());
      } else if (value instanceof ObjectNode v && current instanceof ObjectNode c) {
        overlay(c, v);
      } else {
        target.set(e.getKey(), value.deepCopy());
      }
    }
  }

  private MockResponse filteredEvents(ApiRequest r) {
    Map<String, String> wanted = new LinkedHashMap<>();
    for (String term : r.queryParameters().get("fieldSelector").split(",")) {
      int eq = term.indexOf('=');
      if (eq > 0) {
        wanted.put(term.substring(0, eq).replace("==", ""), term.substring(eq + 1));
      }
    }
    MockResponse all = crud.handleGet(r.path());
    ObjectNode list = (ObjectNode) JSON.readTree(all.getBody().readUtf8());
    ArrayNode kept = JSON.createArrayNode();
    for (JsonNode event : list.path("items")) {
      boolean match = true;
      for (Map.Entry<String, String> w : wanted.entrySet()) {
        JsonNode node = event;
        for (String part : w.getKey().split("\\.")) {
          node = node.path(part);
        }
        match &= w.getValue().equals(node.asText(""));
      }
      if (match) {
        kept.add(event);
      }
    }
    list.set("items", kept);
    return new MockResponse()
        .setResponseCode(200)
        .setHeader("Content-Type", "application/json")
        .setBody(JSON.writeValueAsString(list));
  }

  private static RecordedRequest rebuilt(
      RecordedRequest original, HttpMethod method, String path, String body) {
    Headers headers =
        original != null
            ? original.getHeaders()
            : Headers.builder().add("Content-Type", "application/json").build();
    return new RecordedRequest("HTTP/1.1", method, path, headers, new Buffer().writeUtf8(body));
  }

  /**
   * Forgets every object, recorded request, fault, pod log and restriction, so one server can serve
   * several tests of a class (starting one costs about a second).
   */
  public void reset() {
    synchronized (writeLock) {
      crud.reset();
    }
    requests.clear();
    synchronized (faults) {
      faults.clear();
    }
    podLogs.clear();
    createdByApply.clear();
    issuedTokens.clear();
    maxTokenExpiration = null;
    issuedTokensOnly = false;
    allowedNamespace = null;
    identity = "system:serviceaccount:default:k8sci-deployer";
  }

  @Override
  public void close() {
    if (harnessClient != null) {
      harnessClient.close();
    }
    try {
      server.destroy();
    } catch (IllegalStateException e) {
      // fabric8's mock (8.0.0) can deadlock for 10 s when a client closes a watch while the mock
      // is sending it an event: WatchEventsListener.onClosed waits, on the vert.x event loop, for
      // a send that needs that event loop. If that happens while the server stops, stopping times
      // out ("Unable to close MockWebServer"); the server still goes away, and the tests that ran
      // against it are not affected, so a test class is not failed for it.
      System.err.println("TestApiServer: " + e.getMessage() + " (fabric8 mock watch deadlock)");
    }
  }
}
