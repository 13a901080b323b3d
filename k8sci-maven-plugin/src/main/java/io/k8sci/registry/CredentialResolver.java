package io.k8sci.registry;

/**
 * CONTRACT STUB: first match wins: explicit &gt; settings.xml server whose id is the registry host
 * &gt; $CI_REGISTRY_USER/$CI_REGISTRY_PASSWORD when the registry is $CI_REGISTRY &gt; Docker
 * config.json &gt; anonymous.
 */
public interface CredentialResolver {
  ResolvedCredential resolve(String registryHost);
}
