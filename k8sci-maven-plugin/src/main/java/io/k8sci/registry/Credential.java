package io.k8sci.registry;

import java.util.Objects;

/**
 * A registry user name and password (or token). {@link #toString()} never shows the password, so a
 * credential can be logged or put in an exception message by mistake without leaking it.
 *
 * <p>A user name of {@value #IDENTITY_TOKEN_USERNAME} marks an identity (OAuth2 refresh) token, as
 * Docker's config and credential helpers do; jib-core's {@code Credential.from} understands the
 * same convention.
 */
public record Credential(String username, String password) {

  /** The user name Docker uses for identity tokens. */
  public static final String IDENTITY_TOKEN_USERNAME = "<token>";

  public Credential {
    Objects.requireNonNull(username, "username");
    Objects.requireNonNull(password, "password");
  }

  @Override
  public String toString() {
    return "Credential[username=" + username + ", password=****]";
  }
}
