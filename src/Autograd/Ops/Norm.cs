using NativeFree.Tensors;

namespace NativeFree.Autograd;

// The p-norm as a primitive, because the chain rule through sqrt (or the 1/p power) of the sum
// gives ∞·0 = NaN at an all-zero input. The rule is PyTorch's norm_backward: the subgradient 0
// where the norm is 0, written with var ops on masked-safe denominators so it differentiates again.
public sealed partial class Var<T>
{
    private sealed record NormState(ReduceState Reduce, double P);

    /// <summary>
    /// The p-norm over <paramref name="axes"/> (null: all axes); p = 2 by default, p = ∞ is the max of |x|.
    /// Where the norm is 0 the gradient is 0, as in PyTorch (and so is the second derivative there);
    /// for p &lt; 1 zero elements get gradient 0 too. p = ∞ shares the gradient equally between the
    /// elements of largest |x| (torch.amax's rule).
    /// </summary>
    public Var<T> Norm(int[]? axes = null, bool keepDim = false, double p = 2)
    {
        if (double.IsPositiveInfinity(p)) return Abs().Max(axes, keepDim);
        if (!(p > 0)) throw new ArgumentException($"Norm needs p > 0, got {p}.", nameof(p));
        var value = p == 2
            ? Tensor.Sqrt(Tensor.Sum(Tensor.Mul(Value, Value), axes, keepDim))
            : Tensor.Pow(Tensor.Sum(Tensor.Pow(Tensor.Abs(Value), C(p)), axes, keepDim), C(1 / p));
        return Record(OpRegistry.Norm, value, NormRule, new NormState(new ReduceState(axes ?? [], keepDim, Value.ShapeArray), p), this);
    }

    // dx = sign(x)·|x|^(p−1) · g / y^(p−1) (for p = 2: x·g/y), with g/y^(p−1) set to 0 where y = 0.
    // The denominators get +1 where y = 0 before dividing, so nothing infinite enters the graph.
    private static readonly BackwardRule<T> NormRule = static (n, g) =>
    {
        var s = (NormState)n.State!;
        double p = s.P;
        var x = n.Input(0);
        var gk = Kept(g, s.Reduce);
        var sign = Mask(Tensor.Sign(x.Value));
        if (p == 1) return [gk * sign];
        var y = Kept(n.Output, s.Reduce);
        if (p < 1)
        {
            // |x|^(p−1) is infinite at x = 0: take 1 there (the sign is 0 anyway). y^(1−p) is finite.
            var safeAbs = x.Abs() + Mask(Tensor.Equal(x.Value, Tensor.Scalar(T.Zero)));
            return [sign * safeAbs.Pow(C(p - 1)) * gk * y.Pow(C(1 - p))];
        }
        var zero = Tensor.Equal(y.Value, Tensor.Scalar(T.Zero));
        var safeY = y + Mask(zero);
        var scale = gk * Mask(Tensor.Add(-zero, T.One)) / (p == 2 ? safeY : safeY.Pow(C(p - 1)));
        var term = p == 2 ? x : p < 2 ? sign * x.Abs().Pow(C(p - 1)) : x * x.Abs().Pow(C(p - 2));
        return [term * scale];
    };
}
