// Package logfile keeps a container's output on disk the way Docker's
// json-file driver does: one JSON object per line,
//
//	{"log":"hello\n","stream":"stdout","time":"2024-01-02T03:04:05.123456789Z"}
//
// so that stdout and stderr stay apart and in order. The file is bounded:
// when it passes MaxSize it is renamed to NAME.1 (replacing the previous
// one) and a new file starts, so at most two files of about MaxSize exist.
// Lines longer than MaxLine are split into several entries.
//
// Reading supports --tail, --since, timestamps and following a file that
// is still written, across rotations. It does not know about containers:
// the caller says when following may stop.
package logfile
