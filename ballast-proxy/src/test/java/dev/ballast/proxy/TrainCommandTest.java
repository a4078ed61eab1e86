package dev.ballast.proxy;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code ballast train}: the proxy in this JVM, the demo backends and the clients in a second one
 * started from the same class path, all on 127.0.0.1; it reports what went through and exits.
 */
class TrainCommandTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int train(String... args) {
        return new CommandLine(new TrainCommand()).setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true)).execute(args);
    }

    @Test
    void trainSendsTheWorkloadThroughTheProxyFromASecondJvmAndSaysHowMuch() {
        assertThat(train("--seconds", "1")).as("output: %s %s", out, err).isZero();

        assertThat(out.toString()).containsPattern("ballast train: [1-9][0-9]* requests through the proxy in [0-9]+ ms,"
                + " 0 failed");
    }

    @Test
    void aDurationOutOfRangeIsRefusedNamingTheOption() {
        assertThat(train("--seconds", "0")).isEqualTo(2);
        assertThat(err.toString()).contains("--seconds: 0 out of range (expected: 1..300)");
    }
}
