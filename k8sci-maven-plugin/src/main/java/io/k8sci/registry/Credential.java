package io.k8sci.registry;

/**
 * CONTRACT STUB: a registry user name and password; {@link #toString()} never shows the password.
 */
public record Credential(String username, String password) {
  @Override
  public String toString() {
    return "Credential[username=" + username + ", password=****]";
  }
}
