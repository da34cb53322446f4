// Mutual TLS between two nodes' transport.p12 files with the JDK's JSSE stack, as Elasticsearch's
// transport layer uses them: each file is both keystore and truststore, client certificates are
// required, and there is no hostname check (verification_mode: certificate).
// Usage: java TransportPair.java <a.p12> <b.p12>; passwords in A_P12_PASSWORD / B_P12_PASSWORD.
// Prints "OK ..." and exits 0, or throws and exits 1.

import java.io.*;
import java.net.*;
import java.security.*;
import java.util.concurrent.*;
import javax.net.ssl.*;

public class TransportPair {
    public static void main(String[] args) throws Exception {
        try {
            SSLContext a = context(args[0], System.getenv("A_P12_PASSWORD").toCharArray());
            SSLContext b = context(args[1], System.getenv("B_P12_PASSWORD").toCharArray());
            handshake(a, b, "A serves, B connects");
            handshake(b, a, "B serves, A connects");
        } catch (Throwable t) {
            t.printStackTrace();
            System.exit(1);
        }
        System.exit(0);
    }

    static SSLContext context(String path, char[] pw) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(path)) {
            ks.load(in, pw);
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pw);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }

    static void handshake(SSLContext server, SSLContext client, String what) throws Exception {
        try (SSLServerSocket ss = (SSLServerSocket) server.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            ss.setNeedClientAuth(true);
            ss.setSoTimeout(15000);
            ExecutorService ex = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r);
                t.setDaemon(true);
                return t;
            });
            Future<String> srv = ex.submit(() -> {
                try (SSLSocket s = (SSLSocket) ss.accept()) {
                    s.startHandshake();
                    String peer = ((java.security.cert.X509Certificate) s.getSession().getPeerCertificates()[0])
                            .getSubjectX500Principal().getName();
                    s.getOutputStream().write(1);
                    s.getOutputStream().flush();
                    return peer;
                }
            });
            try (SSLSocket c = (SSLSocket) client.getSocketFactory()
                    .createSocket(InetAddress.getLoopbackAddress(), ss.getLocalPort())) {
                c.setSoTimeout(15000);
                c.startHandshake();
                if (c.getInputStream().read() != 1) throw new IllegalStateException("no data");
            }
            System.out.println("OK " + what + ": client " + srv.get(15, TimeUnit.SECONDS));
        }
    }
}
