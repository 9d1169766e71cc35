using System.Numerics;

namespace NativeFree.Tensors.LinearAlgebra;

/// <summary>
/// General matrix multiply, <c>C = alpha·op(A)·op(B) + beta·C</c>, on strided row-major storage.
/// A matrix operand is (span, row stride, column stride): transposes and non-contiguous views
/// are just other strides. When <c>beta</c> is zero, C is overwritten (NaNs in C do not propagate).
/// </summary>
public static class Gemm
{
    /// <summary>
    /// <c>C[m×n] = alpha·A[m×k]·B[k×n] + beta·C</c>, with A element (i,p) at
    /// <c>a[i*aRowStride + p*aColStride]</c>, and likewise for B and C.
    /// </summary>
    public static void Multiply<T>(int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int aRowStride, int aColStride,
        ReadOnlySpan<T> b, int bRowStride, int bColStride,
        T beta, Span<T> c, int cRowStride, int cColStride, int? threads = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"GEMM sizes must be non-negative (m={m}, n={n}, k={k}).");
        GemmReference.Multiply(m, n, k, alpha, a, aRowStride, aColStride, b, bRowStride, bColStride, beta, c, cRowStride, cColStride);
    }

    /// <summary>
    /// BLAS-style entry point on dense row-major matrices: <c>C = alpha·op(A)·op(B) + beta·C</c>,
    /// where op(X) is X or Xᵀ and lda/ldb/ldc are row strides of the stored matrices.
    /// </summary>
    public static void Multiply<T>(bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc, int? threads = null)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Multiply(m, n, k, alpha,
            a, transA ? 1 : lda, transA ? lda : 1,
            b, transB ? 1 : ldb, transB ? ldb : 1,
            beta, c, ldc, 1, threads);
}

/// <summary>The plain triple loop every fast GEMM path is tested against.</summary>
public static class GemmReference
{
    /// <summary>Same contract as <see cref="Gemm.Multiply{T}(int,int,int,T,ReadOnlySpan{T},int,int,ReadOnlySpan{T},int,int,T,Span{T},int,int,int?)"/>, accumulating in T.</summary>
    public static void Multiply<T>(int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int aRowStride, int aColStride,
        ReadOnlySpan<T> b, int bRowStride, int bColStride,
        T beta, Span<T> c, int cRowStride, int cColStride)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                T sum = T.Zero;
                for (int p = 0; p < k; p++) sum += a[i * aRowStride + p * aColStride] * b[p * bRowStride + j * bColStride];
                ref T cij = ref c[i * cRowStride + j * cColStride];
                cij = beta == T.Zero ? alpha * sum : alpha * sum + beta * cij;
            }
    }
}
