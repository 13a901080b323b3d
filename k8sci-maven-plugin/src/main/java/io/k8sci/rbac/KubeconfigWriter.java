package io.k8sci.rbac;

import io.fabric8.kubernetes.api.model.AuthInfoBuilder;
import io.fabric8.kubernetes.api.model.ClusterBuilder;
import io.fabric8.kubernetes.api.model.ConfigBuilder;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ContextBuilder;
import io.fabric8.kubernetes.api.model.NamedAuthInfoBuilder;
import io.fabric8.kubernetes.api.model.NamedClusterBuilder;
import io.fabric8.kubernetes.api.model.NamedContextBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.Config;
import io.k8sci.K8sciException;
import io.k8sci.cluster.ApiErrors;
import io.k8sci.cluster.ClusterConnection;
import io.k8sci.log.BuildLog;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.AclEntry;
import java.nio.file.attribute.AclEntryPermission;
import java.nio.file.attribute.AclEntryType;
import java.nio.file.attribute.AclFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;

/**
 * {@code k8sci:kubeconfig}: asks the TokenRequest API for a token of the deploy ServiceAccount and
 * writes a kubeconfig (server, CA, namespace, token) that a GitLab CI job can use as its {@code
 * KUBECONFIG} file variable.
 *
 * <p>Why: the hand-made way (read the token Secret with {@code kubectl describe}, {@code jq} and
 * {@code base64}) gave a token that never expires and no longer works since Kubernetes 1.24, which
 * creates no token Secret by default. TokenRequest tokens expire ({@link
 * KubeconfigRequest#tokenDuration()}), and are bound to the ServiceAccount: deleting it revokes
 * them.
 *
 * <p>Run once by an administrator with their own kubeconfig ({@code create} on {@code
 * serviceaccounts/token} in the namespace). The CA written is, in order: the administrator's
 * current CA (the trust they already use for this server), else the cluster CA from the {@code
 * kube-root-ca.crt} ConfigMap of the namespace; with an explicit other server URL the ConfigMap's
 * CA comes first. The file is created readable by its owner only (0600) before the token is written
 * into it, then moved into place atomically. The token never reaches a log line, an exception
 * message or {@link KubeconfigResult}. Thread-safe.
 */
public final class KubeconfigWriter {

  static final String ROOT_CA_CONFIGMAP = "kube-root-ca.crt";

  private final ClusterConnection admin;
  private final BuildLog log;

  /**
   * @param admin a connection with an administrator's credentials
   */
  public KubeconfigWriter(ClusterConnection admin, BuildLog log) {
    this.admin = Objects.requireNonNull(admin);
    this.log = log == null ? BuildLog.silent() : log;
  }

  /**
   * Requests the token and writes the kubeconfig.
   *
   * @throws K8sciException when the ServiceAccount is missing, the credentials may not request
   *     tokens, the answer has no token, or the file cannot be written (nothing is written then)
   */
  public KubeconfigResult write(KubeconfigRequest request) {
    String ns = request.namespace();
    String sa = request.serviceAccount();
    String user = "system:serviceaccount:" + ns + ":" + sa;
    String server = request.server() != null ? request.server() : admin.server();
    if (server == null || server.isBlank()) {
      throw new K8sciException(
          "the administrator's connection names no API server URL; set the server explicitly");
    }
    server = stripSlash(server); // as kubectl writes it; fabric8 adds a slash
    Ca ca = certificateAuthority(request);
    if (ca == null && server.startsWith("https://")) {
      log.warn(
          "No CA certificate found (neither in the administrator's kubeconfig nor in ConfigMap "
              + ROOT_CA_CONFIGMAP
              + " of namespace "
              + ns
              + "): the kubeconfig relies on the CI image's system trust store for "
              + server);
    }

    long seconds = request.tokenDuration().getSeconds();
    TokenRequest answer;
    try {
      answer =
          admin
              .client()
              .serviceAccounts()
              .inNamespace(ns)
              .withName(sa)
              .tokenRequest(
                  new TokenRequestBuilder()
                      .withNewSpec()
                      .withExpirationSeconds(seconds)
                      .endSpec()
                      .build());
    } catch (RuntimeException e) {
      throw tokenRequestFailed(e, ns, sa);
    }
    String token =
        answer == null || answer.getStatus() == null ? null : answer.getStatus().getToken();
    if (token == null || token.isBlank()) {
      throw new K8sciException(
          "the API server answered the TokenRequest for ServiceAccount "
              + ns
              + "/"
              + sa
              + " without a token");
    }
    Instant expiresAt = expiry(answer, seconds);
    Duration lifetime = Duration.between(Instant.now(), expiresAt);
    if (lifetime.compareTo(request.tokenDuration().minusMinutes(5)) < 0) {
      log.warn(
          "The API server shortened the token's lifetime to "
              + human(lifetime)
              + " (requested "
              + human(request.tokenDuration())
              + "): it caps TokenRequests (kube-apiserver --service-account-max-token-expiration)");
    }

    String yaml = kubeconfigYaml(request, server, ca, token);
    Path file = writeOwnerOnly(request.outputFile(), yaml);
    log.info(
        "Wrote kubeconfig "
            + file.toAbsolutePath()
            + " (readable by you only) for "
            + user
            + ": context \""
            + request.contextName()
            + "\", server "
            + server
            + ", namespace "
            + ns
            + (ca == null ? ", no CA embedded" : ", CA from " + ca.source));
    log.info(
        "The token expires at "
            + expiresAt
            + " (in "
            + human(lifetime)
            + "); run k8sci:kubeconfig again before then. To revoke it earlier, delete ServiceAccount "
            + sa
            + " and apply k8sci:rbac again.");
    log.info(
        "Paste the file's content into a GitLab CI/CD variable of type File named KUBECONFIG"
            + " (protected, scoped to the deploy environment: a multi-line value cannot be masked),"
            + " then delete the local file.");
    return new KubeconfigResult(
        file,
        server,
        ns,
        user,
        request.contextName(),
        expiresAt,
        request.tokenDuration(),
        ca == null ? null : ca.source);
  }

  // ------------------------------------------------------------------ token

  private K8sciException tokenRequestFailed(RuntimeException e, String ns, String sa) {
    int code = ApiErrors.code(e);
    String who = admin.identity() == null ? "the current credentials" : admin.identity();
    if (code == 404) {
      return new K8sciException(
          "ServiceAccount \""
              + sa
              + "\" not found in namespace \""
              + ns
              + "\": create it first with k8sci:rbac -Dk8sci.apply (as an administrator)",
          e);
    }
    if (code == 403) {
      return new K8sciException(
          "forbidden: "
              + who
              + " may not request tokens for ServiceAccount \""
              + sa
              + "\" in namespace \""
              + ns
              + "\" (needs verb \"create\" on \"serviceaccounts/token\"): run k8sci:kubeconfig with"
              + " an administrator's kubeconfig, not the deploy one. Server said: "
              + ApiErrors.serverMessage(e),
          e);
    }
    return new K8sciException(
        "TokenRequest for ServiceAccount \""
            + sa
            + "\" in namespace \""
            + ns
            + "\" failed"
            + (code > 0 ? " (HTTP " + code + ")" : "")
            + ": "
            + ApiErrors.serverMessage(e),
        e);
  }

  private static Instant expiry(TokenRequest answer, long requestedSeconds) {
    String ts = answer.getStatus().getExpirationTimestamp();
    if (ts == null || ts.isBlank()) {
      return Instant.now().plusSeconds(requestedSeconds);
    }
    try {
      return Instant.parse(ts);
    } catch (DateTimeParseException e) {
      throw new K8sciException(
          "the API server answered the TokenRequest with an unreadable expirationTimestamp \""
              + ts
              + "\"",
          e);
    }
  }

  private static String stripSlash(String url) {
    return url == null ? "" : url.replaceAll("/+$", "");
  }

  static String human(Duration d) {
    long minutes = Math.max(0, (d.getSeconds() + 30) / 60);
    long days = minutes / (24 * 60);
    long hours = (minutes / 60) % 24;
    long mins = minutes % 60;
    List<String> parts = new ArrayList<>();
    if (days > 0) {
      parts.add(days + (days == 1 ? " day" : " days"));
    }
    if (hours > 0) {
      parts.add(hours + (hours == 1 ? " hour" : " hours"));
    }
    if (mins > 0 || parts.isEmpty()) {
      parts.add(mins + (mins == 1 ? " minute" : " minutes"));
    }
    return String.join(" ", parts);
  }

  // ------------------------------------------------------------------ CA

  private record Ca(String pem, String source) {}

  private Ca certificateAuthority(KubeconfigRequest request) {
    Ca fromAdmin = fromAdminConfig();
    if (request.server() != null
        && !stripSlash(request.server()).equals(stripSlash(admin.server()))) {
      // another URL than the administrator's: the cluster's own CA is the better guess
      Ca fromCluster = fromRootCaConfigMap(request.namespace());
      return fromCluster != null ? fromCluster : fromAdmin;
    }
    return fromAdmin != null ? fromAdmin : fromRootCaConfigMap(request.namespace());
  }

  private Ca fromAdminConfig() {
    Config c = admin.config();
    if (c.isTrustCerts()) {
      log.warn(
          "The administrator's connection skips TLS verification; the deploy kubeconfig will"
              + " verify the server with the cluster CA instead");
      return null;
    }
    String data = c.getCaCertData();
    if (data != null && !data.isBlank()) {
      String pem;
      try {
        pem = new String(Base64.getMimeDecoder().decode(data.trim()), StandardCharsets.US_ASCII);
      } catch (IllegalArgumentException e) {
        throw new K8sciException(
            "the administrator's kubeconfig has certificate-authority-data that is not base64", e);
      }
      return new Ca(
          checkPem(pem, "the administrator's kubeconfig"), "the administrator's kubeconfig");
    }
    String file = c.getCaCertFile();
    if (file != null && !file.isBlank()) {
      try {
        String pem = Files.readString(Path.of(file), StandardCharsets.US_ASCII);
        return new Ca(checkPem(pem, file), file);
      } catch (IOException e) {
        throw new K8sciException(
            "cannot read the CA file " + file + " of the administrator's kubeconfig: " + e, e);
      }
    }
    return null;
  }

  private Ca fromRootCaConfigMap(String ns) {
    ConfigMap cm;
    try {
      cm = admin.client().configMaps().inNamespace(ns).withName(ROOT_CA_CONFIGMAP).get();
    } catch (RuntimeException e) {
      log.debug(
          "cannot read ConfigMap "
              + ROOT_CA_CONFIGMAP
              + " in "
              + ns
              + ": "
              + ApiErrors.serverMessage(e));
      return null;
    }
    if (cm == null || cm.getData() == null || cm.getData().get("ca.crt") == null) {
      return null;
    }
    String source = "ConfigMap " + ns + "/" + ROOT_CA_CONFIGMAP;
    return new Ca(checkPem(cm.getData().get("ca.crt"), source), source);
  }

  /** The PEM text if it holds at least one X.509 certificate. */
  static String checkPem(String pem, String source) {
    try {
      var certs =
          CertificateFactory.getInstance("X.509")
              .generateCertificates(
                  new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
      if (certs.isEmpty()) {
        throw new CertificateException("no certificate");
      }
    } catch (CertificateException e) {
      throw new K8sciException(
          "the CA certificate from "
              + source
              + " is not a PEM X.509 certificate: "
              + e.getMessage(),
          e);
    }
    return pem.endsWith("\n") ? pem : pem + "\n";
  }

  // ------------------------------------------------------------------ file

  private static String kubeconfigYaml(
      KubeconfigRequest request, String server, Ca ca, String token) {
    String clusterName = "k8sci";
    // the Kubernetes user name, so that 403 messages of a client reading this file name it
    String userName =
        "system:serviceaccount:" + request.namespace() + ":" + request.serviceAccount();
    ClusterBuilder cluster = new ClusterBuilder().withServer(server);
    if (ca != null) {
      cluster.withCertificateAuthorityData(
          Base64.getEncoder().encodeToString(ca.pem.getBytes(StandardCharsets.US_ASCII)));
    }
    var config =
        new ConfigBuilder()
            .withApiVersion("v1")
            .withKind("Config")
            .withClusters(
                new NamedClusterBuilder()
                    .withName(clusterName)
                    .withCluster(cluster.build())
                    .build())
            .withUsers(
                new NamedAuthInfoBuilder()
                    .withName(userName)
                    .withUser(new AuthInfoBuilder().withToken(token).build())
                    .build())
            .withContexts(
                new NamedContextBuilder()
                    .withName(request.contextName())
                    .withContext(
                        new ContextBuilder()
                            .withCluster(clusterName)
                            .withUser(userName)
                            .withNamespace(request.namespace())
                            .build())
                    .build())
            .withCurrentContext(request.contextName())
            .build();
    String yaml = RbacPlan.SERIALIZATION.asYaml(config);
    if (yaml.startsWith("---\n")) {
      yaml = yaml.substring(4);
    }
    return yaml;
  }

  /**
   * Writes the text to a new file that only its owner can read from the moment it exists, then
   * moves it over {@code target}: the secret is never in a file others can read, and a reader never
   * sees half a file.
   */
  static Path writeOwnerOnly(Path target, String text) {
    Path file = target.toAbsolutePath();
    if (Files.isDirectory(file)) {
      throw new K8sciException(
          "cannot write the kubeconfig to " + file + ": it is a directory; name a file");
    }
    Path dir = file.getParent();
    Path tmp = null;
    try {
      Files.createDirectories(dir);
      boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
      if (posix) {
        tmp =
            Files.createTempFile(
                dir,
                "." + file.getFileName(),
                ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } else {
        tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
        restrictToOwner(tmp);
      }
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      try {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
      tmp = null;
      return file;
    } catch (IOException e) {
      // the message names the file and the I/O problem only, never the content
      throw new K8sciException(
          "cannot write the kubeconfig to "
              + file
              + ": "
              + e.getClass().getSimpleName()
              + " "
              + e.getMessage(),
          e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // best effort: the temporary file is readable by its owner only
        }
      }
    }
  }

  /** Where there are no POSIX permissions (Windows): an ACL granting the owner alone access. */
  private static void restrictToOwner(Path file) throws IOException {
    AclFileAttributeView acl = Files.getFileAttributeView(file, AclFileAttributeView.class);
    if (acl == null) {
      throw new IOException(
          "the file system supports neither POSIX permissions nor ACLs, so the token could not be"
              + " kept private");
    }
    UserPrincipal owner = Files.getOwner(file);
    acl.setAcl(
        List.of(
            AclEntry.newBuilder()
                .setType(AclEntryType.ALLOW)
                .setPrincipal(owner)
                .setPermissions(EnumSet.allOf(AclEntryPermission.class))
                .build()));
  }
}
