package io.k8sci.image;

/**
 * Jib sends credentials over plain http only when the JVM-wide system property {@code
 * sendCredentialsOverHttp} is true. A build that asks for it holds this permission while it runs;
 * the property is set while at least one build holds it and restored to its previous value after
 * the last one, so a build that did not ask (another module under {@code mvn -T}) is affected only
 * while one that did is running — an inherent limit of Jib's global switch, documented for users.
 */
final class HttpCredentialsPermission implements AutoCloseable {

  static final String PROPERTY = "sendCredentialsOverHttp";

  private static final Object LOCK = new Object();
  private static int holders;
  private static String previous;

  private final boolean held;

  private HttpCredentialsPermission(boolean held) {
    this.held = held;
  }

  /** Takes the permission when {@code wanted}; otherwise a no-op handle. */
  static HttpCredentialsPermission acquire(boolean wanted) {
    if (!wanted) {
      return new HttpCredentialsPermission(false);
    }
    synchronized (LOCK) {
      if (holders++ == 0) {
        previous = System.getProperty(PROPERTY);
        System.setProperty(PROPERTY, "true");
      }
    }
    return new HttpCredentialsPermission(true);
  }

  @Override
  public void close() {
    if (!held) {
      return;
    }
    synchronized (LOCK) {
      if (--holders == 0) {
        if (previous == null) {
          System.clearProperty(PROPERTY);
        } else {
          System.setProperty(PROPERTY, previous);
        }
      }
    }
  }
}
