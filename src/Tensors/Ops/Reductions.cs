using System.Numerics;
using NativeFree.Tensors.Simd;

namespace NativeFree.Tensors;

// Reductions over any set of axes (null or empty = all axes), with keepDim like PyTorch, run by the SIMD
// ReductionEngine. Each has a destination overload that writes into an existing tensor of the result's
// shape (keepDim decides it) and returns it.
public static partial class Tensor
{
    /// <summary>Σ over <paramref name="axes"/>.</summary>
    public static Tensor<T> Sum<T>(Tensor<T> x, int[]? axes = null, bool keepDim = false) where T : unmanaged, IFloatingPointIeee754<T>
        => ReduceNew(ReductionKind.Sum, x, axes, keepDim);

    /// <summary>Σ over <paramref name="axes"/>, written into <paramref name="destination"/> (the reduced shape); returns it.</summary>
    public static Tensor<T> Sum<T>(Tensor<T> x, int[]? axes, bool keepDim, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
        => ReduceInto(ReductionKind.Sum, x, axes, keepDim, destination);

    /// <summary>Arithmetic mean over <paramref name="axes"/>.</summary>
    public static Tensor<T> Mean<T>(Tensor<T> x, int[]? axes = null, bool keepDim = false) where T : unmanaged, IFloatingPointIeee754<T>
        => ReduceNew(ReductionKind.Mean, x, axes, keepDim);

    /// <summary>Arithmetic mean over <paramref name="axes"/>, written into <paramref name="destination"/> (the reduced shape); returns it.</summary>
    public static Tensor<T> Mean<T>(Tensor<T> x, int[]? axes, bool keepDim, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
        => ReduceInto(ReductionKind.Mean, x, axes, keepDim, destination);

    /// <summary>Maximum over <paramref name="axes"/> (NaN if any element is NaN). Empty reductions throw.</summary>
    public static Tensor<T> Max<T>(Tensor<T> x, int[]? axes = null, bool keepDim = false) where T : unmanaged, IFloatingPointIeee754<T>
        => ReduceNew(ReductionKind.Max, x, axes, keepDim);

    /// <summary>Maximum over <paramref name="axes"/> (NaN if any element is NaN). Empty reductions throw, written into <paramref name="destination"/> (the reduced shape); returns it.</summary>
    public static Tensor<T> Max<T>(Tensor<T> x, int[]? axes, bool keepDim, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
        => ReduceInto(ReductionKind.Max, x, axes, keepDim, destination);

    /// <summary>Minimum over <paramref name="axes"/> (NaN if any element is NaN). Empty reductions throw.</summary>
    public static Tensor<T> Min<T>(Tensor<T> x, int[]? axes = null, bool keepDim = false) where T : unmanaged, IFloatingPointIeee754<T>
        => ReduceNew(ReductionKind.Min, x, axes, keepDim);

    /// <summary>Minimum over <paramref name="axes"/> (NaN if any element is NaN). Empty reductions throw, written into <paramref name="destination"/> (the reduced shape); returns it.</summary>
    public static Tensor<T> Min<T>(Tensor<T> x, int[]? axes, bool keepDim, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
        => ReduceInto(ReductionKind.Min, x, axes, keepDim, destination);

    /// <summary>log Σ exp over <paramref name="axes"/>, shifted by the maximum so it never overflows.</summary>
    public static Tensor<T> LogSumExp<T>(Tensor<T> x, int[]? axes = null, bool keepDim = false) where T : unmanaged, IFloatingPointIeee754<T>
        => ReduceNew(ReductionKind.LogSumExp, x, axes, keepDim);

    /// <summary>log Σ exp over <paramref name="axes"/>, shifted by the maximum so it never overflows, written into <paramref name="destination"/> (the reduced shape); returns it.</summary>
    public static Tensor<T> LogSumExp<T>(Tensor<T> x, int[]? axes, bool keepDim, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
        => ReduceInto(ReductionKind.LogSumExp, x, axes, keepDim, destination);

    /// <summary>Index of the first maximum along <paramref name="axis"/>, stored as T (a NaN counts as the maximum).</summary>
    public static Tensor<T> ArgMax<T>(Tensor<T> x, int axis, bool keepDim = false) where T : unmanaged, IFloatingPointIeee754<T>
        => ReduceNew(ReductionKind.ArgMax, x, [axis], keepDim);

    /// <summary>ArgMax written into <paramref name="destination"/>; returns it.</summary>
    public static Tensor<T> ArgMax<T>(Tensor<T> x, int axis, bool keepDim, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
        => ReduceInto(ReductionKind.ArgMax, x, [axis], keepDim, destination);

    /// <summary>Variance over <paramref name="axes"/> with <paramref name="ddof"/> delta degrees of freedom (NumPy: 0 = population).</summary>
    public static Tensor<T> Var<T>(Tensor<T> x, int[]? axes = null, bool keepDim = false, int ddof = 0) where T : unmanaged, IFloatingPointIeee754<T>
        => ReduceNew(ReductionKind.Var, x, axes, keepDim, ddof);

    /// <summary>Variance written into <paramref name="destination"/>; returns it.</summary>
    public static Tensor<T> Var<T>(Tensor<T> x, int[]? axes, bool keepDim, int ddof, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
        => ReduceInto(ReductionKind.Var, x, axes, keepDim, destination, ddof);

    /// <summary>The p-norm (default 2) over <paramref name="axes"/>.</summary>
    public static Tensor<T> Norm<T>(Tensor<T> x, int[]? axes = null, bool keepDim = false, double p = 2) where T : unmanaged, IFloatingPointIeee754<T>
        => ReduceNew(ReductionKind.Norm, x, axes, keepDim, p: CheckP(p));

    /// <summary>The p-norm written into <paramref name="destination"/>; returns it.</summary>
    public static Tensor<T> Norm<T>(Tensor<T> x, int[]? axes, bool keepDim, double p, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
        => ReduceInto(ReductionKind.Norm, x, axes, keepDim, destination, p: CheckP(p));

    /// <summary>softmax along <paramref name="axis"/>: exp(x − max) / Σ exp(x − max), fused (three passes, no temporaries).</summary>
    public static Tensor<T> Softmax<T>(Tensor<T> x, int axis = -1) where T : unmanaged, IFloatingPointIeee754<T>
        => Softmax(x, axis, ElementwiseEngine.Allocate<T>(x.ShapeArray));

    /// <summary>softmax written into <paramref name="destination"/> (shape of <paramref name="x"/>; may be <paramref name="x"/>); returns it.</summary>
    public static Tensor<T> Softmax<T>(Tensor<T> x, int axis, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReductionEngine.Softmax(x, axis, destination, log: false);
        return destination;
    }

    /// <summary>log-softmax along <paramref name="axis"/>: x − max − log Σ exp(x − max), fused.</summary>
    public static Tensor<T> LogSoftmax<T>(Tensor<T> x, int axis = -1) where T : unmanaged, IFloatingPointIeee754<T>
        => LogSoftmax(x, axis, ElementwiseEngine.Allocate<T>(x.ShapeArray));

    /// <summary>log-softmax written into <paramref name="destination"/> (shape of <paramref name="x"/>; may be <paramref name="x"/>); returns it.</summary>
    public static Tensor<T> LogSoftmax<T>(Tensor<T> x, int axis, Tensor<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReductionEngine.Softmax(x, axis, destination, log: true);
        return destination;
    }

    private static double CheckP(double p)
    {
        if (!(p > 0)) throw new ArgumentException($"Norm order p must be positive (or +∞); got {p}.", nameof(p));
        return p;
    }

    private static Tensor<T> ReduceNew<T>(ReductionKind kind, Tensor<T> x, int[]? axes, bool keepDim, int ddof = 0, double p = 2) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        var mask = ShapeUtil.AxisMask(axes ?? [], x.Rank);
        var d = ElementwiseEngine.Allocate<T>(ReductionEngine.OutputShape(x.Shape, mask, keepDim));
        ReductionEngine.Reduce(kind, x, mask, d, ddof, p);
        return d;
    }

    private static Tensor<T> ReduceInto<T>(ReductionKind kind, Tensor<T> x, int[]? axes, bool keepDim, Tensor<T> destination, int ddof = 0, double p = 2) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        var mask = ShapeUtil.AxisMask(axes ?? [], x.Rank);
        ElementwiseEngine.CheckDestination(destination, ReductionEngine.OutputShape(x.Shape, mask, keepDim), "the reduction", x.Shape, default, default, 1);
        ReductionEngine.Reduce(kind, x, mask, destination, ddof, p);
        return destination;
    }
}
