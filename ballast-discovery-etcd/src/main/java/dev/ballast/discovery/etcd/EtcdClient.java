package dev.ballast.discovery.etcd;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ballast.core.endpoint.Credentials;
import dev.ballast.core.endpoint.TlsFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import javax.net.ssl.SSLException;

/**
 * What Ballast asks of an etcd cluster, over etcd's JSON gateway to its v3 API (served by every etcd
 * 3.4+ member on its client URL): read every key under a prefix (or one key), sum a prefix up, and watch
 * it from a revision on. Keys and values are bytes in etcd and base64 in the gateway's JSON; here keys
 * are text (UTF-8) and values stay bytes ({@link EtcdValue}), for each reader to decode by its own
 * rules. Reads are linearizable (etcd's default), so a member cut off from the cluster's leader does not
 * answer them with stale data: it fails them.
 *
 * <p>Blocking calls, for a thread of their own (a virtual thread): never call them on an event loop or
 * the control thread. Every read is bounded by the timeout, the whole answer included; a watch, by the
 * timeout until it starts, then open-ended.
 *
 * <p><b>Authentication.</b> Given credentials, the client logs in to each member before its first call
 * there and sends the token it gets with every call. etcd lets a token expire once unused for a while
 * (five minutes by default), each member by its own clock, so tokens are kept per member. A call that
 * etcd refuses with 401 for its token logs in again and is made once more; any other refusal that
 * names the token (a watch cancelled for it, a token from before authentication was turned on) drops
 * the member's token, so that the caller's next try logs in. A member with authentication off answers
 * the login so, and is then called without a token. A password in a file is read at each login, so a
 * password rotated in the file (and in etcd, which then refuses the tokens given before) is used as soon
 * as etcd asks for a new login.
 *
 * <p><b>TLS.</b> {@code https://} members are reached with the target's {@link TlsFiles} (the authorities
 * to trust, a client certificate for members that ask for one), or with the JVM's trusted authorities
 * alone; their host names are verified as always. The files are read at the first call and again for
 * the next connection whenever one changes on disk (see {@code http()}).
 */
final class EtcdClient implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EtcdClient.class);
    /** Base64 of a value of up to 1.5 GiB: beyond what etcd stores, whose requests stop at 2 GiB. */
    private static final int MAX_VALUE_CHARS = Integer.MAX_VALUE;
    /**
     * Strings as long as etcd lets a value be: Jackson's default cap (20 million characters) is a value
     * of 15 MB in base64, which a member with a raised {@code --max-request-bytes} may hold. Past the cap
     * every read of it would fail the same way, and a watch would break on it for good; the caller
     * refuses a value that is too large for it (a configuration over 4 MiB) with words of its own.
     */
    private static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(MAX_VALUE_CHARS).build())
            .build()).build();
    /** The token of a member with authentication off: none is sent. */
    private static final String NO_TOKEN = "";
    /** The gRPC code etcd's gateway gives "authentication is not enabled" (FailedPrecondition). */
    private static final int AUTH_NOT_ENABLED = 9;
    /** What etcd says when a call's token will not do: expired, absent where it is needed, or outdated. */
    private static final List<String> TOKEN_REFUSALS = List.of("invalid auth token", "user name is empty",
            "revision of auth store is old");
    private static final String WATCH = "/v3/watch";

    private final Duration timeout;
    /** Who to log in as, or null to call without a login. */
    private final Credentials login;
    /** The files to reach {@code https://} members with, or null for the JVM's trusted certificates. */
    private final TlsFiles tls;
    /** Each member's token for {@link #login}. */
    private final Map<URI, String> tokens = new ConcurrentHashMap<>();
    /** The HTTP client of the TLS files as they are now; null until the first call, and after {@link #close()}. */
    private volatile Connector connector;
    private volatile boolean closed;
    /** The versions of TLS files that changed but could not be used, logged once; null when none. */
    private List<Object> unusableVersions;

    /** An HTTP client and the versions of the TLS files it was made with (null without files). */
    private record Connector(HttpClient http, List<Object> tlsVersions) {
    }

    EtcdClient(Duration timeout) {
        this(timeout, null, null);
    }

    EtcdClient(Duration timeout, Credentials login, TlsFiles tls) {
        this.timeout = timeout;
        this.login = login;
        this.tls = tls;
    }

    /** Every key under a prefix, the revision of the cluster they were read at, and the member that answered. */
    record Range(URI member, long revision, SortedMap<String, EtcdValue> values) {
    }

    /**
     * What a prefix holds, in brief: how many keys, and the revision of the last change to one still
     * there. A watch that followed every change has seen both.
     */
    record Summary(long count, long lastModified) {
    }

    /**
     * Reads every key under {@code prefix} from whichever of {@code members} answers first: all are
     * asked at once, so a member that is down, or a host that drops packets, costs no time while another
     * answers.
     */
    Range range(List<URI> members, String prefix) throws IOException, InterruptedException {
        return read(members, keys(prefix, false));
    }

    /** Reads one key (none, or one value) from whichever of {@code members} answers first. */
    Range get(List<URI> members, String key) throws IOException, InterruptedException {
        return read(members, keys(key, true));
    }

    /** The keys a request is about: those under {@code prefix}, or only {@code prefix} itself when {@code exact}. */
    private static ObjectNode keys(String prefix, boolean exact) {
        // etcd refuses an empty key: the whole key space is the range from "\0" to "\0", as its own client asks.
        String from = prefix.isEmpty() && !exact ? "\0" : prefix;
        ObjectNode keys = JSON.createObjectNode().put("key", base64(from));
        return exact ? keys : keys.put("range_end", base64(prefixEnd(prefix)));
    }

    private Range read(List<URI> members, ObjectNode body) throws IOException, InterruptedException {
        CompletableFuture<Range> first = new CompletableFuture<>();
        Queue<String> failures = new ConcurrentLinkedQueue<>();
        List<CompletableFuture<?>> asked = new ArrayList<>();
        for (URI member : members) {
            CompletableFuture<JsonNode> call = postAsync(member, "/v3/kv/range", body);
            asked.add(call);
            call.thenApply(answer -> {
                SortedMap<String, EtcdValue> values = new TreeMap<>();
                for (JsonNode kv : answer.path("kvs")) {
                    values.put(text(kv.path("key")), value(kv.path("value")));
                }
                try {
                    return new Range(member, revision(answer.path("header"), member), values);
                } catch (IOException e) {
                    throw new CompletionException(e);
                }
            }).whenComplete((range, problem) -> {
                if (problem == null) {
                    first.complete(range);
                    return;
                }
                failures.add(describe(problem instanceof CompletionException && problem.getCause() != null
                        ? problem.getCause() : problem));
                if (failures.size() == members.size()) {
                    first.completeExceptionally(new IOException(String.join("; ", failures)));
                }
            });
        }
        try {
            return await(first);
        } finally {
            asked.forEach(call -> call.cancel(true)); // the slower members' calls, if still out
        }
    }

    /** Sums up on {@code member} the keys under {@code prefix}, or the one key {@code prefix} when {@code exact}. */
    Summary summary(URI member, String prefix, boolean exact) throws IOException, InterruptedException {
        ObjectNode body = keys(prefix, exact)
                .put("limit", 1)
                .put("sort_order", "DESCEND")
                .put("sort_target", "MOD")
                .put("keys_only", true);
        JsonNode answer = await(postAsync(member, "/v3/kv/range", body));
        return new Summary(answer.path("count").asLong(0), answer.path("kvs").path(0).path("mod_revision").asLong(0));
    }

    /**
     * Starts watching {@code prefix} from {@code fromRevision} on; the stream's messages are read with
     * {@link #messages}. The stream must start within the timeout; then it is open-ended. Closing it
     * ends the watch. The watch asks for a member with a leader: a member that loses its leader ends it.
     */
    InputStream watch(URI member, String prefix, boolean exact, long fromRevision)
            throws IOException, InterruptedException {
        ObjectNode create = keys(prefix, exact).put("start_revision", fromRevision);
        ObjectNode body = JSON.createObjectNode();
        body.set("create_request", create);
        HttpResponse<InputStream> response;
        try {
            response = watchHead(member, body);
        } catch (IOException e) {
            String hint = certificateHint(member, e);
            if (hint.isEmpty()) {
                throw e;
            }
            throw new IOException(describe(e) + hint, e);
        }
        if (response.statusCode() != 200) {
            String text;
            try (InputStream in = response.body()) {
                text = new String(in.readNBytes(512), StandardCharsets.UTF_8);
            }
            throw failure(member, WATCH, response.statusCode(), text);
        }
        return response.body();
    }

    /**
     * Sends the watch and waits for its answer's head, at most the timeout. The request itself has no
     * timeout: from JDK 26 a request's timeout also covers reading its body (JDK-8208693), and would cut
     * an open-ended stream after that long. The send runs on a virtual thread of its own, interrupted
     * (which cancels it) when the wait is given up.
     */
    private HttpResponse<InputStream> watchHead(URI member, JsonNode body) throws IOException, InterruptedException {
        CompletableFuture<HttpResponse<InputStream>> head = new CompletableFuture<>();
        Thread call = Thread.ofVirtual().name("ballast-etcd-watch-start").start(() -> {
            try {
                head.complete(send(member, WATCH, body, HttpResponse.BodyHandlers.ofInputStream()));
            } catch (Throwable e) { // an Error too: the caller must not wait out the timeout for nothing
                head.completeExceptionally(e);
            }
        });
        try {
            return head.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | InterruptedException e) {
            call.interrupt();
            head.thenAccept(late -> closeQuietly(late.body())); // a head that comes after all opens no stream
            if (e instanceof InterruptedException interrupted) {
                throw interrupted;
            }
            throw new HttpTimeoutException("no answer within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            switch (e.getCause()) {
                case IOException io -> throw io;
                case InterruptedException interrupted -> throw new IOException("interrupted", interrupted);
                case RuntimeException runtime -> throw runtime;
                case Error error -> throw error;
                default -> throw new IOException(describe(e.getCause()), e.getCause());
            }
        }
    }

    private static void closeQuietly(InputStream stream) {
        try {
            stream.close();
        } catch (IOException ignored) {
            // nothing was read from it
        }
    }

    /** The messages of a watch stream, each a JSON object, as they come. */
    static MappingIterator<JsonNode> messages(InputStream watch) throws IOException {
        return JSON.readerFor(JsonNode.class).readValues(watch);
    }

    /**
     * One call to {@code member}, logged in first if need be; a call refused for its token (expired, or
     * given by a member since restarted) is made once more after a new login.
     */
    private <T> HttpResponse<T> send(URI member, String path, JsonNode body, HttpResponse.BodyHandler<T> answer)
            throws IOException, InterruptedException {
        String token = token(member);
        HttpResponse<T> response = http().send(request(member, path, body, token), answer);
        if (response.statusCode() == 401 && login != null) {
            if (response.body() instanceof InputStream stream) {
                stream.close();
            }
            tokens.remove(member, token);
            response = http().send(request(member, path, body, token(member)), answer);
        }
        return response;
    }

    /**
     * The HTTP client to call with: made at the first call, and again when a TLS file has changed on disk
     * since (a certificate renewed in place), so that the next connection presents and trusts what the
     * files hold now. The client made before is only dropped, not shut down: calls under way, and a watch
     * stream, finish on it, and a call that took it a moment before the change still goes through.
     * Files that changed but cannot be used are logged once, and calls go on with the client made
     * before, until they change again; with no client made yet, the call fails, saying which file and
     * why, and the next call tries again.
     */
    private HttpClient http() throws IOException {
        Connector current = connector;
        if (current != null && (tls == null || current.tlsVersions().equals(tls.versions()))) {
            return current.http();
        }
        synchronized (this) {
            if (closed) {
                throw new IOException("the etcd client is closed");
            }
            current = connector;
            List<Object> versions = tls == null ? null : tls.versions();
            if (current != null && (tls == null || current.tlsVersions().equals(versions)
                    || versions.equals(unusableVersions))) {
                return current.http();
            }
            HttpClient.Builder builder = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(timeout);
            if (tls != null) {
                try {
                    builder.sslContext(tls.context());
                } catch (TlsFiles.Unreadable e) {
                    if (current == null) {
                        throw new IOException("tls." + e.getMessage(), e);
                    }
                    unusableVersions = versions;
                    log.warn("etcd: the TLS files changed but cannot be used (tls.{}); connections go on with the"
                            + " files read before, until they change again", e.getMessage());
                    return current.http();
                }
            }
            HttpClient http = builder.build();
            connector = new Connector(http, versions);
            unusableVersions = null;
            return http;
        }
    }

    private HttpRequest request(URI member, String path, JsonNode body, String token) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(member.resolve(path))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
            if (path.equals(WATCH)) {
                request.header("Grpc-Metadata-hasleader", "true"); // a member that loses its leader ends the watch
            } else {
                request.timeout(timeout); // a watch's is its head's wait (watchHead): the stream is open-ended
            }
            if (token != null && !token.isEmpty()) {
                request.header("Authorization", token);
            }
            return request.build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The token to call {@code member} with: null without credentials, empty where authentication is off. */
    private String token(URI member) throws IOException, InterruptedException {
        if (login == null) {
            return null;
        }
        String token = tokens.get(member);
        if (token == null) {
            token = logIn(member);
            tokens.put(member, token);
        }
        return token;
    }

    private String logIn(URI member) throws IOException, InterruptedException {
        String password;
        try {
            password = login.currentPassword(); // a password file is read at each login: it may have been rotated
        } catch (IOException e) {
            throw new IOException("etcd " + member + ": cannot log in as '" + login.username() + "': the password file "
                    + e.getMessage(), e);
        }
        ObjectNode body = JSON.createObjectNode().put("name", login.username()).put("password", password);
        HttpResponse<byte[]> response = http().send(request(member, "/v3/auth/authenticate", body, null),
                HttpResponse.BodyHandlers.ofByteArray());
        String text = new String(response.body(), StandardCharsets.UTF_8);
        JsonNode json;
        try {
            json = JSON.readTree(response.body());
        } catch (IOException notJson) {
            json = JSON.missingNode();
        }
        if (response.statusCode() == 200 && json.path("token").isTextual()) {
            return json.path("token").asText();
        }
        if (json.path("code").asInt(-1) == AUTH_NOT_ENABLED || text.contains("authentication is not enabled")) {
            return NO_TOKEN;
        }
        String why = json.path("message").isTextual() ? json.path("message").asText()
                : "answered " + response.statusCode() + (text.isBlank() ? "" : ": " + cut(text.strip()));
        throw new IOException("etcd " + member + ": cannot log in as '" + login.username() + "': " + why);
    }

    /**
     * Drops {@code member}'s token if {@code problem} says etcd refused it, so that the next call there
     * logs in again.
     */
    void forgetTokenIfRefused(URI member, String problem) {
        if (login != null && TOKEN_REFUSALS.stream().anyMatch(problem::contains)) {
            tokens.remove(member);
        }
    }

    /**
     * A call whose whole answer is read in memory, made on a virtual thread of its own; the future fails
     * with an IOException saying what went wrong. The call is synchronous ({@code send}): the JDK's
     * {@code sendAsync} hands its answer on through the common fork-join pool, which a caller may be
     * holding (its one worker, on two cores), and the answer would then never come.
     */
    private CompletableFuture<JsonNode> postAsync(URI member, String path, JsonNode body) {
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        Thread call = Thread.ofVirtual().name("ballast-etcd-call").start(() -> {
            try {
                HttpResponse<byte[]> response = send(member, path, body, HttpResponse.BodyHandlers.ofByteArray());
                String text = new String(response.body(), StandardCharsets.UTF_8);
                if (response.statusCode() != 200) {
                    throw failure(member, path, response.statusCode(), text);
                }
                JsonNode json = JSON.readTree(response.body());
                failIfError(json, member);
                answer.complete(json);
            } catch (IOException e) {
                String problem = describe(e) + certificateHint(member, e);
                answer.completeExceptionally(problem.startsWith("etcd ") ? e
                        : new IOException("etcd " + member + ": " + problem, e));
            } catch (InterruptedException e) {
                answer.completeExceptionally(new IOException("interrupted", e));
            } catch (RuntimeException e) {
                answer.completeExceptionally(new IOException("etcd " + member + path + ": " + describe(e), e));
            }
        });
        answer.whenComplete((json, problem) -> {
            if (problem instanceof CancellationException) {
                call.interrupt(); // given up on: stop waiting for the member
            }
        });
        return answer;
    }

    /** The result of {@code call}, waiting at most the timeout (the answer's body included). */
    private <T> T await(CompletableFuture<T> call) throws IOException, InterruptedException {
        try {
            return call.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            call.cancel(true);
            throw new IOException("no answer within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof CompletionException && e.getCause().getCause() != null
                    ? e.getCause().getCause() : e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            throw new IOException(describe(cause), cause);
        }
    }

    private IOException failure(URI member, String path, int status, String body) {
        String text = cut(body.strip());
        forgetTokenIfRefused(member, text);
        return new IOException("etcd " + member + path + " answered " + status + (text.isEmpty() ? "" : ": " + text)
                + loginHint(text));
    }

    private static String cut(String text) {
        return text.length() > 300 ? text.substring(0, 300) + "..." : text;
    }

    /**
     * What to do when etcd asked for a login and none was given: "user name is empty" says it obliquely.
     * Empty when there is nothing to add.
     */
    String loginHint(String answer) {
        return login == null && answer.contains("user name is empty")
                ? " (the cluster has authentication enabled: a user name and password are needed)"
                : "";
    }

    /** A failure in words: its message, or for the JDK's message-less ones what they mean. */
    static String describe(Throwable problem) {
        if (problem.getMessage() != null && problem.getMessage().startsWith("etcd ")) {
            return problem.getMessage(); // described already, with the member it is about
        }
        String tlsProblem = tlsProblem(problem);
        if (tlsProblem != null) {
            return tlsProblem;
        }
        if (problem.getMessage() != null) {
            return problem.getMessage();
        }
        return switch (problem) {
            case ConnectException unresolved when unresolvedHost(unresolved) -> "cannot resolve the host name";
            case ConnectException refused -> "connection refused";
            case HttpConnectTimeoutException slow -> "no connection within the timeout";
            case HttpTimeoutException slow -> "no answer within the timeout";
            default -> problem.getClass().getSimpleName();
        };
    }

    /**
     * Why an {@code https://} member may have closed a connection without a word, when no client
     * certificate is set: with TLS 1.3 a member that asks for one (etcd's {@code --client-cert-auth})
     * refuses a client without it only after the client's side of the handshake is done, and the JDK
     * then sees a connection closed before any answer. Empty when that cannot be the reason.
     */
    private String certificateHint(URI member, IOException problem) {
        boolean noCertificate = tls == null || tls.certFile() == null;
        return noCertificate && "https".equalsIgnoreCase(member.getScheme())
                && String.valueOf(problem.getMessage()).contains("received no bytes")
                ? " (a member that asks for a client certificate closes the connection so: a client certificate"
                  + " and its key are needed)"
                : "";
    }

    /**
     * A failed TLS handshake in the words of whoever sets the TLS files, or null when the failure is not
     * TLS's: the JDK's own words name its internals ("PKIX path building failed") or a bare alert.
     */
    private static String tlsProblem(Throwable problem) {
        for (Throwable cause = problem; cause != null; cause = cause.getCause()) {
            if (cause instanceof SSLException tls) {
                String message = String.valueOf(tls.getMessage());
                if (hasCause(tls, CertificateExpiredException.class)) {
                    return "TLS: the member's certificate has expired (" + message + ")";
                }
                if (hasCause(tls, CertificateNotYetValidException.class)) {
                    return "TLS: the member's certificate is not valid yet; is this host's clock right? (" + message + ")";
                }
                if (message.contains("PKIX path validation failed")) { // a path to a trusted authority, refused
                    return "TLS: the member's certificate was refused: " + message;
                }
                if (message.contains("PKIX path building failed")) {
                    return "TLS: the member's certificate is not signed by an authority trusted here (the CA file"
                            + " names the authorities to trust)";
                }
                if (message.contains("subject alternative") || message.contains("No name matching")) {
                    return "TLS: the member's certificate is not for the host of its URL: " + message;
                }
                if (message.contains("certificate_required")) {
                    return "TLS: the member asks for a client certificate (a client certificate and its key are"
                            + " needed)";
                }
                if (message.contains("bad_certificate") || message.contains("unknown_ca")
                        || message.contains("certificate_unknown")) {
                    return "TLS: the member refused the client certificate, or the lack of one (" + message
                            + "): it takes a client certificate and its key, signed by an authority it trusts";
                }
                if (message.contains("Unsupported or unrecognized SSL message")) {
                    return "TLS: the member does not speak TLS on its port (expected: an http:// URL for it)";
                }
                return "TLS: " + message;
            }
        }
        return null;
    }

    private static boolean hasCause(Throwable problem, Class<? extends Throwable> type) {
        for (Throwable cause = problem; cause != null; cause = cause.getCause()) {
            if (type.isInstance(cause)) {
                return true;
            }
        }
        return false;
    }

    /** Whether a failure to connect came from looking up the host name: HttpClient says only ConnectException. */
    private static boolean unresolvedHost(Throwable problem) {
        for (Throwable cause = problem.getCause(); cause != null; cause = cause.getCause()) {
            if (cause instanceof UnresolvedAddressException || cause instanceof UnknownHostException) {
                return true;
            }
        }
        return false;
    }

    /** An error the gateway reports in the body of a 200 (a stream's message) or of its answer. */
    static void failIfError(JsonNode message, URI member) throws IOException {
        if (message.has("error")) {
            JsonNode error = message.path("error");
            throw new IOException("etcd " + member + ": " + error.path("message").asText(error.toString()));
        }
    }

    static long revision(JsonNode header, URI member) throws IOException {
        JsonNode revision = header.path("revision");
        if (revision.isMissingNode()) {
            throw new IOException("etcd " + member + ": an answer without a revision: " + header);
        }
        return revision.asLong();
    }

    /** A base64 value of the gateway's JSON; absent is empty (as the gateway omits empty bytes). */
    static EtcdValue value(JsonNode base64) {
        return new EtcdValue(base64.isMissingNode() || base64.isNull() ? new byte[0]
                : Base64.getDecoder().decode(base64.asText()));
    }

    /** A base64 field of the gateway's JSON (a key) as text; absent is empty (as the gateway omits empty bytes). */
    static String text(JsonNode base64) {
        return base64.isMissingNode() || base64.isNull() ? ""
                : new String(Base64.getDecoder().decode(base64.asText()), StandardCharsets.UTF_8);
    }

    private static String base64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }

    private static String base64(String text) {
        return base64(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The end of the key range that holds exactly the keys starting with {@code prefix}: the prefix with
     * its last byte below 0xff raised by one and the bytes after it dropped, as etcd's own clients do.
     */
    static byte[] prefixEnd(String prefix) {
        byte[] end = prefix.getBytes(StandardCharsets.UTF_8);
        for (int i = end.length - 1; i >= 0; i--) {
            if (end[i] != (byte) 0xff) {
                end[i]++;
                return Arrays.copyOf(end, i + 1);
            }
        }
        return new byte[] {0}; // every byte 0xff: to the end of the key space
    }

    @Override
    public void close() {
        Connector last;
        synchronized (this) {
            closed = true;
            last = connector;
            connector = null;
        }
        if (last != null) {
            last.http().shutdownNow();
        }
    }
}
