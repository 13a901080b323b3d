/**
 * Test infrastructure for everything that talks to a container registry.
 *
 * <ul>
 *   <li>{@link io.k8sci.testing.registry.RegistryServer}: a real distribution registry ({@code
 *       docker-registry}) on 127.0.0.1, plain HTTP or TLS + htpasswd; counts blob uploads from its
 *       access log.
 *   <li>{@link io.k8sci.testing.registry.FaultProxy}: an HTTP proxy in front of a plain registry
 *       that injects HTTP errors or dropped connections, per request predicate.
 *   <li>{@link io.k8sci.testing.registry.Skopeo} / {@link io.k8sci.testing.registry.Umoci}: the
 *       CLIs as independent witnesses (inspect, copy, unpack) and to make tiny images.
 * </ul>
 *
 * <pre>{@code
 * @AutoClose static RegistryServer registry = RegistryServer.startPlain();
 *
 * @Test void pushes() {
 *   try (FaultProxy proxy = FaultProxy.inFrontOf(registry)) {
 *     proxy.failNext(2, FaultProxy.httpError(503), FaultProxy.matching("PUT", "/v2/.+/manifests/.+"));
 *     // ... push to proxy.image("team/app:1") ...
 *     assertThat(Skopeo.forRegistry(registry).inspect(registry.image("team/app:1")).layers()).hasSize(3);
 *     assertThat(registry.blobUploadCount()).isEqualTo(4);
 *   }
 * }
 * }</pre>
 *
 * <p>These run in CI, which installs {@code docker-registry}, {@code skopeo} and {@code umoci}
 * (Debian packages). BouncyCastle (test scope) makes the certificates and bcrypt hashes; a module
 * reusing these classes from the test jar must declare it too.
 */
package io.k8sci.testing.registry;
