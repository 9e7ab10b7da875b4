package reqtrace

import (
	"errors"
	"fmt"
	"os"
	"sync"
)

// rotatingFile appends lines to path and, once the file holds maxSize bytes
// or more, renames it to path.1 (path.1 to path.2 and so on, the oldest
// beyond maxFiles removed) and starts a new one.
//
// Own code rather than gopkg.in/natefinch/lumberjack.v2 (v2.2.1, its last
// release, 2023): lumberjack counts max size in whole megabytes (a test of
// the rotation would write megabytes), names rotated files by timestamp
// rather than path.1..path.N, and its cleanup goroutine (millRun) is never
// stopped by Close, which the package's goroutine-leak test rejects. The
// rotation needed here is a rename chain of a few lines.
type rotatingFile struct {
	path     string
	maxSize  int64
	maxFiles int

	mu   sync.Mutex
	f    *os.File
	size int64
}

func openRotating(path string, maxSize int64, maxFiles int) (*rotatingFile, error) {
	rf := &rotatingFile{path: path, maxSize: maxSize, maxFiles: maxFiles}
	if err := rf.open(); err != nil {
		return nil, err
	}
	return rf, nil
}

// open opens path for appending; a file left by an earlier run is
// continued, and rotated at the next write when full.
func (rf *rotatingFile) open() error {
	// 0600: the trace holds the answers of the API, redacted but private.
	f, err := os.OpenFile(rf.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return err
	}
	rf.f, rf.size = f, st.Size()
	return nil
}

// writeLine appends one line, rotating first when the file is full; a line
// is never split across files.
func (rf *rotatingFile) writeLine(line []byte) error {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	if rf.f == nil {
		return errors.New("trace file closed")
	}
	if rf.size > 0 && rf.size+int64(len(line)) > rf.maxSize {
		if err := rf.rotate(); err != nil {
			return err
		}
	}
	n, err := rf.f.Write(line)
	rf.size += int64(n)
	return err
}

// rotate shifts path.i to path.i+1, path to path.1, and opens a new path;
// rf.mu is held.
func (rf *rotatingFile) rotate() error {
	if err := rf.f.Close(); err != nil {
		return err
	}
	rf.f = nil
	// path counts as one of maxFiles: path.1 .. path.(maxFiles-1) are kept.
	keep := rf.maxFiles - 1
	if keep == 0 {
		if err := os.Remove(rf.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return rf.open()
	}
	if err := os.Remove(rf.name(keep)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	for i := keep - 1; i >= 1; i-- {
		if err := os.Rename(rf.name(i), rf.name(i+1)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if err := os.Rename(rf.path, rf.name(1)); err != nil {
		return err
	}
	return rf.open()
}

func (rf *rotatingFile) name(i int) string { return fmt.Sprintf("%s.%d", rf.path, i) }

func (rf *rotatingFile) close() error {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	if rf.f == nil {
		return nil
	}
	err := rf.f.Close()
	rf.f = nil
	return err
}
