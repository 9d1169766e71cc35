using NativeFree.Tensors;

namespace NativeFree.Autograd;

// Shape ops and views. Their rules move the adjoint back: reshape it, permute it back, slice
// it, or embed it into zeros. Expand's rule is the identity: the engine's un-broadcasting does the summing.
public sealed partial class Var<T>
{
    /// <summary>The same elements with a new shape (one size may be −1).</summary>
    public Var<T> Reshape(params int[] shape) => Record(OpRegistry.Reshape, Value.Reshape(shape), ReshapeRule, null, this);
    private static readonly BackwardRule<T> ReshapeRule = static (n, g) => [g.Reshape(n.Input(0).Value.ShapeArray)];

    /// <summary>Reorders the axes: result axis i is axis <c>order[i]</c>.</summary>
    public Var<T> Permute(params int[] order) => Record(OpRegistry.Permute, Value.Permute(order), PermuteRule, order.Clone(), this);
    private static readonly BackwardRule<T> PermuteRule = static (n, g) =>
    {
        var order = (int[])n.State!;
        var inverse = new int[order.Length];
        for (int i = 0; i < order.Length; i++) inverse[order[i] < 0 ? order[i] + order.Length : order[i]] = i;
        return [g.Permute(inverse)];
    };

    /// <summary>Broadcasts to <paramref name="shape"/> (NumPy rules) without copying.</summary>
    public Var<T> Expand(params int[] shape) => Record(OpRegistry.Expand, Value.Expand(shape), ExpandRule, null, this);
    private static readonly BackwardRule<T> ExpandRule = static (n, g) => [g];

    /// <summary>Elements start, start+step, … before stop along <paramref name="axis"/> (Python rules, a view).</summary>
    public Var<T> Slice(int axis, int start, int stop, int step = 1)
        => Record(OpRegistry.Slice, Value.Slice(axis, start, stop, step), SliceRule, new SliceState(axis, start, stop, step, Value.ShapeArray), this);
    private sealed record SliceState(int Axis, int Start, int Stop, int Step, int[] Shape);
    private static readonly BackwardRule<T> SliceRule = static (n, g) => [g.EmbedSlice((SliceState)n.State!)];

    // The adjoint of slice: zeros of the sliced tensor's shape with this var written into the slice.
    private Var<T> EmbedSlice(SliceState s)
    {
        var full = Tensor.Zeros<T>(s.Shape);
        full.Slice(s.Axis, s.Start, s.Stop, s.Step).CopyFrom(Value);
        return Record(OpRegistry.EmbedSlice, full, EmbedSliceRule, s, this);
    }
    private static readonly BackwardRule<T> EmbedSliceRule = static (n, g) =>
    {
        var s = (SliceState)n.State!;
        return [g.Slice(s.Axis, s.Start, s.Stop, s.Step)];
    };

    /// <summary>Joins vars along an existing axis.</summary>
    public static Var<T> Concat(IReadOnlyList<Var<T>> vars, int axis)
    {
        ArgumentNullException.ThrowIfNull(vars);
        var values = new Tensor<T>[vars.Count];
        for (int i = 0; i < values.Length; i++) values[i] = vars[i].Value;
        var result = Tensor.Concat(values, axis);
        int ax = ShapeUtil.NormalizeAxis(axis, result.Rank);
        return Record(OpRegistry.Concat, result, ConcatRule, ax, vars.ToArray());
    }
    private static readonly BackwardRule<T> ConcatRule = static (n, g) =>
    {
        int ax = (int)n.State!, at = 0;
        var grads = new Var<T>?[n.InputCount];
        for (int i = 0; i < grads.Length; i++)
        {
            int size = n.Input(i).Shape[ax];
            if (n.NeedsGrad(i)) grads[i] = g.Slice(ax, at, at + size);
            at += size;
        }
        return grads;
    };

    /// <summary>Constant padding: <paramref name="before"/>[d] and <paramref name="after"/>[d] values added around axis d.</summary>
    public Var<T> Pad(int[] before, int[] after, T value = default)
        => Record(OpRegistry.Pad, Tensor.Pad(Value, before, after, value), PadRule, before.Clone(), this);
    private static readonly BackwardRule<T> PadRule = static (n, g) =>
    {
        var before = (int[])n.State!;
        var inner = g;
        for (int d = 0; d < before.Length; d++) inner = inner.Slice(d, before[d], before[d] + n.Input(0).Shape[d]);
        return [inner];
    };

    // ---------------------------------------------------------------- derived shape ops

    /// <summary>Swaps two axes.</summary>
    public Var<T> Transpose(int axis0, int axis1)
    {
        var order = new int[Rank];
        for (int i = 0; i < Rank; i++) order[i] = i;
        int a = ShapeUtil.NormalizeAxis(axis0, Rank), b = ShapeUtil.NormalizeAxis(axis1, Rank);
        (order[a], order[b]) = (order[b], order[a]);
        return Permute(order);
    }

    /// <summary>The matrix transpose: swaps the last two axes (rank ≥ 2).</summary>
    public Var<T> Mt => Rank >= 2 ? Transpose(-2, -1) : throw new InvalidOperationException($"Mt needs rank ≥ 2; shape is {ShapeUtil.Format(Shape)}.");

    /// <summary>Inserts a size-1 axis.</summary>
    public Var<T> Unsqueeze(int axis)
    {
        int ax = ShapeUtil.NormalizeAxis(axis, Rank + 1);
        var shape = new List<int>(Value.ShapeArray);
        shape.Insert(ax, 1);
        return Reshape([.. shape]);
    }

    /// <summary>Removes the size-1 axis <paramref name="axis"/>.</summary>
    public Var<T> Squeeze(int axis)
    {
        int ax = ShapeUtil.NormalizeAxis(axis, Rank);
        if (Shape[ax] != 1) throw new ArgumentException($"Cannot squeeze axis {ax} of size {Shape[ax]} (shape {ShapeUtil.Format(Shape)}).", nameof(axis));
        var shape = new List<int>(Value.ShapeArray);
        shape.RemoveAt(ax);
        return Reshape([.. shape]);
    }

    /// <summary>All elements as one axis.</summary>
    public Var<T> Flatten() => Reshape(-1);

    /// <summary>The sub-tensor at <paramref name="index"/> along <paramref name="axis"/>, that axis removed.</summary>
    public Var<T> Select(int axis, int index)
    {
        int ax = ShapeUtil.NormalizeAxis(axis, Rank);
        int k = index < 0 ? index + Shape[ax] : index;
        if ((uint)k >= (uint)Shape[ax]) throw new ArgumentOutOfRangeException(nameof(index), index, $"Index out of range for axis {ax} of size {Shape[ax]}.");
        return Slice(ax, k, k + 1).Squeeze(ax);
    }

    /// <summary>Stacks equally shaped vars along a new axis.</summary>
    public static Var<T> Stack(IReadOnlyList<Var<T>> vars, int axis = 0)
    {
        ArgumentNullException.ThrowIfNull(vars);
        if (vars.Count == 0) throw new ArgumentException("Stack needs at least one var.", nameof(vars));
        var parts = new Var<T>[vars.Count];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!ShapeUtil.SameShape(vars[i].Shape, vars[0].Shape))
                throw new ArgumentException($"Stack needs equal shapes; input {i} has {ShapeUtil.Format(vars[i].Shape)}, input 0 has {ShapeUtil.Format(vars[0].Shape)}.", nameof(vars));
            parts[i] = vars[i].Unsqueeze(axis);
        }
        return Concat(parts, axis);
    }

    /// <summary>Sums over broadcast axes down to <paramref name="shape"/> (the inverse of broadcasting; what the engine uses).</summary>
    public Var<T> SumTo(int[] shape)
    {
        if (ShapeUtil.SameShape(Shape, shape)) return this;
        int lead = Rank - shape.Length;
        var axes = new List<int>();
        for (int i = 0; i < Rank; i++)
            if (i < lead || (shape[i - lead] == 1 && Shape[i] != 1)) axes.Add(i);
        var summed = axes.Count == 0 ? this : Sum([.. axes], keepDim: true);
        return ShapeUtil.SameShape(summed.Shape, shape) ? summed : summed.Reshape(shape);
    }
}
