package dev.ballast.proxy.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

class AccessLogConfigTest {

    private static final String REST = """
            listeners: [{ name: public, address: 127.0.0.1:8080 }]
            upstreams: { api: { endpoints: [127.0.0.1:9001] } }
            routes: [{ upstream: api }]
            """;

    private static ConfigResult parse(String accessLog) {
        return ConfigLoader.parse(REST + accessLog, "ballast.yaml", name -> null);
    }

    @Test
    void isOffWithoutTheSection() {
        assertThat(parse("").config().accessLog()).isEqualTo(AccessLogConfig.off());
        assertThat(AccessLogConfig.off().enabled()).isFalse();
    }

    @Test
    void readsEveryKey() {
        AccessLogConfig log = parse("access_log: { enabled: true, path: /var/log/ballast.log, sample: 0.25 }\n")
                .config().accessLog();

        assertThat(log).isEqualTo(new AccessLogConfig(true, "/var/log/ballast.log", 0.25));
        assertThat(log.toStdout()).isFalse();
    }

    @Test
    void theSectionAloneTurnsItOnToStdoutForEveryRequest() {
        AccessLogConfig log = parse("access_log: {}\n").config().accessLog();

        assertThat(log).isEqualTo(new AccessLogConfig(true, "stdout", 1.0));
        assertThat(log.toStdout()).isTrue();
    }

    @Test
    void enabledFalseKeepsItOff() {
        assertThat(parse("access_log: { enabled: false, path: stdout }\n").config().accessLog().enabled()).isFalse();
    }

    @Test
    void sampleMayBeAPercentage() {
        assertThat(parse("access_log: { sample: 10% }\n").config().accessLog().sample()).isEqualTo(0.1);
        assertThat(parse("access_log: { sample: 0 }\n").config().accessLog().sample()).isZero();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "access_log: { sample: 1.5 }        | access_log.sample: 1.5 out of range (expected: a share of requests from 0 to 1, like 0.1, or a percentage like 10%) (line 4)",
            "access_log: { sample: often }      | access_log.sample: 'often' is not a share of requests (expected: a share of requests from 0 to 1, like 0.1, or a percentage like 10%) (line 4)",
            "access_log: { enabled: yes }       | access_log.enabled: 'yes' is not a boolean (expected: true or false) (line 4)",
            "access_log: { pth: stdout }        | access_log.pth: unknown key; did you mean 'path'? (line 4)",
            "access_log: { path: '' }           | access_log.path: empty (expected: stdout or a file path) (line 4)",
            "acces_log: { path: stdout }        | acces_log: unknown key; did you mean 'access_log'? (line 4)"})
    void reportsMistakesWithPathAndLine(String yaml, String error) {
        ConfigResult result = parse(yaml + "\n");

        assertThat(result.ok()).isFalse();
        assertThat(result.errors()).extracting(ConfigProblem::format).containsExactly(error);
    }
}
