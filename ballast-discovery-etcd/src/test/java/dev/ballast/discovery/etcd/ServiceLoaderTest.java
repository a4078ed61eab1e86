package dev.ballast.discovery.etcd;

import dev.ballast.core.config.ConfigStore;
import dev.ballast.core.endpoint.EndpointSource;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The module plugs into the proxy and the client through {@code ServiceLoader}, as system {@code etcd}. */
class ServiceLoaderTest {

    @Test
    void theModuleProvidesEtcdAsAnEndpointSourceAndAConfigStore() {
        assertThat(EndpointSource.find("etcd")).get().isInstanceOf(EtcdEndpointSource.class);
        assertThat(ConfigStore.find("etcd")).get().isInstanceOf(EtcdConfigStore.class);
    }

    @Test
    void aSystemNoModuleProvidesIsNotFound() {
        assertThat(EndpointSource.find("consul")).isEmpty();
        assertThat(ConfigStore.find("zookeeper")).isEmpty();
    }
}
