package dev.stagecraft.api;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TestWorkspacePath {

    @ParameterizedTest(name = "''{0}'' -> {1}")
    @CsvSource({
            "out.txt, out.txt",
            "a/b/c.txt, a/b/c.txt",
            "./a/./b, a/b",
            "a//b/, a/b",
            "..a/b.., ..a/b..",
            "a/...b, a/...b",
            "name with spaces, name with spaces",
    })
    void acceptsRelativePathsAndNormalisesThem(String path, String relative) {
        WorkspacePath parsed = WorkspacePath.of(path);
        assertThat(parsed.relative()).isEqualTo(relative);
        assertThat(parsed.toString()).isEqualTo(relative);
        assertThat(parsed.segments()).doesNotContain("", ".", "..");
    }

    @Test
    void segmentsAreImmutable() {
        WorkspacePath path = WorkspacePath.of("a/b");
        assertThat(path.segments()).containsExactly("a", "b");
        assertThatThrownBy(() -> path.segments().add("c")).isInstanceOf(UnsupportedOperationException.class);
    }

    @ParameterizedTest(name = "''{0}'' refused: {1}")
    @CsvSource(delimiter = '|', value = {
            "..|'..' is not allowed",
            "../etc/passwd|'..' is not allowed",
            "a/../../b|'..' is not allowed",
            "a/..|'..' is not allowed",
            "/etc/passwd|absolute paths are not allowed",
            "/|absolute paths are not allowed",
            ".|names the workspace itself",
            "./.|names the workspace itself",
            "''|empty path",
            "'   '|empty path",
    })
    void refusesEscapesWithPathEscape(String path, String why) {
        assertThatThrownBy(() -> WorkspacePath.of(path))
                .isInstanceOf(PathEscapeException.class)
                .isInstanceOfSatisfying(StagecraftException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.PATH_ESCAPE);
                    assertThat(e.getMessage()).startsWith("path '" + path + "' refused: ").contains(why);
                });
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\u0000b", "line\nbreak", "tab\there", "bell\u0007", "del\u007f", "c1\u0085x"})
    void refusesControlCharacters(String path) {
        assertThatThrownBy(() -> WorkspacePath.of(path))
                .isInstanceOfSatisfying(PathEscapeException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.PATH_ESCAPE);
                    assertThat(e.getMessage()).contains("control characters are not allowed");
                });
    }

    @Test
    void refusesNull() {
        assertThatThrownBy(() -> WorkspacePath.of(null))
                .isInstanceOfSatisfying(PathEscapeException.class, e -> assertThat(e.getMessage()).contains("empty path"));
    }

    @Test
    void directConstructionCopiesSegments() {
        java.util.ArrayList<String> segments = new java.util.ArrayList<>(List.of("x"));
        WorkspacePath path = new WorkspacePath(segments);
        segments.add("y");
        assertThat(path.relative()).isEqualTo("x");
    }
}
