using NativeFree.Tensors;

namespace NativeFree.Autograd;

// Reductions. The rules first put the reduced axes back as size 1 (KeepDims), then broadcast
// the adjoint over them with Expand, whose own rule is "sum back", so double backward works.
public sealed partial class Var<T>
{
    private sealed record ReduceState(int[] Axes, bool KeepDim, int[] InputShape);

    private static int[] KeptShape(ReadOnlySpan<int> shape, int[]? axes)
    {
        var mask = ShapeUtil.AxisMask(axes ?? [], shape.Length);
        var kept = shape.ToArray();
        for (int i = 0; i < kept.Length; i++) if (mask[i]) kept[i] = 1;
        return kept;
    }

    // The adjoint of a reduction, reshaped to keep the reduced axes as size 1.
    private static Var<T> Kept(Var<T> g, ReduceState s) => s.KeepDim ? g : g.Reshape(KeptShape(s.InputShape, s.Axes));

    /// <summary>Σ over <paramref name="axes"/> (null: all axes).</summary>
    public Var<T> Sum(int[]? axes = null, bool keepDim = false)
        => Record(OpRegistry.Sum, Tensor.Sum(Value, axes, keepDim), SumRule, new ReduceState(axes ?? [], keepDim, Value.ShapeArray), this);
    private static readonly BackwardRule<T> SumRule = static (n, g) =>
    {
        var s = (ReduceState)n.State!;
        return [Kept(g, s).Expand(s.InputShape)];
    };

    /// <summary>Maximum over <paramref name="axes"/>; ties share the gradient equally.</summary>
    public Var<T> Max(int[]? axes = null, bool keepDim = false)
        => Record(OpRegistry.Max, Tensor.Max(Value, axes, keepDim), ExtremumRule, new ReduceState(axes ?? [], keepDim, Value.ShapeArray), this);

    /// <summary>Minimum over <paramref name="axes"/>; ties share the gradient equally.</summary>
    public Var<T> Min(int[]? axes = null, bool keepDim = false)
        => Record(OpRegistry.Min, Tensor.Min(Value, axes, keepDim), ExtremumRule, new ReduceState(axes ?? [], keepDim, Value.ShapeArray), this);

    private static readonly BackwardRule<T> ExtremumRule = static (n, g) =>
    {
        var s = (ReduceState)n.State!;
        var x = n.Input(0).Value;
        var y = s.KeepDim ? n.Output.Value : n.Output.Value.Reshape(KeptShape(s.InputShape, s.Axes));
        var hit = Tensor.Equal(x, y);
        var share = Tensor.Div(hit, Tensor.Sum(hit, s.Axes, keepDim: true));
        return [Kept(g, s).Expand(s.InputShape) * Mask(share)];
    };

    /// <summary>log Σ exp over <paramref name="axes"/>, computed without overflow.</summary>
    public Var<T> LogSumExp(int[]? axes = null, bool keepDim = false)
        => Record(OpRegistry.LogSumExp, Tensor.LogSumExp(Value, axes, keepDim), LogSumExpRule, new ReduceState(axes ?? [], keepDim, Value.ShapeArray), this);
    private static readonly BackwardRule<T> LogSumExpRule = static (n, g) =>
    {
        var s = (ReduceState)n.State!;
        var softmax = (n.Input(0) - Kept(n.Output, s)).Exp();
        return [Kept(g, s).Expand(s.InputShape) * softmax];
    };

    // ---------------------------------------------------------------- derived reductions

    private int CountOver(int[]? axes)
    {
        var mask = ShapeUtil.AxisMask(axes ?? [], Rank);
        int n = 1;
        for (int i = 0; i < Rank; i++) if (mask[i]) n *= Shape[i];
        return n;
    }

    /// <summary>Arithmetic mean over <paramref name="axes"/> (sum / count).</summary>
    public Var<T> Mean(int[]? axes = null, bool keepDim = false) => Sum(axes, keepDim) * C(1.0 / CountOver(axes));

    /// <summary>Variance over <paramref name="axes"/> with <paramref name="ddof"/> delta degrees of freedom.</summary>
    public Var<T> Variance(int[]? axes = null, bool keepDim = false, int ddof = 0)
    {
        int count = CountOver(axes);
        var centered = this - Mean(axes, keepDim: true);
        return (centered * centered).Sum(axes, keepDim) * C(1.0 / (count - ddof));
    }

    /// <summary>The p-norm over <paramref name="axes"/> (p = 2 by default; p = ∞ is the max of |x|).</summary>
    public Var<T> Norm(int[]? axes = null, bool keepDim = false, double p = 2)
    {
        if (double.IsPositiveInfinity(p)) return Abs().Max(axes, keepDim);
        if (p == 2) return (this * this).Sum(axes, keepDim).Sqrt();
        if (!(p > 0)) throw new ArgumentException($"Norm needs p > 0, got {p}.", nameof(p));
        return Abs().Pow(C(p)).Sum(axes, keepDim).Pow(C(1 / p));
    }

    /// <summary>log-softmax along <paramref name="axis"/>: x − logsumexp(x).</summary>
    public Var<T> LogSoftmax(int axis = -1) => this - LogSumExp([axis], keepDim: true);

    /// <summary>softmax along <paramref name="axis"/>: exp(log_softmax(x)).</summary>
    public Var<T> Softmax(int axis = -1) => LogSoftmax(axis).Exp();
}
