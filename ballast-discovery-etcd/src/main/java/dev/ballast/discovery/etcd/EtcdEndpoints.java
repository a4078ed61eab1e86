package dev.ballast.discovery.etcd;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.ballast.core.config.HostPort;
import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.endpoint.WatchTarget;
import dev.ballast.core.internal.Printable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.nio.charset.CharacterCodingException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.function.Consumer;

/**
 * Endpoints that services register in etcd, one key each under a prefix, followed as they come and go
 * ({@link #watch}): what {@link EtcdEndpointSource} hands the proxy's {@code discovery} and
 * {@code BallastClient.discover}. A value is {@code host:port}, or a
 * JSON object with the fields of a configured endpoint: {@code address} (required), {@code weight},
 * {@code zone} and {@code metadata}. {@code Addr} is read as {@code address}, so services registered by
 * etcd's own Go naming package ({@code {"Op":0,"Addr":"10.0.0.7:8080"}}) are endpoints as they are.
 * Each endpoint carries the label {@link #KEY_LABEL} naming its key.
 *
 * <p>A value that is not an endpoint is left out and logged, once while it stays the same: one bad
 * registration must not take the others out. An address under two keys is one endpoint, the first key's.
 * Called on the watch's thread, one call at a time.
 */
public final class EtcdEndpoints {

    private static final Logger log = LoggerFactory.getLogger(EtcdEndpoints.class);
    /** Strict: a second object or trailing text after the value, or a field given twice, is not an endpoint. */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    /** The metadata label naming the etcd key an endpoint was read from. */
    public static final String KEY_LABEL = "etcd_key";
    private static final Set<String> FIELDS = Set.of("address", "Addr", "weight", "zone", "metadata", "Op",
            "Metadata");
    private static final String EXPECTED = "host:port, or {\"address\": \"host:port\", \"weight\": 1..10000,"
            + " \"zone\": ..., \"metadata\": {...}}";

    private final String owner;
    /** Key to value, of the values already logged as refused: each is logged once while it stays. */
    private Map<String, EtcdValue> refused = new HashMap<>();

    EtcdEndpoints(String owner) {
        this.owner = owner;
    }

    /**
     * A watch, not yet started, of the endpoints under the target's prefix: {@code endpoints} is told the
     * whole list after each change, on the watch's thread, one call at a time. While etcd cannot be
     * reached it hears nothing, so the list it had stays in use.
     *
     * @param target who watches (the log calls it by its owner, e.g. {@code upstream api}), the cluster,
     *               the timeout that bounds every read of a member, the prefix, and the login if any
     */
    public static EtcdWatch watch(WatchTarget target, Consumer<List<Endpoint>> endpoints) {
        EtcdEndpoints reader = new EtcdEndpoints(target.owner());
        return EtcdWatch.ofPrefix(target, values -> endpoints.accept(List.copyOf(reader.read(values))));
    }

    /** The endpoints that {@code values} (key to value, in key order) describe. */
    List<Endpoint> read(SortedMap<String, EtcdValue> values) {
        Map<String, EtcdValue> stillRefused = new HashMap<>();
        Map<String, Endpoint> byAddress = new LinkedHashMap<>();
        Map<String, String> keyOf = new HashMap<>();
        values.forEach((key, value) -> {
            Endpoint endpoint;
            try {
                endpoint = parse(key, text(value));
            } catch (IllegalArgumentException e) {
                stillRefused.put(key, value);
                if (!value.equals(refused.get(key))) {
                    // Escaped and cut short: a registering service wrote it, and must not forge or flood log lines.
                    log.warn("{}: etcd key {}: left out: {}", owner, Printable.detail(key),
                            Printable.detail(e.getMessage()));
                }
                return;
            }
            String address = endpoint.address().toLowerCase(Locale.ROOT); // host names are case-insensitive
            String first = keyOf.putIfAbsent(address, key);
            if (first != null) {
                stillRefused.put(key, value);
                if (!value.equals(refused.get(key))) {
                    log.warn("{}: etcd key {}: left out: {} is also under {}", owner, Printable.detail(key),
                            endpoint.address(), Printable.detail(first));
                }
                return;
            }
            byAddress.put(address, endpoint);
        });
        refused = stillRefused;
        return new ArrayList<>(byAddress.values());
    }

    private static String text(EtcdValue value) {
        try {
            return value.utf8();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("not UTF-8 text (expected: " + EXPECTED + ")");
        }
    }

    /** The endpoint one key's value describes; its problem, in words, if it describes none. */
    static Endpoint parse(String key, String value) {
        String text = value.strip();
        if (text.isEmpty()) {
            throw new IllegalArgumentException("an empty value (expected: " + EXPECTED + ")");
        }
        Map<String, String> label = Map.of(KEY_LABEL, key);
        if (!text.startsWith("{")) {
            HostPort address = HostPort.parse(text, 1);
            return new Endpoint(address.host(), address.port(), Endpoint.DEFAULT_WEIGHT, "", label);
        }
        JsonNode object;
        try {
            object = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage() + " (expected: " + EXPECTED + ")");
        }
        JsonNode addressField = object.has("address") ? object.get("address") : object.get("Addr");
        if (addressField == null || !addressField.isTextual()) {
            throw new IllegalArgumentException("no \"address\" text (expected: " + EXPECTED + ")");
        }
        HostPort address = HostPort.parse(addressField.asText().strip(), 1);
        int weight = Endpoint.DEFAULT_WEIGHT;
        JsonNode weightField = object.get("weight");
        if (weightField != null) {
            if (!weightField.canConvertToInt() || !weightField.isIntegralNumber()
                    || weightField.asInt() < Endpoint.MIN_WEIGHT || weightField.asInt() > Endpoint.MAX_WEIGHT) {
                throw new IllegalArgumentException("weight " + weightField + " (expected: a whole number "
                        + Endpoint.MIN_WEIGHT + ".." + Endpoint.MAX_WEIGHT + ")");
            }
            weight = weightField.asInt();
        }
        JsonNode zoneField = object.get("zone");
        if (zoneField != null && (!zoneField.isValueNode() || zoneField.isNull())) {
            throw new IllegalArgumentException("zone " + zoneField + " (expected: text)");
        }
        Map<String, String> metadata = new HashMap<>();
        JsonNode metadataField = object.get("metadata");
        if (metadataField != null) {
            if (!metadataField.isObject()) {
                throw new IllegalArgumentException("metadata " + metadataField + " (expected: an object of texts)");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = metadataField.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> entry = it.next();
                if (!entry.getValue().isValueNode() || entry.getValue().isNull()) {
                    throw new IllegalArgumentException("metadata." + entry.getKey() + " " + entry.getValue()
                            + " (expected: text)");
                }
                metadata.put(entry.getKey(), entry.getValue().asText());
            }
        }
        List<String> unknown = new ArrayList<>();
        object.fieldNames().forEachRemaining(name -> {
            if (!FIELDS.contains(name)) {
                unknown.add(name);
            }
        });
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unknown field(s) " + unknown + " (expected: " + EXPECTED + ")");
        }
        metadata.putAll(label);
        return new Endpoint(address.host(), address.port(), weight, zoneField == null ? "" : zoneField.asText().strip(),
                metadata);
    }
}
