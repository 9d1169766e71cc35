using System.Numerics;

namespace NativeFree.Tensors.LinearAlgebra;

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
