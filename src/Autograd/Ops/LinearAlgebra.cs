using NativeFree.Tensors;

namespace NativeFree.Autograd;

// Matrix product (NumPy matmul rules, batched and broadcasting).
public sealed partial class Var<T>
{
    /// <summary>Matrix product with NumPy's matmul rules (1-D operands promoted, leading axes broadcast).</summary>
    public static Var<T> MatMul(Var<T> a, Var<T> b)
    {
        var value = IsPlainMatrix(a.Value) && IsPlainMatrix(b.Value) && a.Shape[1] == b.Shape[0]
            ? Gemm2d(a.Value, false, b.Value, false)
            : Tensor.MatMul(a.Value, b.Value);
        return Record(OpRegistry.MatMul, value, MatMulRule, null, a, b);
    }

    // With A = a as a matrix and B = b as a matrix: dA = G Bᵀ, dB = Aᵀ G. Vectors get their
    // promoted axis back first and lose it after; summing over broadcast batch axes is the engine's job.
    // Plain backward of a 2-D product: the same two GEMMs with transposed strides, no ops recorded.
    private static readonly BackwardRule<T> MatMulRule = static (n, g) =>
    {
        Var<T> a = n.Input(0), b = n.Input(1);
        if (!GradMode.IsEnabled && IsPlainMatrix(a.Value) && IsPlainMatrix(b.Value) && IsPlainMatrix(g.Value))
            return [n.NeedsGrad(0) ? Plain(Gemm2d(g.Value, false, b.Value, true)) : null,
                    n.NeedsGrad(1) ? Plain(Gemm2d(a.Value, true, g.Value, false)) : null];
        // Recording, 2-D: the products with transposed operands as primitives that read the transposes
        // through strides, so no permute nodes (and their strided gradients) enter the graph.
        if (IsPlainMatrix(a.Value) && IsPlainMatrix(b.Value) && IsPlainMatrix(g.Value))
            return [n.NeedsGrad(0) ? MatMulT(g, false, b, true) : null, n.NeedsGrad(1) ? MatMulT(a, true, g, false) : null];
        bool vecA = a.Rank == 1, vecB = b.Rank == 1;
        var A = vecA ? a.Unsqueeze(0) : a;
        var B = vecB ? b.Unsqueeze(-1) : b;
        var G = g;
        if (vecA) G = G.Unsqueeze(G.Rank - (vecB ? 0 : 1));
        if (vecB) G = G.Unsqueeze(G.Rank);
        Var<T>? ga = null, gb = null;
        if (n.NeedsGrad(0)) { ga = MatMul(G, B.Mt); if (vecA) ga = ga.Squeeze(-2); }
        if (n.NeedsGrad(1)) { gb = MatMul(A.Mt, G); if (vecB) gb = gb.Squeeze(-1); }
        return [ga, gb];
    };

    /// <summary>
    /// a·bᵀ for matrices a [m, k] and b [n, k], as one node (a linear layer x·Wᵀ with W stored [out, in]);
    /// the transpose is read through strides, nothing is copied. Same as <c>MatMulT(a, false, b, true)</c>.
    /// </summary>
    /// <exception cref="ArgumentException">When a or b is not a matrix, or their inner sizes differ (the message names both shapes).</exception>
    public static Var<T> MatMulT(Var<T> a, Var<T> b) => MatMulT(a, false, b, true);

    /// <summary>
    /// op(a)·op(b) for matrices, op = transpose where <paramref name="transA"/> / <paramref name="transB"/>
    /// ask, as one node whose backward is again MatMulT (so it is differentiable to any order). Also the
    /// recorded backward of a 2-D <see cref="MatMul"/>.
    /// </summary>
    /// <param name="a">A matrix: [m, k], or [k, m] when <paramref name="transA"/>.</param>
    /// <param name="transA">Use aᵀ.</param>
    /// <param name="b">A matrix: [k, n], or [n, k] when <paramref name="transB"/>.</param>
    /// <param name="transB">Use bᵀ.</param>
    /// <returns>The [m, n] product.</returns>
    /// <exception cref="ArgumentException">When a or b is not a matrix, or the inner sizes of op(a) and op(b) differ (the message names both shapes).</exception>
    public static Var<T> MatMulT(Var<T> a, bool transA, Var<T> b, bool transB)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        string Op(Var<T> v, bool t) => ShapeUtil.Format(v.Shape) + (t ? "ᵀ" : "");
        if (a.Rank != 2 || b.Rank != 2)
            throw new ArgumentException($"MatMulT multiplies two matrices; got a {Op(a, transA)} and b {Op(b, transB)}. Use MatMul for vectors and batches.");
        int ka = a.Shape[transA ? 0 : 1], kb = b.Shape[transB ? 1 : 0];
        if (ka != kb)
            throw new ArgumentException($"MatMulT: inner sizes differ: op(a) = a {Op(a, transA)} has {ka} columns but op(b) = b {Op(b, transB)} has {kb} rows.");
        if (!transA && !transB) return MatMul(a, b);
        return Record(OpRegistry.MatMulT, Gemm2d(Plain2d(a.Value), transA, Plain2d(b.Value), transB), MatMulTRule, (transA, transB), a, b);
    }

    // The GEMM reads non-negative strides only; a reversed view is copied first.
    private static Tensor<T> Plain2d(Tensor<T> t) => IsPlainMatrix(t) ? t : t.Contiguous();

    // C = op(A)·op(B): dA = tA ? op(B)·Gᵀ : G·op(B)ᵀ, dB = tB ? Gᵀ·op(A) : op(A)ᵀ·G — again products of
    // (possibly transposed) operands, so the rule is MatMulT itself (plain or recorded alike).
    private static readonly BackwardRule<T> MatMulTRule = static (n, g) =>
    {
        var (tA, tB) = ((bool, bool))n.State!;
        Var<T> a = n.Input(0), b = n.Input(1);
        if (!IsPlainMatrix(g.Value)) g += Scalar(T.Zero); // a fresh row-major copy, still differentiable
        return [n.NeedsGrad(0) ? (tA ? MatMulT(b, tB, g, true) : MatMulT(g, false, b, !tB)) : null,
                n.NeedsGrad(1) ? (tB ? MatMulT(g, true, a, tA) : MatMulT(a, !tA, g, false)) : null];
    };

    // A matrix the GEMM can read through its strides as it is (no negative strides).
    private static bool IsPlainMatrix(Tensor<T> t) => t.Rank == 2 && t.Strides[0] >= 0 && t.Strides[1] >= 0;

    // op(x)·op(y) for matrices, op = transpose when asked (by swapping strides, nothing is copied),
    // into a (pooled) buffer.
    private static Tensor<T> Gemm2d(Tensor<T> x, bool transX, Tensor<T> y, bool transY)
    {
        int m = x.Shape[transX ? 1 : 0], k = x.Shape[transX ? 0 : 1], n = y.Shape[transY ? 0 : 1];
        var c = GraphScope.NewBuffer<T>([m, n]);
        int xr = x.Strides[transX ? 1 : 0], xc = x.Strides[transX ? 0 : 1];
        int yr = y.Strides[transY ? 1 : 0], yc = y.Strides[transY ? 0 : 1];
        NativeFree.Tensors.LinearAlgebra.Gemm.Multiply(m, n, k, T.One,
            x.Storage.AsSpan(x.Offset), xr, xc, y.Storage.AsSpan(y.Offset), yr, yc,
            T.Zero, c.AsSpan(), n, 1);
        return c;
    }
}
