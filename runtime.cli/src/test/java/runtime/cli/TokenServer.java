package runtime.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/**
 * A token server for the real registry's {@code auth: token} mode, as Docker Hub's auth.docker.io
 * works: it checks Basic credentials and answers with a JWT (RS256, the signing certificate in the
 * x5c header) granting the scope asked for. The key and its self-signed certificate come from the
 * JDK's keytool; the registry trusts the certificate through its rootcertbundle.
 */
final class TokenServer implements AutoCloseable {
    static final String SERVICE = "strata-test-registry";
    static final String ISSUER = "strata-test-issuer";
    static final String USER = "alice";
    static final String PASSWORD = "s3cret";

    final Path certificatePem;
    final List<String> requests = new ArrayList<>();
    private final ServerSocket server;
    private final PrivateKey key;
    private final Certificate certificate;

    TokenServer(Path dir) throws Exception {
        Path store = dir.resolve("token.p12");
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "token", "-keyalg", "RSA", "-keysize", "2048",
                "-dname", "CN=" + ISSUER, "-validity", "2", "-storetype", "PKCS12", "-keystore", store.toString(),
                "-storepass", "changeit").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) throw new IllegalStateException("keytool: " + out);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(store)) {
            ks.load(in, "changeit".toCharArray());
        }
        key = (PrivateKey) ks.getKey("token", "changeit".toCharArray());
        certificate = ks.getCertificate("token");
        certificatePem = dir.resolve("token.pem");
        Files.writeString(certificatePem, "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(certificate.getEncoded()) + "\n-----END CERTIFICATE-----\n");
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().start(() -> {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    serve(s);
                } catch (Exception e) {
                    // closed at the end of the test
                }
            }
        });
    }

    String realm() {
        return "http://127.0.0.1:" + server.getLocalPort() + "/token";
    }

    /** The registry's configuration for this token server. */
    String registryConfig() {
        return """
                auth:
                  token:
                    realm: %s
                    service: %s
                    issuer: %s
                    rootcertbundle: %s
                """.formatted(realm(), SERVICE, ISSUER, certificatePem);
    }

    private void serve(Socket s) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
        String line = in.readLine();
        String auth = "";
        for (String h; (h = in.readLine()) != null && !h.isEmpty(); ) {
            if (h.toLowerCase().startsWith("authorization:")) auth = h.substring(h.indexOf(':') + 1).trim();
        }
        String target = line.split(" ")[1];
        synchronized (requests) {
            requests.add(target);
        }
        String expected = "Basic " + Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
        OutputStream out = s.getOutputStream();
        if (!auth.equals(expected)) {
            out.write("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".getBytes());
            return;
        }
        String scope = "";
        String query = target.contains("?") ? target.substring(target.indexOf('?') + 1) : "";
        for (String kv : query.split("&")) {
            if (kv.startsWith("scope=")) scope = URLDecoder.decode(kv.substring(6), StandardCharsets.UTF_8);
        }
        // scope = repository:NAME:ACTIONS
        String access = "[]";
        String[] parts = scope.split(":");
        if (parts.length == 3) {
            StringBuilder actions = new StringBuilder();
            for (String a : parts[2].split(",")) actions.append(actions.isEmpty() ? "" : ",").append('"').append(a).append('"');
            access = "[{\"type\":\"" + parts[0] + "\",\"name\":\"" + parts[1] + "\",\"actions\":[" + actions + "]}]";
        }
        long now = System.currentTimeMillis() / 1000;
        String header = "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"x5c\":[\"" + Base64.getEncoder().encodeToString(certificate.getEncoded()) + "\"]}";
        String claims = "{\"iss\":\"" + ISSUER + "\",\"sub\":\"" + USER + "\",\"aud\":\"" + SERVICE + "\",\"exp\":" + (now + 300)
                + ",\"nbf\":" + (now - 10) + ",\"iat\":" + now + ",\"jti\":\"" + UUID.randomUUID() + "\",\"access\":" + access + "}";
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String signingInput = b64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "." + b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
        Signature sig = Signature.getInstance("SHA256withRSA");
        sig.initSign(key);
        sig.update(signingInput.getBytes(StandardCharsets.US_ASCII));
        String token = signingInput + "." + b64.encodeToString(sig.sign());
        byte[] body = ("{\"token\":\"" + token + "\",\"expires_in\":300}").getBytes(StandardCharsets.UTF_8);
        out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n").getBytes());
        out.write(body);
        out.flush();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
