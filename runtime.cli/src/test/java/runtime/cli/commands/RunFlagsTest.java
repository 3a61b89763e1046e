package runtime.cli.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import runtime.api.plan.SetupOp;

/** podman's spellings of run's values: -v options, --entrypoint, --env-file. */
class RunFlagsTest {
    @Test
    void volumeOptionsAcceptPodmansRelabelFlagsAndReadOnly() {
        Path cwd = Path.of("/work");
        assertEquals(List.of(new SetupOp.Bind(Path.of("/a"), Path.of("b"), true, false)),
                RunCommand.parseBinds(List.of("/a:/b:ro,z"), cwd));
        assertEquals(List.of(new SetupOp.Bind(Path.of("/a"), Path.of("b"), false, false)),
                RunCommand.parseBinds(List.of("/a:/b:Z"), cwd));
        assertEquals(List.of(new SetupOp.Bind(Path.of("/work/d"), Path.of("work/d"), false, false)),
                RunCommand.parseBinds(List.of("d:rw"), cwd));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> RunCommand.parseBinds(List.of("/a:/b:/c"), cwd));
        assertEquals("bad --bind '/a:/b:/c': want SRC[:DST][:ro|rw|z|Z]", bad.getMessage());
    }

    @Test
    void entrypointIsAProgramAJsonArrayOrNothing() {
        assertEquals(List.of("/bin/sh"), RunCommand.parseEntrypoint("/bin/sh"));
        assertEquals(List.of("sh", "-c", "echo a b"), RunCommand.parseEntrypoint("[\"sh\",\"-c\",\"echo a b\"]"));
        assertEquals(List.of(), RunCommand.parseEntrypoint(""));
        assertThrows(IllegalArgumentException.class, () -> RunCommand.parseEntrypoint("[1"));
        assertThrows(IllegalArgumentException.class, () -> RunCommand.parseEntrypoint("[null]"));
    }

    @Test
    void envFileLinesBareNamesAndComments(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("env");
        Files.writeString(file, "# settings\nA=1\n\n  B=two words\nHOME\nUNSET\n");
        assertEquals(List.of("A=1", "B=two words", "HOME=/home/me"), RunCommand.envFile(file, Map.of("HOME", "/home/me")));
        Files.writeString(file, "=x\n");
        assertThrows(IllegalArgumentException.class, () -> RunCommand.envFile(file, Map.of()));
        assertThrows(IllegalArgumentException.class, () -> RunCommand.envFile(dir.resolve("absent"), Map.of()));
    }
}
