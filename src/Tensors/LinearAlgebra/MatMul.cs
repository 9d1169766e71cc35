using System.Numerics;
using NativeFree.Tensors.LinearAlgebra;

namespace NativeFree.Tensors;

public static partial class Tensor
{
    /// <summary>
    /// Matrix product with NumPy's matmul rules: 2-D × 2-D is a GEMM; 1-D operands are
    /// promoted to a row (left) or column (right) vector and the added axis removed;
    /// leading (batch) axes broadcast. Strided views are used without copying when possible.
    /// </summary>
    public static Tensor<T> MatMul<T>(Tensor<T> a, Tensor<T> b, int? threads = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (a.Rank == 0 || b.Rank == 0)
            throw new ArgumentException($"MatMul needs operands of rank ≥ 1; got shapes {ShapeUtil.Format(a.Shape)} and {ShapeUtil.Format(b.Shape)}.");
        bool vecA = a.Rank == 1, vecB = b.Rank == 1;
        var A = vecA ? a.Unsqueeze(0) : a;
        var B = vecB ? b.Unsqueeze(-1) : b;
        int m = A.Shape[^2], k = A.Shape[^1], k2 = B.Shape[^2], n = B.Shape[^1];
        if (k != k2)
            throw new ArgumentException($"MatMul inner dimensions differ: shapes {ShapeUtil.Format(a.Shape)} and {ShapeUtil.Format(b.Shape)} ({k} vs {k2}).");
        var batch = ShapeUtil.Broadcast(A.Shape[..^2], B.Shape[..^2]);
        int[] aShape = [.. batch, m, k], bShape = [.. batch, k, n], cShape = [.. batch, m, n];
        var Ae = HasNegativeStride(A) ? A.Contiguous().Expand(aShape) : A.Expand(aShape);
        var Be = HasNegativeStride(B) ? B.Contiguous().Expand(bShape) : B.Expand(bShape);
        var C = Zeros<T>(cShape);
        int batchCount = ShapeUtil.ElementCount(batch);
        var cs = C.AsSpan();
        for (int bi = 0; bi < batchCount; bi++)
        {
            int ao = Ae.Offset, bo = Be.Offset, rem = bi;
            for (int d = batch.Length - 1; d >= 0; d--)
            {
                int idx = rem % batch[d]; rem /= batch[d];
                ao += idx * Ae.Strides[d];
                bo += idx * Be.Strides[d];
            }
            Gemm.Multiply(m, n, k, T.One,
                Ae.Storage.AsSpan(ao), Ae.Strides[^2], Ae.Strides[^1],
                Be.Storage.AsSpan(bo), Be.Strides[^2], Be.Strides[^1],
                T.Zero, cs.Slice(bi * m * n, m * n), n, 1, threads);
        }
        if (vecA && vecB) return C.Reshape([.. batch]);
        if (vecA) return C.Squeeze(-2);
        if (vecB) return C.Squeeze(-1);
        return C;
    }

    private static bool HasNegativeStride<T>(Tensor<T> t) where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (int s in t.Strides) if (s < 0) return true;
        return false;
    }
}
