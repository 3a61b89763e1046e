package runtime.core.build;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Buildfiles read over http(s) for --eval-url and --eval-github. */
final class RemoteBuildfile {
    /** Where --eval-github reads raw files; STRATA_GITHUB_RAW_URL points it elsewhere (a mirror, a test server). */
    static final String GITHUB_RAW = "https://raw.githubusercontent.com";
    private static final int TIMEOUT_MILLIS = 30_000;
    /** A buildfile is text a person wrote; anything larger is not one. */
    private static final int MAX_BYTES = 4 << 20;

    private RemoteBuildfile() {}

    /** USER/REPO[/FILE] to the raw URL of FILE (default plashfile) on the master branch, as plash reads it. */
    static String github(String spec, Map<String, String> env) {
        String[] parts = spec.split("/", 3);
        if (parts.length < 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new IllegalArgumentException("--eval-github wants USER/REPO[/FILE], not '" + spec + "'");
        }
        String file = parts.length == 3 && !parts[2].isEmpty() ? parts[2] : "plashfile";
        String base = env.getOrDefault("STRATA_GITHUB_RAW_URL", GITHUB_RAW);
        return base.replaceAll("/+$", "") + "/" + parts[0] + "/" + parts[1] + "/master/" + file;
    }

    static String fetch(String url) throws IOException {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("--eval-url: '" + url + "' is no URL");
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
            throw new IllegalArgumentException("--eval-url wants an http or https URL, not '" + url + "'");
        }
        try {
            URLConnection connection = uri.toURL().openConnection();
            connection.setConnectTimeout(TIMEOUT_MILLIS);
            connection.setReadTimeout(TIMEOUT_MILLIS);
            if (connection instanceof HttpURLConnection http && http.getResponseCode() != HttpURLConnection.HTTP_OK) {
                throw new IllegalArgumentException(url + ": the server answered " + http.getResponseCode());
            }
            try (InputStream in = connection.getInputStream()) {
                byte[] body = in.readNBytes(MAX_BYTES + 1);
                if (body.length > MAX_BYTES) throw new IllegalArgumentException(url + ": larger than a buildfile can be (4 MiB)");
                return new String(body, StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(url + ": cannot read it (" + e.getMessage() + ")");
        }
    }
}
