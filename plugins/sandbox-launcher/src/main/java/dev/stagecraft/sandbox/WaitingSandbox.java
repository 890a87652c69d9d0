package dev.stagecraft.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A sandbox made ahead of its command, so that a command's latency is the program's own start: bubblewrap has made
 * the namespaces and mounts, the launcher has put the sandbox into its cgroup and set its rlimits, the seccomp
 * programs are loaded, and a shell inside waits on {@link DirectLaunch#CONTROL_FD} for one line. That line changes to
 * the working directory, sets exactly the command's variables and {@code exec}s the program, so the program runs as
 * the same process, with the same limits and nothing of the shell left (it closes the control descriptor first).
 *
 * <p>The shell starts with an empty environment and uses only builtins. Each argument, path and variable is a
 * single-quoted word of that line; a newline inside one is written as the shell variable {@code N}, which holds
 * one. A command the line cannot carry ({@link #commandLine} is empty) is started the ordinary way.
 *
 * <p>Nothing leaks through the wait: the sandbox holds no host descriptor beyond the ones every command gets, and
 * if the manager dies the shell reads end of file and exits, so the sandbox ends with it.
 */
final class WaitingSandbox {
    /** The waiting shell's {@code $0}: the start of its own messages, such as a program it cannot execute. */
    static final String NAME = "stagecraft-exec";
    private static final String SHELL = "N='\n'; IFS= read -r c <&" + DirectLaunch.CONTROL_FD + " || exit 1; exec "
            + DirectLaunch.CONTROL_FD + "<&-; eval \"$c\"";
    private static final Pattern VARIABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final String NOT_EXECUTED = NAME + ": 1: exec: ";

    private final DirectLaunch.Launched launched;

    private WaitingSandbox(DirectLaunch.Launched launched) {
        this.launched = launched;
    }

    /** The program bubblewrap starts: the waiting shell. */
    static List<String> program() {
        return List.of("/bin/sh", "-c", SHELL, NAME);
    }

    /** Starts one; {@code command} is bubblewrap's command line ending in {@link #program()}. */
    static WaitingSandbox start(List<String> command, SeccompFilter.Programs seccomp, List<java.nio.file.Path> cgroupProcs,
                                BwrapCommand.Rlimits rlimits) throws IOException {
        return new WaitingSandbox(DirectLaunch.startWithControl(command, seccomp, cgroupProcs, rlimits));
    }

    /**
     * The line that runs {@code argv} in {@code workingDir} (absolute, inside the sandbox) with exactly {@code env};
     * empty when the shell cannot carry it (a variable name that is no shell name, or a NUL).
     */
    static Optional<String> commandLine(String workingDir, Map<String, String> env, List<String> argv) {
        if (argv.isEmpty()) {
            return Optional.empty();
        }
        List<String> words = new ArrayList<>(List.of("cd", quote(workingDir), "||", "exit", "1;", "unset", "PWD", "OLDPWD;"));
        if (!env.isEmpty()) {
            words.add("export");
            for (Map.Entry<String, String> variable : env.entrySet()) {
                if (!VARIABLE.matcher(variable.getKey()).matches()) {
                    return Optional.empty();
                }
                words.add(quote(variable.getKey() + "=" + variable.getValue()));
            }
            words.set(words.size() - 1, words.get(words.size() - 1) + ";");
        }
        words.add("exec");
        argv.forEach(arg -> words.add(quote(arg)));
        String line = String.join(" ", words);
        return line.indexOf('\0') >= 0 ? Optional.empty() : Optional.of(line);
    }

    private static String quote(String word) {
        return "'" + word.replace("'", "'\\''").replace("\n", "'\"$N\"'") + "'";
    }

    /**
     * Hands the shell its line: the process that runs the command, or empty when the sandbox ended while it waited
     * (its cgroup was killed, bubblewrap failed): then it is discarded, and the caller starts a fresh one.
     */
    Optional<HostProcess> release(String line) {
        if (!launched.process().isAlive()) {
            discard();
            return Optional.empty();
        }
        try (PipeStreams.Out control = launched.control()) {
            control.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException gone) {
            discard();
            return Optional.empty();
        }
        return Optional.of(launched.process());
    }

    /** Ends it and closes this side of its pipes. */
    void discard() {
        launched.control().close();
        launched.process().killTree();
        launched.process().closeStreams();
    }

    /**
     * The shell's exit status and message when it could not execute the program (127 missing, 126 not executable),
     * said as the ordinary launch says it ({@code cannot execute NAME: why}); empty otherwise.
     */
    static Optional<String> notExecuted(int exitCode, String stderrHead) {
        if ((exitCode != 127 && exitCode != 126) || !stderrHead.startsWith(NOT_EXECUTED)) {
            return Optional.empty();
        }
        String what = stderrHead.lines().findFirst().orElse("").substring(NOT_EXECUTED.length());
        int colon = what.lastIndexOf(": ");
        if (colon < 0) {
            return Optional.empty();
        }
        String why = what.substring(colon + 2).equals("not found") ? "No such file or directory" : what.substring(colon + 2);
        return Optional.of("cannot execute " + what.substring(0, colon) + ": " + why);
    }
}
