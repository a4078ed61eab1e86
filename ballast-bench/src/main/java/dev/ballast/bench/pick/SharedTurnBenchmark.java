package dev.ballast.bench.pick;

import dev.ballast.core.internal.PaddedTurn;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.util.concurrent.TimeUnit;

/**
 * What one turn shared by every thread costs on several cores: an atomic increment, and nothing else.
 * The round-robin balancers hand out turns in order across all threads at a proxy's rates (exact
 * shares and alternation, which users and tests rely on), so each pick moves that counter's cache line
 * to the picking core when another core picked last; with {@code -t 2} that is every pick. (Threads
 * that pick nonstop take their turns in blocks instead, one increment for 64: {@code BatchedTurn}.)
 * {@link #ownTurn} is the same increment on a counter per thread: what the line's crossing costs is
 * the difference between the two.
 *
 * <p>Run: {@code java -jar ballast-bench/target/benchmarks.jar SharedTurnBenchmark -t 2}; see docs/benchmarks.md.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 6, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Fork(2)
@State(Scope.Benchmark)
public class SharedTurnBenchmark {

    /** One turn for every thread, as the round-robin pickers keep it at a proxy's rates (alone on its cache lines). */
    @State(Scope.Benchmark)
    public static class Shared {
        final PaddedTurn turn = new PaddedTurn(0);
    }

    /** A turn per thread: the same instruction with no line to share. */
    @State(Scope.Thread)
    public static class Own {
        final PaddedTurn turn = new PaddedTurn(0);
    }

    /** Work between two increments, in JMH's CPU tokens: a pick does some besides taking its turn. */
    @Param({"0", "30"})
    public int work;

    @Benchmark
    public int sharedTurn(Shared shared) {
        Blackhole.consumeCPU(work);
        return shared.turn.next();
    }

    @Benchmark
    public int ownTurn(Own own) {
        Blackhole.consumeCPU(work);
        return own.turn.next();
    }
}
