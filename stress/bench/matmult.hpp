// matmult.hpp — Go's BenchmarkMatmult workload (runtime/proc_test.go:
// matmult, threshold 8), shared by proc_bench's Matmult row and its peers
// (tbb_peer matmult), so every implementation multiplies the same matrices
// with the same recursion and differs only in how it forks.
//
//   gmpkit_bench::Matrix A = make_matrix(n), B = ..., C = ...;
//   matmult(fork, A, B, C, 0, n, 0, n, 0, n);   // fork(left, right): run
//                                               // both, left maybe in parallel,
//                                               // return when both are done
//   matmult_correct(A, B, C0, C, n);            // C == C0 + A*B (exact)
#pragma once

#include <cstddef>
#include <vector>

namespace gmpkit_bench {

// Rows of doubles, as Go's Matrix ([][]float64).
using Matrix = std::vector<std::vector<double>>;
inline constexpr int kMatmultThreshold = 8;  // Go's: below it, multiply directly

inline Matrix make_matrix(int n) {
  Matrix m(static_cast<std::size_t>(n), std::vector<double>(static_cast<std::size_t>(n)));
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) m[i][j] = static_cast<double>(i * n + j);
  return m;
}

// C[i0,i1) x [j0,j1) += A * B over k in [k0,k1). Splits the largest of the
// three extents in two: i and j halves write disjoint parts of C and go
// through fork; k halves write the same C and run in turn (as Go's).
template <class Fork>
void matmult(Fork& fork, const Matrix& A, const Matrix& B, Matrix& C, int i0, int i1, int j0,
             int j1, int k0, int k1) {
  const int di = i1 - i0, dj = j1 - j0, dk = k1 - k0;
  if (di >= dj && di >= dk && di >= kMatmultThreshold) {  // divide in two by y axis
    const int mi = i0 + di / 2;
    fork([&] { matmult(fork, A, B, C, i0, mi, j0, j1, k0, k1); },
         [&] { matmult(fork, A, B, C, mi, i1, j0, j1, k0, k1); });
  } else if (dj >= dk && dj >= kMatmultThreshold) {  // divide in two by x axis
    const int mj = j0 + dj / 2;
    fork([&] { matmult(fork, A, B, C, i0, i1, j0, mj, k0, k1); },
         [&] { matmult(fork, A, B, C, i0, i1, mj, j1, k0, k1); });
  } else if (dk >= kMatmultThreshold) {  // by "k": always serially, both halves write the same C
    const int mk = k0 + dk / 2;
    matmult(fork, A, B, C, i0, i1, j0, j1, k0, mk);
    matmult(fork, A, B, C, i0, i1, j0, j1, mk, k1);
  } else {  // small enough: compute directly
    for (int i = i0; i < i1; i++)
      for (int j = j0; j < j1; j++)
        for (int k = k0; k < k1; k++) C[i][j] += A[i][k] * B[k][j];
  }
}

// The same recursion without forking: the serial baseline.
struct SerialFork {
  template <class L, class R>
  void operator()(L&& left, R&& right) const {
    left();
    right();
  }
};

// C == C0 + A*B at a few places. The k halves run in order, so every C[i][j]
// sums its products in k order, and the integer-valued doubles stay below
// 2^53: the comparison is exact.
inline bool matmult_correct(const Matrix& A, const Matrix& B, const Matrix& C0, const Matrix& C,
                            int n) {
  for (int i : {0, n / 3, n - 1})
    for (int j : {0, n / 2, n - 1}) {
      double want = C0[i][j];
      for (int k = 0; k < n; k++) want += A[i][k] * B[k][j];
      if (C[i][j] != want) return false;
    }
  return true;
}

}  // namespace gmpkit_bench
