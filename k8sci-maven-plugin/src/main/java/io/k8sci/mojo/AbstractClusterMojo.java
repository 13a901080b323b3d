package io.k8sci.mojo;

import io.k8sci.K8sciException;
import io.k8sci.cluster.ClusterConnection;
import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Parameters shared by the goals that talk to a cluster: how to connect (kubeconfig and context,
 * the in-cluster ServiceAccount, or an explicit server and token), the namespace and the timeout.
 */
abstract class AbstractClusterMojo extends AbstractK8sciMojo {

  /**
   * Kubeconfig context; GitLab agent contexts look like {@code group/project:agent}. Default: the
   * kubeconfig's current context.
   */
  @Parameter(property = "k8sci.context")
  String context;

  /**
   * Kubeconfig file. Default: {@code $KUBECONFIG} (several files separated by {@code :}), else
   * {@code ~/.kube/config}; without one, the in-cluster ServiceAccount of a runner pod.
   */
  @Parameter(property = "k8sci.kubeconfig")
  File kubeconfig;

  /** Namespace. Default: {@code $KUBE_NAMESPACE}, else the context's, else {@code default}. */
  @Parameter(property = "k8sci.namespace")
  String namespace;

  /** API server URL, to connect without a kubeconfig (with {@code token}). */
  @Parameter(property = "k8sci.server")
  String server;

  /** Bearer token for {@code server}; prefer an environment variable, ${env.X}, over a literal. */
  @Parameter(property = "k8sci.token")
  String token;

  /** CA certificate of {@code server}: a PEM file path or the PEM text. */
  @Parameter(property = "k8sci.caCertificate")
  String caCertificate;

  /** Disables verification of the API server's certificate. Never in production. */
  @Parameter(property = "k8sci.insecureSkipTlsVerify", defaultValue = "false")
  boolean insecureSkipTlsVerify;

  /**
   * Overall time to wait for rollouts: ISO-8601 ({@code PT5M}), seconds, or {@code 5m}/{@code 90s}.
   */
  @Parameter(property = "k8sci.timeout", defaultValue = "PT5M")
  String timeout;

  ClusterConnection.Builder connection() {
    Map<String, String> env = environment();
    ClusterConnection.Builder builder =
        ClusterConnection.builder()
            .environment(env)
            .homeDirectory(Path.of(System.getProperty("user.home")))
            .insecureSkipTlsVerify(insecureSkipTlsVerify);
    if (kubeconfig != null) {
      builder.kubeconfig(List.of(kubeconfig.toPath()));
    }
    if (notBlank(context)) {
      builder.context(context.trim());
    }
    if (notBlank(namespace)) {
      builder.namespace(namespace.trim());
    }
    if (notBlank(server)) {
      builder.server(server.trim());
    }
    if (notBlank(token)) {
      builder.token(token.trim());
    }
    if (notBlank(caCertificate)) {
      builder.caCertificate(caCertificate);
    }
    return builder;
  }

  Duration timeout() {
    return parseDuration("k8sci.timeout", timeout);
  }

  static Duration parseDuration(String property, String value) {
    String text = value == null ? "" : value.trim();
    try {
      if (text.matches("\\d+")) {
        return Duration.ofSeconds(Long.parseLong(text));
      }
      if (text.matches("\\d+[smh]")) {
        long amount = Long.parseLong(text.substring(0, text.length() - 1));
        return switch (text.charAt(text.length() - 1)) {
          case 's' -> Duration.ofSeconds(amount);
          case 'm' -> Duration.ofMinutes(amount);
          default -> Duration.ofHours(amount);
        };
      }
      Duration duration = Duration.parse(text);
      if (duration.isNegative() || duration.isZero()) {
        throw new K8sciException(property + " must be positive, got '" + value + "'");
      }
      return duration;
    } catch (DateTimeParseException | NumberFormatException e) {
      throw new K8sciException(
          property + " is '" + value + "': expected seconds (300), 5m / 90s, or ISO-8601 (PT5M)");
    }
  }

  static boolean notBlank(String value) {
    return value != null && !value.isBlank();
  }
}
