package io.k8sci.rbac;

import io.k8sci.K8sciException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code k8sci:kubeconfig} writes: a kubeconfig for the deploy ServiceAccount of one
 * namespace, with a token of bounded lifetime. Built with {@link #builder(String, Path)}.
 *
 * <p>Default token lifetime: {@value #DEFAULT_TOKEN_DURATION_TEXT}. Why: the token ends up in a
 * GitLab CI/CD variable that maintainers and every pipeline of the project can read, and a
 * TokenRequest token cannot be revoked on its own (only by deleting the ServiceAccount); a month
 * bounds what a leaked token is worth while asking an administrator for one renewal per month. The
 * API's minimum is 10 minutes; API servers may cap the lifetime ({@code
 * --service-account-max-token-expiration}), in which case the expiry the server answers is the one
 * reported.
 */
public final class KubeconfigRequest {

  /** {@value} */
  public static final String DEFAULT_TOKEN_DURATION_TEXT = "30d";

  public static final Duration DEFAULT_TOKEN_DURATION = Duration.ofDays(30);

  /** The TokenRequest API refuses less. */
  public static final Duration MINIMUM_TOKEN_DURATION = Duration.ofMinutes(10);

  private static final Pattern SIMPLE = Pattern.compile("(\\d+)([dhms])");

  private final String namespace;
  private final Path outputFile;
  private final String serviceAccount;
  private final Duration tokenDuration;
  private final String server;
  private final String contextName;

  private KubeconfigRequest(Builder b) {
    this.namespace = b.namespace;
    this.outputFile = b.outputFile;
    this.serviceAccount = b.serviceAccount;
    this.tokenDuration = b.tokenDuration;
    this.server = b.server;
    this.contextName = b.contextName == null ? serviceAccount + "@" + namespace : b.contextName;
  }

  /**
   * @param namespace the deploy namespace (where the ServiceAccount lives)
   * @param outputFile where to write the kubeconfig (the Mojo's default: {@code
   *     target/k8sci/kubeconfig})
   */
  public static Builder builder(String namespace, Path outputFile) {
    return new Builder(namespace, outputFile);
  }

  public String namespace() {
    return namespace;
  }

  public Path outputFile() {
    return outputFile;
  }

  public String serviceAccount() {
    return serviceAccount;
  }

  public Duration tokenDuration() {
    return tokenDuration;
  }

  /** API server URL to write, or null for the administrator's current one. */
  public String server() {
    return server;
  }

  public String contextName() {
    return contextName;
  }

  /**
   * Parses a token lifetime: {@code 30d}, {@code 12h}, {@code 90m}, {@code 3600s}, combinations
   * such as {@code 1d12h}, or ISO-8601 ({@code P30D}, {@code PT12H}).
   *
   * @throws K8sciException naming {@code k8sci.tokenDuration} for anything else or for less than 10
   *     minutes
   */
  public static Duration parseDuration(String text) {
    if (text == null || text.isBlank()) {
      return DEFAULT_TOKEN_DURATION;
    }
    String t = text.trim().toLowerCase(Locale.ROOT);
    Duration d;
    if (t.startsWith("p")) {
      try {
        d = Duration.parse(t.toUpperCase(Locale.ROOT));
      } catch (DateTimeParseException e) {
        throw badDuration(text);
      }
    } else {
      Matcher m = SIMPLE.matcher(t);
      d = Duration.ZERO;
      int end = 0;
      while (m.find()) {
        if (m.start() != end) {
          throw badDuration(text);
        }
        long n;
        try {
          n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
          throw badDuration(text);
        }
        d =
            switch (m.group(2)) {
              case "d" -> d.plusDays(n);
              case "h" -> d.plusHours(n);
              case "m" -> d.plusMinutes(n);
              default -> d.plusSeconds(n);
            };
        end = m.end();
      }
      if (end != t.length() || end == 0) {
        throw badDuration(text);
      }
    }
    checkMinimum(d, text);
    return d;
  }

  private static K8sciException badDuration(String text) {
    return new K8sciException(
        "k8sci.tokenDuration \""
            + text
            + "\" is not a duration: use e.g. 30d, 12h, 90m, 1d12h or ISO-8601 such as P30D");
  }

  private static void checkMinimum(Duration d, String text) {
    if (d.compareTo(MINIMUM_TOKEN_DURATION) < 0) {
      throw new K8sciException(
          "k8sci.tokenDuration \""
              + text
              + "\" is shorter than 10 minutes, the minimum the TokenRequest API accepts");
    }
  }

  @Override
  public String toString() {
    return "KubeconfigRequest[namespace="
        + namespace
        + ", serviceAccount="
        + serviceAccount
        + ", tokenDuration="
        + tokenDuration
        + ", outputFile="
        + outputFile
        + ", server="
        + (server == null ? "(current)" : server)
        + ", context="
        + contextName
        + "]";
  }

  /** Builder; all but namespace and output file optional. */
  public static final class Builder {
    private final String namespace;
    private final Path outputFile;
    private String serviceAccount = RbacPlan.DEFAULT_NAME;
    private Duration tokenDuration = DEFAULT_TOKEN_DURATION;
    private String server;
    private String contextName;

    private Builder(String namespace, Path outputFile) {
      this.namespace = namespace;
      this.outputFile = outputFile;
    }

    /** Default {@value RbacPlan#DEFAULT_NAME}. */
    public Builder serviceAccount(String name) {
      this.serviceAccount = name == null || name.isBlank() ? RbacPlan.DEFAULT_NAME : name.trim();
      return this;
    }

    public Builder tokenDuration(Duration duration) {
      this.tokenDuration = duration == null ? DEFAULT_TOKEN_DURATION : duration;
      return this;
    }

    /** Parsed with {@link KubeconfigRequest#parseDuration}. */
    public Builder tokenDuration(String duration) {
      this.tokenDuration = parseDuration(duration);
      return this;
    }

    /**
     * The API server URL the CI job should use when it differs from the administrator's (e.g. the
     * administrator goes through a tunnel); null: the administrator's current server.
     */
    public Builder server(String server) {
      this.server = server == null || server.isBlank() ? null : server.trim();
      return this;
    }

    /** Name of the kubeconfig context (default {@code SERVICEACCOUNT@NAMESPACE}). */
    public Builder contextName(String contextName) {
      this.contextName = contextName == null || contextName.isBlank() ? null : contextName.trim();
      return this;
    }

    public KubeconfigRequest build() {
      if (namespace == null || namespace.isBlank()) {
        throw new K8sciException("k8sci:kubeconfig needs the namespace of the deploy account");
      }
      Objects.requireNonNull(outputFile, "outputFile");
      checkMinimum(tokenDuration, tokenDuration.toString());
      if (server != null && !server.startsWith("https://") && !server.startsWith("http://")) {
        throw new K8sciException(
            "server \"" + server + "\" is not an http(s) URL, e.g. https://api.example.com:6443");
      }
      return new KubeconfigRequest(this);
    }
  }
}
