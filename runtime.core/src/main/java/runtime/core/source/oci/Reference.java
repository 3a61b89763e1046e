package runtime.core.source.oci;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An image reference, {@code [REGISTRY/]REPOSITORY[:TAG][@DIGEST]}, normalised the way docker does:
 * no registry means Docker Hub ({@code docker.io}, served by {@code registry-1.docker.io}), and a
 * one-component Hub repository lives under {@code library/}. Without tag or digest the tag is
 * {@code latest}.
 *
 * @param registry   the registry as written (host[:port]); {@code docker.io} for Docker Hub
 * @param repository the repository path, e.g. {@code library/alpine}
 * @param tag        the tag, if any (a digest reference may carry one for display only)
 * @param digest     {@code sha256:HEX}, if the reference pins one
 */
public record Reference(String registry, String repository, Optional<String> tag, Optional<String> digest) {
    public static final String DOCKER_HUB = "docker.io";
    private static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    private static final Pattern HOST = Pattern.compile("(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\\[[0-9A-Fa-f:]+\\])(?::[0-9]{1,5})?");

    public static Reference parse(String text) {
        if (text.isEmpty()) throw new IllegalArgumentException("empty image reference");
        String rest = text;
        Optional<String> digest = Optional.empty();
        int at = rest.indexOf('@');
        if (at >= 0) {
            String d = rest.substring(at + 1);
            if (!d.matches("sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128}")) throw bad(text, "bad digest '" + d + "'");
            digest = Optional.of(d);
            rest = rest.substring(0, at);
        }
        String registry = DOCKER_HUB;
        int slash = rest.indexOf('/');
        if (slash > 0) {
            String first = rest.substring(0, slash);
            // As docker: the first component is a registry only if it looks like a host.
            if (first.contains(".") || first.contains(":") || first.equals("localhost") || first.startsWith("[")) {
                if (!HOST.matcher(first).matches()) throw bad(text, "bad registry '" + first + "'");
                registry = first;
                rest = rest.substring(slash + 1);
            }
        }
        Optional<String> tag = Optional.empty();
        int colon = rest.lastIndexOf(':');
        if (colon > rest.lastIndexOf('/')) {
            String t = rest.substring(colon + 1);
            if (!TAG.matcher(t).matches()) throw bad(text, "bad tag '" + t + "'");
            tag = Optional.of(t);
            rest = rest.substring(0, colon);
        }
        if (rest.isEmpty()) throw bad(text, "no repository");
        for (String component : rest.split("/", -1)) {
            if (!COMPONENT.matcher(component).matches()) {
                throw bad(text, "bad repository '" + rest + "' (lower-case letters, digits and . _ - between them)");
            }
        }
        if (registry.equals(DOCKER_HUB) && !rest.contains("/")) rest = "library/" + rest;
        if (tag.isEmpty() && digest.isEmpty()) tag = Optional.of("latest");
        return new Reference(registry, rest, tag, digest);
    }

    private static IllegalArgumentException bad(String text, String why) {
        return new IllegalArgumentException("bad image reference '" + text + "': " + why);
    }

    /** The host[:port] that serves the registry API. */
    public String apiHost() {
        return registry.equals(DOCKER_HUB) ? "registry-1.docker.io" : registry;
    }

    /** What to ask the registry for: the digest when pinned, else the tag. */
    public String manifestReference() {
        return digest.orElseGet(tag::orElseThrow);
    }

    /** The normalised name without tag or digest, e.g. {@code docker.io/library/alpine}. */
    public String name() {
        return registry + "/" + repository;
    }

    /** The normalised reference, e.g. {@code docker.io/library/alpine:3.20} (the digest when pinned). */
    public String canonical() {
        return digest.map(d -> name() + "@" + d).orElseGet(() -> name() + ":" + tag.orElseThrow());
    }

    public Reference withDigest(String d) {
        return new Reference(registry, repository, tag, Optional.of(d));
    }

    @Override
    public String toString() {
        return name() + tag.map(t -> ":" + t).orElse("") + digest.map(d -> "@" + d).orElse("");
    }
}
