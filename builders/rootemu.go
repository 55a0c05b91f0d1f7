package builders

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hull-project/hull/isolation"
)

// Root emulation (docs/root-emulation.md): with a single-id mapping, RUN
// steps run under a seccomp filter that fakes chown and the setuid family.
// What the filter cannot do alone is done here: apt is told not to drop
// privileges, a USER the mapping cannot hold runs as root, and --chown to
// such an owner gives the files to root; each owner given up is recorded
// (cacheRecord.Lost) and ends up in the image's lostOwnersLabel.

const (
	// aptConfigPath is the apt configuration of RUN steps under root
	// emulation. It lies in the container's private /dev tmpfs, which no
	// layer records, and APT_CONFIG names it only in the step's process
	// environment, never in the image's config.
	aptConfigPath = "/dev/.hull-apt.conf"
	// aptConfig keeps apt's download methods as root: apt drops them to
	// _apt with setgroups, setresgid and setresuid and then checks that
	// the ids changed, which faked calls cannot pass ("Could not switch
	// group"). apt reads APT_CONFIG first, then apt.conf.d and apt.conf.
	aptConfig = "// hull build: root emulation (single id mapping); not part of the image\n" +
		"APT::Sandbox::User \"root\";\n"
	// lostOwnersLabel lists the owners a root-emulated build gave to root.
	lostOwnersLabel = "io.hull.root-emulation.lost-owners"
	// maxLostShown bounds the label and the summary line.
	maxLostShown = 10
)

// emulateRun adapts a RUN's spec to root emulation: a USER other than root
// runs as root (recorded in ws): the filter, loaded before the switch to
// the user, fakes it anyway, and a single mapping has no other id. apt
// gets aptConfig unless the step sets APT_CONFIG itself. userSpec is the
// step's USER as written.
func emulateRun(spec *isolation.Spec, ws *workspace, userSpec string) {
	if !spec.RootEmulation {
		return
	}
	if spec.UID != 0 || spec.GID != 0 {
		ws.lose(fmt.Sprintf("USER %s (%d:%d)", userSpec, spec.UID, spec.GID))
		spec.UID, spec.GID = 0, 0
	}
	spec.AdditionalGIDs = slices.DeleteFunc(slices.Clone(spec.AdditionalGIDs), func(g int) bool {
		return !mapsContainerID(spec.Mapping.GIDs, g)
	})
	for _, kv := range spec.Env {
		if strings.HasPrefix(kv, "APT_CONFIG=") {
			return
		}
	}
	spec.Env = append(slices.Clone(spec.Env), "APT_CONFIG="+aptConfigPath)
	if spec.Files == nil {
		spec.Files = map[string]string{}
	}
	spec.Files[aptConfigPath] = aptConfig
}

// emulateOwner returns the ids a --chown=spec copy gives its files: uid
// and gid themselves, or root when root emulation is on and the mapping
// cannot hold them (recorded in ws), as a faked chown leaves a file.
func (b *build) emulateOwner(ws *workspace, spec string, uid, gid int) (int, int) {
	m := b.env.Mapping
	if !b.rootEmulation() || (mapsContainerID(m.UIDs, uid) && mapsContainerID(m.GIDs, gid)) {
		return uid, gid
	}
	ws.lose(fmt.Sprintf("--chown=%s (%d:%d)", spec, uid, gid))
	return 0, 0
}

// recordAddedIDs records the users and groups other than root that a RUN
// step under root emulation added to /etc/passwd and /etc/group: whatever
// the step gave them with chown (faked by the filter, whatever the
// mapping, so not seen here) belongs to root. A file the step made
// unreadable is a warning, not a failed build.
func (b *build) recordAddedIDs(st *stageState, ws *workspace) {
	layers := st.dirs()
	oldU, oldG, err := b.env.Containers.Accounts(layers)
	if err == nil {
		var newU, newG map[string]int
		if newU, newG, err = b.env.Containers.Accounts(append([]string{ws.upper()}, layers...)); err == nil {
			for name, id := range newU {
				if old, ok := oldU[name]; (!ok || old != id) && id != 0 {
					ws.lose(fmt.Sprintf("user %s (%d) added by RUN", name, id))
				}
			}
			for name, id := range newG {
				if old, ok := oldG[name]; (!ok || old != id) && id != 0 {
					ws.lose(fmt.Sprintf("group %s (%d) added by RUN", name, id))
				}
			}
		}
	}
	if err != nil {
		b.out.line("WARNING: root emulation: users and groups the step added: %v", err)
	}
}

// mapsContainerID reports whether the container id id is mapped.
func mapsContainerID(maps []isolation.IDMap, id int) bool {
	for _, e := range maps {
		if id >= e.ContainerID && id < e.ContainerID+e.Size {
			return true
		}
	}
	return false
}

// lose records an owner the step gave to root.
func (w *workspace) lose(what string) {
	if !slices.Contains(w.lost, what) {
		w.lost = append(w.lost, what)
	}
}

// addLost returns list with more merged in, sorted and unique. list is
// not modified (stage results share it when one stage starts FROM
// another).
func addLost(list []string, more ...string) []string {
	list = slices.Clone(list)
	for _, m := range more {
		if i, found := slices.BinarySearch(list, m); !found {
			list = slices.Insert(list, i, m)
		}
	}
	return list
}

// lostSummary is the label's value and the summary line's list: at most
// maxLostShown entries, then how many more.
func lostSummary(lost []string) string {
	if len(lost) <= maxLostShown {
		return strings.Join(lost, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(lost[:maxLostShown], ", "), len(lost)-maxLostShown)
}
