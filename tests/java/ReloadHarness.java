// A model of how Elasticsearch serves and hot-reloads certs/http.p12 (lifecycle spec §1.2, §8.5),
// for the renew tests. Launched as a single-file program.
//
//   java ReloadHarness.java server <http.p12>
//     Reads the store password once from standard input (Elasticsearch reads the secure setting
//     once, at startup), loads the store, drops the CA key entries when some but not all key
//     entries are CAs (SSLService.getKeyStoreFilter), serves TLS on 127.0.0.1 (an ephemeral port),
//     and polls the file's size and millisecond mtime every 200 ms (FileWatcher without content
//     check). On a change it rebuilds the SSLContext from the same path and password and swaps it
//     in; a failure keeps the previous context and is not retried until the file changes again.
//     Prints, one per line: "port <n>", "loaded <leaf serial hex>", then "reloaded <serial>" or
//     "reload-failed <reason>" for each change. New connections get the current context.
//
//   java ReloadHarness.java client <port> <http_ca.crt> <host>
//     A JDK client that trusts only <http_ca.crt>, with HTTPS hostname verification against
//     <host> (as Elasticsearch's CLI tools verify the publish address), connects to 127.0.0.1.
//     Prints "serial <leaf serial hex>", "chain <length>" and "ca-sha256 <hex of the last
//     certificate of the chain>", exits 0; throws and exits 1 when the handshake fails.

import java.io.*;
import java.math.BigInteger;
import java.net.*;
import java.nio.file.*;
import java.security.*;
import java.security.cert.*;
import java.util.*;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.*;

public class ReloadHarness {
    public static void main(String[] args) throws Exception {
        try {
            if (args[0].equals("server")) {
                server(Paths.get(args[1]));
            } else {
                client(Integer.parseInt(args[1]), Paths.get(args[2]), args[3]);
            }
        } catch (Throwable t) {
            t.printStackTrace();
            System.exit(1);
        }
    }

    static String serial(X509Certificate c) {
        return c.getSerialNumber().toString(16);
    }

    static final class Loaded {
        final SSLContext context;
        final String serial;

        Loaded(SSLContext context, String serial) {
            this.context = context;
            this.serial = serial;
        }
    }

    static Loaded load(Path path, char[] password) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(path)) {
            ks.load(in, password);
        }
        // SSLService.getKeyStoreFilter for xpack.security.http.ssl: with more than one key entry,
        // some but not all of them CAs, the CA key entries are removed.
        List<String> keys = new ArrayList<>();
        List<String> cas = new ArrayList<>();
        for (String alias : Collections.list(ks.aliases())) {
            if (ks.isKeyEntry(alias)) {
                keys.add(alias);
                X509Certificate c = (X509Certificate) ks.getCertificate(alias);
                if (c.getBasicConstraints() >= 0) {
                    cas.add(alias);
                }
            }
        }
        if (keys.size() > 1 && !cas.isEmpty() && cas.size() < keys.size()) {
            for (String alias : cas) {
                ks.deleteEntry(alias);
            }
        }
        String leaf = null;
        for (String alias : Collections.list(ks.aliases())) {
            if (ks.isKeyEntry(alias)) {
                leaf = serial((X509Certificate) ks.getCertificate(alias));
            }
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, password);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return new Loaded(ctx, leaf);
    }

    static void server(Path path) throws Exception {
        BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in));
        char[] password = stdin.readLine().toCharArray();
        AtomicReference<Loaded> current = new AtomicReference<>(load(path, password));
        ServerSocket plain = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        System.out.println("port " + plain.getLocalPort());
        System.out.println("loaded " + current.get().serial);
        System.out.flush();

        Thread poller = new Thread(() -> {
            long size = -1;
            long mtime = -1;
            try {
                size = Files.size(path);
                mtime = Files.getLastModifiedTime(path).toMillis();
            } catch (IOException e) {
                System.out.println("reload-failed cannot stat: " + e);
            }
            while (true) {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
                long s;
                long m;
                try {
                    s = Files.size(path);
                    m = Files.getLastModifiedTime(path).toMillis();
                } catch (IOException e) {
                    System.out.println("reload-failed cannot stat: " + e);
                    System.out.flush();
                    continue;
                }
                if (s == size && m == mtime) {
                    continue;
                }
                // As FileWatcher: the new size and mtime are recorded before the listener runs,
                // so a failed reload is not retried until the file changes again.
                size = s;
                mtime = m;
                try {
                    Loaded l = load(path, password);
                    current.set(l);
                    System.out.println("reloaded " + l.serial);
                } catch (Exception e) {
                    System.out.println("reload-failed " + e.toString().replace('\n', ' '));
                }
                System.out.flush();
            }
        });
        poller.setDaemon(true);
        poller.start();

        while (true) {
            Socket s = plain.accept();
            new Thread(() -> {
                try (SSLSocket tls = (SSLSocket) current.get().context.getSocketFactory()
                        .createSocket(s, "127.0.0.1", s.getPort(), true)) {
                    tls.setUseClientMode(false);
                    tls.setSoTimeout(15000);
                    tls.startHandshake();
                    tls.getOutputStream().write(1);
                    tls.getOutputStream().flush();
                    tls.getInputStream().read();
                } catch (IOException e) {
                    // The client decides what a failed handshake means.
                }
            }).start();
        }
    }

    static void client(int port, Path caFile, String host) throws Exception {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        X509Certificate ca;
        try (InputStream in = Files.newInputStream(caFile)) {
            ca = (X509Certificate) cf.generateCertificate(in);
        }
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("http_ca", ca);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        try (Socket raw = new Socket(InetAddress.getLoopbackAddress(), port);
             SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(raw, host, port, true)) {
            SSLParameters p = s.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            s.setSSLParameters(p);
            s.setSoTimeout(15000);
            s.startHandshake();
            java.security.cert.Certificate[] chain = s.getSession().getPeerCertificates();
            System.out.println("serial " + serial((X509Certificate) chain[0]));
            System.out.println("chain " + chain.length);
            byte[] last = chain[chain.length - 1].getEncoded();
            StringBuilder hex = new StringBuilder();
            for (byte b : MessageDigest.getInstance("SHA-256").digest(last)) {
                hex.append(String.format("%02x", b));
            }
            System.out.println("ca-sha256 " + hex);
            s.getInputStream().read();
            s.getOutputStream().write(1);
        }
    }
}
