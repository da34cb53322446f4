// The TLS a cluster laid out by `es-autoconf layout` relies on, with the JDK's JSSE stack as
// Elasticsearch uses it.
//
//   java BundleTls.java transport A.p12 B.p12 ...
//       every ordered pair (A serves, B connects; B serves, A connects; ...) must complete mutual
//       TLS, each side with its own transport.p12 as keystore and truststore, client certificates
//       required, no hostname check (verification_mode: certificate). Passwords: P12_PASSWORD_<i>.
//   java BundleTls.java foreign A.p12 X.p12
//       both directions must FAIL (X comes from another bundle). Passwords as above.
//   java BundleTls.java https http.p12 ca.crt GOOD,NAMES BAD,NAMES
//       a server with the node's `http` key entry (the CA key entry left out, as Elasticsearch's
//       key-store filter does); a client trusting only ca.crt, with HTTPS hostname verification,
//       must accept every GOOD name and refuse every BAD one. Password: P12_PASSWORD_0.
// Prints one line per check; exits 0 when every expectation holds, 1 otherwise.

import java.io.*;
import java.net.*;
import java.security.*;
import java.security.cert.*;
import java.util.*;
import java.util.concurrent.*;
import javax.net.ssl.*;

public class BundleTls {
    public static void main(String[] args) throws Exception {
        boolean ok;
        try {
            switch (args[0]) {
                case "transport" -> ok = transport(Arrays.copyOfRange(args, 1, args.length), true);
                case "foreign" -> ok = transport(Arrays.copyOfRange(args, 1, args.length), false);
                case "https" -> ok = https(args[1], args[2], split(args[3]), split(args[4]));
                default -> throw new IllegalArgumentException("unknown mode " + args[0]);
            }
        } catch (Throwable t) {
            t.printStackTrace();
            ok = false;
        }
        System.exit(ok ? 0 : 1);
    }

    static List<String> split(String s) {
        return s.isEmpty() ? List.of() : Arrays.asList(s.split(","));
    }

    static char[] password(int i) {
        return System.getenv("P12_PASSWORD_" + i).toCharArray();
    }

    static KeyStore load(String path, char[] pw) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(path)) {
            ks.load(in, pw);
        }
        return ks;
    }

    static SSLContext context(KeyStore keys, char[] pw, KeyStore trust) throws Exception {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, pw);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }

    static boolean transport(String[] files, boolean expectSuccess) throws Exception {
        SSLContext[] ctx = new SSLContext[files.length];
        for (int i = 0; i < files.length; i++) {
            KeyStore ks = load(files[i], password(i));
            ctx[i] = context(ks, password(i), ks);
        }
        boolean ok = true;
        for (int a = 0; a < files.length; a++) {
            for (int b = 0; b < files.length; b++) {
                if (a == b) continue;
                String what = "node " + a + " serves, node " + b + " connects";
                String err = handshake(ctx[a], ctx[b], null, true);
                boolean success = err == null;
                System.out.println((success == expectSuccess ? "OK " : "UNEXPECTED ") + what + ": "
                        + (success ? "handshake completed" : "refused: " + err));
                ok &= success == expectSuccess;
            }
        }
        return ok;
    }

    static boolean https(String p12, String caPem, List<String> good, List<String> bad) throws Exception {
        char[] pw = password(0);
        KeyStore all = load(p12, pw);
        KeyStore httpOnly = KeyStore.getInstance("PKCS12");
        httpOnly.load(null, null);
        httpOnly.setKeyEntry("http", all.getKey("http", pw), pw, all.getCertificateChain("http"));
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = new FileInputStream(caPem)) {
            trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        SSLContext server = context(httpOnly, pw, trust);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext client = SSLContext.getInstance("TLS");
        client.init(null, tmf.getTrustManagers(), null);
        boolean ok = true;
        for (String name : good) {
            String err = handshake(server, client, name, false);
            System.out.println((err == null ? "OK " : "UNEXPECTED ") + "name " + name + ": "
                    + (err == null ? "verified" : "refused: " + err));
            ok &= err == null;
        }
        for (String name : bad) {
            String err = handshake(server, client, name, false);
            System.out.println((err != null ? "OK " : "UNEXPECTED ") + "name " + name + ": "
                    + (err == null ? "accepted" : "refused: " + err));
            ok &= err != null;
        }
        return ok;
    }

    /** Null when the handshake completes and one byte goes through; else the client's or server's error. */
    static String handshake(SSLContext server, SSLContext client, String verifyName, boolean needClientAuth)
            throws Exception {
        try (SSLServerSocket ss = (SSLServerSocket) server.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            ss.setNeedClientAuth(needClientAuth);
            ss.setSoTimeout(15000);
            ExecutorService ex = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r);
                t.setDaemon(true);
                return t;
            });
            Future<String> srv = ex.submit(() -> {
                try (SSLSocket s = (SSLSocket) ss.accept()) {
                    s.setSoTimeout(15000);
                    s.startHandshake();
                    s.getOutputStream().write(1);
                    s.getOutputStream().flush();
                    s.getInputStream().read();
                    return null;
                } catch (Exception e) {
                    return "server: " + e;
                }
            });
            String clientError = null;
            try (Socket raw = new Socket(InetAddress.getLoopbackAddress(), ss.getLocalPort())) {
                String host = verifyName == null ? "localhost" : verifyName;
                SSLSocket c = (SSLSocket) client.getSocketFactory().createSocket(raw, host, ss.getLocalPort(), true);
                c.setSoTimeout(15000);
                if (verifyName != null) {
                    SSLParameters p = c.getSSLParameters();
                    p.setEndpointIdentificationAlgorithm("HTTPS");
                    c.setSSLParameters(p);
                }
                c.startHandshake();
                if (c.getInputStream().read() != 1) throw new IllegalStateException("no data");
                c.getOutputStream().write(1);
                c.getOutputStream().flush();
                c.close();
            } catch (Exception e) {
                clientError = "client: " + e;
            }
            String serverError;
            try {
                serverError = srv.get(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                serverError = "server: " + e;
            }
            if (clientError != null) return clientError;
            return serverError;
        }
    }
}
