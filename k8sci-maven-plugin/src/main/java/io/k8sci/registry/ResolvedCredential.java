package io.k8sci.registry;

import java.util.Optional;

/**
 * CONTRACT STUB: the credential chosen for one registry and where it came from (for the log line;
 * never the secret), e.g. {@code "settings.xml <server> 'registry.example.com'"} or {@code
 * "anonymous"}.
 */
public record ResolvedCredential(Optional<Credential> credential, String source) {}
