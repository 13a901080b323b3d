package io.k8sci.registry;

/**
 * Finds the credential for a registry. The implementation used by the goals is {@link
 * CredentialChain}: explicit &gt; settings.xml server whose id is the registry host &gt;
 * $CI_REGISTRY_USER/$CI_REGISTRY_PASSWORD when the registry is $CI_REGISTRY &gt; Docker config.json
 * &gt; anonymous.
 */
public interface CredentialResolver {

  /**
   * @param registryHost {@code host[:port]} as in {@link ImageReference#registry()}
   * @return the credential (or anonymous) and its source; never null
   */
  ResolvedCredential resolve(String registryHost);
}
