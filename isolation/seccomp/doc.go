// Package seccomp compiles Docker's default seccomp profile to a classic BPF
// program and installs it, without cgo and without libseccomp.
//
// The profile is Docker's own, taken as data from github.com/moby/profiles:
// moby resolves the rules that depend on the container's capabilities, on the
// architecture and on the running kernel (minKernel, from uname) into an OCI
// LinuxSeccomp, and this package compiles that to BPF itself. The syscall
// tables are generated from github.com/elastic/go-seccomp-bpf's
// (zsyscalls.go, sorted constant literals looked up by binary search: no
// package init builds maps in every hull process), and hull links no
// go-seccomp-bpf code: the compiler that used it is kept in the tests as
// the reference the new one must match, program for program and result for
// result (equiv_test.go).
//
// What the filter enforces, as runc does with Docker's profile:
//
//   - default action ERRNO(EPERM); each rule's errnoRet is honoured (clone3
//     gets ENOSYS without CAP_SYS_ADMIN so that libcs fall back to clone);
//   - argument conditions: EQ, NE, LT, LE, GT, GE, and MASKED_EQ as
//     (arg & mask) == 0 (Docker's clone without namespace flags) or
//     (arg & bit) == bit. A syscall's argument checks come before its
//     unconditional rule, if that has another action. Conditions of one rule on distinct arguments must all match; a rule
//     that compares one argument twice becomes one rule per comparison, as
//     runc does (opencontainers/runc#2735);
//   - every ABI of the profile's architecture: on amd64 the x86_64, i386 and
//     x32 ABIs each get their own syscall numbers; an unknown audit
//     architecture kills the process, as libseccomp's default bad-arch action
//     does, and x32 calls are checked against x32 numbers only;
//   - runc's ENOSYS rule: a syscall number above the highest one the profile
//     names for that ABI returns ENOSYS instead of EPERM, so that programs
//     built for a newer kernel fall back instead of failing;
//   - syscall names a table does not know for an ABI are skipped, not errors.
//
// Why not go-seccomp-bpf's Policy and LoadFilter: they filter the native
// ABI only (i386 binaries would be refused outright), allow a syscall in
// one group only, and keep going with an argument word in the accumulator
// after an argument check fails, so the next syscall comparison tests the
// argument: socket(AF_VSOCK=40) is then allowed whenever a later allow
// group holds sendfile, number 40 on x86_64. Here each syscall's argument
// checks (argcheck.go: 64-bit comparisons split into high and low words,
// the code go-seccomp-bpf's SyscallWithConditions produced) are followed by
// a reload of the syscall number, every chunk stays short enough that no
// jump needs a long form, and the plain allow lists, the ABI dispatch and
// the ENOSYS rule are written directly.
//
// Cost: compiling takes 0.3-0.5 ms in a fresh process, so Default for
// Docker's default capabilities returns a program generated at build time
// (zdefault.go, go generate; a test fails when it is stale), and Default
// memoises every other capability set. The syscall tables are static data:
// linking this package costs no package initialisation beyond a few
// pointers (go-seccomp-bpf's tables, which built maps for five ABIs at
// init, cost 4.4 % of hull version's CPU).
//
// Loading uses SECCOMP_FILTER_FLAG_TSYNC: a Go process has several threads,
// and the filter must cover all of them even though the hull init execs right
// after loading (if exec fails, the other threads keep running). Load never
// sets no_new_privs; the caller does when the container asked for it, and
// without it the kernel requires CAP_SYS_ADMIN in the current user namespace,
// which the init has as container root.
//
// Root emulation (RootEmulation, rootemu.go) is a second, small filter for
// builds in a user namespace that maps a single id: chown and friends,
// set*id and setgroups, and mknod/mknodat of character and block devices
// return 0 without doing anything (SECCOMP_RET_ERRNO with errno 0), as
// charliecloud's ch-image --force=seccomp does; capset is not faked (its
// result does not depend on the mapping). It is loaded in addition to the
// profile, before it: the kernel keeps the lowest action of all filters,
// so ERRNO(0) beats the profile's ALLOW, KILL beats ERRNO, and between two
// ERRNO results the newest filter wins, which lets a profile that refuses
// one of these calls keep its errno. Never for hull run: programs that
// drop privileges would believe they had. See docs/root-emulation.md.
//
// Deliberately not done (yet): SCMP_ACT_NOTIFY (no supervisor), the
// SECCOMP_FILTER_FLAG_* flags a profile may request, libseccomp's socketcall
// demultiplexing on i386 (socketcall itself is allowed, as in Docker),
// MASKED_EQ forms other than the two above, and ABIs other than
// x86_64/i386/x32/aarch64/arm. Custom profiles (--security-opt
// seccomp=PROFILE.json) go through FromProfileJSON with the same compiler.
package seccomp
