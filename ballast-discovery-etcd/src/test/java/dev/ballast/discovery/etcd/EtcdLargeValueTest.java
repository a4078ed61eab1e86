package dev.ballast.discovery.etcd;

import com.sun.net.httpserver.HttpServer;
import dev.ballast.core.endpoint.WatchTarget;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A value larger than a JSON parser takes by default, which only a member with a raised
 * {@code --max-request-bytes} holds: a stand-in for etcd's JSON gateway on loopback.
 */
class EtcdLargeValueTest {

    @Test
    void aValueLongerThanJacksonsDefaultStringCapIsReadWhole() throws Exception {
        byte[] value = new byte[16 * 1024 * 1024]; // 21.8 million characters in base64
        value[value.length - 1] = 'z';
        String key = "/ballast/config";
        byte[] answer = ("{\"header\":{\"revision\":\"7\"},\"kvs\":[{\"key\":\""
                + Base64.getEncoder().encodeToString(key.getBytes(StandardCharsets.UTF_8)) + "\",\"value\":\""
                + Base64.getEncoder().encodeToString(value) + "\",\"mod_revision\":\"7\"}],\"count\":\"1\"}")
                .getBytes(StandardCharsets.UTF_8);
        HttpServer member = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        member.createContext("/v3/kv/range", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, answer.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(answer);
            }
        });
        member.start();
        try {
            URI url = URI.create("http://127.0.0.1:" + member.getAddress().getPort());
            Optional<EtcdValue> read = EtcdWatch.read(new WatchTarget("config", List.of(url), 10_000, key));

            assertThat(read).isPresent();
            assertThat(read.get().bytes()).hasSize(value.length).endsWith('z');
        } finally {
            member.stop(0);
        }
    }
}
