package io.k8sci.cluster;

import io.fabric8.kubernetes.api.model.NamedContext;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.internal.KubeConfigUtils;
import io.k8sci.K8sciException;
import io.k8sci.log.BuildLog;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one place that decides how {@code k8sci} talks to a cluster, so that a pipeline behaves like
 * {@code kubectl} did in the same job: same kubeconfig files, same context, same namespace.
 *
 * <p>Sources, first match wins:
 *
 * <ol>
 *   <li>explicit {@code server} (+ {@code token}, {@code caCertificate});
 *   <li>kubeconfig: the given files, else {@code $KUBECONFIG} (several files separated by the
 *       platform's path separator, merged like kubectl: the first file defining a name wins), else
 *       {@code ~/.kube/config}; with the given {@code context} (e.g. a GitLab agent's {@code
 *       group/project:agent}), else the kubeconfig's current-context;
 *   <li>the pod's ServiceAccount ({@code KUBERNETES_SERVICE_HOST/PORT} and {@code
 *       /var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt,namespace}}).
 * </ol>
 *
 * Namespace: the {@code namespace} parameter, else {@code $KUBE_NAMESPACE} (set by GitLab for
 * environments), else the context's / ServiceAccount's, else {@code default}. TLS certificates are
 * always verified unless {@code insecureSkipTlsVerify} (or the kubeconfig cluster itself) says
 * otherwise. The environment and file locations are injectable so that tests never read the real
 * ones. The token never reaches a log line or message.
 *
 * <p>Thread-safe once built; {@link #close()} closes the client.
 */
public final class ClusterConnection implements AutoCloseable {

  /** Where the connection settings came from. */
  public enum Source {
    EXPLICIT,
    KUBECONFIG,
    IN_CLUSTER
  }

  /** The ServiceAccount mount of every pod. */
  public static final Path DEFAULT_SERVICE_ACCOUNT_DIR =
      Path.of("/var/run/secrets/kubernetes.io/serviceaccount");

  private final Config config;
  private final Source source;
  private final String contextName;
  private final String namespace;
  private final String namespaceOrigin;
  private final String identity;
  private final String description;
  private volatile KubernetesClient client;

  private ClusterConnection(
      Config config,
      Source source,
      String contextName,
      String namespace,
      String namespaceOrigin,
      String identity,
      String description) {
    this.config = config;
    this.source = source;
    this.contextName = contextName;
    this.namespace = namespace;
    this.namespaceOrigin = namespaceOrigin;
    this.identity = identity;
    this.description = description;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The client (created once, lazily). Its default namespace is {@link #namespace()}. */
  public KubernetesClient client() {
    KubernetesClient c = client;
    if (c == null) {
      synchronized (this) {
        if (client == null) {
          client = new KubernetesClientBuilder().withConfig(config).build();
        }
        c = client;
      }
    }
    return c;
  }

  /** The fabric8 configuration (contains the token: never log it). */
  public Config config() {
    return config;
  }

  public Source source() {
    return source;
  }

  /** The kubeconfig context used, or null for other sources. */
  public String contextName() {
    return contextName;
  }

  public String namespace() {
    return namespace;
  }

  /** e.g. {@code parameter}, {@code $KUBE_NAMESPACE}, {@code context}, {@code default}. */
  public String namespaceOrigin() {
    return namespaceOrigin;
  }

  public String server() {
    return config.getMasterUrl();
  }

  /**
   * Who we act as, when known without asking the server: the ServiceAccount from the token's {@code
   * sub} claim ({@code system:serviceaccount:NS:NAME}), or the kubeconfig user's name. Null when
   * unknown. Used to say who lacks a permission in a 403 message.
   */
  public String identity() {
    return identity;
  }

  /** One line for the build log, never containing a secret. */
  public String describe() {
    return description;
  }

  @Override
  public void close() {
    KubernetesClient c = client;
    if (c != null) {
      c.close();
    }
  }

  /** Collects the settings; {@link #build()} resolves them. */
  public static final class Builder {
    private Map<String, String> environment = Map.of();
    private Path homeDirectory;
    private List<Path> kubeconfigFiles = List.of();
    private String context;
    private String namespace;
    private String server;
    private String token;
    private String caCertificate;
    private boolean insecureSkipTlsVerify;
    private Path serviceAccountDirectory = DEFAULT_SERVICE_ACCOUNT_DIR;
    private int requestRetries = 2;
    private BuildLog log = BuildLog.silent();

    private Builder() {}

    /** The process environment (the Mojo passes {@code System.getenv()}; tests a map). */
    public Builder environment(Map<String, String> environment) {
      this.environment = Map.copyOf(Objects.requireNonNull(environment));
      return this;
    }

    /** Home directory for {@code ~/.kube/config} (default: none, i.e. no home kubeconfig). */
    public Builder homeDirectory(Path home) {
      this.homeDirectory = home;
      return this;
    }

    /** Explicit kubeconfig files; when given, {@code $KUBECONFIG} and the home file are ignored. */
    public Builder kubeconfig(List<Path> files) {
      this.kubeconfigFiles = files == null ? List.of() : List.copyOf(files);
      return this;
    }

    /** kubeconfig context, e.g. {@code group/project:agent}; null: the current-context. */
    public Builder context(String context) {
      this.context = blankToNull(context);
      return this;
    }

    public Builder namespace(String namespace) {
      this.namespace = blankToNull(namespace);
      return this;
    }

    /** API server URL; makes the connection explicit (kubeconfig and ServiceAccount ignored). */
    public Builder server(String server) {
      this.server = blankToNull(server);
      return this;
    }

    /** Bearer token for an explicit server. */
    public Builder token(String token) {
      this.token = blankToNull(token);
      return this;
    }

    /** CA for an explicit server: a PEM text or the path of a PEM file. */
    public Builder caCertificate(String pemOrPath) {
      this.caCertificate = blankToNull(pemOrPath);
      return this;
    }

    /** Accept any server certificate. Dangerous; logged as a warning. */
    public Builder insecureSkipTlsVerify(boolean insecure) {
      this.insecureSkipTlsVerify = insecure;
      return this;
    }

    public Builder serviceAccountDirectory(Path dir) {
      this.serviceAccountDirectory = dir;
      return this;
    }

    /**
     * Transport-level retries of every request on 5xx, 429 and I/O errors (fabric8's exponential
     * backoff from 250 ms). Default 2.
     */
    public Builder requestRetries(int retries) {
      this.requestRetries = retries;
      return this;
    }

    public Builder log(BuildLog log) {
      this.log = log == null ? BuildLog.silent() : log;
      return this;
    }

    public ClusterConnection build() {
      ClusterConnection c;
      if (server != null) {
        c = explicit();
      } else {
        List<Path> files = kubeconfigFiles();
        if (!files.isEmpty()) {
          c = fromKubeconfig(files);
        } else if (context != null) {
          throw new K8sciException(
              "kubeconfig context \""
                  + context
                  + "\" was requested but no kubeconfig was found: $KUBECONFIG is "
                  + (environment.get("KUBECONFIG") == null ? "not set" : "set to missing files")
                  + " and there is no ~/.kube/config. In GitLab CI, the agent provides KUBECONFIG"
                  + " when the project is authorized in the agent's configuration.");
        } else if (environment.get("KUBERNETES_SERVICE_HOST") != null
            && Files.isRegularFile(serviceAccountDirectory.resolve("token"))) {
          c = inCluster();
        } else {
          throw new K8sciException(
              "no Kubernetes connection found: set KUBECONFIG (in GitLab CI: use an agent"
                  + " authorized for this project and set the context, e.g."
                  + " group/project:agent-name), run the job in a pod with a ServiceAccount, or"
                  + " give server and token explicitly");
        }
      }
      if (insecureSkipTlsVerify) {
        log.warn(
            "TLS verification of the Kubernetes API server is disabled (insecureSkipTlsVerify):"
                + " anyone between this job and "
                + c.server()
                + " can impersonate the cluster");
      }
      log.info("Kubernetes: " + c.describe());
      return c;
    }

    private ConfigBuilder common(Config base) {
      ConfigBuilder b =
          new ConfigBuilder(base)
              .withUserAgent("k8sci")
              .withRequestRetryBackoffLimit(requestRetries)
              .withRequestRetryBackoffInterval(250);
      if (insecureSkipTlsVerify) {
        b.withTrustCerts(true).withDisableHostnameVerification(true);
      }
      return b;
    }

    private ClusterConnection explicit() {
      ConfigBuilder b = common(Config.empty()).withMasterUrl(server);
      if (token != null) {
        b.withOauthToken(token);
      }
      if (caCertificate != null) {
        if (caCertificate.contains("-----BEGIN")) {
          b.withCaCertData(
              Base64.getEncoder()
                  .encodeToString(caCertificate.getBytes(StandardCharsets.US_ASCII)));
        } else {
          Path ca = Path.of(caCertificate);
          if (!Files.isRegularFile(ca)) {
            throw new K8sciException(
                "caCertificate \""
                    + caCertificate
                    + "\" is neither a PEM certificate nor an existing file");
          }
          b.withCaCertFile(ca.toAbsolutePath().toString());
        }
      }
      Resolved ns = resolveNamespace(null, null);
      Config cfg = b.withNamespace(ns.value).build();
      return new ClusterConnection(
          cfg,
          Source.EXPLICIT,
          null,
          ns.value,
          ns.origin,
          subjectOf(token),
          "explicit server " + server + ", namespace " + ns.value + " (" + ns.origin + ")");
    }

    private List<Path> kubeconfigFiles() {
      if (!kubeconfigFiles.isEmpty()) {
        for (Path f : kubeconfigFiles) {
          if (!Files.isRegularFile(f)) {
            throw new K8sciException("kubeconfig file " + f + " does not exist");
          }
        }
        return kubeconfigFiles;
      }
      String env = environment.get("KUBECONFIG");
      if (env != null && !env.isBlank()) {
        List<Path> found = new ArrayList<>();
        for (String part : env.split(Pattern.quote(File.pathSeparator))) {
          if (!part.isBlank() && Files.isRegularFile(Path.of(part))) {
            found.add(Path.of(part));
          }
        }
        if (found.isEmpty()) {
          throw new K8sciException(
              "KUBECONFIG is set to " + env + " but none of these files exists");
        }
        return found;
      }
      if (homeDirectory != null) {
        Path home = homeDirectory.resolve(".kube").resolve("config");
        if (Files.isRegularFile(home)) {
          return List.of(home);
        }
      }
      return List.of();
    }

    private ClusterConnection fromKubeconfig(List<Path> files) {
      List<io.fabric8.kubernetes.api.model.Config> parsed = new ArrayList<>();
      for (Path f : files) {
        try {
          parsed.add(KubeConfigUtils.parseConfig(f.toFile()));
        } catch (RuntimeException e) {
          throw new K8sciException("cannot read kubeconfig " + f + ": " + e.getMessage(), e);
        }
      }
      Set<String> available = new LinkedHashSet<>();
      String current = null;
      for (io.fabric8.kubernetes.api.model.Config k : parsed) {
        if (k.getContexts() != null) {
          k.getContexts().stream().map(NamedContext::getName).forEach(available::add);
        }
        if (current == null && k.getCurrentContext() != null && !k.getCurrentContext().isBlank()) {
          current = k.getCurrentContext();
        }
      }
      String wanted = context != null ? context : current;
      String from = files.size() == 1 ? files.get(0).toString() : files.toString();
      if (wanted == null) {
        throw new K8sciException(
            "kubeconfig "
                + from
                + " has no current-context: set the context to one of "
                + quoted(available));
      }
      if (!available.contains(wanted)) {
        throw new K8sciException(
            "kubeconfig context \""
                + wanted
                + "\" not found in "
                + from
                + "; available contexts: "
                + quoted(available)
                + (wanted.contains(":")
                    ? " (a GitLab agent context only appears when the agent's configuration"
                        + " authorizes this project)"
                    : ""));
      }
      Config merged = Config.empty();
      KubeConfigUtils.merge(
          merged, wanted, parsed.toArray(new io.fabric8.kubernetes.api.model.Config[0]));
      NamedContext named =
          parsed.stream()
              .filter(k -> k.getContexts() != null)
              .flatMap(k -> k.getContexts().stream())
              .filter(c -> wanted.equals(c.getName()))
              .findFirst()
              .orElseThrow();
      String contextNamespace =
          named.getContext() == null ? null : named.getContext().getNamespace();
      Resolved ns = resolveNamespace(contextNamespace, "context");
      Config cfg = common(merged).withNamespace(ns.value).build();
      if (cfg.getMasterUrl() == null || cfg.getMasterUrl().isBlank()) {
        throw new K8sciException(
            "kubeconfig context \"" + wanted + "\" names no cluster with a server URL in " + from);
      }
      String user = named.getContext() == null ? null : named.getContext().getUser();
      // fabric8 keeps a kubeconfig user's token in autoOAuthToken, an explicit one in oauthToken.
      String subject =
          subjectOf(cfg.getOauthToken() != null ? cfg.getOauthToken() : cfg.getAutoOAuthToken());
      return new ClusterConnection(
          cfg,
          Source.KUBECONFIG,
          wanted,
          ns.value,
          ns.origin,
          subject != null ? subject : user,
          "kubeconfig "
              + from
              + ", context \""
              + wanted
              + "\", server "
              + cfg.getMasterUrl()
              + ", namespace "
              + ns.value
              + " ("
              + ns.origin
              + ")");
    }

    private ClusterConnection inCluster() {
      String host = environment.get("KUBERNETES_SERVICE_HOST");
      String port = environment.getOrDefault("KUBERNETES_SERVICE_PORT", "443");
      String url = "https://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
      Path tokenFile = serviceAccountDirectory.resolve("token");
      Path caFile = serviceAccountDirectory.resolve("ca.crt");
      Path nsFile = serviceAccountDirectory.resolve("namespace");
      String saNamespace = null;
      try {
        if (Files.isRegularFile(nsFile)) {
          saNamespace = Files.readString(nsFile).trim();
        }
      } catch (IOException e) {
        throw new K8sciException("cannot read " + nsFile + ": " + e.getMessage(), e);
      }
      Resolved ns = resolveNamespace(saNamespace, "ServiceAccount");
      // the kubelet rotates projected tokens: read the file for every request, like client-go
      ConfigBuilder b =
          common(Config.empty())
              .withMasterUrl(url)
              .withOauthTokenProvider(() -> readToken(tokenFile))
              .withNamespace(ns.value);
      if (Files.isRegularFile(caFile)) {
        b.withCaCertFile(caFile.toAbsolutePath().toString());
      }
      return new ClusterConnection(
          b.build(),
          Source.IN_CLUSTER,
          null,
          ns.value,
          ns.origin,
          subjectOf(readToken(tokenFile)),
          "in-cluster ServiceAccount ("
              + serviceAccountDirectory
              + "), server "
              + url
              + ", namespace "
              + ns.value
              + " ("
              + ns.origin
              + ")");
    }

    private static String readToken(Path tokenFile) {
      try {
        return Files.readString(tokenFile).trim();
      } catch (IOException e) {
        throw new K8sciException("cannot read ServiceAccount token " + tokenFile, e);
      }
    }

    private record Resolved(String value, String origin) {}

    private Resolved resolveNamespace(String fromSource, String sourceName) {
      if (namespace != null) {
        return new Resolved(namespace, "parameter");
      }
      String env = blankToNull(environment.get("KUBE_NAMESPACE"));
      if (env != null) {
        return new Resolved(env, "$KUBE_NAMESPACE");
      }
      if (fromSource != null && !fromSource.isBlank()) {
        return new Resolved(fromSource, sourceName);
      }
      return new Resolved("default", "default");
    }
  }

  private static final Pattern SUB = Pattern.compile("\"sub\"\\s*:\\s*\"([^\"]+)\"");

  /** The {@code sub} claim of a JWT (not secret), or null if the token is not a JWT. */
  static String subjectOf(String token) {
    if (token == null) {
      return null;
    }
    String[] parts = token.split("\\.");
    if (parts.length != 3) {
      return null;
    }
    try {
      String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
      Matcher m = SUB.matcher(payload);
      return m.find() ? m.group(1) : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static String quoted(Set<String> names) {
    if (names.isEmpty()) {
      return "(none)";
    }
    StringBuilder s = new StringBuilder();
    for (String n : names) {
      if (s.length() > 0) {
        s.append(", ");
      }
      s.append('"').append(n).append('"');
    }
    return s.toString();
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }
}
