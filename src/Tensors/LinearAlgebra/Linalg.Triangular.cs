using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace NativeFree.Tensors.LinearAlgebra;

public static partial class Linalg
{
    /// <summary>
    /// Solves op(A)·X = B for triangular A, where op(A) is A or Aᵀ. Only the triangle named by
    /// <paramref name="lower"/> is read; with <paramref name="unitDiagonal"/> the diagonal is taken
    /// to be ones and not read. B is a vector [n] or a matrix [n, k]; the result has B's shape.
    /// Blocked: each block row is updated with one GEMM, then solved by substitution.
    /// </summary>
    public static Tensor<T> SolveTriangular<T>(Tensor<T> a, Tensor<T> b, bool lower = true, bool transpose = false, bool unitDiagonal = false)
        where T : unmanaged, IFloatingPointIeee754<T>
        => SolveTriangular(a, b, lower, transpose, unitDiagonal, DefaultBlockSize);

    internal static Tensor<T> SolveTriangular<T>(Tensor<T> a, Tensor<T> b, bool lower, bool transpose, bool unitDiagonal, int blockSize)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = CheckSquare(a, nameof(a), "SolveTriangular");
        CheckRhs(n, a, b, "SolveTriangular");
        if (n == 0) return b.Clone();
        var ac = a.Contiguous().AsSpan();
        if (!unitDiagonal)
            for (int i = 0; i < n; i++)
                if (ac[i * n + i] == T.Zero)
                    throw new ArithmeticException($"SolveTriangular: the triangular matrix of shape {ShapeUtil.Format(a.Shape)} is singular (diagonal element {i} is zero).");
        var x = b.Clone();
        int k = b.Rank == 1 ? 1 : b.Shape[1];
        if (k > 0) SolveTriangularInPlace<T>(ac, n, n, lower, transpose, unitDiagonal, x.AsSpan(), k, k, blockSize);
        return x;
    }

    /// <summary>
    /// In-place op(A)·X = B on row-major storage: A is n×n with row stride lda, X (holding B on entry)
    /// is n×k with row stride ldx.
    /// </summary>
    internal static void SolveTriangularInPlace<T>(ReadOnlySpan<T> a, int n, int lda, bool lower, bool transpose, bool unit,
        Span<T> x, int k, int ldx, int nb) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // M = op(A) as strides: M(i, j) = a[i*rs + j*cs]. M is lower triangular iff lower XOR transpose.
        int rs = transpose ? 1 : lda, cs = transpose ? lda : 1;
        bool forward = lower != transpose;
        if (forward)
        {
            for (int ib = 0; ib < n; ib += nb)
            {
                int e = Math.Min(n, ib + nb);
                if (ib > 0) // X[ib:e] -= M[ib:e, 0:ib] · X[0:ib]
                    Gemm.Multiply(e - ib, k, ib, -T.One, a[(ib * rs)..], rs, cs, x, ldx, 1, T.One, x[(ib * ldx)..], ldx, 1);
                for (int i = ib; i < e; i++)
                {
                    var xi = x.Slice(i * ldx, k);
                    for (int j = ib; j < i; j++) TP.MultiplyAdd<T>(x.Slice(j * ldx, k), -a[i * rs + j * cs], xi, xi);
                    if (!unit) TP.Divide<T>(xi, a[i * rs + i * cs], xi);
                }
            }
        }
        else
        {
            int last = (n - 1) / nb * nb;
            for (int ib = last; ib >= 0; ib -= nb)
            {
                int e = Math.Min(n, ib + nb);
                if (e < n) // X[ib:e] -= M[ib:e, e:n] · X[e:n]
                    Gemm.Multiply(e - ib, k, n - e, -T.One, a[(ib * rs + e * cs)..], rs, cs, x[(e * ldx)..], ldx, 1, T.One, x[(ib * ldx)..], ldx, 1);
                for (int i = e - 1; i >= ib; i--)
                {
                    var xi = x.Slice(i * ldx, k);
                    for (int j = i + 1; j < e; j++) TP.MultiplyAdd<T>(x.Slice(j * ldx, k), -a[i * rs + j * cs], xi, xi);
                    if (!unit) TP.Divide<T>(xi, a[i * rs + i * cs], xi);
                }
            }
        }
    }
}
