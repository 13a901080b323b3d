package io.k8sci.rbac;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * What {@code k8sci:kubeconfig} wrote. Holds no secret: the token is only in the file.
 *
 * @param file the kubeconfig written (mode 0600 where the file system has POSIX permissions)
 * @param server the API server URL in it
 * @param namespace the namespace of its context
 * @param user the Kubernetes user the token acts as ({@code system:serviceaccount:NS:NAME})
 * @param context the context name (also its current-context)
 * @param expiresAt when the token expires, as the API server answered
 * @param requested the lifetime asked for ({@code expiresAt} may be earlier when the server caps
 *     it)
 * @param caSource where the CA certificate came from, or null when none was embedded
 */
public record KubeconfigResult(
    Path file,
    String server,
    String namespace,
    String user,
    String context,
    Instant expiresAt,
    Duration requested,
    String caSource) {}
