package builders

import (
	"fmt"
	"strings"

	"github.com/hull-project/hull/builders/dockerfile"
)

// failureExcerpt prints BuildKit's view of a failed step: its header and
// last output lines between rules, then the Dockerfile around it with
// the instruction's lines marked ">>>", and a hint when root emulation is
// the likely cause.
//
//	------
//	 > [2/3] RUN make:
//	0.412 make: *** No rule to make target 'all'.
//	------
//	Dockerfile:2
//	--------------------
//	   1 |     FROM busybox
//	   2 | >>> RUN make
//	   3 |     CMD ["app"]
//	--------------------
func (b *build) failureExcerpt(n int, st *stageState, ins dockerfile.Instruction, err error) {
	if b.out.quiet {
		return
	}
	var sb strings.Builder
	stage := b.stageLabel(st)
	if stage != "" {
		stage += " "
	}
	tail := b.out.tail(n)
	b.out.fail(n)
	fmt.Fprintf(&sb, "#%d ERROR: %v\n------\n > [%s%d/%d] %s:\n", n, err, stage, st.pos, st.total, oneLine(ins.Original))
	for _, l := range tail {
		sb.WriteString(l + "\n")
	}
	sb.WriteString("------\n")
	sb.WriteString(excerpt(b.opts.DockerfileName, b.opts.Dockerfile, ins.StartLine, ins.EndLine))
	if hint := b.rootEmulationHint(strings.Join(tail, "\n") + "\n" + err.Error()); hint != "" {
		sb.WriteString(hint + "\n")
	}
	b.out.printf("%s", sb.String())
}

// excerptContext is how many lines around the failed instruction the
// excerpt shows, as BuildKit's.
const excerptContext = 4

// excerpt renders lines start..end (1-based) of a Dockerfile with
// excerptContext lines around them, the instruction's marked ">>>".
func excerpt(name string, data []byte, start, end int) string {
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if start < 1 || start > len(lines) {
		return ""
	}
	end = min(max(end, start), len(lines))
	from, to := max(1, start-excerptContext), min(len(lines), end+excerptContext)
	width := len(fmt.Sprint(to))
	var sb strings.Builder
	if start == end {
		fmt.Fprintf(&sb, "%s:%d\n", name, start)
	} else {
		fmt.Fprintf(&sb, "%s:%d-%d\n", name, start, end)
	}
	sb.WriteString("--------------------\n")
	for i := from; i <= to; i++ {
		mark := "    "
		if i >= start && i <= end {
			mark = ">>> "
		}
		fmt.Fprintf(&sb, " %*d | %s%s\n", width+2, i, mark, strings.TrimRight(lines[i-1], "\r"))
	}
	sb.WriteString("--------------------\n")
	return sb.String()
}

// rootEmulationFailures are what the calls root emulation cannot fake, or
// that need the ids a single-id namespace lacks, print when they fail
// (docs/root-emulation.md).
var rootEmulationFailures = []string{
	"Could not switch group", "Failed to setgroups", "setgroups", "setresuid", "setresgid",
	"Invalid argument", "Operation not permitted", "mknod", "chown",
}

// rootEmulationHint is a one-line hint when out (a failed step's output
// and error) looks like a failure of a build without a subuid range.
func (b *build) rootEmulationHint(out string) string {
	if b.env.Mapping.IsFull() {
		return ""
	}
	hit := false
	for _, f := range rootEmulationFailures {
		if strings.Contains(out, f) {
			hit = true
			break
		}
	}
	switch {
	case !hit:
		return ""
	case b.rootEmulation():
		return "hint: this build has no subuid range and runs under root emulation (chown, setuid and device mknod are faked); a program that checks their effect fails: see docs/root-emulation.md, or add a range to /etc/subuid and /etc/subgid"
	default:
		return "hint: this build has no subuid range and --root-emulation=off: calls that name other ids (chown, setuid, setgroups) fail; drop --root-emulation=off, or add a range to /etc/subuid and /etc/subgid"
	}
}
