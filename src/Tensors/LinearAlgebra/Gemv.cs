using System.Numerics;

namespace NativeFree.Tensors.LinearAlgebra;

/// <summary>
/// Matrix–vector products, the n = 1 (and, transposed, m = 1) case of GEMM:
/// <c>y = alpha·A·x + beta·y</c>. Packing would cost as much as the product itself here, so A is
/// streamed once: dot products of contiguous rows, or AXPYs of contiguous columns.
/// Single-threaded (memory bound).
/// </summary>
internal static unsafe class Gemv
{
    /// <summary>y[i·incY] = alpha·Σ_p A(i,p)·x[p·incX] + beta·y[i·incY] for i &lt; m (m, k &gt; 0, alpha ≠ 0).</summary>
    public static void Run<T>(int m, int k, T alpha, T* a, nint rsA, nint csA, T* x, nint incX, T beta, T* y, nint incY)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (csA == 1 && incX == 1)
        {
            // Rows of A and x contiguous: one SIMD dot product per output.
            var xs = new ReadOnlySpan<T>(x, k);
            for (int i = 0; i < m; i++)
            {
                T dot = System.Numerics.Tensors.TensorPrimitives.Dot(new ReadOnlySpan<T>(a + i * rsA, k), xs);
                T* yi = y + i * incY;
                *yi = beta == T.Zero ? alpha * dot : alpha * dot + beta * *yi;
            }
            return;
        }
        if (rsA == 1 && incY == 1)
        {
            // Columns of A and y contiguous: y = beta·y, then y += (alpha·x_p)·A[:, p] for each p.
            var ys = new Span<T>(y, m);
            if (beta == T.Zero) ys.Clear();
            else if (beta != T.One) System.Numerics.Tensors.TensorPrimitives.Multiply(ys, beta, ys);
            for (int p = 0; p < k; p++)
            {
                T s = alpha * x[p * incX];
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(new ReadOnlySpan<T>(a + p * csA, m), s, ys, ys);
            }
            return;
        }
        for (int i = 0; i < m; i++)
        {
            T sum = T.Zero;
            T* ai = a + i * rsA;
            for (int p = 0; p < k; p++) sum += ai[p * csA] * x[p * incX];
            T* yi = y + i * incY;
            *yi = beta == T.Zero ? alpha * sum : alpha * sum + beta * *yi;
        }
    }
}
