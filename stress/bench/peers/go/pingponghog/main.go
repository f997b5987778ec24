// pingponghog — Go 1.19 peer of chan_bench's PingPongHog: Go's
// BenchmarkPingPongHog (runtime/proc_test.go). At GOMAXPROCS 1 a ping-pong
// pair shares the P with a CPU hog; ns per ping-pong exchange.
package main

import (
	"flag"
	"runtime"
	"time"

	"gmpkit/peers/internal/result"
)

func main() {
	minTime := flag.Duration("t", 200*time.Millisecond, "minimum measured time")
	flag.Parse()
	runtime.GOMAXPROCS(1)
	ns, n := result.Loop(*minTime, func(n int64) {
		// Create a CPU hog
		stop, done := make(chan bool), make(chan bool)
		go func() {
			for {
				select {
				case <-stop:
					done <- true
					return
				default:
				}
			}
		}()
		// Ping-pong n times
		ping, pong := make(chan bool), make(chan bool)
		go func() {
			for j := int64(0); j < n; j++ {
				pong <- <-ping
			}
			close(stop)
			done <- true
		}()
		go func() {
			for i := int64(0); i < n; i++ {
				ping <- <-pong
			}
			done <- true
		}()
		ping <- true // Start ping-pong
		<-stop
		<-ping // Let last ponger exit
		<-done // Make sure goroutines exit
		<-done
		<-done
	})
	result.Emit("ping_pong_hog", ns, n, nil, nil)
}
