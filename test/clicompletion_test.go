package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The completion scripts of the default hull name the app commands'
// subcommands and flags (compose up --detach, kube play, generate kube),
// which live in the full hull it embeds.
func TestCompletionAppCommands(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	bash := s.mustHull(t, "completion", "bash")
	if !strings.Contains(bash, `"compose up") words="`) || !strings.Contains(bash, `"kube play") words="`) || !strings.Contains(bash, `"generate kube") words="`) {
		t.Fatalf("bash completion lacks the app commands' subcommands:\n%s", bash)
	}
	script := filepath.Join(t.TempDir(), "hull.bash")
	if err := os.WriteFile(script, []byte(bash), 0o644); err != nil {
		t.Fatal(err)
	}
	// complete is bash's completion of the last of words, as <TAB> asks it.
	complete := func(words string) string {
		t.Helper()
		out, err := exec.Command("bash", "-c", `source "$1"; COMP_WORDS=($2); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _hull; echo "${COMPREPLY[@]}"`,
			"bash", script, words).Output()
		if err != nil {
			t.Fatalf("bash completion of %q: %v", words, err)
		}
		return strings.TrimSpace(string(out))
	}
	if got := complete("hull compose u"); got != "up" {
		t.Errorf("hull compose u<TAB>: %q, want up", got)
	}
	if got := complete("hull compose up --d"); !strings.Contains(" "+got+" ", " --detach ") {
		t.Errorf("hull compose up --d<TAB>: %q, want --detach among them", got)
	}
	if got := complete("hull kube p"); got != "play" {
		t.Errorf("hull kube p<TAB>: %q, want play", got)
	}
	if fish := s.mustHull(t, "completion", "fish"); !strings.Contains(fish, "complete -c hull -n '__fish_seen_subcommand_from compose' -a up") {
		t.Errorf("fish completion lacks compose up")
	}
	if zsh := s.mustHull(t, "completion", "zsh"); !strings.Contains(zsh, `"compose up") words="`) {
		t.Errorf("zsh completion lacks compose up")
	}
}
