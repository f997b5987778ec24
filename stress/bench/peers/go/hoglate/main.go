// hoglate — Go 1.19 peer of preempt_bench's BM_HogTimerLateness: every P runs
// a call-free loop; one more goroutine does time.Sleep(1ms) -n times and
// records the lateness (wake time - 1 ms). Go 1.19 has no wake-up preemption:
// a sleeper waits for the 10 ms time slice of a hog. Prints one result line
// (internal/result): ns_per_op = median lateness, histogram "lateness",
// counters p50/p99/max and hog_loops_per_s. GOMAXPROCS sets procs.
package main

import (
	"flag"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"gmpkit/peers/internal/result"
)

//go:noinline
func hog(stop *int32, out *uint64) {
	var n uint64
	for atomic.LoadInt32(stop) == 0 { // call-free: atomic.Load is an intrinsic
		n++
	}
	*out = n
}

func main() {
	n := flag.Int("n", 200, "sleeps")
	flag.Parse()
	procs := runtime.GOMAXPROCS(0)
	var stop int32
	counts := make([]uint64, procs)
	var wg sync.WaitGroup
	for i := 0; i < procs; i++ {
		wg.Add(1)
		go func(i int) { defer wg.Done(); hog(&stop, &counts[i]) }(i)
	}
	time.Sleep(20 * time.Millisecond)
	var h result.Hist
	start := time.Now()
	for i := 0; i < *n; i++ {
		t0 := time.Now()
		time.Sleep(time.Millisecond)
		h.Add(time.Since(t0) - time.Millisecond)
	}
	secs := time.Since(start).Seconds()
	atomic.StoreInt32(&stop, 1)
	wg.Wait()
	var total uint64
	for _, c := range counts {
		total += c
	}
	result.Emit(fmt.Sprintf("hog_timer_lateness/procs:%d", procs), h.Quantile(0.5), int64(*n),
		map[string]float64{"lateness_p50_ns": h.Quantile(0.5), "lateness_p99_ns": h.Quantile(0.99),
			"lateness_p999_ns": h.Quantile(0.999), "lateness_max_ns": h.Quantile(1),
			"hog_loops_per_s": float64(total) / (secs + 0.02)},
		map[string]*result.Hist{"lateness": &h})
}
