using System.Numerics;

namespace NativeFree.Tensors;

// Reductions over any set of axes (null or empty = all axes), with keepDim like PyTorch.
public static partial class Tensor
{
    /// <summary>Σ over <paramref name="axes"/>.</summary>
    public static Tensor<T> Sum<T>(Tensor<T> x, int[]? axes = null, bool keepDim = false) where T : unmanaged, IFloatingPointIeee754<T>
        => NaiveEngine.Reduce(x, axes, keepDim, static row => { T s = T.Zero; foreach (var v in row) s += v; return s; });

    /// <summary>Arithmetic mean over <paramref name="axes"/>.</summary>
    public static Tensor<T> Mean<T>(Tensor<T> x, int[]? axes = null, bool keepDim = false) where T : unmanaged, IFloatingPointIeee754<T>
        => NaiveEngine.Reduce(x, axes, keepDim, static row => { T s = T.Zero; foreach (var v in row) s += v; return s / T.CreateChecked(row.Length); });

    /// <summary>Maximum over <paramref name="axes"/> (NaN if any element is NaN). Empty reductions throw.</summary>
    public static Tensor<T> Max<T>(Tensor<T> x, int[]? axes = null, bool keepDim = false) where T : unmanaged, IFloatingPointIeee754<T>
        => NaiveEngine.Reduce(x, axes, keepDim, static row => { RequireNonEmpty(row.Length, "Max"); T m = row[0]; foreach (var v in row) m = T.Max(m, v); return m; });

    /// <summary>Minimum over <paramref name="axes"/> (NaN if any element is NaN). Empty reductions throw.</summary>
    public static Tensor<T> Min<T>(Tensor<T> x, int[]? axes = null, bool keepDim = false) where T : unmanaged, IFloatingPointIeee754<T>
        => NaiveEngine.Reduce(x, axes, keepDim, static row => { RequireNonEmpty(row.Length, "Min"); T m = row[0]; foreach (var v in row) m = T.Min(m, v); return m; });

    /// <summary>Index of the first maximum along <paramref name="axis"/>, stored as T.</summary>
    public static Tensor<T> ArgMax<T>(Tensor<T> x, int axis, bool keepDim = false) where T : unmanaged, IFloatingPointIeee754<T>
        => NaiveEngine.Reduce(x, [axis], keepDim, static row =>
        {
            RequireNonEmpty(row.Length, "ArgMax");
            int best = 0;
            for (int i = 1; i < row.Length; i++) if (row[i] > row[best] || (T.IsNaN(row[i]) && !T.IsNaN(row[best]))) best = i;
            return T.CreateChecked(best);
        });

    /// <summary>Variance over <paramref name="axes"/> with <paramref name="ddof"/> delta degrees of freedom (NumPy: 0 = population).</summary>
    public static Tensor<T> Var<T>(Tensor<T> x, int[]? axes = null, bool keepDim = false, int ddof = 0) where T : unmanaged, IFloatingPointIeee754<T>
        => NaiveEngine.Reduce(x, axes, keepDim, row =>
        {
            T mean = T.Zero; foreach (var v in row) mean += v; mean /= T.CreateChecked(row.Length);
            T ss = T.Zero; foreach (var v in row) ss += (v - mean) * (v - mean);
            return ss / T.CreateChecked(row.Length - ddof);
        });

    /// <summary>The p-norm (default 2) over <paramref name="axes"/>.</summary>
    public static Tensor<T> Norm<T>(Tensor<T> x, int[]? axes = null, bool keepDim = false, double p = 2) where T : unmanaged, IFloatingPointIeee754<T>
        => NaiveEngine.Reduce(x, axes, keepDim, row =>
        {
            if (double.IsPositiveInfinity(p)) { T m = T.Zero; foreach (var v in row) m = T.Max(m, T.Abs(v)); return m; }
            double s = 0; foreach (var v in row) s += Math.Pow(Math.Abs(double.CreateTruncating(v)), p);
            return T.CreateTruncating(Math.Pow(s, 1 / p));
        });

    /// <summary>log Σ exp over <paramref name="axes"/>, shifted by the maximum so it never overflows.</summary>
    public static Tensor<T> LogSumExp<T>(Tensor<T> x, int[]? axes = null, bool keepDim = false) where T : unmanaged, IFloatingPointIeee754<T>
        => NaiveEngine.Reduce(x, axes, keepDim, static row =>
        {
            if (row.Length == 0) return T.NegativeInfinity;
            T m = row[0]; foreach (var v in row) m = T.Max(m, v);
            if (T.IsInfinity(m)) return m;
            T s = T.Zero; foreach (var v in row) s += T.Exp(v - m);
            return m + T.Log(s);
        });

    /// <summary>softmax along <paramref name="axis"/>: exp(x − logsumexp(x)).</summary>
    public static Tensor<T> Softmax<T>(Tensor<T> x, int axis = -1) where T : unmanaged, IFloatingPointIeee754<T>
        => Exp(LogSoftmax(x, axis));

    /// <summary>log-softmax along <paramref name="axis"/>: x − logsumexp(x).</summary>
    public static Tensor<T> LogSoftmax<T>(Tensor<T> x, int axis = -1) where T : unmanaged, IFloatingPointIeee754<T>
        => Sub(x, LogSumExp(x, [axis], keepDim: true));

    private static void RequireNonEmpty(int n, string op)
    {
        if (n == 0) throw new ArgumentException($"{op} over an empty set of elements is undefined.");
    }
}
