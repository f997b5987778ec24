// matmult — Go 1.19 peer of proc_bench's Matmult/n:N: Go's matmult
// (runtime/proc_test.go), threshold 8, for a fixed -n (Go's BenchmarkMatmult
// derives n = cbrt(b.N) + 1). ns per multiply-add (n^3 per product); the
// counter serial_ns_per_op is the same recursion without goroutines.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"gmpkit/peers/internal/result"
)

type Matrix [][]float64

func makeMatrix(n int) Matrix {
	m := make(Matrix, n)
	for i := 0; i < n; i++ {
		m[i] = make([]float64, n)
		for j := 0; j < n; j++ {
			m[i][j] = float64(i*n + j)
		}
	}
	return m
}

func matmult(done chan<- struct{}, A, B, C Matrix, i0, i1, j0, j1, k0, k1, threshold int) {
	di := i1 - i0
	dj := j1 - j0
	dk := k1 - k0
	if di >= dj && di >= dk && di >= threshold {
		// divide in two by y axis
		mi := i0 + di/2
		done1 := make(chan struct{}, 1)
		go matmult(done1, A, B, C, i0, mi, j0, j1, k0, k1, threshold)
		matmult(nil, A, B, C, mi, i1, j0, j1, k0, k1, threshold)
		<-done1
	} else if dj >= dk && dj >= threshold {
		// divide in two by x axis
		mj := j0 + dj/2
		done1 := make(chan struct{}, 1)
		go matmult(done1, A, B, C, i0, i1, j0, mj, k0, k1, threshold)
		matmult(nil, A, B, C, i0, i1, mj, j1, k0, k1, threshold)
		<-done1
	} else if dk >= threshold {
		// divide in two by "k" axis
		// deliberately not parallel because of data races
		mk := k0 + dk/2
		matmult(nil, A, B, C, i0, i1, j0, j1, k0, mk, threshold)
		matmult(nil, A, B, C, i0, i1, j0, j1, mk, k1, threshold)
	} else {
		// the matrices are small enough, compute directly
		for i := i0; i < i1; i++ {
			for j := j0; j < j1; j++ {
				for k := k0; k < k1; k++ {
					C[i][j] += A[i][k] * B[k][j]
				}
			}
		}
	}
	if done != nil {
		done <- struct{}{}
	}
}

// matmultSerial is matmult with both halves called in turn (no goroutine,
// no channel): the serial baseline of the counter serial_ns_per_op.
func matmultSerial(A, B, C Matrix, i0, i1, j0, j1, k0, k1, threshold int) {
	di := i1 - i0
	dj := j1 - j0
	dk := k1 - k0
	if di >= dj && di >= dk && di >= threshold {
		mi := i0 + di/2
		matmultSerial(A, B, C, i0, mi, j0, j1, k0, k1, threshold)
		matmultSerial(A, B, C, mi, i1, j0, j1, k0, k1, threshold)
	} else if dj >= dk && dj >= threshold {
		mj := j0 + dj/2
		matmultSerial(A, B, C, i0, i1, j0, mj, k0, k1, threshold)
		matmultSerial(A, B, C, i0, i1, mj, j1, k0, k1, threshold)
	} else if dk >= threshold {
		mk := k0 + dk/2
		matmultSerial(A, B, C, i0, i1, j0, j1, k0, mk, threshold)
		matmultSerial(A, B, C, i0, i1, j0, j1, mk, k1, threshold)
	} else {
		for i := i0; i < i1; i++ {
			for j := j0; j < j1; j++ {
				for k := k0; k < k1; k++ {
					C[i][j] += A[i][k] * B[k][j]
				}
			}
		}
	}
}

// correct checks C == C0 + A*B at a few places (exact: integer-valued
// doubles below 2^53, summed in k order as the recursion does).
func correct(A, B, C0, C Matrix, n int) bool {
	for _, i := range []int{0, n / 3, n - 1} {
		for _, j := range []int{0, n / 2, n - 1} {
			want := C0[i][j]
			for k := 0; k < n; k++ {
				want += A[i][k] * B[k][j]
			}
			if C[i][j] != want {
				return false
			}
		}
	}
	return true
}

func main() {
	n := flag.Int("n", 128, "matrix size")
	minTime := flag.Duration("t", 200*time.Millisecond, "minimum measured time")
	flag.Parse()
	A, B, C0, C := makeMatrix(*n), makeMatrix(*n), makeMatrix(*n), makeMatrix(*n)
	matmult(nil, A, B, C, 0, *n, 0, *n, 0, *n, 8) // untimed: check + warm-up
	if !correct(A, B, C0, C, *n) {
		fmt.Fprintln(os.Stderr, "matmult: wrong product")
		os.Exit(1)
	}
	ops := int64(*n) * int64(*n) * int64(*n)
	serial := time.Duration(0) // best of 3, as proc_bench's Matmult
	for r := 0; r < 3; r++ {
		t0 := time.Now()
		matmultSerial(A, B, C, 0, *n, 0, *n, 0, *n, 8)
		if d := time.Since(t0); r == 0 || d < serial {
			serial = d
		}
	}
	ns, products := result.Loop(*minTime, func(k int64) {
		for i := int64(0); i < k; i++ {
			matmult(nil, A, B, C, 0, *n, 0, *n, 0, *n, 8)
		}
	})
	result.Emit(fmt.Sprintf("matmult/n:%d", *n), ns/float64(ops), products*ops,
		map[string]float64{"serial_ns_per_op": float64(serial.Nanoseconds()) / float64(ops)}, nil)
}
