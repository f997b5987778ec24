// skynet — Go 1.19 peer of proc_bench's BM_Skynet: a tree of goroutines, 10
// children per node, -size leaves; each node sums its children's numbers over
// a buffered channel. Prints one result line (internal/result): ns per goroutine.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"gmpkit/peers/internal/result"
)

func skynet(out chan<- int64, num, size int64) {
	if size == 1 {
		out <- num
		return
	}
	rc := make(chan int64, 10)
	child := size / 10
	for i := int64(0); i < 10; i++ {
		go skynet(rc, num+i*child, child)
	}
	var sum int64
	for i := 0; i < 10; i++ {
		sum += <-rc
	}
	out <- sum
}

func main() {
	size := flag.Int64("size", 100000, "leaves (a power of 10)")
	minTime := flag.Duration("t", 200*time.Millisecond, "minimum measured time")
	flag.Parse()
	nodes := (*size*10 - 1) / 9
	nsPerTree, trees := result.Loop(*minTime, func(n int64) {
		for i := int64(0); i < n; i++ {
			out := make(chan int64, 1)
			go skynet(out, 0, *size)
			if s := <-out; s != *size*(*size-1)/2 {
				fmt.Fprintln(os.Stderr, "skynet: wrong sum", s)
				os.Exit(1)
			}
		}
	})
	result.Emit(fmt.Sprintf("skynet/size:%d", *size), nsPerTree/float64(nodes), trees*nodes, nil, nil)
}
