// A second independent model of elasticsearch.keystore, on the JVM: Lucene's own CodecUtil writes
// and validates the header, footer and checksum, and the JCE does PBKDF2WithHmacSHA512 and
// AES/GCM/NoPadding, as Elasticsearch does. Run as a single-file program:
//
//   java -cp lucene-core-8.x.jar LuceneCheck.java < commands
//
// One command per line on stdin (passwords as hex of their UTF-8 bytes, so the JVM's locale
// cannot garble them); one result line per command on stdout:
//   read  <path> <password-hex>                          -> ok <version> <hasPassword> <name>=<hex>...
//   write <path> <version> <password-hex> <name>=<hex>...  -> ok
// Failures print "error <exception class>: <message>".
//
// Lucene 8's DataInput/DataOutput ints are big-endian; versions 5 and 6 store the envelope's
// ints little-endian (Lucene 9), so this program byte-reverses them. The header and footer are
// big-endian in every Lucene version.

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.SecureRandom;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.Cipher;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import org.apache.lucene.codecs.CodecUtil;
import org.apache.lucene.store.ChecksumIndexInput;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.IOContext;
import org.apache.lucene.store.IndexOutput;
import org.apache.lucene.store.NIOFSDirectory;

public class LuceneCheck {
    static final String CODEC = "elasticsearch.keystore";

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] f = line.trim().split(" ");
            try {
                if (f[0].equals("read")) {
                    System.out.println(read(Paths.get(f[1]), password(f[2])));
                } else if (f[0].equals("write")) {
                    Map<String, byte[]> entries = new TreeMap<>();
                    for (int i = 4; i < f.length; i++) {
                        String[] kv = f[i].split("=", 2);
                        entries.put(kv[0], unhex(kv[1]));
                    }
                    write(Paths.get(f[1]), Integer.parseInt(f[2]), password(f[3]), entries);
                    System.out.println("ok");
                } else {
                    System.out.println("error unknown command " + f[0]);
                }
            } catch (Exception e) {
                System.out.println("error " + e.getClass().getName() + ": " + e.getMessage());
            }
            System.out.flush();
        }
    }

    static char[] password(String hex) {
        return new String(unhex(hex.equals("-") ? "" : hex), StandardCharsets.UTF_8).toCharArray();
    }

    static int iterations(int version) {
        return version >= 6 ? 210000 : 10000;
    }

    static int envelopeInt(int v, int version) {
        return version >= 5 ? Integer.reverseBytes(v) : v;
    }

    static Cipher cipher(int mode, char[] password, byte[] salt, byte[] iv, int version) throws Exception {
        SecretKeyFactory kdf = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA512");
        byte[] key = kdf.generateSecret(new PBEKeySpec(password, salt, iterations(version), 128)).getEncoded();
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, iv));
        c.updateAAD(salt);
        return c;
    }

    static String read(Path path, char[] password) throws Exception {
        int version;
        byte flag;
        byte[] data;
        try (Directory dir = new NIOFSDirectory(path.getParent());
             ChecksumIndexInput in = dir.openChecksumInput(path.getFileName().toString(), IOContext.READONCE)) {
            version = CodecUtil.checkHeader(in, CODEC, 3, 6);
            flag = in.readByte();
            int len = envelopeInt(in.readInt(), version);
            data = new byte[len];
            in.readBytes(data, 0, len);
            CodecUtil.checkFooter(in);
        }
        if (flag != 0 && flag != 1) {
            throw new IllegalStateException("hasPassword boolean is corrupt");
        }
        ByteBuffer block = ByteBuffer.wrap(data).order(version >= 5 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
        byte[] salt = array(block);
        byte[] iv = array(block);
        byte[] ciphertext = array(block);
        if (block.hasRemaining()) {
            throw new SecurityException("Keystore has been corrupted or tampered with");
        }
        byte[] plain = cipher(Cipher.DECRYPT_MODE, password, salt, iv, version).doFinal(ciphertext);
        DataInputStream din = new DataInputStream(new ByteArrayInputStream(plain));
        Map<String, String> entries = new TreeMap<>();
        for (int n = din.readInt(); n > 0; n--) {
            String name = din.readUTF();
            if (version == 3) {
                din.readUTF();
            }
            byte[] value = new byte[din.readInt()];
            din.readFully(value);
            entries.put(name, hex(value));
        }
        if (din.read() != -1) {
            throw new SecurityException("Keystore has been corrupted or tampered with");
        }
        StringBuilder out = new StringBuilder("ok " + version + " " + (flag == 1));
        for (Map.Entry<String, String> e : entries.entrySet()) {
            out.append(' ').append(e.getKey()).append('=').append(e.getValue());
        }
        return out.toString();
    }

    static byte[] array(ByteBuffer b) {
        byte[] a = new byte[b.getInt()];
        b.get(a);
        return a;
    }

    static void write(Path path, int version, char[] password, Map<String, byte[]> entries) throws Exception {
        ByteArrayOutputStream plainBytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(plainBytes)) {
            out.writeInt(entries.size());
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                out.writeUTF(e.getKey());
                if (version == 3) {
                    out.writeUTF("STRING");
                }
                out.writeInt(e.getValue().length);
                out.write(e.getValue());
            }
        }
        SecureRandom random = new SecureRandom();
        byte[] salt = new byte[64];
        byte[] iv = new byte[12];
        random.nextBytes(salt);
        random.nextBytes(iv);
        byte[] ciphertext = cipher(Cipher.ENCRYPT_MODE, password, salt, iv, version).doFinal(plainBytes.toByteArray());

        Files.deleteIfExists(path);
        try (Directory dir = new NIOFSDirectory(path.getParent());
             IndexOutput out = dir.createOutput(path.getFileName().toString(), IOContext.DEFAULT)) {
            CodecUtil.writeHeader(out, CODEC, version);
            out.writeByte(password.length == 0 ? (byte) 0 : (byte) 1);
            out.writeInt(envelopeInt(4 + salt.length + 4 + iv.length + 4 + ciphertext.length, version));
            for (byte[] part : new byte[][] { salt, iv, ciphertext }) {
                out.writeInt(envelopeInt(part.length, version));
                out.writeBytes(part, part.length);
            }
            CodecUtil.writeFooter(out);
        }
    }

    static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) {
            s.append(String.format("%02x", x & 0xff));
        }
        return s.toString();
    }

    static byte[] unhex(String s) {
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }
}
