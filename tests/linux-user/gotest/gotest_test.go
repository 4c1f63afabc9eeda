// A short Go test package run under tsqemu-riscv64 and qemu-riscv64 (tests/user-go.test.js):
// the runtime's start-up (arena reservations, threads, signals), goroutines, timers, files,
// pipes between goroutines, JSON, big numbers and atomics.
package gotest

import (
	"encoding/json"
	"math/big"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestGoroutines(t *testing.T) {
	var wg sync.WaitGroup
	var n int64
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 1000; j++ {
				atomic.AddInt64(&n, 1)
			}
		}()
	}
	wg.Wait()
	if n != 16000 {
		t.Fatalf("n = %d", n)
	}
}

func TestChannelsAndTimers(t *testing.T) {
	ch := make(chan int)
	go func() {
		time.Sleep(20 * time.Millisecond)
		ch <- 42
	}()
	select {
	case v := <-ch:
		if v != 42 {
			t.Fatal(v)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("timeout")
	}
	tk := time.NewTicker(5 * time.Millisecond)
	for i := 0; i < 3; i++ {
		<-tk.C
	}
	tk.Stop()
}

func TestSignals(t *testing.T) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGUSR1)
	defer signal.Stop(c)
	syscall.Kill(os.Getpid(), syscall.SIGUSR1)
	select {
	case s := <-c:
		if s != syscall.SIGUSR1 {
			t.Fatal(s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no signal")
	}
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.txt")
	if err := os.WriteFile(p, []byte("hello\nworld\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil || string(b) != "hello\nworld\n" {
		t.Fatal(err, string(b))
	}
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) != 1 || ents[0].Name() != "f.txt" {
		t.Fatal(err, ents)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() { w.Write([]byte(strings.Repeat("x", 100000))); w.Close() }()
	var total int
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		total += n
		if err != nil {
			break
		}
	}
	if total != 100000 {
		t.Fatal(total)
	}
}

func TestJSONSortStrconv(t *testing.T) {
	type rec struct {
		Name string  `json:"name"`
		Vals []int   `json:"vals"`
		F    float64 `json:"f"`
	}
	in := rec{"a", []int{3, 1, 2}, 1.5}
	b, _ := json.Marshal(in)
	var out rec
	if err := json.Unmarshal(b, &out); err != nil || out.Name != "a" || out.F != 1.5 {
		t.Fatal(err, out)
	}
	sort.Ints(out.Vals)
	if strconv.Itoa(out.Vals[0])+strconv.FormatFloat(out.F, 'g', -1, 64) != "11.5" {
		t.Fatal(out.Vals)
	}
}

func TestBig(t *testing.T) {
	f := new(big.Int).MulRange(1, 50)
	if f.String() != "30414093201713378043612608166064768844377641568960512000000000000" {
		t.Fatal(f)
	}
	q, r := new(big.Int).QuoRem(f, big.NewInt(1234567), new(big.Int))
	if new(big.Int).Add(new(big.Int).Mul(q, big.NewInt(1234567)), r).Cmp(f) != 0 {
		t.Fatal("quorem")
	}
}
