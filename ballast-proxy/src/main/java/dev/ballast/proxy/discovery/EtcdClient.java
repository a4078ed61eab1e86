package dev.ballast.proxy.discovery;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What Ballast asks of an etcd cluster, over etcd's JSON gateway to its v3 API (served by every etcd
 * 3.4+ member on its client URL): read every key under a prefix, and watch the prefix from a revision
 * on. Keys and values are bytes in etcd and base64 in the gateway's JSON; here they are UTF-8 text.
 *
 * <p>Blocking calls, for a thread of their own (a virtual thread): never call them on an event loop or
 * the control thread.
 */
final class EtcdClient implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http;
    private final Duration timeout;

    EtcdClient(Duration timeout) {
        this.timeout = timeout;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(timeout)
                .build();
    }

    /** Every key under a prefix, and the revision of the cluster they were read at. */
    record Range(long revision, SortedMap<String, String> values) {
    }

    /** Reads every key under {@code prefix} from {@code member}. */
    Range range(URI member, String prefix) throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode()
                .put("key", base64(prefix))
                .put("range_end", base64(prefixEnd(prefix)));
        HttpResponse<InputStream> response = post(member, "/v3/kv/range", body, true);
        JsonNode answer;
        try (InputStream in = response.body()) {
            answer = JSON.readTree(in);
        }
        failIfError(answer, member);
        SortedMap<String, String> values = new TreeMap<>();
        for (JsonNode kv : answer.path("kvs")) {
            values.put(text(kv.path("key")), text(kv.path("value")));
        }
        return new Range(revision(answer.path("header"), member), values);
    }

    /**
     * Asks {@code member} for its status: an answer within the timeout says the member is there and
     * reachable, which a watch stream that is only quiet cannot tell from one that is dead.
     */
    void ping(URI member) throws IOException, InterruptedException {
        HttpResponse<InputStream> response = post(member, "/v3/maintenance/status", JSON.createObjectNode(), true);
        JsonNode answer;
        try (InputStream in = response.body()) {
            answer = JSON.readTree(in);
        }
        failIfError(answer, member);
    }

    /**
     * Starts watching {@code prefix} from {@code fromRevision} on; the stream's messages are read with
     * {@link #messages}. Closing the stream ends the watch.
     */
    InputStream watch(URI member, String prefix, long fromRevision) throws IOException, InterruptedException {
        ObjectNode create = JSON.createObjectNode()
                .put("key", base64(prefix))
                .put("range_end", base64(prefixEnd(prefix)))
                .put("start_revision", fromRevision);
        ObjectNode body = JSON.createObjectNode();
        body.set("create_request", create);
        return post(member, "/v3/watch", body, false).body();
    }

    /** The messages of a watch stream, each a JSON object, as they come. */
    static MappingIterator<JsonNode> messages(InputStream watch) throws IOException {
        return JSON.readerFor(JsonNode.class).readValues(watch);
    }

    private HttpResponse<InputStream> post(URI member, String path, JsonNode body, boolean whole)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(member.resolve(path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
        if (whole) {
            request.timeout(timeout); // a watch is open-ended; its connect is bounded by the client's timeout
        }
        HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200) {
            String text;
            try (InputStream in = response.body()) {
                text = new String(in.readNBytes(512), StandardCharsets.UTF_8).strip();
            }
            throw new IOException("etcd " + member + path + " answered " + response.statusCode()
                    + (text.isEmpty() ? "" : ": " + text));
        }
        return response;
    }

    /** An error the gateway reports in the body of a 200 (a stream's message) or of its answer. */
    static void failIfError(JsonNode message, URI member) throws IOException {
        JsonNode error = message.has("error") ? message.path("error") : null;
        if (error != null) {
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

    /** A base64 field of the gateway's JSON as text; absent is empty (as the gateway omits empty bytes). */
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
        http.shutdownNow();
    }
}
