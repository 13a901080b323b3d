package io.k8sci.cluster;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.k8sci.K8sciException;

/**
 * Turns API errors into messages that say what to do, above all 403 Forbidden: which verb on which
 * resource the deploy identity lacks, so that the fix (a Role rule) is obvious.
 */
public final class ApiErrors {

  private ApiErrors() {}

  /** The HTTP status of a fabric8 exception anywhere in the cause chain, or 0. */
  public static int code(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof KubernetesClientException k && k.getCode() > 0) {
        return k.getCode();
      }
    }
    return 0;
  }

  /** The server's Status message if there is one, else the exception's message. */
  public static String serverMessage(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof KubernetesClientException k
          && k.getStatus() != null
          && k.getStatus().getMessage() != null) {
        return k.getStatus().getMessage();
      }
    }
    return e.getMessage();
  }

  /**
   * Why the API server could not be reached at all (connection refused, unknown host, TLS,
   * timeout), or empty when the server answered (or the failure is something else).
   */
  public static java.util.Optional<String> unreachable(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.net.ConnectException
          || t instanceof java.nio.channels.ClosedChannelException) {
        return java.util.Optional.of("connection refused");
      }
      if (t instanceof java.net.UnknownHostException) {
        return java.util.Optional.of("unknown host " + t.getMessage());
      }
      if (t instanceof javax.net.ssl.SSLException) {
        return java.util.Optional.of(
            "TLS failed: "
                + t.getMessage()
                + " (is caCertificate / the kubeconfig's certificate-authority right?)");
      }
      if (t instanceof java.net.http.HttpTimeoutException
          || t instanceof java.net.SocketTimeoutException) {
        return java.util.Optional.of("no answer in time");
      }
    }
    return java.util.Optional.empty();
  }

  /**
   * The exception for a failed call.
   *
   * @param verb RBAC verb (get, list, watch, create, patch, update, delete)
   * @param ref the object (or, for list/watch, any object of the resource with name null)
   * @param namespace the namespace of the call
   * @param identity who we act as, or null if unknown
   */
  public static K8sciException explain(
      Throwable e, String verb, ObjectRef ref, String namespace, String identity) {
    int code = code(e);
    String target = ref.groupResource() + (ref.name() == null ? "" : " \"" + ref.name() + "\"");
    java.util.Optional<String> unreachable = code > 0 ? java.util.Optional.empty() : unreachable(e);
    if (unreachable.isPresent()) {
      return new UnreachableException(
          "cannot reach the Kubernetes API server ("
              + unreachable.get()
              + ") to "
              + verb
              + " "
              + target
              + " in namespace \""
              + namespace
              + "\"",
          e);
    }
    if (code == 403) {
      return new K8sciException(
          "forbidden: cannot "
              + verb
              + " "
              + target
              + " in namespace \""
              + namespace
              + "\" — the deploy identity"
              + (identity == null ? "" : " (" + identity + ")")
              + " needs verb \""
              + verb
              + "\" on \""
              + ref.resource()
              + "\" in group \""
              + ref.group()
              + "\""
              + (ref.group().isEmpty() ? " (the core group)" : "")
              + " in that namespace; see k8sci:rbac. Server said: "
              + serverMessage(e),
          e);
    }
    if (code == 401) {
      return new K8sciException(
          "unauthorized: the API server rejected our credentials while trying to "
              + verb
              + " "
              + target
              + " in namespace \""
              + namespace
              + "\" (expired or wrong token?)",
          e);
    }
    if (code == 404 && ("create".equals(verb) || "patch".equals(verb))) {
      return new K8sciException(
          "cannot "
              + verb
              + " "
              + target
              + ": "
              + serverMessage(e)
              + " (does namespace \""
              + namespace
              + "\" exist, and is the API group/version served by this cluster?)",
          e);
    }
    return new K8sciException(
        "cannot "
            + verb
            + " "
            + target
            + " in namespace \""
            + namespace
            + "\""
            + (code > 0 ? " (HTTP " + code + ")" : "")
            + ": "
            + serverMessage(e),
        e);
  }

  /** The API server did not answer at all; the caller adds which server it tried. */
  public static final class UnreachableException extends K8sciException {
    public UnreachableException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
