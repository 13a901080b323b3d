package io.k8sci.registry;

import java.util.Objects;
import java.util.Optional;

/**
 * The credential chosen for one registry and where it came from, for the build log; never the
 * secret. Examples of {@link #source()}: {@code settings.xml <server> 'registry.example.com'},
 * {@code $CI_REGISTRY_USER/$CI_REGISTRY_PASSWORD}, {@code anonymous}.
 */
public record ResolvedCredential(Optional<Credential> credential, String source) {

  public ResolvedCredential {
    Objects.requireNonNull(credential, "credential");
    Objects.requireNonNull(source, "source");
  }

  /** No credential: the registry is accessed anonymously. */
  public static ResolvedCredential anonymous() {
    return new ResolvedCredential(Optional.empty(), "anonymous");
  }

  public static ResolvedCredential of(Credential credential, String source) {
    return new ResolvedCredential(Optional.of(credential), source);
  }

  public boolean isAnonymous() {
    return credential.isEmpty();
  }

  /** A log line such as {@code credentials for HOST: user 'ci' from settings.xml ...}. */
  public String describeFor(String registry) {
    return credential
        .map(c -> "Registry " + registry + ": user '" + c.username() + "' from " + source)
        .orElse("Registry " + registry + ": no credentials found, pushing/pulling anonymously");
  }

  @Override
  public String toString() {
    return "ResolvedCredential["
        + credential.map(c -> "username=" + c.username()).orElse("anonymous")
        + ", source="
        + source
        + "]";
  }
}
