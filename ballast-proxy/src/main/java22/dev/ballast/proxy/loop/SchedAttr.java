package dev.ballast.proxy.loop;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * Linux's {@code sched_getattr}/{@code sched_setattr} on the calling thread, through the foreign
 * function API (final in Java 22, which is why this class sits in a source root of its own and is only
 * ever loaded by {@link KernelSlice} on Java 22 or later). glibc before 2.41 has no wrapper for either
 * call, so they go through {@code syscall(2)}.
 */
final class SchedAttr {

    /** {@code struct sched_attr} as of Linux 4.13 ({@code SCHED_ATTR_SIZE_VER1}). */
    private static final int SIZE = 56;
    private static final long POLICY = 4;
    private static final long FLAGS = 8;
    private static final long NICE = 16;
    private static final long PRIORITY = 20;
    private static final long RUNTIME = 24;
    private static final int SCHED_OTHER = 0;
    private static final int SCHED_BATCH = 3;
    /** Threads the caller starts get the kernel's defaults back, not its slice. */
    private static final long SCHED_FLAG_RESET_ON_FORK = 0x01;

    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    /** {@code long syscall(long number, ...)} with four arguments after the number. */
    private static final MethodHandle SYSCALL = syscall();

    private SchedAttr() {
    }

    /**
     * Asks the kernel for a slice of {@code nanos} on the calling thread, keeping its policy and nice
     * value, and reads it back. Threads the caller starts later do not inherit the slice.
     *
     * @return null when the kernel now keeps that slice for the thread, otherwise why not
     */
    static String requestSlice(long nanos) {
        int[] numbers = syscallNumbers(System.getProperty("os.arch"));
        if (numbers == null) {
            return "no sched_setattr number known for " + System.getProperty("os.arch");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(SIZE, 8);
            MemorySegment state = arena.allocate(CALL_STATE);
            String failed = call(state, numbers[1], attr, SIZE, "sched_getattr");
            if (failed != null) {
                return failed;
            }
            int policy = attr.get(ValueLayout.JAVA_INT, POLICY);
            if (policy != SCHED_OTHER && policy != SCHED_BATCH) {
                return "the thread runs under scheduling policy " + policy + ", not the fair scheduler";
            }
            int nice = attr.get(ValueLayout.JAVA_INT, NICE);
            attr.fill((byte) 0);
            attr.set(ValueLayout.JAVA_INT, 0, SIZE);
            attr.set(ValueLayout.JAVA_INT, POLICY, policy);
            attr.set(ValueLayout.JAVA_LONG, FLAGS, SCHED_FLAG_RESET_ON_FORK);
            attr.set(ValueLayout.JAVA_INT, NICE, nice);
            attr.set(ValueLayout.JAVA_INT, PRIORITY, 0);
            attr.set(ValueLayout.JAVA_LONG, RUNTIME, nanos);
            failed = call(state, numbers[0], attr, 0, "sched_setattr");
            if (failed != null) {
                return failed;
            }
            failed = call(state, numbers[1], attr, SIZE, "sched_getattr");
            if (failed != null) {
                return failed;
            }
            long kept = attr.get(ValueLayout.JAVA_LONG, RUNTIME);
            if (kept == 0) {
                return "this kernel keeps no slice per thread (Linux 6.12 or later does)";
            }
            return kept == nanos ? null : "the kernel keeps a slice of " + kept / 1000 + "us instead";
        } catch (Throwable e) { // the slice is a bonus: whatever the call throws, the loop runs on without it
            return "sched_setattr failed: " + e;
        }
    }

    /** {@code sched_getattr(0, attr, size, 0)} or {@code sched_setattr(0, attr, 0)}: null, or why it failed. */
    private static String call(MemorySegment state, int number, MemorySegment attr, int size, String name)
            throws Throwable {
        long result = (long) SYSCALL.invokeExact(state, (long) number, 0L, attr, (long) size, 0L);
        if (result == 0) {
            return null;
        }
        int errno = (int) ERRNO.get(state, 0L);
        return name + " failed: " + errnoName(errno);
    }

    /** {@code {sched_setattr, sched_getattr}} for the architectures the JDK's Linux ports run on. */
    private static int[] syscallNumbers(String arch) {
        return switch (arch) {
            case "amd64", "x86_64" -> new int[] {314, 315};
            case "aarch64", "riscv64" -> new int[] {274, 275};
            default -> null;
        };
    }

    private static String errnoName(int errno) {
        return switch (errno) {
            case 1 -> "EPERM (not permitted)";
            case 7 -> "E2BIG";
            case 22 -> "EINVAL (not taken by this kernel)";
            case 38 -> "ENOSYS (no such system call)";
            default -> "errno " + errno;
        };
    }

    private static MethodHandle syscall() {
        Linker linker = Linker.nativeLinker();
        MemorySegment symbol = linker.defaultLookup().find("syscall")
                .orElseThrow(() -> new UnsatisfiedLinkError("syscall"));
        // Every argument after the number as a long: glibc's syscall reads each one as a long.
        FunctionDescriptor descriptor = FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG);
        return linker.downcallHandle(symbol, descriptor, Linker.Option.firstVariadicArg(1),
                Linker.Option.captureCallState("errno"));
    }
}
