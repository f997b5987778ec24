// pingpong — Go 1.19 peer of chan_bench's BM_ChanPingPong/procs:P: the main
// goroutine and a partner exchange an int over two unbuffered channels. ns
// per round trip. GOMAXPROCS sets procs.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	"gmpkit/peers/internal/result"
)

func main() {
	minTime := flag.Duration("t", 200*time.Millisecond, "minimum measured time")
	flag.Parse()
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v + 1
		}
		close(pong)
	}()
	v := 0
	ns, n := result.Loop(*minTime, func(n int64) {
		for i := int64(0); i < n; i++ {
			ping <- v
			v = <-pong
		}
	})
	close(ping)
	if v <= 0 {
		fmt.Fprintln(os.Stderr, "pingpong: lost messages")
		os.Exit(1)
	}
	result.Emit(fmt.Sprintf("chan_pingpong/procs:%d", runtime.GOMAXPROCS(0)), ns, n, nil, nil)
}
