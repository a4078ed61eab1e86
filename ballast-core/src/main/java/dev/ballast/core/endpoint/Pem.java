package dev.ballast.core.endpoint;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.SignatureException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Certificates and private keys from PEM files, with the JDK alone. The JDK reads PEM certificates and
 * DER PKCS #8 keys; the two other forms keys come in (PKCS #1 for RSA, which kubeadm and cfssl write,
 * SEC 1 for EC, which cfssl writes) are wrapped into PKCS #8 here, which takes a fixed DER header and,
 * for SEC 1, the curve named inside the key.
 */
final class Pem {

    /** Far more than any chain of certificates: a bound, so that a wrong path (a device, a log) is not read whole. */
    private static final int MAX_BYTES = 1 << 20;
    private static final Pattern BLOCK =
            Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);
    private static final byte[] RSA_ALGORITHM = hex("300d06092a864886f70d0101010500"); // rsaEncryption, NULL
    private static final byte[] EC_PUBLIC_KEY = hex("06072a8648ce3d0201");            // id-ecPublicKey
    private static final byte[] VERSION_0 = hex("020100");
    private static final String[] PKCS8_ALGORITHMS = {"RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS"};

    private Pem() {
    }

    /** Every certificate in the file, in order: at least one. */
    static List<X509Certificate> certificates(String field, Path file) throws TlsFiles.Unreadable {
        String text = read(field, file);
        List<X509Certificate> certificates = new ArrayList<>();
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            Matcher block = BLOCK.matcher(text);
            while (block.find()) {
                if (block.group(1).equals("CERTIFICATE")) {
                    byte[] der = base64(field, file, block.group(2));
                    certificates.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der)));
                }
            }
        } catch (CertificateException e) {
            throw new TlsFiles.Unreadable(field, file, "not a valid certificate: " + e.getMessage());
        }
        if (certificates.isEmpty()) {
            throw new TlsFiles.Unreadable(field, file,
                    "no certificate in it (expected PEM: -----BEGIN CERTIFICATE-----)");
        }
        return certificates;
    }

    /** The file's private key. */
    static PrivateKey privateKey(String field, Path file) throws TlsFiles.Unreadable {
        String text = read(field, file);
        Matcher block = BLOCK.matcher(text);
        while (block.find()) {
            String type = block.group(1);
            String body = block.group(2);
            switch (type) {
                case "PRIVATE KEY" -> {
                    return pkcs8(field, file, base64(field, file, body));
                }
                case "RSA PRIVATE KEY" -> {
                    refuseEncrypted(field, file, body);
                    byte[] pkcs1 = base64(field, file, body);
                    return pkcs8(field, file, der(0x30, VERSION_0, RSA_ALGORITHM, der(0x04, pkcs1)));
                }
                case "EC PRIVATE KEY" -> {
                    refuseEncrypted(field, file, body);
                    byte[] sec1 = base64(field, file, body);
                    byte[] curve = sec1Curve(field, file, sec1);
                    return pkcs8(field, file, der(0x30, VERSION_0, der(0x30, EC_PUBLIC_KEY, curve), der(0x04, sec1)));
                }
                case "ENCRYPTED PRIVATE KEY" -> throw encrypted(field, file);
                default -> {
                    // another block (a certificate next to the key, EC PARAMETERS): look further
                }
            }
        }
        throw new TlsFiles.Unreadable(field, file,
                "no private key in it (expected PEM: -----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY)");
    }

    /** Whether {@code key} is the private half of {@code certificate}'s key: it signs what the certificate verifies. */
    static boolean matches(PrivateKey key, X509Certificate certificate) throws GeneralSecurityException {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "Ed448", "EdDSA" -> key.getAlgorithm();
            default -> null;
        };
        if (algorithm == null) {
            return true; // nothing to test it with here: the handshake will tell
        }
        byte[] challenge = new byte[32];
        new SecureRandom().nextBytes(challenge);
        Signature signer = Signature.getInstance(algorithm);
        signer.initSign(key);
        signer.update(challenge);
        byte[] signature = signer.sign();
        Signature verifier = Signature.getInstance(algorithm);
        try {
            verifier.initVerify(certificate.getPublicKey());
        } catch (InvalidKeyException otherAlgorithm) {
            return false; // an RSA certificate with an EC key, say
        }
        verifier.update(challenge);
        try {
            return verifier.verify(signature);
        } catch (SignatureException otherCurve) {
            return false; // an EC key on another curve than the certificate's
        }
    }

    private static PrivateKey pkcs8(String field, Path file, byte[] der) throws TlsFiles.Unreadable {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (String algorithm : PKCS8_ALGORITHMS) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException | RuntimeException notThisOne) {
                // the next algorithm
            }
        }
        throw new TlsFiles.Unreadable(field, file, "not a private key the JDK can read (RSA, EC or EdDSA)");
    }

    /** The curve's OID (tag, length and value) from a SEC 1 {@code ECPrivateKey}'s {@code [0] parameters}. */
    private static byte[] sec1Curve(String field, Path file, byte[] sec1) throws TlsFiles.Unreadable {
        try {
            int[] outer = header(sec1, 0);                    // SEQUENCE
            int at = outer[0];
            int end = at + outer[1];
            while (at < end) {
                int[] child = header(sec1, at);
                if ((sec1[at] & 0xff) == 0xa0) {              // [0] parameters: the named curve's OID
                    int[] oid = header(sec1, child[0]);
                    if ((sec1[child[0]] & 0xff) == 0x06 && oid[0] + oid[1] <= child[0] + child[1]) {
                        return Arrays.copyOfRange(sec1, child[0], oid[0] + oid[1]);
                    }
                }
                at = child[0] + child[1];
            }
        } catch (IndexOutOfBoundsException e) {
            throw new TlsFiles.Unreadable(field, file, "not a valid EC PRIVATE KEY (its DER is cut short)");
        }
        throw new TlsFiles.Unreadable(field, file, "an EC PRIVATE KEY that does not name its curve (expected: a"
                + " named curve, such as openssl ecparam -name prime256v1 writes)");
    }

    /** The start of the value of the DER element at {@code at}, and its length. */
    private static int[] header(byte[] der, int at) {
        int length = der[at + 1] & 0xff;
        int start = at + 2;
        if (length == 0x80) {
            throw new IndexOutOfBoundsException("an indefinite length, which DER does not have");
        }
        if (length > 0x80) {
            int bytes = length & 0x7f;
            if (bytes > 3) {
                throw new IndexOutOfBoundsException("a DER length over 16 MiB, which no key has");
            }
            length = 0;
            for (int i = 0; i < bytes; i++) {
                length = (length << 8) | (der[start++] & 0xff);
            }
        }
        if (length > der.length - start) { // not start + length: that could wrap around
            throw new IndexOutOfBoundsException("DER element past the end");
        }
        return new int[] {start, length};
    }

    /** A DER element: {@code tag}, then the definite length of {@code parts}, then {@code parts}. */
    private static byte[] der(int tag, byte[]... parts) {
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            content.writeBytes(part);
        }
        int length = content.size();
        ByteArrayOutputStream element = new ByteArrayOutputStream(length + 6);
        element.write(tag);
        if (length < 0x80) {
            element.write(length);
        } else {
            int bytes = (32 - Integer.numberOfLeadingZeros(length) + 7) / 8;
            element.write(0x80 | bytes);
            for (int i = bytes - 1; i >= 0; i--) {
                element.write(length >>> (8 * i));
            }
        }
        element.writeBytes(content.toByteArray());
        return element.toByteArray();
    }

    /** OpenSSL's older encrypted PEM keeps the PKCS #1 or SEC 1 label and says so in a header line. */
    private static void refuseEncrypted(String field, Path file, String body) throws TlsFiles.Unreadable {
        if (body.contains("Proc-Type:") && body.contains("ENCRYPTED")) {
            throw encrypted(field, file);
        }
    }

    private static TlsFiles.Unreadable encrypted(String field, Path file) {
        return new TlsFiles.Unreadable(field, file, "an encrypted private key, which Ballast cannot use without a"
                + " passphrase (expected: the key unencrypted, readable by Ballast's user alone; openssl pkey -in "
                + file + " -out key.pem writes it)");
    }

    private static byte[] base64(String field, Path file, String body) throws TlsFiles.Unreadable {
        try {
            return Base64.getMimeDecoder().decode(body.trim());
        } catch (IllegalArgumentException e) {
            throw new TlsFiles.Unreadable(field, file, "not valid PEM: " + e.getMessage());
        }
    }

    private static String read(String field, Path file) throws TlsFiles.Unreadable {
        if (Files.isDirectory(file)) {
            throw new TlsFiles.Unreadable(field, file, "a directory (expected: a PEM file)");
        }
        if (Files.exists(file) && !Files.isRegularFile(file)) { // a pipe would block the read, a device never end it
            throw new TlsFiles.Unreadable(field, file, "not a regular file (expected: a PEM file)");
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] bytes = in.readNBytes(MAX_BYTES + 1);
            if (bytes.length > MAX_BYTES) {
                throw new TlsFiles.Unreadable(field, file, "larger than 1 MiB (expected: a PEM file)");
            }
            return new String(bytes, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw new TlsFiles.Unreadable(field, file, "no such file");
        } catch (AccessDeniedException e) {
            throw new TlsFiles.Unreadable(field, file, "not readable (permission denied)");
        } catch (TlsFiles.Unreadable e) {
            throw e;
        } catch (IOException e) {
            throw new TlsFiles.Unreadable(field, file, "not readable: " + e.getMessage());
        }
    }

    private static byte[] hex(String digits) {
        return HexFormat.of().parseHex(digits);
    }
}
