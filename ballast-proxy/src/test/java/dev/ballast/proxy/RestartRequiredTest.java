package dev.ballast.proxy;

import dev.ballast.core.config.HostPort;
import dev.ballast.core.pick.Policies;
import dev.ballast.proxy.config.AdminConfig;
import dev.ballast.proxy.config.ListenerConfig;
import dev.ballast.proxy.config.ProxyConfig;
import dev.ballast.proxy.testing.TestConfigs;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class RestartRequiredTest {

    private static ProxyConfig at(String listener, String admin, int eventLoops) {
        ProxyConfig base = TestConfigs.proxy(TestConfigs.upstream("api", Policies.ROUND_ROBIN, List.of()));
        return new ProxyConfig(List.of(new ListenerConfig("public", HostPort.parse(listener))),
                new AdminConfig(HostPort.parse(admin), null), base.upstreams(), base.routes(), base.limits(),
                base.drainTimeoutMillis(), base.accessLog(), base.transport(), eventLoops);
    }

    @Test
    void theSameSettingsSpelledAnotherWayNeedNoRestart() {
        int cores = Runtime.getRuntime().availableProcessors();

        assertThat(RestartRequired.notes(at("[::1]:8080", "localhost:9901", ProxyConfig.AUTO),
                at("[0:0:0:0:0:0:0:1]:8080", "LOCALHOST:9901", cores)))
                .as("auto is one loop per core; one address, one name, spelled two ways").isEmpty();
    }

    @Test
    void aChangedAddressOrLoopCountStillSaysRestartToApply() {
        int cores = Runtime.getRuntime().availableProcessors();

        assertThat(RestartRequired.notes(at("127.0.0.1:8080", "127.0.0.1:9901", ProxyConfig.AUTO),
                at("127.0.0.2:8080", "127.0.0.1:9902", cores + 1)))
                .containsExactly("listeners changed: restart to apply", "admin changed: restart to apply",
                        "event_loops changed: restart to apply");
    }
}
