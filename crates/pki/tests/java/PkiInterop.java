// Loads the Rust-made PKCS#12 files with the JDK's own KeyStore / JSSE stack, the way Elasticsearch
// does, and runs real TLS handshakes over loopback. Launched by crates/pki/tests/it/jdk.rs as a
// single-file program: `java PkiInterop.java <http|transport> <dir>`; passwords come from the
// environment (HTTP_P12_PASSWORD, TRANSPORT_P12_PASSWORD), never from the command line.
// Prints "OK ..." lines; any failure throws, which exits non-zero.

import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

public class PkiInterop {
    static final int TIMEOUT_MS = 15_000;

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            throw new IllegalArgumentException("usage: PkiInterop <http|transport> <dir>");
        }
        Path dir = Path.of(args[1]);
        try {
            switch (args[0]) {
                case "http" -> http(dir, password("HTTP_P12_PASSWORD"));
                case "transport" -> transport(dir, password("TRANSPORT_P12_PASSWORD"));
                default -> throw new IllegalArgumentException("unknown mode " + args[0]);
            }
        } catch (Throwable t) {
            t.printStackTrace();
            System.exit(1);
        }
        // Exit even if a server thread is still blocked somewhere.
        System.exit(0);
    }

    static ExecutorService daemonExecutor() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "tls-server");
            t.setDaemon(true);
            return t;
        });
    }

    static char[] password(String env) {
        String value = System.getenv(env);
        if (value == null) {
            throw new IllegalStateException(env + " is not set");
        }
        return value.toCharArray();
    }

    static KeyStore load(Path file, char[] password) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            ks.load(in, password);
        }
        return ks;
    }

    static void check(boolean condition, String message) {
        if (!condition) {
            throw new AssertionError(message);
        }
    }

    static String sha256(Certificate cert) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
    }

    // ---- HTTP: server key chosen like Elasticsearch, client trusts only http_ca.crt ----

    static void http(Path dir, char[] password) throws Exception {
        KeyStore store = load(dir.resolve("http.p12"), password);
        List<String> aliases = Collections.list(store.aliases());
        check(aliases.size() == 2, "http.p12 aliases: " + aliases);
        for (String alias : List.of("http", "http_ca")) {
            check(store.isKeyEntry(alias), alias + " is not a key entry");
            check(store.getKey(alias, password) instanceof PrivateKey, alias + ": key not recoverable");
        }
        check(store.getCertificateChain("http").length == 2, "http chain length");
        check(store.getCertificateChain("http_ca").length == 1, "http_ca chain length");

        // Elasticsearch's SSLService drops key entries whose certificate is a CA when a keystore
        // holds both kinds; do the same so the server presents the node certificate.
        KeyStore serverKeys = KeyStore.getInstance("PKCS12");
        serverKeys.load(null, null);
        List<String> kept = new ArrayList<>();
        for (String alias : aliases) {
            X509Certificate leaf = (X509Certificate) store.getCertificate(alias);
            if (store.isKeyEntry(alias) && leaf.getBasicConstraints() == -1) {
                serverKeys.setKeyEntry(alias, store.getKey(alias, password), password,
                        store.getCertificateChain(alias));
                kept.add(alias);
            }
        }
        check(kept.equals(List.of("http")), "non-CA key entries: " + kept);
        check(((X509Certificate) store.getCertificate("http_ca")).getBasicConstraints() == Integer.MAX_VALUE,
                "http_ca must be a CA without pathLen");
        System.out.println("OK http.p12 entries http(chain 2) http_ca(chain 1, CA); server key: " + kept);

        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(serverKeys, password);
        SSLContext serverCtx = SSLContext.getInstance("TLS");
        serverCtx.init(kmf.getKeyManagers(), null, null);

        X509Certificate ca;
        try (InputStream in = Files.newInputStream(dir.resolve("http_ca.crt"))) {
            ca = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("http_ca", ca);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(trust);
        SSLContext clientCtx = SSLContext.getInstance("TLS");
        clientCtx.init(null, tmf.getTrustManagers(), null);

        List<String> goodHosts = List.of("localhost", "127.0.0.1");
        String badHost = "not-in-the-certificate.invalid";
        try (SSLServerSocket server = listen(serverCtx, false)) {
            ExecutorService pool = daemonExecutor();
            Future<?> serving = pool.submit(() -> serve(server, goodHosts.size() + 1));
            for (String host : goodHosts) {
                try (SSLSocket s = connect(clientCtx, server.getLocalPort(), host, true)) {
                    Certificate[] chain = s.getSession().getPeerCertificates();
                    check(chain.length == 2, "server sent " + chain.length + " certificates");
                    System.out.println("OK http handshake host=" + host + " protocol=" + s.getSession().getProtocol()
                            + " subject=" + ((X509Certificate) chain[0]).getSubjectX500Principal().getName()
                            + " ca_fingerprint=" + sha256(chain[1]));
                }
            }
            try (SSLSocket s = connect(clientCtx, server.getLocalPort(), badHost, true)) {
                throw new AssertionError("hostname verification accepted " + badHost);
            } catch (SSLHandshakeException expected) {
                System.out.println("OK http hostname mismatch rejected: " + expected.getMessage());
            }
            serving.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            pool.shutdownNow();
        }
    }

    // ---- Transport: both ends use transport.p12 as keystore and truststore, mutual TLS ----

    static void transport(Path dir, char[] password) throws Exception {
        KeyStore store = load(dir.resolve("transport.p12"), password);
        List<String> aliases = Collections.list(store.aliases());
        check(aliases.size() == 2, "transport.p12 aliases: " + aliases);
        check(store.isKeyEntry("transport"), "transport is not a key entry");
        check(store.isCertificateEntry("transport_ca"), "transport_ca is not a trusted certificate entry");
        check(store.getKey("transport", password) instanceof PrivateKey, "transport key not recoverable");
        System.out.println("OK transport.p12 entries transport(key, chain "
                + store.getCertificateChain("transport").length + ") transport_ca(trusted)");

        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, password);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(store);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);

        try (SSLServerSocket server = listen(ctx, true)) {
            ExecutorService pool = daemonExecutor();
            Future<String> serving = pool.submit(() -> {
                try (SSLSocket s = (SSLSocket) server.accept()) {
                    s.setSoTimeout(TIMEOUT_MS);
                    s.startHandshake();
                    echo(s);
                    X509Certificate client = (X509Certificate) s.getSession().getPeerCertificates()[0];
                    return client.getSubjectX500Principal().getName();
                }
            });
            String protocol;
            X509Certificate peer;
            // Close the client before waiting for the server: a TLS 1.3 close waits for the
            // peer's close_notify.
            try (SSLSocket s = connect(ctx, server.getLocalPort(), "127.0.0.1", false)) {
                protocol = s.getSession().getProtocol();
                peer = (X509Certificate) s.getSession().getPeerCertificates()[0];
            }
            String clientSeen = serving.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            System.out.println("OK transport mutual TLS protocol=" + protocol
                    + " server=" + peer.getSubjectX500Principal().getName() + " client=" + clientSeen);
            pool.shutdownNow();
        }
    }

    // ---- plumbing ----

    static SSLServerSocket listen(SSLContext ctx, boolean needClientAuth) throws Exception {
        SSLServerSocket server = (SSLServerSocket) ctx.getServerSocketFactory()
                .createServerSocket(0, 8, InetAddress.getLoopbackAddress());
        server.setSoTimeout(TIMEOUT_MS);
        server.setNeedClientAuth(needClientAuth);
        return server;
    }

    /** Accepts `count` connections; handshake failures (the negative case) are expected. */
    static Void serve(SSLServerSocket server, int count) throws Exception {
        for (int i = 0; i < count; i++) {
            try (SSLSocket s = (SSLSocket) server.accept()) {
                s.setSoTimeout(TIMEOUT_MS);
                s.startHandshake();
                echo(s);
            } catch (java.io.IOException handshakeRefusedByClient) {
                // The client aborted (hostname mismatch): go on with the next connection.
            }
        }
        return null;
    }

    static void echo(SSLSocket s) throws Exception {
        int b = s.getInputStream().read();
        s.getOutputStream().write(b);
        s.getOutputStream().flush();
    }

    static SSLSocket connect(SSLContext ctx, int port, String host, boolean httpsIdentification) throws Exception {
        Socket plain = new Socket();
        plain.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), TIMEOUT_MS);
        plain.setSoTimeout(TIMEOUT_MS);
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(plain, host, port, true);
        try {
            if (httpsIdentification) {
                SSLParameters p = s.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS");
                s.setSSLParameters(p);
            }
            s.startHandshake();
            s.getOutputStream().write(42);
            s.getOutputStream().flush();
            check(s.getInputStream().read() == 42, "echo");
            return s;
        } catch (Exception | AssertionError e) {
            s.close();
            throw e;
        }
    }
}
