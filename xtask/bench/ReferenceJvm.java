// The JVM reference of `cargo xtask bench`: the work of Elasticsearch's first-start security
// auto-configuration done the way a JVM does it, sequentially, in one JVM process.
//
//   1. JDK KeyPairGenerator: RSA-4096 x4 (transport CA, transport node, HTTP CA, HTTP node),
//      one after the other, as Elasticsearch's AutoConfigureNode does.
//   2. Certificates with the JDK's own X.509 classes (sun.security.x509; Elasticsearch uses
//      BouncyCastle): the two CAs self-signed, the two node certificates signed by their CA,
//      SHA256withRSA, basic constraints. Same number of RSA-4096 signatures as Elasticsearch.
//   3. KeyStore "PKCS12": transport.p12 (node key + chain, CA as trusted entry) and http.p12
//      (node key + chain, HTTP CA key entry), each stored with a random password.
//   4. http_ca.crt (PEM) and the elasticsearch.keystore KDF: PBKDF2WithHmacSHA512, 210,000
//      iterations (KeyStoreWrapper, ES 8.14+). No bcrypt (not in the JDK).
//
// Build once: javac --add-exports java.base/sun.security.x509=ALL-UNNAMED -d target/bench/jvm \
//   xtask/bench/ReferenceJvm.java
// Run: java --add-exports java.base/sun.security.x509=ALL-UNNAMED -cp target/bench/jvm \
//   ReferenceJvm OUT_DIR
// The timing that counts is the process's, JVM start included (cargo xtask bench measures it).

import java.io.FileOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Date;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import sun.security.x509.AlgorithmId;
import sun.security.x509.BasicConstraintsExtension;
import sun.security.x509.CertificateAlgorithmId;
import sun.security.x509.CertificateExtensions;
import sun.security.x509.CertificateSerialNumber;
import sun.security.x509.CertificateValidity;
import sun.security.x509.CertificateVersion;
import sun.security.x509.CertificateX509Key;
import sun.security.x509.X500Name;
import sun.security.x509.X509CertImpl;
import sun.security.x509.X509CertInfo;

public class ReferenceJvm {
    static final SecureRandom RANDOM = new SecureRandom();

    public static void main(String[] args) throws Exception {
        long start = System.nanoTime();
        Path out = Path.of(args.length > 0 ? args[0] : ".");
        Files.createDirectories(out);
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("RSA");
        kpg.initialize(4096, RANDOM);

        KeyPair transportCa = kpg.generateKeyPair();
        X509Certificate transportCaCert = cert("CN=Elasticsearch security auto-configuration transport CA", transportCa, null, null, true);
        KeyPair transport = kpg.generateKeyPair();
        X509Certificate transportCert = cert("CN=node", transport, transportCaCert, transportCa.getPrivate(), false);
        KeyPair httpCa = kpg.generateKeyPair();
        X509Certificate httpCaCert = cert("CN=Elasticsearch security auto-configuration HTTP CA", httpCa, null, null, true);
        KeyPair http = kpg.generateKeyPair();
        X509Certificate httpCert = cert("CN=node", http, httpCaCert, httpCa.getPrivate(), false);

        char[] transportPw = password();
        KeyStore t = KeyStore.getInstance("PKCS12");
        t.load(null, null);
        t.setKeyEntry("transport", transport.getPrivate(), transportPw, new Certificate[] {transportCert, transportCaCert});
        t.setCertificateEntry("transport_ca", transportCaCert);
        store(t, out.resolve("transport.p12"), transportPw);

        char[] httpPw = password();
        KeyStore h = KeyStore.getInstance("PKCS12");
        h.load(null, null);
        h.setKeyEntry("http", http.getPrivate(), httpPw, new Certificate[] {httpCert, httpCaCert});
        h.setKeyEntry("http_ca", httpCa.getPrivate(), httpPw, new Certificate[] {httpCaCert});
        store(h, out.resolve("http.p12"), httpPw);

        String pem = "-----BEGIN CERTIFICATE-----\n"
            + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(httpCaCert.getEncoded())
            + "\n-----END CERTIFICATE-----\n";
        Files.writeString(out.resolve("http_ca.crt"), pem);

        byte[] salt = new byte[64];
        RANDOM.nextBytes(salt);
        SecretKeyFactory kdf = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA512");
        byte[] key = kdf.generateSecret(new PBEKeySpec(new char[0], salt, 210_000, 256)).getEncoded();
        try (FileOutputStream ks = new FileOutputStream(out.resolve("elasticsearch.keystore").toFile())) {
            ks.write(salt);
            ks.write(key.length);
            ks.getFD().sync();
        }
        System.out.printf("reference_jvm %.1f%n", (System.nanoTime() - start) / 1e6);
    }

    static X509Certificate cert(String dn, KeyPair subject, X509Certificate issuer, PrivateKey issuerKey, boolean ca) throws Exception {
        X509CertInfo info = new X509CertInfo();
        Date from = new Date();
        Date to = new Date(from.getTime() + 3L * 365 * 24 * 3600 * 1000);
        info.set(X509CertInfo.VERSION, new CertificateVersion(CertificateVersion.V3));
        info.set(X509CertInfo.SERIAL_NUMBER, new CertificateSerialNumber(new BigInteger(64, RANDOM)));
        info.set(X509CertInfo.ALGORITHM_ID, new CertificateAlgorithmId(AlgorithmId.get("SHA256withRSA")));
        X500Name subjectName = new X500Name(dn);
        info.set(X509CertInfo.SUBJECT, subjectName);
        info.set(X509CertInfo.ISSUER, issuer == null ? subjectName : new X500Name(issuer.getSubjectX500Principal().getName()));
        info.set(X509CertInfo.VALIDITY, new CertificateValidity(from, to));
        info.set(X509CertInfo.KEY, new CertificateX509Key(subject.getPublic()));
        CertificateExtensions ext = new CertificateExtensions();
        ext.set(BasicConstraintsExtension.NAME, new BasicConstraintsExtension(true, ca, ca ? 0 : -1));
        info.set(X509CertInfo.EXTENSIONS, ext);
        X509CertImpl cert = new X509CertImpl(info);
        cert.sign(issuerKey == null ? subject.getPrivate() : issuerKey, "SHA256withRSA");
        return cert;
    }

    static char[] password() {
        byte[] b = new byte[18];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b).toCharArray();
    }

    static void store(KeyStore ks, Path path, char[] pw) throws Exception {
        try (FileOutputStream f = new FileOutputStream(path.toFile())) {
            ks.store(f, pw);
            f.getFD().sync();
        }
    }
}
