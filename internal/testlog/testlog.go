// Package testlog is where tests that run a server in their own process
// collect its log: safe for the server's goroutines to write while the
// test reads. Only tests import it.
package testlog

import (
	"bytes"
	"sync"
)

// Buffer is a goroutine-safe bytes.Buffer for log output.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String is everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
