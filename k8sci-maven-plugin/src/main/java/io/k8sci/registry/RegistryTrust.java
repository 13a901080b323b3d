package io.k8sci.registry;

import io.k8sci.K8sciException;
import io.k8sci.log.BuildLog;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * Makes the JVM trust a private registry's CA in addition to the JRE's own CAs.
 *
 * <p>Why a JVM-wide default: jib-core opens its TLS connections through {@code
 * SSLSocketFactory.getDefault()}, i.e. {@link SSLContext#getDefault()}, looked up per connection,
 * with no per-client hook. So the only way to let Jib talk to a registry behind a company CA, short
 * of {@code allowInsecureRegistries} (which would trust anyone), is to install a default {@link
 * SSLContext} whose trust store is the JRE's trusted CAs plus the user's certificates.
 *
 * <p>The installation is additive and merges: each call adds the certificates it has not seen yet
 * and installs one new context trusting all of them; a call that adds nothing changes nothing. It
 * never trusts anything it was not given, and it keeps the JRE's trust store (including one set
 * with {@code javax.net.ssl.trustStore}) and client key store ({@code javax.net.ssl.keyStore}).
 *
 * <p>{@link javax.net.ssl.HttpsURLConnection} keeps the socket factory it saw first; it is not what
 * Jib uses, and this class leaves it alone.
 */
public final class RegistryTrust {

  private static final Pattern PEM_CERTIFICATE =
      Pattern.compile(
          "-----BEGIN CERTIFICATE-----\\s*([A-Za-z0-9+/=\\s]+?)\\s*-----END CERTIFICATE-----");

  /** The certificates added so far, by SHA-256 fingerprint; guarded by the class lock. */
  private static final Map<String, X509Certificate> ADDED = new LinkedHashMap<>();

  /** The trust manager of the context installed last (for tests and diagnostics). */
  private static X509TrustManager installed;

  private RegistryTrust() {}

  /**
   * Trusts the CA certificates in {@code pemFileOrDirectory} (a PEM file with one or more
   * certificates, or a directory of {@code *.pem}/{@code *.crt} files) in addition to the JRE's, by
   * installing a new default {@link SSLContext} when they add anything.
   *
   * @throws K8sciException naming the file when it is missing or holds no PEM certificate
   */
  public static void trustCaCertificates(Path pemFileOrDirectory) {
    trustCaCertificates(pemFileOrDirectory, BuildLog.silent());
  }

  /** As {@link #trustCaCertificates(Path)}, saying in the log which certificates were added. */
  public static synchronized void trustCaCertificates(Path pemFileOrDirectory, BuildLog log) {
    List<X509Certificate> certificates = readCertificates(pemFileOrDirectory);
    Map<String, X509Certificate> fresh = new LinkedHashMap<>();
    for (X509Certificate certificate : certificates) {
      String fingerprint = fingerprint(certificate);
      if (!ADDED.containsKey(fingerprint)) {
        fresh.put(fingerprint, certificate);
      }
    }
    if (fresh.isEmpty()) {
      log.debug("CA certificates from " + pemFileOrDirectory + " are already trusted");
      return;
    }
    Map<String, X509Certificate> all = new LinkedHashMap<>(ADDED);
    all.putAll(fresh);
    installDefault(all.values());
    ADDED.putAll(fresh);
    for (X509Certificate certificate : fresh.values()) {
      log.info(
          "Trusting CA certificate '"
              + certificate.getSubjectX500Principal().getName()
              + "' from "
              + pemFileOrDirectory
              + " (in addition to the JRE's CAs)");
    }
  }

  /** The certificates this class added to the JRE's trusted CAs so far. */
  public static synchronized List<X509Certificate> addedCertificates() {
    return List.copyOf(ADDED.values());
  }

  /** The trust manager of the last context this class installed, or null. */
  static synchronized X509TrustManager installedTrustManager() {
    return installed;
  }

  /**
   * Reads every certificate of a PEM file, or of the {@code *.pem}/{@code *.crt} files of a
   * directory.
   */
  static List<X509Certificate> readCertificates(Path pemFileOrDirectory) {
    if (pemFileOrDirectory == null) {
      throw new K8sciException("No CA certificate file given.");
    }
    if (Files.isDirectory(pemFileOrDirectory)) {
      List<Path> files;
      try (Stream<Path> list = Files.list(pemFileOrDirectory)) {
        files =
            list.filter(Files::isRegularFile)
                .filter(
                    p -> {
                      String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
                      return name.endsWith(".pem") || name.endsWith(".crt");
                    })
                .sorted()
                .toList();
      } catch (IOException e) {
        throw new K8sciException(
            "Cannot list CA certificate directory " + pemFileOrDirectory + ": " + e.getMessage(),
            e);
      }
      if (files.isEmpty()) {
        throw new K8sciException(
            "CA certificate directory "
                + pemFileOrDirectory
                + " has no *.pem or *.crt file. Put the registry's CA certificate (PEM) there or"
                + " name the file itself.");
      }
      List<X509Certificate> certificates = new ArrayList<>();
      files.forEach(file -> certificates.addAll(readPemFile(file)));
      return certificates;
    }
    return readPemFile(pemFileOrDirectory);
  }

  private static List<X509Certificate> readPemFile(Path file) {
    if (!Files.exists(file)) {
      throw new K8sciException(
          "CA certificate file "
              + file.toAbsolutePath()
              + " does not exist. Check the path (relative paths are resolved against the"
              + " project directory) or the CI variable that provides it.");
    }
    String text;
    try {
      text = Files.readString(file, StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      throw new K8sciException(
          "Cannot read CA certificate file " + file + ": " + e.getMessage(), e);
    }
    List<X509Certificate> certificates = new ArrayList<>();
    Matcher matcher = PEM_CERTIFICATE.matcher(text);
    CertificateFactory factory = certificateFactory();
    int index = 0;
    while (matcher.find()) {
      index++;
      try {
        byte[] der = Base64.getMimeDecoder().decode(matcher.group(1));
        try (InputStream in = new ByteArrayInputStream(der)) {
          certificates.add((X509Certificate) factory.generateCertificate(in));
        }
      } catch (IllegalArgumentException | CertificateException | IOException e) {
        throw new K8sciException(
            "CA certificate file "
                + file
                + ": certificate number "
                + index
                + " is not a valid X.509 certificate ("
                + e.getMessage()
                + ").");
      }
    }
    if (certificates.isEmpty()) {
      String hint =
          text.contains("PRIVATE KEY-----")
              ? " It holds a private key: give the CA's certificate, never a key."
              : " Expected one or more '-----BEGIN CERTIFICATE-----' blocks (PEM); convert a DER"
                  + " file with 'openssl x509 -inform der -in FILE -out FILE.pem'.";
      throw new K8sciException("CA certificate file " + file + " is not a PEM certificate." + hint);
    }
    return certificates;
  }

  private static void installDefault(Iterable<X509Certificate> additional) {
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int n = 0;
      // The JRE's trusted CAs as the JRE's own default trust manager sees them (cacerts, or the
      // store named by javax.net.ssl.trustStore).
      for (X509Certificate jreCa : jreTrustManager().getAcceptedIssuers()) {
        store.setCertificateEntry("jre-" + n++, jreCa);
      }
      for (X509Certificate certificate : additional) {
        store.setCertificateEntry("k8sci-" + n++, certificate);
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(defaultKeyManagers(), tmf.getTrustManagers(), null);
      SSLContext.setDefault(context);
      installed = x509(tmf.getTrustManagers());
    } catch (GeneralSecurityException | IOException e) {
      throw new K8sciException("Cannot install the CA certificates: " + e.getMessage(), e);
    }
  }

  static X509TrustManager jreTrustManager() throws GeneralSecurityException {
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init((KeyStore) null);
    return x509(tmf.getTrustManagers());
  }

  /** The client key store of {@code javax.net.ssl.keyStore}, as the JRE's default context has. */
  private static KeyManager[] defaultKeyManagers() throws GeneralSecurityException, IOException {
    String path = System.getProperty("javax.net.ssl.keyStore");
    if (path == null || path.isBlank() || path.equals("NONE")) {
      return null;
    }
    String type = System.getProperty("javax.net.ssl.keyStoreType", KeyStore.getDefaultType());
    String password = System.getProperty("javax.net.ssl.keyStorePassword", "");
    KeyStore keyStore = KeyStore.getInstance(type);
    try (InputStream in = Files.newInputStream(Path.of(path))) {
      keyStore.load(in, password.toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keyStore, password.toCharArray());
    return kmf.getKeyManagers();
  }

  private static X509TrustManager x509(TrustManager[] managers) {
    for (TrustManager manager : managers) {
      if (manager instanceof X509TrustManager x509) {
        return x509;
      }
    }
    throw new IllegalStateException("no X509TrustManager in the JRE");
  }

  private static CertificateFactory certificateFactory() {
    try {
      return CertificateFactory.getInstance("X.509");
    } catch (CertificateException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String fingerprint(X509Certificate certificate) {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
