using System.Numerics;

namespace NativeFree.Tensors;

/// <summary>
/// Straightforward broadcasting map and reduce over any strided tensors, one delegate call per
/// element. Slow but obviously right: the SIMD drivers replace it on the hot paths and are
/// tested against it.
/// </summary>
internal static class NaiveEngine
{
    public static Tensor<T> Map<T>(Tensor<T> x, Func<T, T> f) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var src = x.ToArray();
        for (int i = 0; i < src.Length; i++) src[i] = f(src[i]);
        return Tensor.FromArray(src, x.ShapeArray);
    }

    public static Tensor<T> Map<T>(Tensor<T> a, Tensor<T> b, Func<T, T, T> f) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var shape = ShapeUtil.Broadcast(a.Shape, b.Shape);
        var av = a.Expand(shape).ToArray();
        var bv = b.Expand(shape).ToArray();
        for (int i = 0; i < av.Length; i++) av[i] = f(av[i], bv[i]);
        return Tensor.FromArray(av, shape);
    }

    public static Tensor<T> Map<T>(Tensor<T> a, Tensor<T> b, Tensor<T> c, Func<T, T, T, T> f) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var shape = ShapeUtil.Broadcast(ShapeUtil.Broadcast(a.Shape, b.Shape), c.Shape);
        var av = a.Expand(shape).ToArray();
        var bv = b.Expand(shape).ToArray();
        var cv = c.Expand(shape).ToArray();
        for (int i = 0; i < av.Length; i++) av[i] = f(av[i], bv[i], cv[i]);
        return Tensor.FromArray(av, shape);
    }

    /// <summary>
    /// Moves the reduced axes last and hands each row of reduced elements to <paramref name="reduceRow"/>.
    /// Returns the output shape (with or without the kept size-1 axes).
    /// </summary>
    public static Tensor<T> Reduce<T>(Tensor<T> x, int[]? axes, bool keepDim, Func<ReadOnlySpan<T>, T> reduceRow)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var mask = ShapeUtil.AxisMask(axes ?? [], x.Rank);
        var order = new List<int>();
        var outShape = new List<int>();
        var keptShape = new int[x.Rank];
        int rowLength = 1;
        for (int i = 0; i < x.Rank; i++)
        {
            if (!mask[i]) { order.Add(i); outShape.Add(x.Shape[i]); keptShape[i] = x.Shape[i]; }
        }
        for (int i = 0; i < x.Rank; i++)
        {
            if (mask[i]) { order.Add(i); rowLength *= x.Shape[i]; keptShape[i] = 1; }
        }
        var data = x.Permute(order.ToArray()).ToArray();
        int rows = rowLength == 0 ? ShapeUtil.ElementCount(outShape.ToArray()) : data.Length / rowLength;
        var result = new T[rows];
        for (int r = 0; r < rows; r++) result[r] = reduceRow(data.AsSpan(r * rowLength, rowLength));
        return Tensor.FromArray(result, keepDim ? keptShape : outShape.ToArray());
    }
}
