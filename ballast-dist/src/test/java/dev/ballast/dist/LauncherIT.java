package dev.ballast.dist;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code bin/ballast} as a user runs it, on the jar this build packaged: how it finds a JDK, which JVM
 * options it passes, and the exit codes of its commands. Run by failsafe after {@code package}, so the
 * jar is newer than every source and the launcher does not build.
 */
class LauncherIT {

    private static final Path HOME = Path.of(System.getProperty("ballast.home", "..")).toAbsolutePath().normalize();
    private static final Path LAUNCHER = HOME.resolve("bin/ballast");

    @Test
    void versionRunsThePackagedJar() throws Exception {
        Run run = launch(Map.of(), "version");

        assertThat(run.exit).isZero();
        assertThat(run.output).contains("ballast ").doesNotContain("building");
    }

    @Test
    void extraJavaOptionsAreAddedAfterTheDefaultsAndWinOverThem() throws Exception {
        Run run = launch(Map.of("BALLAST_JAVA_OPTS_EXTRA", "-XX:+PrintCommandLineFlags -Xmx256m"), "version");

        assertThat(run.exit).isZero();
        assertThat(run.output)
                .contains("-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError", "-XX:NewSize=67108864") // kept
                .contains("-XX:MaxHeapSize=268435456"); // 256 MiB, not the default 192
    }

    @Test
    void javaOptionsReplaceTheDefaults() throws Exception {
        Run run = launch(Map.of("BALLAST_JAVA_OPTS", "-XX:+PrintCommandLineFlags"), "version");

        assertThat(run.exit).isZero();
        assertThat(run.output).contains("-XX:+PrintCommandLineFlags").doesNotContain("-XX:+ExitOnOutOfMemoryError");
    }

    @Test
    void aJavaHomeOlderThan21IsPassedOverForAnotherJdk(@TempDir Path dir) throws Exception {
        Path old = dir.resolve("jdk-17");
        fakeJdk(old, "17.0.9");
        // The launcher looks at JAVA_HOME, then /usr/lib/jvm, then the javac on PATH: this JVM's JDK is
        // on PATH, so there is always one to find.
        String path = Path.of(System.getProperty("java.home"), "bin") + ":" + System.getenv("PATH");

        Run run = launch(Map.of("JAVA_HOME", old.toString(), "PATH", path), "version");

        assertThat(run.exit).isZero();
        assertThat(run.output).contains("ballast ").doesNotContain("17.0.9");
    }

    @Test
    void aJavaToolOptionsVariableDoesNotHideTheJdk() throws Exception {
        // The JVM then says "Picked up JAVA_TOOL_OPTIONS: ..." before its version line.
        Run run = launch(Map.of("JAVA_TOOL_OPTIONS", "-Dballast.launcher-it=1", "JAVA_HOME",
                System.getProperty("java.home")), "version");

        assertThat(run.exit).as(run.output).isZero();
        assertThat(run.output).contains("ballast ").doesNotContain("no JDK");
    }

    @Test
    void validateExitsOneAndNamesTheFieldAndLine(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("ballast.yaml");
        Files.writeString(config, """
                listeners:
                  - name: public
                    address: 127.0.0.1:8080
                upstreams:
                  api:
                    endpoints: [127.0.0.1:9001, 127.0.0.1:70000]
                routes:
                  - match: { path_prefix: / }
                    upstream: api
                """);

        Run run = launch(Map.of(), "validate", "-c", config.toString());

        assertThat(run.exit).isEqualTo(1);
        assertThat(run.output).contains("upstreams.api.endpoints[1]: port 70000 out of range", "(line 6)")
                .doesNotContain("Exception");
    }

    @Test
    void validateOfTheShippedExampleExitsZero() throws Exception {
        Run run = launch(Map.of(), "validate", "-c", HOME.resolve("examples/ballast.yaml").toString());

        assertThat(run.exit).as(run.output).isZero();
    }

    @Test
    void aPatternInTheJavaOptionsIsPassedAsWrittenNotMatchedAgainstFileNames(@TempDir Path dir) throws Exception {
        Files.createFile(dir.resolve("-Dballast.launcher-it=matched"));

        Run run = launch(LAUNCHER, dir, Map.of("BALLAST_JAVA_OPTS_EXTRA",
                "-XshowSettings:properties -Dballast.launcher-it=*"), "version");

        assertThat(run.exit).as(run.output).isZero();
        assertThat(run.output).contains("ballast.launcher-it = *").doesNotContain("matched");
    }

    @Test
    void aChangedTestSourceDoesNotMakeTheLauncherRebuildTheJar(@TempDir Path dir) throws Exception {
        Path launcher = checkoutWithOneSourceNewerThanTheJar(dir, "ballast-proxy/src/test/java/SomeTest.java");

        Run run = launch(launcher, dir, Map.of(), "version");

        assertThat(run.exit).as(run.output).isZero();
        assertThat(run.output).contains("ballast ").doesNotContain("building");
    }

    @Test
    void aChangedMainSourceMakesTheLauncherRebuildTheJar(@TempDir Path dir) throws Exception {
        Path launcher = checkoutWithOneSourceNewerThanTheJar(dir, "ballast-proxy/src/main/java/Some.java");

        Run run = launch(launcher, dir, Map.of(), "version");

        // the copy has no Maven wrapper, so the build it starts fails, and says so
        assertThat(run.output).contains("building");
        assertThat(run.exit).isEqualTo(1);
    }

    /**
     * A checkout of the launcher and the packaged jar in {@code dir}, with {@code source} written an
     * hour after the jar was. Without the Maven wrapper: a build started there fails.
     */
    private static Path checkoutWithOneSourceNewerThanTheJar(Path dir, String source) throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        for (String file : List.of("ballast", "jdk.sh")) {
            Files.copy(HOME.resolve("bin").resolve(file), bin.resolve(file), StandardCopyOption.COPY_ATTRIBUTES);
        }
        Path jar = dir.resolve("ballast-dist/target/ballast.jar");
        Files.createDirectories(jar.getParent());
        Files.copy(HOME.resolve("ballast-dist/target/ballast.jar"), jar);
        Instant now = Instant.now();
        Files.setLastModifiedTime(jar, FileTime.from(now.minusSeconds(3600)));
        Path changed = dir.resolve(source);
        Files.createDirectories(changed.getParent());
        Files.writeString(changed, "class Some {}\n");
        Files.setLastModifiedTime(changed, FileTime.from(now));
        return bin.resolve("ballast");
    }

    /** A directory that looks like a JDK of {@code version} to the launcher's check. */
    private static void fakeJdk(Path home, String version) throws IOException {
        Path bin = Files.createDirectories(home.resolve("bin"));
        String script = "#!/bin/sh\necho 'openjdk version \"" + version + "\" 2023-10-17' >&2\nexit 0\n";
        for (String tool : List.of("java", "javac")) {
            Path file = bin.resolve(tool);
            Files.writeString(file, script);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    private static Run launch(Map<String, String> env, String... args) throws Exception {
        return launch(LAUNCHER, HOME, env, args);
    }

    private static Run launch(Path launcher, Path workingDirectory, Map<String, String> env, String... args)
            throws Exception {
        ProcessBuilder builder = new ProcessBuilder().directory(workingDirectory.toFile());
        builder.command().add(launcher.toString());
        builder.command().addAll(List.of(args));
        // Nothing inherited that adds JVM options behind the launcher's back.
        for (String variable : List.of("BALLAST_JAVA_OPTS", "BALLAST_JAVA_OPTS_EXTRA", "JAVA_TOOL_OPTIONS",
                "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS")) {
            builder.environment().remove(variable);
        }
        builder.environment().putAll(env);
        builder.redirectErrorStream(true);
        Process process = builder.start();
        process.getOutputStream().close();
        // The output is a few lines: read after the exit without risk of the pipe filling up.
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("bin/ballast " + String.join(" ", args) + " did not exit within 60 s");
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(process.exitValue(), output);
    }

    private record Run(int exit, String output) {
    }
}
