package dev.ballast.proxy.admin;

import dev.ballast.core.resilience.RetryPolicy;
import dev.ballast.proxy.config.HashKey;
import dev.ballast.proxy.config.ProxyConfig;
import dev.ballast.proxy.config.TrustedProxies;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationConfig;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.BeanPropertyWriter;
import com.fasterxml.jackson.databind.ser.BeanSerializerModifier;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The admin API's JSON: snake_case names, so {@code GET /config} reads like the YAML it came from;
 * durations as {@code 250ms}/{@code 30s}; instants in ISO 8601; any property that names a secret
 * ({@code token}, {@code password}, {@code secret}) written as {@value #REDACTED}. Config records are
 * serialized from their components, so a key added to the config shows up without changes here.
 */
final class AdminJson {

    static final String REDACTED = "<redacted>";

    private static final ObjectMapper MAPPER = create();

    private AdminJson() {
    }

    static byte[] bytes(Object value) {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code value} as {@link #bytes} writes it, compact and with every map's entries in key order. */
    static byte[] canonicalBytes(Object value) {
        try {
            return MAPPER.writer().with(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS).writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code 250ms}, {@code 30s}, {@code 2m}: the most readable exact unit. */
    static String duration(Duration duration) {
        long millis = duration.toMillis();
        if (millis != 0 && millis % 60_000 == 0) {
            return millis / 60_000 + "m";
        }
        if (millis != 0 && millis % 1_000 == 0) {
            return millis / 1_000 + "s";
        }
        return millis + "ms";
    }

    private static ObjectMapper create() {
        SimpleModule module = new SimpleModule("ballast-admin");
        module.addSerializer(Pattern.class, ToStringSerializer.instance);
        module.addSerializer(Instant.class, ToStringSerializer.instance);
        module.addSerializer(Path.class, ToStringSerializer.instance); // as the file spells it, not as a file: URI
        module.addSerializer(HashKey.class, ToStringSerializer.instance); // as the file spells it: cookie:session
        module.addSerializer(TrustedProxies.class, new JsonSerializer<>() {
            @Override
            public void serialize(TrustedProxies value, JsonGenerator json, SerializerProvider provider)
                    throws IOException {
                provider.defaultSerializeValue(value.ranges(), json); // as the file lists them
            }
        });
        module.addSerializer(RetryPolicy.Condition.class, new JsonSerializer<>() {
            @Override
            public void serialize(RetryPolicy.Condition value, JsonGenerator json, SerializerProvider provider)
                    throws IOException {
                json.writeString(value.configName()); // as retry_on spells it, not the Java name
            }
        });
        module.addSerializer(Duration.class, new JsonSerializer<>() {
            @Override
            public void serialize(Duration value, JsonGenerator json, SerializerProvider provider) throws IOException {
                json.writeString(duration(value));
            }
        });
        module.setSerializerModifier(new BeanSerializerModifier() {
            @Override
            public List<BeanPropertyWriter> changeProperties(SerializationConfig config, BeanDescription bean,
                                                             List<BeanPropertyWriter> properties) {
                for (BeanPropertyWriter property : properties) {
                    if (bean.getBeanClass() == ProxyConfig.class && property.getName().equals("event_loops")) {
                        property.assignSerializer(new JsonSerializer<>() {
                            @Override
                            public void serialize(Object value, JsonGenerator json, SerializerProvider provider)
                                    throws IOException {
                                if ((Integer) value == ProxyConfig.AUTO) {
                                    json.writeString("auto"); // as the file spells it: one per core
                                } else {
                                    json.writeNumber((Integer) value);
                                }
                            }
                        });
                    }
                    if (isSecret(property.getName())) {
                        property.assignSerializer(new JsonSerializer<>() {
                            @Override
                            public void serialize(Object value, JsonGenerator json, SerializerProvider provider)
                                    throws IOException {
                                json.writeString(REDACTED);
                            }
                        });
                    }
                }
                return properties;
            }

            @Override
            public JsonSerializer<?> modifySerializer(SerializationConfig config, BeanDescription bean,
                                                      JsonSerializer<?> serializer) {
                // A value class without properties (a parsed status range, say) reads best as its text.
                boolean noProperties = bean.findProperties().isEmpty() && !bean.getBeanClass().isRecord()
                        && !bean.getBeanClass().isEnum() && bean.getBeanClass().getName().startsWith("dev.ballast.");
                return noProperties ? ToStringSerializer.instance : serializer;
            }
        });
        return new ObjectMapper()
                .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                .registerModule(module);
    }

    /** Named like a secret, but not a path to one ({@code password_file}): where it is mounted is no secret. */
    private static boolean isSecret(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return !lower.endsWith("file")
                && (lower.contains("token") || lower.contains("password") || lower.contains("secret"));
    }
}
