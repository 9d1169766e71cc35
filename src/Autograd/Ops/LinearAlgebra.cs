using NativeFree.Tensors;

namespace NativeFree.Autograd;

// Matrix product (NumPy matmul rules, batched and broadcasting).
public sealed partial class Var<T>
{
    /// <summary>Matrix product with NumPy's matmul rules (1-D operands promoted, leading axes broadcast).</summary>
    public static Var<T> MatMul(Var<T> a, Var<T> b) => Record(OpRegistry.MatMul, Tensor.MatMul(a.Value, b.Value), MatMulRule, null, a, b);

    // With A = a as a matrix and B = b as a matrix: dA = G Bᵀ, dB = Aᵀ G. Vectors get their
    // promoted axis back first and lose it after; summing over broadcast batch axes is the engine's job.
    private static readonly BackwardRule<T> MatMulRule = static (n, g) =>
    {
        Var<T> a = n.Input(0), b = n.Input(1);
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
}
