// selectcontended — Go 1.19 peer of select_bench's SelectSyncContended: Go's
// BenchmarkSelectSyncContended (runtime/chan_test.go). Each of GOMAXPROCS
// goroutines starts a sender selecting over three unbuffered sends (and done)
// and receives with a three-way select; ns per receive. As gmpkit's port, a
// batch waits for its senders to exit (Go's benchmark leaves them running).
package main

import (
	"flag"
	"sync"
	"time"

	"gmpkit/peers/internal/parallel"
	"gmpkit/peers/internal/result"
)

func main() {
	minTime := flag.Duration("t", 200*time.Millisecond, "minimum measured time")
	flag.Parse()
	ns, n := result.Loop(*minTime, func(n int64) {
		myc1 := make(chan int)
		myc2 := make(chan int)
		myc3 := make(chan int)
		done := make(chan int)
		var senders sync.WaitGroup
		parallel.Run(n, func(next func() bool) {
			senders.Add(1)
			go func() {
				defer senders.Done()
				for {
					select {
					case myc1 <- 0:
					case myc2 <- 0:
					case myc3 <- 0:
					case <-done:
						return
					}
				}
			}()
			for next() {
				select {
				case <-myc1:
				case <-myc2:
				case <-myc3:
				}
			}
		})
		close(done)
		senders.Wait()
	})
	result.Emit("select_contended", ns, n, nil, nil)
}
