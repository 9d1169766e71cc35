using System.Numerics;
using FsCheck.Xunit;
using NativeFree.Tensors;
using Xunit;

namespace NativeFree.Tensors.Tests;

/// <summary>
/// Every reduction against a naive loop (NaiveEngine.Reduce: permute, copy, one scalar loop per output)
/// over all subsets of axes with keepDim true and false, on random shapes and non-contiguous views;
/// softmax / log-softmax against exp(x − logsumexp) computed in double.
/// Sums are compared within 1e-5 (float) / 1e-13 (double) of Σ|x| (the summation order differs);
/// max, min and argmax exactly.
/// </summary>
public class ReductionTests
{
    public static readonly string[] Kinds = ["Sum", "Mean", "Max", "Min", "Var", "Var1", "Norm", "Norm1", "NormInf", "Norm3", "LogSumExp"];

    private static Tensor<T> Ours<T>(string kind, Tensor<T> x, int[]? axes, bool keepDim) where T : unmanaged, IFloatingPointIeee754<T> => kind switch
    {
        "Sum" => Tensor.Sum(x, axes, keepDim), "Mean" => Tensor.Mean(x, axes, keepDim), "Max" => Tensor.Max(x, axes, keepDim),
        "Min" => Tensor.Min(x, axes, keepDim), "Var" => Tensor.Var(x, axes, keepDim), "Var1" => Tensor.Var(x, axes, keepDim, ddof: 1),
        "Norm" => Tensor.Norm(x, axes, keepDim), "Norm1" => Tensor.Norm(x, axes, keepDim, p: 1),
        "NormInf" => Tensor.Norm(x, axes, keepDim, p: double.PositiveInfinity), "Norm3" => Tensor.Norm(x, axes, keepDim, p: 3),
        "LogSumExp" => Tensor.LogSumExp(x, axes, keepDim), _ => throw new ArgumentException(kind),
    };

    private static Tensor<T> OursInto<T>(string kind, Tensor<T> x, int[]? axes, bool keepDim, Tensor<T> d) where T : unmanaged, IFloatingPointIeee754<T> => kind switch
    {
        "Sum" => Tensor.Sum(x, axes, keepDim, d), "Mean" => Tensor.Mean(x, axes, keepDim, d), "Max" => Tensor.Max(x, axes, keepDim, d),
        "Min" => Tensor.Min(x, axes, keepDim, d), "Var" => Tensor.Var(x, axes, keepDim, 0, d), "Var1" => Tensor.Var(x, axes, keepDim, 1, d),
        "Norm" => Tensor.Norm(x, axes, keepDim, 2, d), "Norm1" => Tensor.Norm(x, axes, keepDim, 1, d),
        "NormInf" => Tensor.Norm(x, axes, keepDim, double.PositiveInfinity, d), "Norm3" => Tensor.Norm(x, axes, keepDim, 3, d),
        "LogSumExp" => Tensor.LogSumExp(x, axes, keepDim, d), _ => throw new ArgumentException(kind),
    };

    /// <summary>The naive row reduction, in double, straight from the definitions.</summary>
    private static double NaiveRow(string kind, ReadOnlySpan<double> row)
    {
        int n = row.Length;
        double sum = 0;
        foreach (var v in row) sum += v;
        switch (kind)
        {
            case "Sum": return sum;
            case "Mean": return sum / n;
            case "Max": { double m = row[0]; foreach (var v in row) m = Math.Max(m, v); return m; }
            case "Min": { double m = row[0]; foreach (var v in row) m = Math.Min(m, v); return m; }
            case "Var":
            case "Var1":
            {
                double mean = sum / n, ss = 0;
                foreach (var v in row) ss += (v - mean) * (v - mean);
                return ss / (n - (kind == "Var1" ? 1 : 0));
            }
            case "Norm": { double s = 0; foreach (var v in row) s += v * v; return Math.Sqrt(s); }
            case "Norm1": { double s = 0; foreach (var v in row) s += Math.Abs(v); return s; }
            case "NormInf": { double m = 0; foreach (var v in row) m = Math.Max(m, Math.Abs(v)); return m; }
            case "Norm3": { double s = 0; foreach (var v in row) s += Math.Pow(Math.Abs(v), 3); return Math.Pow(s, 1.0 / 3); }
            case "LogSumExp":
            {
                if (n == 0) return double.NegativeInfinity;
                double m = row[0]; foreach (var v in row) m = Math.Max(m, v);
                double s = 0; foreach (var v in row) s += Math.Exp(v - m);
                return m + Math.Log(s);
            }
            default: throw new ArgumentException(kind);
        }
    }

    private static void CheckReduction<T>(string kind, Tensor<T> x, int[]? axes, bool keepDim) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var xd = Tensor.FromArray(TestData.Elements(x).Select(double.CreateTruncating).ToArray(), x.ShapeArray.Length == 0 ? [] : x.ShapeArray);
        var expected = NaiveEngine.Reduce(xd, axes, keepDim, row => NaiveRow(kind, row));
        var absSum = NaiveEngine.Reduce(xd, axes, keepDim, row => { double s = 0; foreach (var v in row) s += Math.Abs(v) + v * v; return s; });
        var got = Ours(kind, x, axes, keepDim);
        string where = $"{kind}<{typeof(T).Name}> of {ShapeUtil.Format(x.Shape)} over {(axes is null ? "all" : ShapeUtil.Format(axes))} keepDim={keepDim}";
        Assert.True(expected.ShapeArray.SequenceEqual(got.ShapeArray), $"{where}: shape {ShapeUtil.Format(got.Shape)} vs {ShapeUtil.Format(expected.Shape)}");
        var e = expected.ToArray();
        var g = TestData.Elements(got);
        var s = absSum.ToArray();
        double rel = typeof(T) == typeof(float) ? 1e-5 : 1e-13;
        for (int i = 0; i < e.Length; i++)
        {
            double gi = double.CreateTruncating(g[i]);
            bool exact = kind is "Max" or "Min" or "NormInf";
            double tol = exact ? (typeof(T) == typeof(float) ? 0 : 0) : rel * (s[i] + Math.Abs(e[i]) + 1);
            if (exact) e[i] = double.CreateTruncating(T.CreateTruncating(e[i]));
            Assert.True(double.IsNaN(e[i]) ? double.IsNaN(gi) : Math.Abs(gi - e[i]) <= tol, $"{where}: element {i} is {gi:R}, expected {e[i]:R}");
        }
        // The destination form writes the same numbers.
        var d = Tensor.Full(T.CreateTruncating(12345), got.ShapeArray);
        OursInto(kind, x, axes, keepDim, d);
        Assert.Equal(got.ToArray(), d.ToArray());
    }

    private static IEnumerable<int[]?> AxisSubsets(int rank)
    {
        yield return null;
        for (int bits = 1; bits < 1 << rank; bits++)
            yield return Enumerable.Range(0, rank).Where(a => (bits >> a & 1) != 0).Select(a => a % 2 == 0 ? a : a - rank).ToArray();
    }

    [Property(MaxTest = 25)]
    public void Every_reduction_over_every_axis_subset_matches_a_naive_loop(int seed)
    {
        var rng = new Random(seed);
        var shape = TestData.RandomShape(rng);
        var xf = TestData.RandomTensor<float>(rng, shape);
        var xd = TestData.RandomTensor<double>(rng, shape);
        foreach (var axes in AxisSubsets(shape.Length))
            foreach (bool keepDim in new[] { false, true })
                foreach (var kind in Kinds)
                {
                    CheckReduction(kind, xf, axes, keepDim);
                    CheckReduction(kind, xd, axes, keepDim);
                }
    }

    [Fact]
    public void Last_and_leading_axis_fast_paths_at_every_tail_length()
    {
        var rng = new Random(11);
        foreach (int n in new[] { 1, 7, 8, 15, 16, 17, 31, 33, 63, 65, 200 })
        {
            var xf = Tensor.FromArray(TestData.RandomValues<float>(rng, 3 * n), 3, n);
            var xd = Tensor.FromArray(TestData.RandomValues<double>(rng, 3 * n), n, 3);
            var mid = Tensor.FromArray(TestData.RandomValues<double>(rng, 2 * n * 5), 2, n, 5);
            foreach (var kind in Kinds)
                foreach (bool keepDim in new[] { false, true })
                {
                    CheckReduction(kind, xf, [1], keepDim);
                    CheckReduction(kind, xf, [0], keepDim);
                    CheckReduction(kind, xd, [0], keepDim);
                    CheckReduction(kind, xd, [-1], keepDim);
                    CheckReduction(kind, mid, [1], keepDim);
                }
        }
    }

    [Property(MaxTest = 30)]
    public void ArgMax_matches_first_maximum(int seed)
    {
        var rng = new Random(seed);
        var shape = TestData.RandomShape(rng);
        if (shape.Length == 0) shape = [3];
        var x = TestData.RandomTensor<float>(rng, shape);
        for (int axis = 0; axis < shape.Length; axis++)
            foreach (bool keepDim in new[] { false, true })
            {
                var expected = NaiveEngine.Reduce(x, [axis], keepDim, row =>
                {
                    int best = 0;
                    for (int i = 1; i < row.Length; i++) if (row[i] > row[best]) best = i;
                    return best;
                });
                Assert.Equal(expected.ShapeArray, Tensor.ArgMax(x, axis, keepDim).ShapeArray);
                Assert.Equal(expected.ToArray(), Tensor.ArgMax(x, axis, keepDim).ToArray());
            }
    }

    [Fact]
    public void Max_propagates_nan_and_argmax_points_at_it()
    {
        var x = Tensor.FromArray(new[] { 1f, 5f, float.NaN, 7f, 2f, 3f, 9f, 1f }, 2, 4);
        Assert.True(float.IsNaN(Tensor.Max(x, [1]).ToArray()[0]));
        Assert.Equal(9f, Tensor.Max(x, [1]).ToArray()[1]);
        Assert.Equal(new[] { 2f, 2f }, Tensor.ArgMax(x, 1).ToArray());
        Assert.Equal(new[] { 1f, 0f, 0f, 0f }, Tensor.ArgMax(x, 0).ToArray());
    }

    [Fact]
    public void Empty_reductions()
    {
        var x = Tensor.Zeros<float>(3, 0);
        Assert.Equal(new float[3], Tensor.Sum(x, [1]).ToArray());
        Assert.All(Tensor.LogSumExp(x, [1]).ToArray(), v => Assert.Equal(float.NegativeInfinity, v));
        Assert.Throws<ArgumentException>(() => Tensor.Max(x, [1]));
        Assert.Throws<ArgumentException>(() => Tensor.ArgMax(x, 1));
        Assert.Equal(new float[0], Tensor.Sum(x, [0]).ToArray());
        Assert.Equal(new float[0], Tensor.Max(Tensor.Zeros<float>(0, 3), [1]).ToArray());
    }

    [Fact]
    public void Bad_axes_and_destinations_are_rejected_with_clear_messages()
    {
        var x = Tensor.Zeros<double>(2, 3);
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Sum(x, [2]));
        Assert.Throws<ArgumentException>(() => Tensor.Sum(x, [1, -1]));
        var e = Assert.Throws<ArgumentException>(() => Tensor.Sum(x, [1], true, Tensor.Zeros<double>(2)));
        Assert.Contains("[2, 1]", e.Message);
        Assert.Contains("[2]", e.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Norm(x, null, false, p: -1));
        var s = Assert.Throws<ArgumentException>(() => Tensor.Softmax(x, 1, Tensor.Zeros<double>(3, 2)));
        Assert.Contains("[3, 2]", s.Message);
        Assert.Contains("[2, 3]", s.Message);
    }

    // ------------------------------------------------------------------------------ softmax

    private static double[] NaiveSoftmax<T>(Tensor<T> x, int axis, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var xd = Tensor.FromArray(TestData.Elements(x).Select(double.CreateTruncating).ToArray(), x.ShapeArray);
        var lse = NaiveEngine.Reduce(xd, [axis], true, row => NaiveRow("LogSumExp", row));
        return NaiveEngine.Map(xd, lse, (v, l) => log ? v - l : Math.Exp(v - l)).ToArray();
    }

    [Property(MaxTest = 40)]
    public void Softmax_and_log_softmax_match_exp_of_x_minus_logsumexp(int seed)
    {
        var rng = new Random(seed);
        var shape = TestData.RandomShape(rng);
        if (shape.Length == 0) shape = [5];
        var x = TestData.RandomTensor<float>(rng, shape, scale: 10);
        for (int axis = -shape.Length; axis < shape.Length; axis++)
        {
            foreach (bool log in new[] { false, true })
            {
                var expected = NaiveSoftmax(x, axis, log);
                var got = TestData.Elements(log ? Tensor.LogSoftmax(x, axis) : Tensor.Softmax(x, axis));
                for (int i = 0; i < expected.Length; i++)
                    Assert.True(Math.Abs(got[i] - expected[i]) <= 2e-6 * (1 + Math.Abs(expected[i])), $"{(log ? "log-" : "")}softmax axis {axis} of {ShapeUtil.Format(shape)}: {got[i]} vs {expected[i]}");
                // Destination form into a non-contiguous view.
                var d = TestData.RandomTensor<float>(rng, shape);
                if (log) Tensor.LogSoftmax(x, axis, d); else Tensor.Softmax(x, axis, d);
                Assert.Equal(got, TestData.Elements(d));
            }
            var sums = Tensor.Sum(Tensor.Softmax(x, axis), [axis]).ToArray();
            Assert.All(sums, v => Assert.InRange(v, 1 - 1e-5f, 1 + 1e-5f));
        }
    }

    [Fact]
    public void Softmax_is_stable_for_large_inputs_and_works_in_place()
    {
        foreach (int n in new[] { 1, 7, 16, 17, 33, 100 })
        {
            var x = Tensor.FromArray(Enumerable.Range(0, 4 * n).Select(i => (float)(1e4 + (i % 7) * 1e3 - (i % 3) * 2e4)).ToArray(), 4, n);
            foreach (int axis in new[] { 0, 1 })
            {
                var p = Tensor.Softmax(x, axis);
                Assert.All(p.ToArray(), v => Assert.True(float.IsFinite(v) && v >= 0 && v <= 1));
                Assert.All(Tensor.Sum(p, [axis]).ToArray(), v => Assert.InRange(v, 1 - 1e-5f, 1 + 1e-5f));
                var lp = Tensor.LogSoftmax(x, axis);
                Assert.All(lp.ToArray(), v => Assert.True(float.IsFinite(v) && v <= 0));
                var expected = NaiveSoftmax(x, axis, log: false);
                var copy = x.Clone();
                Tensor.Softmax(copy, axis, copy); // in place
                var got = copy.ToArray();
                for (int i = 0; i < got.Length; i++) Assert.True(Math.Abs(got[i] - expected[i]) <= 1e-6, $"in-place softmax {got[i]} vs {expected[i]}");
            }
        }
    }

    [Fact]
    public void Sum_over_the_batch_axis_into_a_destination_allocates_little()
    {
        var x = Tensor.Ones<float>(64, 40);
        var d = Tensor.Zeros<float>(40);
        var dr = Tensor.Zeros<float>(64);
        var sm = Tensor.Zeros<float>(64, 40);
        for (int i = 0; i < 3; i++) { Tensor.Sum(x, [0], false, d); Tensor.Sum(x, [1], false, dr); Tensor.Softmax(x, 1, sm); }
        long before = GC.GetAllocatedBytesForCurrentThread();
        Tensor.Sum(x, [0], false, d);
        Tensor.Sum(x, [1], false, dr);
        Tensor.Softmax(x, 1, sm);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 400, $"allocated {allocated} bytes");
        Assert.All(d.ToArray(), v => Assert.Equal(64f, v));
        Assert.All(dr.ToArray(), v => Assert.Equal(40f, v));
    }
}
