// spawnjoin — Go 1.19 peer of proc_bench's BM_SpawnJoin/procs:P/batch:B: spawn
// -batch goroutines that each call wg.Done, then wg.Wait. ns per goroutine.
// GOMAXPROCS sets procs.
package main

import (
	"flag"
	"fmt"
	"runtime"
	"sync"
	"time"

	"gmpkit/peers/internal/result"
)

func main() {
	batch := flag.Int64("batch", 100, "goroutines per wait")
	minTime := flag.Duration("t", 200*time.Millisecond, "minimum measured time")
	flag.Parse()
	round := func() {
		var wg sync.WaitGroup
		wg.Add(int(*batch))
		for i := int64(0); i < *batch; i++ {
			go wg.Done()
		}
		wg.Wait()
	}
	for i := 0; i < 100; i++ { // warm the G free lists, as BM_SpawnJoin's warm_stacks
		round()
	}
	ns, rounds := result.Loop(*minTime, func(n int64) {
		for i := int64(0); i < n; i++ {
			round()
		}
	})
	result.Emit(fmt.Sprintf("spawn_join/procs:%d", runtime.GOMAXPROCS(0)), ns/float64(*batch), rounds**batch, nil, nil)
}
