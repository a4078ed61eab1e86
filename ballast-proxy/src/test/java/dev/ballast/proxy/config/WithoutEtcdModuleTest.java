package dev.ballast.proxy.config;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A proxy embedded without {@code ballast-discovery-etcd}: the configuration reader runs in a class
 * loader made of this test's class path minus the etcd module, so the SPI finds no etcd.
 */
class WithoutEtcdModuleTest {

    /** This test's class path without the etcd module, apart from the JDK's. */
    private static URLClassLoader withoutEtcd() throws Exception {
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!entry.contains("ballast-discovery-etcd")) {
                urls.add(Path.of(entry).toUri().toURL());
            }
        }
        return new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
    }

    @Test
    void etcdDiscoveryIsRefusedWithAMessageNamingTheMissingModule() throws Exception {
        ClassLoader previous = Thread.currentThread().getContextClassLoader();
        try (URLClassLoader withoutEtcd = withoutEtcd()) {
            assertThatThrownBy(() -> withoutEtcd.loadClass("dev.ballast.discovery.etcd.EtcdEndpointSource"))
                    .as("the module is left out").isInstanceOf(ClassNotFoundException.class);
            Thread.currentThread().setContextClassLoader(withoutEtcd);
            Object result = withoutEtcd.loadClass(ConfigLoader.class.getName())
                    .getMethod("parse", String.class, String.class)
                    .invoke(null, """
                            listeners: [{ name: public, address: 127.0.0.1:8080 }]
                            etcd: { endpoints: [http://127.0.0.1:2379] }
                            upstreams:
                              api:
                                discovery: { etcd: { prefix: /services/api/ } }
                            routes:
                              - match: { path_prefix: / }
                                upstream: api
                            """, "test.yaml");
            Object errors = result.getClass().getMethod("errors").invoke(result);
            assertThat(errors.toString()).contains("upstreams.api.discovery.etcd: etcd support (the"
                    + " ballast-discovery-etcd module) is not on the class path");
        } finally {
            Thread.currentThread().setContextClassLoader(previous);
        }
    }

    @Test
    void configFromEtcdIsAUsageErrorNamingTheMissingModule() throws Exception {
        ClassLoader previous = Thread.currentThread().getContextClassLoader();
        try (URLClassLoader withoutEtcd = withoutEtcd()) {
            Thread.currentThread().setContextClassLoader(withoutEtcd);
            Method commandLine = withoutEtcd.loadClass("dev.ballast.proxy.Main").getDeclaredMethod("commandLine");
            commandLine.setAccessible(true);
            Object cli = commandLine.invoke(null);
            StringWriter err = new StringWriter();
            cli.getClass().getMethod("setErr", PrintWriter.class).invoke(cli, new PrintWriter(err, true));
            Object code = cli.getClass().getMethod("execute", String[].class).invoke(cli, (Object) new String[] {
                    "validate", "--config-etcd", "http://127.0.0.1:2379", "--config-key", "/ballast/proxy.yaml"});
            assertThat(code).isEqualTo(2);
            assertThat(err.toString()).contains("--config-etcd: etcd support (the ballast-discovery-etcd module) is"
                    + " not on the class path");
        } finally {
            Thread.currentThread().setContextClassLoader(previous);
        }
    }
}
