package dev.stagecraft.cli;

import dev.stagecraft.cli.InProcess.Outcome;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code env status}, {@code env stop} and {@code env cp} in process, on one real sandbox environment. */
class TestCliEnvironments {
    @TempDir
    Path state;
    @TempDir
    Path local;

    private InProcess cli;
    private String id;

    @BeforeEach
    void create() {
        cli = new InProcess(state);
        cli.requireSandbox();
        Outcome created = cli.run("env", "create");
        assertThat(created.exitCode()).as(created.err()).isZero();
        id = created.out().trim();
    }

    @AfterEach
    void remove() {
        if (id != null) {
            assertThat(cli.run("env", "rm", id).exitCode()).isZero();
        }
    }

    @Test
    void statusAndStopThenExecStartsItAgainWithTheWorkspaceKept() {
        assertThat(cli.run("env", "exec", id, "--", "sh", "-c", "echo kept > note.txt").exitCode()).isZero();
        Outcome status = cli.run("env", "status", id);
        assertThat(status.exitCode()).as(status.err()).isZero();
        assertThat(status.out()).contains("id: " + id).contains("kind: sandbox").contains("status: READY").contains("usage: ");
        Outcome stop = cli.run("env", "stop", id);
        assertThat(stop.exitCode()).as(stop.err()).isZero();
        assertThat(stop.out().trim()).isEqualTo(id + " STOPPED");
        assertThat(cli.run("env", "status", id).out()).contains("status: STOPPED");
        Outcome again = cli.run("env", "exec", id, "--", "cat", "note.txt");
        assertThat(again.exitCode()).as(again.err()).isZero();
        assertThat(again.out()).isEqualTo("kept\n");
    }

    @Test
    void copiesInAndOutKeepingTheNameForFolders() throws Exception {
        Path data = Files.writeString(local.resolve("data.csv"), "a,b\n1,2\n");
        Outcome in = cli.run("env", "cp", data.toString(), id + ":in/");
        assertThat(in.exitCode()).as(in.err()).isZero();
        assertThat(in.out().trim()).isEqualTo("copied 8 bytes: " + data + " -> " + id + ":in/data.csv");
        assertThat(cli.run("env", "exec", id, "--", "cat", "in/data.csv").out()).isEqualTo("a,b\n1,2\n");

        Path folder = Files.createDirectory(local.resolve("out"));
        Outcome out = cli.run("env", "cp", id + ":in/data.csv", folder.toString());
        assertThat(out.exitCode()).as(out.err()).isZero();
        assertThat(Files.readString(folder.resolve("data.csv"))).isEqualTo("a,b\n1,2\n");
        assertThat(folder.resolve("data.csv").toFile().canRead()).isTrue();
    }

    @Test
    void aFileOverMaxSizeIsRefusedEitherWayAndWhatWasThereIsKept() throws Exception {
        assertThat(cli.run("env", "exec", id, "--", "sh", "-c", "head -c 2048 /dev/zero > big").exitCode()).isZero();
        Path existing = Files.writeString(local.resolve("big"), "mine");
        Outcome out = cli.run("env", "cp", "--max-size", "1k", id + ":big", existing.toString());
        assertThat(out.exitCode()).isEqualTo(2);
        assertThat(out.err().trim()).isEqualTo("stagecraft: INVALID_REQUIREMENT: " + id
                + ":big is larger than --max-size (1024 bytes); give a larger --max-size");
        assertThat(Files.readString(existing)).isEqualTo("mine");
        assertThat(local.toFile().list()).containsExactly("big");

        Path big = Files.write(local.resolve("upload"), new byte[2048]);
        Outcome in = cli.run("env", "cp", "--max-size", "1k", big.toString(), id + ":upload");
        assertThat(in.exitCode()).isEqualTo(2);
        assertThat(in.err()).contains("is larger than --max-size (1024 bytes)");
        assertThat(cli.run("env", "exec", id, "--", "test", "-e", "upload").exitCode()).isEqualTo(1);
    }

    @Test
    void aLocalLinkIsNotWrittenThrough() throws Exception {
        assertThat(cli.run("env", "exec", id, "--", "sh", "-c", "echo planted > f").exitCode()).isZero();
        Path victim = Files.writeString(local.resolve("victim"), "safe");
        Path link = Files.createSymbolicLink(local.resolve("f"), victim);
        Outcome outcome = cli.run("env", "cp", id + ":f", local.toString());
        assertThat(outcome.exitCode()).isEqualTo(2);
        assertThat(outcome.err()).contains(link + " is a symbolic link; env cp does not write through links");
        assertThat(Files.readString(victim)).isEqualTo("safe");
        assertThat(Files.isSymbolicLink(link)).isTrue();
    }

    @Test
    void workspacePathsAreChecked() {
        Outcome escape = cli.run("env", "cp", id + ":../../etc/passwd", local.toString());
        assertThat(escape.exitCode()).isEqualTo(2);
        assertThat(escape.err()).contains("PATH_ESCAPE").contains("'..' is not allowed");
        Outcome link = cli.run("env", "exec", id, "--", "ln", "-s", "/etc/passwd", "passwd");
        assertThat(link.exitCode()).isZero();
        Outcome throughLink = cli.run("env", "cp", id + ":passwd", local.toString());
        assertThat(throughLink.exitCode()).isEqualTo(2);
        assertThat(throughLink.err()).contains("PATH_ESCAPE");
        assertThat(local.resolve("passwd")).doesNotExist();
        Outcome missing = cli.run("env", "cp", id + ":nothing.txt", local.toString());
        assertThat(missing.exitCode()).isEqualTo(3);
        assertThat(missing.err()).contains("NOT_FOUND").contains("nothing.txt");
        Outcome noLocal = cli.run("env", "cp", local.resolve("absent.txt").toString(), id + ":");
        assertThat(noLocal.exitCode()).isEqualTo(2);
        assertThat(noLocal.err()).contains("no file " + local.resolve("absent.txt"));
    }
}
