package collectorproc

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// clockTicks is USER_HZ, 100 on every Linux build Go supports.
const clockTicks = 100

// memKiB reads VmRSS and VmHWM (the kernel's own peak) of a process.
func memKiB(pid int) (rss, hwm int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range bytes.Split(b, []byte{'\n'}) {
		f := strings.Fields(string(line))
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "VmRSS:":
			rss, _ = strconv.ParseInt(f[1], 10, 64)
		case "VmHWM:":
			hwm, _ = strconv.ParseInt(f[1], 10, 64)
		}
	}
	return rss, hwm, nil
}

// CPUTime is utime+stime of a process.
func CPUTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces; the fields after it are fixed.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64) // field 14 of stat
	st, _ := strconv.ParseInt(f[12], 10, 64) // field 15
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

// MemSampler polls VmRSS/VmHWM (and the CPU time) of a process so the peak
// is known even if the process exits before the end of the measurement.
type MemSampler struct {
	pid  int
	stop chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	peak int64 // KiB, max of VmHWM and sampled VmRSS
	last int64 // KiB, last VmRSS
	cpu  []cpuSample
}

type cpuSample struct {
	at  time.Time
	cpu time.Duration
}

// SampleMemory samples the process pid every period until Finish.
func SampleMemory(pid int, every time.Duration) *MemSampler {
	m := &MemSampler{pid: pid, stop: make(chan struct{})}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			m.sample()
			select {
			case <-m.stop:
				return
			case <-t.C:
			}
		}
	}()
	return m
}

func (m *MemSampler) sample() {
	rss, hwm, err := memKiB(m.pid)
	if err != nil {
		return
	}
	now := time.Now()
	cpu, err := CPUTime(m.pid)
	m.mu.Lock()
	if err == nil {
		m.cpu = append(m.cpu, cpuSample{at: now, cpu: cpu})
	}
	m.peak = max(m.peak, rss, hwm)
	m.last = rss
	m.mu.Unlock()
}

// Finish takes a last sample, stops sampling and returns the peak and last
// RSS in MiB.
func (m *MemSampler) Finish() (peak, last float64) {
	m.sample()
	close(m.stop)
	m.wg.Wait()
	return m.Current()
}

// Current is the peak and last RSS in MiB so far.
func (m *MemSampler) Current() (peak, last float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return float64(m.peak) / 1024, float64(m.last) / 1024
}

// CPUBetween is the CPU time the process used between two instants, from the
// samples nearest before each (so within one sampling period).
func (m *MemSampler) CPUBetween(from, to time.Time) time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	at := func(t time.Time) time.Duration {
		var c time.Duration
		for _, s := range m.cpu {
			if s.at.After(t) {
				break
			}
			c = s.cpu
		}
		return c
	}
	return at(to) - at(from)
}
