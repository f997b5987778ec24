// Package result is the output of every Go peer program: one JSON line per
// run (one repetition), read by reports/gmpkit_reports/runner.py:
//
//	{"impl":"go","version":"go1.19.8","workload":"skynet","ns_per_op":123.4,
//	 "iterations":N,"counters":{...},"histograms":{"name":{upper_ns,counts,...}}}
//
// Histograms use gmpkit's bucketing (stress/bench/bench_util.hpp): values
// below 8 ns exact, then 8 buckets per power of two.
package result

import (
	"encoding/json"
	"math"
	"math/bits"
	"os"
	"runtime"
	"time"
)

// Hist is a log-linear latency histogram in nanoseconds.
type Hist struct {
	counts   []uint64
	count    uint64
	min, max int64
}

func bucket(v int64) int {
	if v < 8 {
		if v < 0 {
			return 0
		}
		return int(v)
	}
	e := 63 - bits.LeadingZeros64(uint64(v))
	sub := int((v >> (e - 3)) & 7)
	return 8 + (e-3)*8 + sub
}

func upper(i int) int64 {
	if i < 8 {
		return int64(i)
	}
	e, sub := (i-8)/8+3, (i-8)%8
	return (int64(8+sub+1) << (e - 3)) - 1
}

// Add records one sample.
func (h *Hist) Add(d time.Duration) {
	v := int64(d)
	if v < 0 {
		v = 0
	}
	i := bucket(v)
	for len(h.counts) <= i {
		h.counts = append(h.counts, 0)
	}
	h.counts[i]++
	if h.count == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.count++
}

// Quantile is the upper bound of the bucket holding the ceil(q*count)-th
// sample, clamped to [min, max] (as gmpkit's HistogramSnapshot::quantile).
func (h *Hist) Quantile(q float64) float64 {
	if h.count == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.count)))
	if rank == 0 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return math.Min(math.Max(float64(upper(i)), float64(h.min)), float64(h.max))
		}
	}
	return float64(h.max)
}

func (h *Hist) json() map[string]any {
	lo, hi := 0, len(h.counts)
	for lo < hi && h.counts[lo] == 0 {
		lo++
	}
	for hi > lo && h.counts[hi-1] == 0 {
		hi--
	}
	up := []int64{}
	cs := []uint64{}
	for i := lo; i < hi; i++ {
		up = append(up, upper(i))
		cs = append(cs, h.counts[i])
	}
	return map[string]any{"upper_ns": up, "counts": cs, "count": h.count, "min_ns": h.min, "max_ns": h.max}
}

// Emit writes the result line to stdout.
func Emit(workload string, nsPerOp float64, iterations int64, counters map[string]float64, hists map[string]*Hist) {
	out := map[string]any{
		"impl": "go", "version": runtime.Version(), "workload": workload,
		"ns_per_op": nsPerOp, "iterations": iterations, "gomaxprocs": runtime.GOMAXPROCS(0),
	}
	if counters != nil {
		out["counters"] = counters
	}
	if hists != nil {
		hs := map[string]any{}
		for k, h := range hists {
			hs[k] = h.json()
		}
		out["histograms"] = hs
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		panic(err)
	}
}

// Loop runs batch(n) with growing n until one call lasts at least minTime
// (Google Benchmark's iteration estimation, simplified) and returns the ns
// per op and the op count of that last call.
func Loop(minTime time.Duration, batch func(n int64)) (float64, int64) {
	n := int64(1)
	for {
		t0 := time.Now()
		batch(n)
		d := time.Since(t0)
		if d >= minTime || n >= 1<<40 {
			return float64(d.Nanoseconds()) / float64(n), n
		}
		next := n * 10
		if d > 0 {
			next = int64(float64(n) * 1.4 * float64(minTime) / float64(d))
		}
		if next <= n {
			next = n + 1
		}
		if next > n*100 {
			next = n * 100
		}
		n = next
	}
}
