package dockerfile

import (
	"strings"
	"testing"
)

// A line that is only the escape character, continued into blank lines or
// the end of the file, is an unknown instruction, as Docker says (BuildKit
// parses it as an instruction with no name; found by FuzzLinesMatchBuildKit).
func TestLoneEscapeIsUnknownInstruction(t *testing.T) {
	for _, src := range []string{"FROM x\n\\", "FROM x\n\\\n\n", "FROM x\n  \\  \n# c\n"} {
		_, err := Parse(strings.NewReader(src), "Dockerfile")
		if err == nil || !strings.Contains(err.Error(), "unknown instruction") || !strings.Contains(err.Error(), ":2") {
			t.Errorf("%q: %v, want an unknown instruction on line 2", src, err)
		}
	}
}
