package identity

import (
	"testing"
	"time"
)

// TestPasswordWorkWaitsForASlot: argon2id runs at most one computation per
// core; with every slot taken, a check waits, and runs once one frees.
// Not parallel: it holds every slot while it runs.
func TestPasswordWorkWaitsForASlot(t *testing.T) {
	hash, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	for range cap(hashing) {
		hashing <- struct{}{}
	}
	done := make(chan bool)
	go func() {
		ok, _ := CheckPassword("correct horse", hash)
		done <- ok
	}()
	select {
	case <-done:
		t.Fatal("a password check ran with every slot taken")
	case <-time.After(100 * time.Millisecond):
	}
	<-hashing
	select {
	case ok := <-done:
		if !ok {
			t.Error("the check failed once it ran")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the check never ran after a slot freed")
	}
	for range cap(hashing) - 1 {
		<-hashing
	}
}
