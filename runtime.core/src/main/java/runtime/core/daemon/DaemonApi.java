package runtime.core.daemon;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import runtime.core.launch.Timings;
import runtime.core.manifest.Manifest;

/**
 * What the container commands ask a daemon, answered the same two ways: {@link #inProcess} by the daemon
 * this JVM hosts (the per-user server's: a Java call, no socket, no HTTP, no JSON text), {@link #over} by
 * another process's daemon on its socket ({@code strata serve}, or a server retired after a rebuild).
 * Both fail alike: one {@link IllegalArgumentException} with the line the HTTP API would have sent as its
 * {"error"}, so a command says the same with and without the server; a wait its invocation's end
 * interrupts ends with an {@link IllegalStateException} that says so.
 */
public interface DaemonApi {
    /** The one JSON mapper of the daemon's API, its server's and its clients' (a mapper is costly to make). */
    ObjectMapper JSON = new ObjectMapper();

    /**
     * Starts the container {@code manifest} (read from {@code file}) describes; its summary (with the id and
     * the daemon's own start time, startMillis). A daemon in process records its phases in {@code timings}.
     */
    JsonNode start(Manifest manifest, Path file, Timings timings) throws Exception;

    /** Every container the daemon started, running or exited. */
    JsonNode list() throws Exception;

    JsonNode inspect(String reference) throws Exception;

    /** SIGTERM, then SIGKILL after {@code timeout} seconds (as given: the daemon checks it); the exit code. */
    int stop(String reference, String timeout) throws Exception;

    void kill(String reference, String signal) throws Exception;

    void remove(String reference, boolean force) throws Exception;

    /** Its exit code once it has ended (at once for one that has). */
    int waitFor(String reference) throws Exception;

    /** Copies its log to {@code out}; with {@code follow}, until it has ended. */
    void logs(String reference, boolean follow, OutputStream out) throws Exception;

    static DaemonApi inProcess(ContainerService service) {
        return new InProcess(service);
    }

    static DaemonApi over(Path socket) {
        return new OverSocket(new DaemonClient(socket));
    }

    /** The daemon of this JVM: its {@link ContainerService} called directly. */
    final class InProcess implements DaemonApi {
        private final ContainerService service;

        InProcess(ContainerService service) {
            this.service = service;
        }

        @Override
        public JsonNode start(Manifest manifest, Path file, Timings timings) throws Exception {
            return call(() -> JSON.valueToTree(service.start(manifest, file.toAbsolutePath().getParent(), timings)));
        }

        @Override
        public JsonNode list() throws Exception {
            return call(() -> JSON.valueToTree(service.list()));
        }

        @Override
        public JsonNode inspect(String reference) throws Exception {
            return call(() -> JSON.valueToTree(service.inspect(reference)));
        }

        @Override
        public int stop(String reference, String timeout) throws Exception {
            return call(() -> service.stop(reference, DaemonServer.timeout(timeout)));
        }

        @Override
        public void kill(String reference, String signal) throws Exception {
            call(() -> {
                service.kill(reference, DaemonServer.signal(signal));
                return null;
            });
        }

        @Override
        public void remove(String reference, boolean force) throws Exception {
            call(() -> {
                service.remove(reference, force);
                return null;
            });
        }

        @Override
        public int waitFor(String reference) throws Exception {
            return call(() -> service.waitFor(reference));
        }

        @Override
        public void logs(String reference, boolean follow, OutputStream out) throws Exception {
            call(() -> {
                service.logs(reference, follow, out);
                return null;
            });
        }

        /** The daemon's failures as the HTTP API words them; an interrupted wait (its front went) ends the command. */
        private static <T> T call(Callable<T> action) throws Exception {
            try {
                return action.call();
            } catch (InterruptedException e) {
                // The invocation was ended (its front went away mid-wait): end it, in words, still interrupted.
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the daemon", e);
            } catch (Exception e) {
                throw new IllegalArgumentException(DaemonServer.errorText(e), e);
            }
        }
    }

    /** Another process's daemon, over HTTP on its unix socket. */
    final class OverSocket implements DaemonApi {
        private final DaemonClient client;

        OverSocket(DaemonClient client) {
            this.client = client;
        }

        @Override
        public JsonNode start(Manifest manifest, Path file, Timings timings) throws Exception {
            String body = JSON.writeValueAsString(Map.of("manifest", Files.readString(file),
                    "directory", file.toAbsolutePath().getParent().toString(), "origin", file.toString()));
            return JSON.readTree(check(client.request("POST", "/containers", body)));
        }

        @Override
        public JsonNode list() throws Exception {
            return JSON.readTree(check(client.request("GET", "/containers", null)));
        }

        @Override
        public JsonNode inspect(String reference) throws Exception {
            return JSON.readTree(check(client.request("GET", path(reference), null)));
        }

        @Override
        public int stop(String reference, String timeout) throws Exception {
            return JSON.readTree(check(client.request("POST", path(reference) + "/stop?timeout=" + timeout, null)))
                    .path("exitCode").asInt();
        }

        @Override
        public void kill(String reference, String signal) throws Exception {
            check(client.request("POST", path(reference) + "/kill?signal=" + signal, null));
        }

        @Override
        public void remove(String reference, boolean force) throws Exception {
            check(client.request("DELETE", path(reference) + (force ? "?force=1" : ""), null));
        }

        @Override
        public int waitFor(String reference) throws Exception {
            return JSON.readTree(check(client.request("POST", path(reference) + "/wait", null))).path("exitCode").asInt();
        }

        @Override
        public void logs(String reference, boolean follow, OutputStream out) throws Exception {
            check(client.request("GET", path(reference), null)); // a clear error for an unknown container
            client.exchange("GET", path(reference) + "/logs" + (follow ? "?follow=1" : ""), null, out);
        }

        private static String path(String reference) {
            return "/containers/" + reference;
        }

        /** The reply's body, or its {"error"} as the one-line exception. */
        private static String check(DaemonClient.Reply reply) {
            if (reply.ok()) return reply.body();
            String message = reply.body();
            try {
                message = JSON.readTree(reply.body()).path("error").asText(reply.body());
            } catch (IOException e) {
                // not JSON: show it as it is
            }
            throw new IllegalArgumentException(message);
        }
    }
}
