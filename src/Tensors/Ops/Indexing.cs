using System.Numerics;

namespace NativeFree.Tensors;

// Index-driven copies: gather / scatter-add along an axis, index-select / index-add of whole
// slices, concatenation and constant padding. Each views the tensor as [outer, axis, inner]
// (outer = product of the axes before, inner = product of the axes after), so one loop nest
// serves every rank. Indices are int arrays (row-major, with an explicit shape where needed).
public static partial class Tensor
{
    /// <summary>
    /// PyTorch's gather: <c>out[o, j, i] = x[o, index[o, j, i], i]</c> along <paramref name="axis"/>.
    /// <paramref name="indexShape"/> must equal the shape of <paramref name="x"/> except along the axis;
    /// the result has shape <paramref name="indexShape"/>.
    /// </summary>
    public static Tensor<T> Gather<T>(Tensor<T> x, int axis, int[] index, int[] indexShape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int ax = ShapeUtil.NormalizeAxis(axis, x.Rank);
        var (outer, inner) = CheckIndexShape(x.Shape, ax, index, indexShape, "Gather");
        int dx = x.Shape[ax], di = indexShape[ax];
        var xs = x.Contiguous().AsSpan();
        var result = new T[index.Length];
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < di; j++)
                for (int i = 0; i < inner; i++)
                {
                    int p = (o * di + j) * inner + i;
                    int k = CheckIndex(index[p], dx, "Gather", p);
                    result[p] = xs[(o * dx + k) * inner + i];
                }
        return FromArray(result, (int[])indexShape.Clone());
    }

    /// <summary>
    /// PyTorch's scatter_add (out of place): a copy of <paramref name="destination"/> with
    /// <c>out[o, index[o, j, i], i] += source[o, j, i]</c>. <paramref name="source"/> has shape
    /// <paramref name="indexShape"/>, which equals the destination's shape except along the axis.
    /// </summary>
    public static Tensor<T> ScatterAdd<T>(Tensor<T> destination, int axis, int[] index, int[] indexShape, Tensor<T> source) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int ax = ShapeUtil.NormalizeAxis(axis, destination.Rank);
        var (outer, inner) = CheckIndexShape(destination.Shape, ax, index, indexShape, "ScatterAdd");
        if (!ShapeUtil.SameShape(source.Shape, indexShape))
            throw new ArgumentException($"ScatterAdd source shape {ShapeUtil.Format(source.Shape)} must equal the index shape {ShapeUtil.Format(indexShape)}.", nameof(source));
        int dd = destination.Shape[ax], di = indexShape[ax];
        var result = destination.ToArray();
        var src = source.Contiguous().AsSpan();
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < di; j++)
                for (int i = 0; i < inner; i++)
                {
                    int p = (o * di + j) * inner + i;
                    int k = CheckIndex(index[p], dd, "ScatterAdd", p);
                    result[(o * dd + k) * inner + i] += src[p];
                }
        return FromArray(result, destination.ShapeArray);
    }

    /// <summary>Whole slices <c>x[…, index[j], …]</c> along <paramref name="axis"/>, in the order given (repeats allowed).</summary>
    public static Tensor<T> IndexSelect<T>(Tensor<T> x, int axis, int[] index) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(index);
        int ax = ShapeUtil.NormalizeAxis(axis, x.Rank);
        var shape = x.ShapeArray;
        int dx = shape[ax];
        shape[ax] = index.Length;
        int outer = ShapeUtil.ElementCount(x.Shape[..ax]), inner = ShapeUtil.ElementCount(x.Shape[(ax + 1)..]);
        var xs = x.Contiguous().AsSpan();
        var result = new T[ShapeUtil.ElementCount(shape)];
        for (int j = 0; j < index.Length; j++) CheckIndex(index[j], dx, "IndexSelect", j);
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < index.Length; j++)
            {
                int k = index[j] < 0 ? index[j] + dx : index[j];
                xs.Slice((o * dx + k) * inner, inner).CopyTo(result.AsSpan((o * index.Length + j) * inner, inner));
            }
        return FromArray(result, shape);
    }

    /// <summary>PyTorch's index_add (out of place): a copy of <paramref name="destination"/> with slice <c>index[j]</c> += <c>source[…, j, …]</c>.</summary>
    public static Tensor<T> IndexAdd<T>(Tensor<T> destination, int axis, int[] index, Tensor<T> source) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(index);
        int ax = ShapeUtil.NormalizeAxis(axis, destination.Rank);
        var expected = destination.ShapeArray;
        int dd = expected[ax];
        expected[ax] = index.Length;
        if (!ShapeUtil.SameShape(source.Shape, expected))
            throw new ArgumentException($"IndexAdd source shape {ShapeUtil.Format(source.Shape)} must be {ShapeUtil.Format(expected)} (destination {ShapeUtil.Format(destination.Shape)} with axis {ax} of size {index.Length}).", nameof(source));
        int outer = ShapeUtil.ElementCount(destination.Shape[..ax]), inner = ShapeUtil.ElementCount(destination.Shape[(ax + 1)..]);
        var result = destination.ToArray();
        var src = source.Contiguous().AsSpan();
        for (int j = 0; j < index.Length; j++) CheckIndex(index[j], dd, "IndexAdd", j);
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < index.Length; j++)
            {
                int k = index[j] < 0 ? index[j] + dd : index[j];
                var s = src.Slice((o * index.Length + j) * inner, inner);
                var d = result.AsSpan((o * dd + k) * inner, inner);
                for (int i = 0; i < inner; i++) d[i] += s[i];
            }
        return FromArray(result, destination.ShapeArray);
    }

    /// <summary>Joins tensors along an existing axis; all other sizes must agree.</summary>
    public static Tensor<T> Concat<T>(IReadOnlyList<Tensor<T>> tensors, int axis) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0) throw new ArgumentException("Concat needs at least one tensor.", nameof(tensors));
        var first = tensors[0];
        int ax = ShapeUtil.NormalizeAxis(axis, first.Rank);
        var shape = first.ShapeArray;
        int total = 0;
        foreach (var t in tensors)
        {
            bool ok = t.Rank == first.Rank;
            for (int d = 0; ok && d < t.Rank; d++) ok = d == ax || t.Shape[d] == shape[d];
            if (!ok)
                throw new ArgumentException($"Concat along axis {ax}: shape {ShapeUtil.Format(t.Shape)} does not match {ShapeUtil.Format(first.Shape)} outside that axis.", nameof(tensors));
            total += t.Shape[ax];
        }
        shape[ax] = total;
        var result = Zeros<T>(shape);
        int at = 0;
        foreach (var t in tensors)
        {
            result.Slice(ax, at, at + t.Shape[ax]).CopyFrom(t);
            at += t.Shape[ax];
        }
        return result;
    }

    /// <summary>
    /// Constant padding: <paramref name="before"/>[d] and <paramref name="after"/>[d] elements of
    /// <paramref name="value"/> added on each side of axis d (both arrays have one entry per axis, all ≥ 0).
    /// </summary>
    public static Tensor<T> Pad<T>(Tensor<T> x, int[] before, int[] after, T value = default) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (before.Length != x.Rank || after.Length != x.Rank)
            throw new ArgumentException($"Pad needs one before/after width per axis of shape {ShapeUtil.Format(x.Shape)}; got {before.Length} and {after.Length}.");
        var shape = x.ShapeArray;
        for (int d = 0; d < shape.Length; d++)
        {
            if (before[d] < 0 || after[d] < 0) throw new ArgumentException($"Pad widths must be ≥ 0; axis {d} has {before[d]}, {after[d]}.");
            shape[d] += before[d] + after[d];
        }
        var result = Full(value, shape);
        var inside = result;
        for (int d = 0; d < shape.Length; d++) inside = inside.Slice(d, before[d], before[d] + x.Shape[d]);
        inside.CopyFrom(x);
        return result;
    }

    private static (int Outer, int Inner) CheckIndexShape(ReadOnlySpan<int> shape, int ax, int[] index, int[] indexShape, string op)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(indexShape);
        bool ok = indexShape.Length == shape.Length && ShapeUtil.ElementCount(indexShape, nameof(indexShape)) == index.Length;
        for (int d = 0; ok && d < shape.Length; d++) ok = d == ax || indexShape[d] == shape[d];
        if (!ok)
            throw new ArgumentException($"{op} along axis {ax}: index of shape {ShapeUtil.Format(indexShape)} ({index.Length} entries) must match the tensor shape {ShapeUtil.Format(shape)} on every other axis.", nameof(indexShape));
        return (ShapeUtil.ElementCount(shape[..ax]), ShapeUtil.ElementCount(shape[(ax + 1)..]));
    }

    private static int CheckIndex(int k, int size, string op, int position)
    {
        int r = k < 0 ? k + size : k;
        if ((uint)r >= (uint)size)
            throw new ArgumentException($"{op}: index {k} at position {position} is out of range for an axis of size {size}.");
        return r;
    }
}
