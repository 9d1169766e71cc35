using NativeFree.Tensors;

namespace NativeFree.Autograd;

// Index-driven ops come in adjoint pairs: gather ↔ scatter_add, index_select ↔ index_add.
// Each rule is the other op, so any order of derivative stays inside the pair.
public sealed partial class Var<T>
{
    private sealed record IndexState(int Axis, int[] Index, int[] IndexShape, int[] InputShape);

    /// <summary>PyTorch's gather along <paramref name="axis"/>: <c>out[o, j, i] = x[o, index[o, j, i], i]</c>; the result has shape <paramref name="indexShape"/>.</summary>
    public Var<T> Gather(int axis, int[] index, int[] indexShape)
        => Record(OpRegistry.Gather, Tensor.Gather(Value, axis, index, indexShape), GatherRule, new IndexState(axis, index, indexShape, Value.ShapeArray), this);
    private static readonly BackwardRule<T> GatherRule = static (n, g) =>
    {
        var s = (IndexState)n.State!;
        return [ScatterAdd(Constant(Tensor.Zeros<T>(s.InputShape)), s.Axis, s.Index, s.IndexShape, g)];
    };

    /// <summary>A copy of <paramref name="destination"/> with <c>out[o, index[o, j, i], i] += source[o, j, i]</c>.</summary>
    public static Var<T> ScatterAdd(Var<T> destination, int axis, int[] index, int[] indexShape, Var<T> source)
        => Record(OpRegistry.ScatterAdd, Tensor.ScatterAdd(destination.Value, axis, index, indexShape, source.Value), ScatterAddRule,
            new IndexState(axis, index, indexShape, destination.Value.ShapeArray), destination, source);
    private static readonly BackwardRule<T> ScatterAddRule = static (n, g) =>
    {
        var s = (IndexState)n.State!;
        return [g, n.NeedsGrad(1) ? g.Gather(s.Axis, s.Index, s.IndexShape) : null];
    };

    /// <summary>Whole slices <c>x[…, index[j], …]</c> along <paramref name="axis"/> (repeats allowed).</summary>
    public Var<T> IndexSelect(int axis, int[] index)
        => Record(OpRegistry.IndexSelect, Tensor.IndexSelect(Value, axis, index), IndexSelectRule, new IndexState(axis, index, [index.Length], Value.ShapeArray), this);
    private static readonly BackwardRule<T> IndexSelectRule = static (n, g) =>
    {
        var s = (IndexState)n.State!;
        return [IndexAdd(Constant(Tensor.Zeros<T>(s.InputShape)), s.Axis, s.Index, g)];
    };

    /// <summary>A copy of <paramref name="destination"/> with slice <c>index[j]</c> += <c>source[…, j, …]</c> along <paramref name="axis"/>.</summary>
    public static Var<T> IndexAdd(Var<T> destination, int axis, int[] index, Var<T> source)
        => Record(OpRegistry.IndexAdd, Tensor.IndexAdd(destination.Value, axis, index, source.Value), IndexAddRule,
            new IndexState(axis, index, [index.Length], destination.Value.ShapeArray), destination, source);
    private static readonly BackwardRule<T> IndexAddRule = static (n, g) =>
    {
        var s = (IndexState)n.State!;
        return [g, n.NeedsGrad(1) ? g.IndexSelect(s.Axis, s.Index) : null];
    };
}
