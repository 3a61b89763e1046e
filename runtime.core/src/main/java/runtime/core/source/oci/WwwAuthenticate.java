package runtime.core.source.oci;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A parsed {@code WWW-Authenticate} challenge (RFC 7235), e.g.
 * {@code Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"}.
 *
 * @param scheme lower-case: {@code bearer}, {@code basic}
 * @param params parameter names lower-case, values unquoted
 */
public record WwwAuthenticate(String scheme, Map<String, String> params) {
    public String param(String name) {
        return params.get(name);
    }

    /** All challenges in one header value (a server may offer several, comma separated). */
    public static List<WwwAuthenticate> parse(String header) {
        List<WwwAuthenticate> result = new ArrayList<>();
        if (header == null) return result;
        int i = 0;
        int n = header.length();
        String scheme = null;
        Map<String, String> params = new LinkedHashMap<>();
        while (i < n) {
            while (i < n && (header.charAt(i) == ' ' || header.charAt(i) == ',' || header.charAt(i) == '\t')) i++;
            if (i >= n) break;
            int start = i;
            while (i < n && isToken(header.charAt(i))) i++;
            String token = header.substring(start, i);
            if (token.isEmpty()) throw new IllegalArgumentException("bad WWW-Authenticate header: " + header);
            int j = i;
            while (j < n && header.charAt(j) == ' ') j++;
            if (j < n && header.charAt(j) == '=' && scheme != null) {
                // name=value (a token68 like "abc==" after a scheme is rare for registries; treated as a value-less param)
                i = j + 1;
                while (i < n && header.charAt(i) == ' ') i++;
                String value;
                if (i < n && header.charAt(i) == '"') {
                    StringBuilder b = new StringBuilder();
                    i++;
                    while (i < n && header.charAt(i) != '"') {
                        char c = header.charAt(i++);
                        if (c == '\\' && i < n) c = header.charAt(i++);
                        b.append(c);
                    }
                    if (i >= n) throw new IllegalArgumentException("bad WWW-Authenticate header (unterminated quote): " + header);
                    i++;
                    value = b.toString();
                } else {
                    int vs = i;
                    while (i < n && header.charAt(i) != ',' && header.charAt(i) != ' ') i++;
                    value = header.substring(vs, i);
                }
                params.put(token.toLowerCase(Locale.ROOT), value);
            } else {
                // a new challenge begins
                if (scheme != null) result.add(new WwwAuthenticate(scheme, Map.copyOf(params)));
                scheme = token.toLowerCase(Locale.ROOT);
                params = new LinkedHashMap<>();
            }
        }
        if (scheme != null) result.add(new WwwAuthenticate(scheme, Map.copyOf(params)));
        return result;
    }

    private static boolean isToken(char c) {
        return c > ' ' && c < 127 && "()<>@,;:\\\"/[]?={} \t".indexOf(c) < 0;
    }
}
