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

    /// <summary>
    /// Maximum over <paramref name="axes"/>. When k elements tie for the maximum each gets g/k, as torch.amax and
    /// the all-axes torch.max() do; torch.max(x, dim) instead gives all of g to the index it returns. Max pooling
    /// (<see cref="NnLayers.MaxPool2d"/>) follows torch's pooling and routes g to the first maximum.
    /// </summary>
    public Var<T> Max(int[]? axes = null, bool keepDim = false)
        => Record(OpRegistry.Max, Tensor.Max(Value, axes, keepDim), ExtremumRule, new ReduceState(axes ?? [], keepDim, Value.ShapeArray), this);

    /// <summary>Minimum over <paramref name="axes"/>. When k elements tie for the minimum each gets g/k, as torch.amin and the all-axes torch.min() do (torch.min(x, dim) gives all of g to the returned index).</summary>
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

    /// <summary>log-softmax along <paramref name="axis"/>: x − logsumexp(x).</summary>
    public Var<T> LogSoftmax(int axis = -1) => this - LogSumExp([axis], keepDim: true);

    /// <summary>softmax along <paramref name="axis"/>: exp(log_softmax(x)).</summary>
    public Var<T> Softmax(int axis = -1) => LogSoftmax(axis).Exp();
}

// The inner product Σ a⊙b as one primitive: Hvp contracts every parameter's gradient with its
// direction this way, and one node per parameter (instead of a product and a sum) keeps that cheap.
public sealed partial class Var<T>
{
    /// <summary>Σ a⊙b over all elements (a scalar); <paramref name="a"/> and <paramref name="b"/> have the same shape.</summary>
    public static Var<T> Dot(Var<T> a, Var<T> b)
    {
        if (!ShapeUtil.SameShape(a.Shape, b.Shape))
            throw new ArgumentException($"Dot needs two operands of the same shape, got {ShapeUtil.Format(a.Shape)} and {ShapeUtil.Format(b.Shape)}; broadcast explicitly (a * b).Sum() if that is what you mean.");
        T value = a.Value.IsContiguous && b.Value.IsContiguous
            ? System.Numerics.Tensors.TensorPrimitives.Dot(a.Value.AsSpan(), b.Value.AsSpan())
            : Tensor.Mul(a.Value, b.Value).ToArray().Aggregate(T.Zero, (s, x) => s + x);
        var result = GraphScope.NewBuffer<T>([]);
        result.AsSpan()[0] = value;
        return Record(OpRegistry.Dot, result, DotRule, null, a, b);
    }

    // da = g·b, db = g·a (g a scalar). Plain: one scaled copy each; recording: var products.
    private static readonly BackwardRule<T> DotRule = static (n, g) =>
    {
        Var<T> a = n.Input(0), b = n.Input(1);
        if (GradMode.IsEnabled || !a.Value.IsContiguous || !b.Value.IsContiguous)
            return [n.NeedsGrad(0) ? g * b : null, n.NeedsGrad(1) ? g * a : null];
        T s = g.Item();
        return [n.NeedsGrad(0) ? Plain(Scaled(b.Value, s)) : null, n.NeedsGrad(1) ? Plain(Scaled(a.Value, s)) : null];
    };

    private static Tensor<T> Scaled(Tensor<T> x, T s)
    {
        var dst = GraphScope.NewBuffer<T>(x.ShapeArray);
        System.Numerics.Tensors.TensorPrimitives.Multiply(x.AsSpan(), s, dst.AsSpan());
        return dst;
    }
}
