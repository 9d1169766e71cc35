using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace NativeFree.Tensors.Sparse;

/// <summary>
/// Sparse × dense products: SpMV (<c>A·x</c>), SpMM (<c>A·X</c>), the transposed product
/// (<c>Aᵀ·X</c>) and the gradient of <c>A·X</c> with respect to A's stored values — the pieces
/// of a graph-convolution layer's forward and backward pass. Rows are split across threads by
/// nonzero count; the dense columns are processed with SIMD (TensorPrimitives).
/// </summary>
public static class SparseMatMul
{
    /// <summary><c>y = A·x</c> for a vector <paramref name="x"/> of length <c>A.Columns</c>.</summary>
    public static Tensor<T> SpMV<T>(CsrMatrix<T> a, Tensor<T> x, int? threads = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 1 || x.Shape[0] != a.Columns)
            throw new ArgumentException($"SpMV: matrix {a.ShapeText} times vector of shape {ShapeUtil.Format(x.Shape)}; the vector needs length {a.Columns}.", nameof(x));
        var xs = x.Length == 0 ? Array.Empty<T>() : x.Contiguous().ToArray();
        var y = new T[a.Rows];
        int t = Parallelism.Resolve(threads);
        int parts = SparseParallel.Parts(a.Nnz + a.Rows, t);
        var bounds = SparseParallel.SplitByNnz(a.RowPtr, parts);
        SparseParallel.For(parts, t, part =>
        {
            int[] rp = a.RowPtr, ci = a.ColIdx;
            T[] v = a.Vals;
            for (int i = bounds[part]; i < bounds[part + 1]; i++)
            {
                T s = T.Zero;
                for (int p = rp[i]; p < rp[i + 1]; p++) s += v[p] * xs[ci[p]];
                y[i] = s;
            }
        });
        return Tensor.FromArray(y, a.Rows);
    }

    /// <summary>
    /// <c>Y = A·X</c> with X dense of shape [A.Columns, n]; Y has shape [A.Rows, n]. A 1-D
    /// <paramref name="x"/> is treated as a vector (<see cref="SpMV{T}"/>).
    /// </summary>
    public static Tensor<T> SpMM<T>(CsrMatrix<T> a, Tensor<T> x, int? threads = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank == 1) return SpMV(a, x, threads);
        if (x.Rank != 2 || x.Shape[0] != a.Columns)
            throw new ArgumentException($"SpMM inner dimensions differ: sparse {a.ShapeText} times dense {ShapeUtil.Format(x.Shape)}.", nameof(x));
        int n = x.Shape[1];
        var y = Tensor.Zeros<T>(a.Rows, n);
        if (n == 0 || a.Rows == 0 || a.Nnz == 0) return y;
        T[] xs = x.Contiguous().ToArray();
        T[] ys = y.Storage;
        int t = Parallelism.Resolve(threads);
        int parts = SparseParallel.Parts((long)(a.Nnz + a.Rows) * n, t);
        var bounds = SparseParallel.SplitByNnz(a.RowPtr, parts);
        SparseParallel.For(parts, t, part => RowsTimesDense(a, xs, n, ys, bounds[part], bounds[part + 1]));
        return y;
    }

    // y[i, :] = Σ_p v[p] · X[ci[p], :] for rows [r0, r1): one SIMD axpy per stored entry.
    private static void RowsTimesDense<T>(CsrMatrix<T> a, T[] xs, int n, T[] ys, int r0, int r1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int[] rp = a.RowPtr, ci = a.ColIdx;
        T[] v = a.Vals;
        for (int i = r0; i < r1; i++)
        {
            var yrow = ys.AsSpan(i * n, n);
            for (int p = rp[i]; p < rp[i + 1]; p++)
                TP.MultiplyAdd<T>(xs.AsSpan(ci[p] * n, n), v[p], yrow, yrow);
        }
    }

    /// <summary>
    /// <c>Y = Aᵀ·X</c> with X dense of shape [A.Rows, n]; Y has shape [A.Columns, n]. On one thread this
    /// scatters rows of X directly; on several it multiplies by the transpose (built once, O(nnz)) so
    /// that threads never write the same output row.
    /// </summary>
    public static Tensor<T> SpMMTransposed<T>(CsrMatrix<T> a, Tensor<T> x, int? threads = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(x);
        bool vector = x.Rank == 1;
        if ((x.Rank != 1 && x.Rank != 2) || x.Shape[0] != a.Rows)
            throw new ArgumentException($"SpMMTransposed: the transpose of sparse {a.ShapeText} times dense {ShapeUtil.Format(x.Shape)}; X needs {a.Rows} rows.", nameof(x));
        int t = Parallelism.Resolve(threads);
        if (t > 1 && (long)a.Nnz * (vector ? 1 : x.Shape[1]) > 1 << 16)
            return SpMM(a.Transpose(), x, t);
        int n = vector ? 1 : x.Shape[1];
        var y = vector ? Tensor.Zeros<T>(a.Columns) : Tensor.Zeros<T>(a.Columns, n);
        if (n == 0 || a.Nnz == 0) return y;
        T[] xs = x.Contiguous().ToArray();
        T[] ys = y.Storage;
        int[] rp = a.RowPtr, ci = a.ColIdx;
        T[] v = a.Vals;
        for (int i = 0; i < a.Rows; i++)
        {
            var xrow = xs.AsSpan(i * n, n);
            for (int p = rp[i]; p < rp[i + 1]; p++)
            {
                var yrow = ys.AsSpan(ci[p] * n, n);
                TP.MultiplyAdd<T>(xrow, v[p], yrow, yrow);
            }
        }
        return y;
    }

    /// <summary>
    /// For <c>C = A·X</c> with A sparse: the gradient of a loss with respect to A's stored values,
    /// <c>dL/dvalues[e] = dot(dC[i, :], X[j, :])</c> for stored entry e = (i, j). Returns a 1-D tensor
    /// of length <c>A.Nnz</c>, in A's storage order (only stored entries get gradients: the sparsity
    /// pattern is fixed). The gradient with respect to X is <see cref="SpMMTransposed{T}"/>(A, dC).
    /// </summary>
    public static Tensor<T> SpMMValuesGradient<T>(CsrMatrix<T> a, Tensor<T> x, Tensor<T> dC, int? threads = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(dC);
        bool vector = x.Rank == 1;
        int n = vector ? 1 : x.Rank == 2 ? x.Shape[1] : -1;
        if (n < 0 || x.Shape[0] != a.Columns)
            throw new ArgumentException($"SpMMValuesGradient: sparse {a.ShapeText} times dense {ShapeUtil.Format(x.Shape)} do not multiply.", nameof(x));
        bool dcOk = vector ? dC.Rank == 1 && dC.Shape[0] == a.Rows : dC.Rank == 2 && dC.Shape[0] == a.Rows && dC.Shape[1] == n;
        if (!dcOk)
            throw new ArgumentException($"SpMMValuesGradient: dC has shape {ShapeUtil.Format(dC.Shape)}, but A·X for sparse {a.ShapeText} and dense {ShapeUtil.Format(x.Shape)} has shape [{a.Rows}{(vector ? "" : ", " + n)}].", nameof(dC));
        var g = new T[a.Nnz];
        if (a.Nnz == 0 || n == 0) return Tensor.FromArray(g, g.Length);
        T[] xs = x.Contiguous().ToArray();
        T[] ds = dC.Contiguous().ToArray();
        int t = Parallelism.Resolve(threads);
        int parts = SparseParallel.Parts((long)(a.Nnz + a.Rows) * n, t);
        var bounds = SparseParallel.SplitByNnz(a.RowPtr, parts);
        SparseParallel.For(parts, t, part =>
        {
            int[] rp = a.RowPtr, ci = a.ColIdx;
            for (int i = bounds[part]; i < bounds[part + 1]; i++)
            {
                var drow = new ReadOnlySpan<T>(ds, i * n, n);
                for (int p = rp[i]; p < rp[i + 1]; p++)
                    g[p] = TP.Dot<T>(drow, new ReadOnlySpan<T>(xs, ci[p] * n, n));
            }
        });
        return Tensor.FromArray(g, g.Length);
    }
}
