package io.k8sci.testing.registry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throw-away certificate authority and a server certificate for {@code 127.0.0.1} and {@code
 * localhost}, made fresh for each secured {@link RegistryServer}.
 *
 * <p>Why BouncyCastle rather than the {@code openssl} CLI: the JDK has no public API to issue
 * certificates, and doing it in-process is fast (EC P-256 keys), needs no temporary openssl config
 * for the subjectAltName extension, and behaves the same on every machine. The same library gives
 * us bcrypt for htpasswd, so the tests need one dependency rather than two.
 */
public final class TestCertificates {

  private static final SecureRandom RANDOM = new SecureRandom();

  private final X509Certificate caCertificate;
  private final X509Certificate serverCertificate;
  private final PrivateKey serverKey;

  private TestCertificates(
      X509Certificate caCertificate, X509Certificate serverCertificate, PrivateKey serverKey) {
    this.caCertificate = caCertificate;
    this.serverCertificate = serverCertificate;
    this.serverKey = serverKey;
  }

  /** A new CA (CN=k8sci test CA) and a server certificate it signed, valid for one day. */
  public static TestCertificates generate() {
    try {
      KeyPair caKeys = newKeyPair();
      KeyPair serverKeys = newKeyPair();
      Instant now = Instant.now();
      Date notBefore = Date.from(now.minus(Duration.ofHours(1)));
      Date notAfter = Date.from(now.plus(Duration.ofDays(1)));
      JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();

      X500Principal caName = new X500Principal("CN=k8sci test CA " + now.toEpochMilli());
      X509v3CertificateBuilder ca =
          new JcaX509v3CertificateBuilder(
              caName, serial(), notBefore, notAfter, caName, caKeys.getPublic());
      ca.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      ca.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      ca.addExtension(
          Extension.subjectKeyIdentifier,
          false,
          extensions.createSubjectKeyIdentifier(caKeys.getPublic()));
      X509Certificate caCert = sign(ca, caKeys.getPrivate());

      X509v3CertificateBuilder server =
          new JcaX509v3CertificateBuilder(
              caCert,
              serial(),
              notBefore,
              notAfter,
              new X500Principal("CN=127.0.0.1"),
              serverKeys.getPublic());
      server.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      server.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      server.addExtension(
          Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
      server.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(
              new GeneralName[] {
                new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                new GeneralName(GeneralName.dNSName, "localhost")
              }));
      server.addExtension(
          Extension.authorityKeyIdentifier, false, extensions.createAuthorityKeyIdentifier(caCert));
      server.addExtension(
          Extension.subjectKeyIdentifier,
          false,
          extensions.createSubjectKeyIdentifier(serverKeys.getPublic()));
      X509Certificate serverCert = sign(server, caKeys.getPrivate());
      return new TestCertificates(caCert, serverCert, serverKeys.getPrivate());
    } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
      throw new IllegalStateException("cannot generate test certificates", e);
    }
  }

  public X509Certificate caCertificate() {
    return caCertificate;
  }

  public X509Certificate serverCertificate() {
    return serverCertificate;
  }

  /** Writes the CA certificate as PEM. */
  public Path writeCaPem(Path file) {
    return write(file, pem("CERTIFICATE", encoded(caCertificate)));
  }

  /** Writes the server certificate followed by the CA (a full chain) as PEM. */
  public Path writeServerChainPem(Path file) {
    return write(
        file,
        pem("CERTIFICATE", encoded(serverCertificate))
            + pem("CERTIFICATE", encoded(caCertificate)));
  }

  /** Writes the server's private key as unencrypted PKCS#8 PEM (what Go's crypto/tls reads). */
  public Path writeServerKeyPem(Path file) {
    return write(file, pem("PRIVATE KEY", serverKey.getEncoded()));
  }

  /** An {@link SSLContext} that trusts only this CA: for test clients talking to the registry. */
  public SSLContext clientContextTrustingCa() {
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      store.setCertificateEntry("k8sci-test-ca", caCertificate);
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), RANDOM);
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static KeyPair newKeyPair() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
    return generator.generateKeyPair();
  }

  private static BigInteger serial() {
    return new BigInteger(64, RANDOM).abs().add(BigInteger.ONE);
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key)
      throws OperatorCreationException, GeneralSecurityException {
    var signer = new JcaContentSignerBuilder("SHA256withECDSA").build(key);
    X509Certificate certificate =
        new JcaX509CertificateConverter().getCertificate(builder.build(signer));
    // Round-trip through the JDK's factory so the certificate is a plain JDK object.
    return (X509Certificate)
        CertificateFactory.getInstance("X.509")
            .generateCertificate(new java.io.ByteArrayInputStream(certificate.getEncoded()));
  }

  private static byte[] encoded(X509Certificate certificate) {
    try {
      return certificate.getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static String pem(String type, byte[] der) {
    String body =
        Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
  }

  private static Path write(Path file, String content) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.writeString(file, content, StandardCharsets.US_ASCII);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
