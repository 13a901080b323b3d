package io.k8sci.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;

/**
 * A Java trust store like the one of a CI runner image built for a company network: the JRE's own
 * CAs plus the company's (here: the test registries' CAs), handed to every JVM of a job through
 * {@code JAVA_TOOL_OPTIONS=-Djavax.net.ssl.trustStore=...}. That is environment, not build
 * configuration: the project does not name the CA anywhere.
 */
final class RunnerTrustStore {

  static final String PASSWORD = "changeit";

  private RunnerTrustStore() {}

  /**
   * Writes a PKCS12 store with the JRE's CAs and the given PEM certificates; returns {@code file}.
   */
  static Path write(Path file, Path... caPemFiles) {
    try {
      KeyStore jre = KeyStore.getInstance(KeyStore.getDefaultType());
      try (InputStream in =
          Files.newInputStream(
              Path.of(System.getProperty("java.home"), "lib", "security", "cacerts"))) {
        jre.load(in, null);
      }
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      for (String alias : java.util.Collections.list(jre.aliases())) {
        if (jre.isCertificateEntry(alias)) {
          store.setCertificateEntry(alias, jre.getCertificate(alias));
        }
      }
      CertificateFactory x509 = CertificateFactory.getInstance("X.509");
      int index = 0;
      for (Path pem : caPemFiles) {
        try (InputStream in = Files.newInputStream(pem)) {
          for (Certificate certificate : x509.generateCertificates(in)) {
            store.setCertificateEntry("company-ca-" + index++, certificate);
          }
        }
      }
      Files.createDirectories(file.toAbsolutePath().getParent());
      try (OutputStream out = Files.newOutputStream(file)) {
        store.store(out, PASSWORD.toCharArray());
      }
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot write the runner trust store " + file, e);
    }
  }

  /** The {@code JAVA_TOOL_OPTIONS} value that makes every JVM of the job use {@code store}. */
  static String javaToolOptions(Path store) {
    return "-Djavax.net.ssl.trustStore="
        + store.toAbsolutePath()
        + " -Djavax.net.ssl.trustStorePassword="
        + PASSWORD
        + " -Djavax.net.ssl.trustStoreType=PKCS12";
  }
}
