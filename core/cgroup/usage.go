package cgroup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Usage is what a container's group has counted, for `hull stats`. A
// field is -1 where the group does not count it (the controller is not
// enabled for it, or the container has no group of its own).
type Usage struct {
	CPUNanos    int64 // CPU time used
	Memory      int64 // bytes in use
	MemoryLimit int64 // bytes; 0: no limit
	Pids        int64
	BlockRead   int64 // bytes
	BlockWrite  int64
}

// UsageOf reads the counters of the group called name that process pid
// is in (the container's init), found through /proc/PID/cgroup, so that
// it is read where the kernel put the process whatever the layout of
// this process is. ok is false when pid is in no group of that name.
func UsageOf(env Env, pid int, name string) (u Usage, ok bool) {
	u = Usage{CPUNanos: -1, Memory: -1, Pids: -1, BlockRead: -1, BlockWrite: -1}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return u, false
	}
	unified, v1 := parseProcCgroup(string(data))
	if env.Unified != "" && filepath.Base(unified) == name {
		dir := filepath.Join(env.Unified, unified)
		if v, ok := readKeyOK(filepath.Join(dir, "cpu.stat"), "usage_usec"); ok {
			u.CPUNanos = v * 1000
		}
		u.Memory = readIntOr(filepath.Join(dir, "memory.current"), -1)
		u.MemoryLimit = max(readIntOr(filepath.Join(dir, "memory.max"), 0), 0)
		u.Pids = readIntOr(filepath.Join(dir, "pids.current"), -1)
		u.BlockRead, u.BlockWrite = ioStat(filepath.Join(dir, "io.stat"))
		return u, true
	}
	found := false
	at := func(ctrl string) (string, bool) {
		mnt, mounted := env.V1[ctrl]
		rel, in := v1[ctrl]
		if !mounted || !in || filepath.Base(rel) != name {
			return "", false
		}
		found = true
		return filepath.Join(mnt, strings.TrimPrefix(rel, env.V1Root[ctrl])), true
	}
	if dir, ok := at(Memory); ok {
		u.Memory = readIntOr(filepath.Join(dir, "memory.usage_in_bytes"), -1)
		// v1 says "no limit" with a huge number (a page-rounded max int64).
		if l := readIntOr(filepath.Join(dir, "memory.limit_in_bytes"), 0); l > 0 && l < 1<<62 {
			u.MemoryLimit = l
		}
	}
	if dir, ok := at("cpuacct"); ok {
		u.CPUNanos = readIntOr(filepath.Join(dir, "cpuacct.usage"), -1)
	}
	if dir, ok := at(Pids); ok {
		u.Pids = readIntOr(filepath.Join(dir, "pids.current"), -1)
	}
	return u, found
}

func readIntOr(file string, or int64) int64 {
	data, err := os.ReadFile(file)
	if err != nil {
		return or
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	if err != nil {
		return or // "max"
	}
	return n
}

func readKeyOK(file, key string) (int64, bool) {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, " "); ok && k == key {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// ioStat sums rbytes and wbytes over the devices of a v2 io.stat; -1
// when the io controller is not enabled for the group.
func ioStat(file string) (read, write int64) {
	data, err := os.ReadFile(file)
	if err != nil {
		return -1, -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		for _, f := range strings.Fields(line) {
			k, v, _ := strings.Cut(f, "=")
			n, _ := strconv.ParseInt(v, 10, 64)
			switch k {
			case "rbytes":
				read += n
			case "wbytes":
				write += n
			}
		}
	}
	return read, write
}

// ErrNoGroup: the process is in no group of the name asked for (hull ran
// the container without a cgroup of its own).
var ErrNoGroup = errors.New("the container has no cgroup of its own")

// Update writes r's limits into the group called name that process pid
// is in, for each controller r needs, as `hull update` of a running
// container; r's zero fields are left as they are.
func Update(env Env, pid int, name string, r Resources) error {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return fmt.Errorf("read cgroup of process %d: %w", pid, err)
	}
	unified, v1 := parseProcCgroup(string(data))
	// Every controller is found before any is written: all or nothing.
	places := map[string]Place{}
	for _, c := range r.Needs() {
		switch {
		case env.Unified != "" && filepath.Base(unified) == name:
			places[c] = Place{Dir: filepath.Join(env.Unified, unified), Version: 2}
		case env.V1[c] != "" && filepath.Base(v1[c]) == name:
			places[c] = Place{Dir: filepath.Join(env.V1[c], strings.TrimPrefix(v1[c], env.V1Root[c])), Version: 1}
		default:
			return fmt.Errorf("%s controller: %w", c, ErrNoGroup)
		}
	}
	for _, c := range r.Needs() {
		p := places[c]
		for _, kv := range settings(c, p.Version, r) {
			if err := write(p.Dir, kv[0], kv[1]); err != nil {
				if errors.Is(err, os.ErrNotExist) {
					return fmt.Errorf("%s controller is not enabled for the container's cgroup: %w", c, ErrNoGroup)
				}
				return err
			}
		}
	}
	return nil
}
