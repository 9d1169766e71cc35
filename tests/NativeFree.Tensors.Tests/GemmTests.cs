using System.Numerics;
using FsCheck.Xunit;
using NativeFree.Tensors.LinearAlgebra;
using Xunit;

namespace NativeFree.Tensors.Tests;

/// <summary>
/// GEMM against the plain triple loop (<see cref="GemmReference"/> run in double), for every
/// micro-kernel this machine supports, every path (unpacked small, packed, automatic) and 1 and
/// 2 threads, over shapes around the kernels' tile sizes and operands in every layout.
/// </summary>
public class GemmTests
{
    /// <summary>How an operand is stored: all are the same logical matrix.</summary>
    public enum Layout { RowMajor, ColMajor, RowPadded, Strided, BroadcastRows, BroadcastCols }

    private sealed record Operand<T>(T[] Data, int Rs, int Cs, int Rows, int Cols)
    {
        public T this[int i, int j] => Data[i * Rs + j * Cs];
    }

    private static Operand<T> Make<T>(Random rng, int rows, int cols, Layout layout) where T : unmanaged, IFloatingPointIeee754<T>
    {
        (int rs, int cs, int len) = layout switch
        {
            Layout.RowMajor => (cols, 1, rows * cols),
            Layout.ColMajor => (1, rows, rows * cols),
            Layout.RowPadded => (cols + 3, 1, rows * (cols + 3)),
            Layout.Strided => (2 * cols * 2, 2, rows * cols * 4),           // every other column of every other row
            Layout.BroadcastRows => (0, 1, cols),                            // all rows are the same vector
            Layout.BroadcastCols => (1, 0, rows),                            // all columns are the same vector
            _ => throw new ArgumentOutOfRangeException(nameof(layout)),
        };
        var data = new T[Math.Max(len, 1)];
        for (int i = 0; i < data.Length; i++)
            data[i] = rng.Next(16) == 0 ? T.NaN : T.CreateTruncating(rng.NextDouble() * 2 - 1); // NaN in the gaps
        // Only the elements the operand reaches get real values; padding keeps the NaNs so reading it shows.
        var reached = new bool[data.Length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) reached[i * rs + j * cs] = true;
        for (int i = 0; i < data.Length; i++)
            if (reached[i] && T.IsNaN(data[i])) data[i] = T.CreateTruncating(rng.NextDouble() - 0.5);
        return new Operand<T>(data, rs, cs, rows, cols);
    }

    private static double[] ToDouble<T>(T[] x) where T : unmanaged, IFloatingPointIeee754<T>
        => x.Select(v => double.CreateTruncating(v)).ToArray();

    /// <summary>
    /// The expected C (double-precision triple loop) for one problem, and the classical error
    /// bound (k+4)·ε·(|α|·Σ|a||b| + |β·c|) per element, computed once and checked against many runs.
    /// </summary>
    private sealed class Expectation<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly int _m, _n, _k;
        private readonly double _alpha, _beta;
        private readonly Operand<T> _a, _b, _c;
        private readonly double[] _expected, _bound;

        public Expectation(int m, int n, int k, double alpha, double beta, Operand<T> a, Operand<T> b, Layout cLayout, Random rng)
        {
            (_m, _n, _k, _alpha, _beta, _a, _b) = (m, n, k, alpha, beta, a, b);
            if (cLayout is Layout.BroadcastCols or Layout.BroadcastRows) cLayout = Layout.RowMajor;
            _c = Make<T>(rng, m, n, cLayout);
            if (beta == 0) // C must be overwritten, so plant NaNs that must not leak
                for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) _c.Data[i * _c.Rs + j * _c.Cs] = T.NaN;
            _expected = ToDouble(_c.Data);
            _bound = _expected.Select(Math.Abs).ToArray();
            double[] ad = ToDouble(a.Data), bd = ToDouble(b.Data);
            GemmReference.Multiply(m, n, k, alpha, ad, a.Rs, a.Cs, bd, b.Rs, b.Cs, beta, _expected, _c.Rs, _c.Cs);
            GemmReference.Multiply(m, n, k, Math.Abs(alpha), ad.Select(Math.Abs).ToArray(), a.Rs, a.Cs,
                bd.Select(Math.Abs).ToArray(), b.Rs, b.Cs, Math.Abs(beta), _bound, _c.Rs, _c.Cs);
            double eps = typeof(T) == typeof(float) ? Math.ScaleB(1.0, -23) : Math.ScaleB(1.0, -52);
            for (int i = 0; i < _bound.Length; i++) _bound[i] = (k + 4) * eps * _bound[i];
        }

        /// <summary>Runs GEMM on a fresh copy of C and checks every element of C, and that nothing around C changed.</summary>
        public void Check(GemmKernelKind kind, GemmPath path, int threads, GemmBlocking? blocking, string label)
        {
            var c = (T[])_c.Data.Clone();
            Gemm.Multiply(kind, path, _m, _n, _k, T.CreateTruncating(_alpha), _a.Data, _a.Rs, _a.Cs, _b.Data, _b.Rs, _b.Cs,
                T.CreateTruncating(_beta), c, _c.Rs, _c.Cs, threads, blocking);
            var inC = new bool[c.Length];
            for (int i = 0; i < _m; i++)
                for (int j = 0; j < _n; j++)
                {
                    int at = i * _c.Rs + j * _c.Cs;
                    inC[at] = true;
                    double got = double.CreateTruncating(c[at]);
                    if (!(Math.Abs(got - _expected[at]) <= _bound[at]))
                        Assert.Fail($"{label}: C[{i},{j}] = {got}, expected {_expected[at]} (tolerance {_bound[at]:G3})");
                }
            for (int i = 0; i < c.Length; i++)
                if (!inC[i] && !c[i].Equals(_c.Data[i]))
                    Assert.Fail($"{label}: element {i} outside C was overwritten");
        }
    }

    /// <summary>Sizes that hit tile edges for a kernel: 1, MR±1, NR±1, multiples plus one.</summary>
    private static int[] EdgeSizes(int tile) => [1, 2, tile - 1, tile, tile + 1, 2 * tile + 1];

    private static readonly double[] Scalars = [0, 1, -1, 0.5, 2.5];

    private static void RunCase<T>(int mPick, int nPick, int kPick, int alphaPick, int betaPick,
        Layout aLayout, Layout bLayout, Layout cLayout, int seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (var kind in GemmKernelKinds.Supported())
        {
            var bl = GemmBlocking.For<T>(kind);
            int[] ms = [0, .. EdgeSizes(bl.MR), 3 * bl.MR + 2, 37];
            int[] ns = [0, .. EdgeSizes(bl.NR), 2 * bl.NR + 3, 37];
            int[] ks = [0, 1, 2, 3, 7, 16, 33, 64];
            int m = ms[mPick % ms.Length], n = ns[nPick % ns.Length], k = ks[kPick % ks.Length];
            double alpha = Scalars[alphaPick % Scalars.Length], beta = Scalars[betaPick % Scalars.Length];
            var rng = new Random(seed);
            var a = Make<T>(rng, m, k, aLayout);
            var b = Make<T>(rng, k, n, bLayout);
            // Tiny blocks cross every jc/pc/ic block boundary with these small shapes.
            var tiny = bl with { MC = 2 * bl.MR + 1, KC = 5, NC = bl.NR + 3 };
            var expectation = new Expectation<T>(m, n, k, alpha, beta, a, b, cLayout, rng);
            foreach (var (path, blocking) in new (GemmPath, GemmBlocking?)[] { (GemmPath.Auto, null), (GemmPath.Small, null), (GemmPath.Packed, null), (GemmPath.Packed, tiny) })
                foreach (int threads in new[] { 1, 2 })
                    expectation.Check(kind, path, threads, blocking,
                        $"{typeof(T).Name} {kind} {path}{(blocking is null ? "" : " tiny blocks")} threads={threads} m={m} n={n} k={k} alpha={alpha} beta={beta} A {aLayout} B {bLayout} C {cLayout}");
        }
    }

    [Property(MaxTest = 100)]
    public void Float_matches_reference_for_every_kernel_path_and_layout(byte m, byte n, byte k, byte alpha, byte beta,
        Layout aLayout, Layout bLayout, Layout cLayout, int seed)
        => RunCase<float>(m, n, k, alpha, beta, aLayout, bLayout, cLayout, seed);

    [Property(MaxTest = 100)]
    public void Double_matches_reference_for_every_kernel_path_and_layout(byte m, byte n, byte k, byte alpha, byte beta,
        Layout aLayout, Layout bLayout, Layout cLayout, int seed)
        => RunCase<double>(m, n, k, alpha, beta, aLayout, bLayout, cLayout, seed);

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Transposes_through_the_blas_style_overload(bool transA, bool transB)
    {
        var rng = new Random(7);
        int m = 13, n = 70, k = 19, lda = (transA ? m : k) + 2, ldb = (transB ? k : n) + 1, ldc = n + 5;
        var a = Make<double>(rng, transA ? k : m, transA ? m : k, Layout.RowMajor).Data;
        var b = Make<double>(rng, transB ? n : k, transB ? k : n, Layout.RowMajor).Data;
        a = Pad(a, transA ? k : m, transA ? m : k, lda);
        b = Pad(b, transB ? n : k, transB ? k : n, ldb);
        var c = new double[m * ldc];
        var expected = new double[m * ldc];
        for (int i = 0; i < c.Length; i++) c[i] = expected[i] = rng.NextDouble();
        Gemm.Multiply(transA, transB, m, n, k, 1.5, a, lda, b, ldb, -0.5, c, ldc);
        GemmReference.Multiply(m, n, k, 1.5, a, transA ? 1 : lda, transA ? lda : 1, b, transB ? 1 : ldb, transB ? ldb : 1, -0.5, expected, ldc, 1);
        for (int i = 0; i < c.Length; i++) Assert.Equal(expected[i], c[i], 1e-12);

        static double[] Pad(double[] x, int rows, int cols, int ld)
        {
            var r = new double[rows * ld];
            for (int i = 0; i < rows; i++) Array.Copy(x, i * cols, r, i * ld, cols);
            return r;
        }
    }

    [Fact]
    public void Large_product_crosses_the_real_block_sizes_on_two_threads()
    {
        // Default blocking: k spans two KC slices and n two NC blocks (when NC is moderate), with
        // tile edges everywhere; MC boundaries are crossed by the tiny-block runs above.
        var bl = GemmBlocking.For<float>(GemmKernelKinds.Best);
        int m = 4 * bl.MR + 5, n = Math.Min(bl.NC, 1024) + 5, k = bl.KC + 3;
        var rng = new Random(3);
        var a = Make<float>(rng, m, k, Layout.RowMajor);
        var b = Make<float>(rng, k, n, Layout.ColMajor);
        var expectation = new Expectation<float>(m, n, k, 1.0, 0.5, a, b, Layout.RowPadded, rng);
        expectation.Check(GemmKernelKinds.Best, GemmPath.Auto, 2, null, "large, automatic path");
        expectation.Check(GemmKernelKinds.Best, GemmPath.Packed, 2, null, "large, packed on two threads");
    }

    [Fact]
    public void Beta_zero_overwrites_NaN_and_k_zero_scales_C()
    {
        var c = new float[] { float.NaN, float.PositiveInfinity, 3, 4 };
        Gemm.Multiply(2, 2, 0, 1f, ReadOnlySpan<float>.Empty, 0, 1, ReadOnlySpan<float>.Empty, 2, 1, 0f, c, 2, 1);
        Assert.Equal(new float[] { 0, 0, 0, 0 }, c);
        c = [1, 2, 3, 4];
        Gemm.Multiply(2, 2, 0, 1f, ReadOnlySpan<float>.Empty, 0, 1, ReadOnlySpan<float>.Empty, 2, 1, 2f, c, 2, 1);
        Assert.Equal(new float[] { 2, 4, 6, 8 }, c);
    }

    [Fact]
    public void Alpha_zero_does_not_read_A_or_B()
    {
        // As in BLAS: alpha = 0 means C = beta·C; NaNs in A or B do not reach C.
        var a = new double[] { double.NaN, double.NaN };
        var b = new double[] { double.NaN, double.NaN };
        var c = new double[] { 1, 2, 3, 4 };
        Gemm.Multiply(2, 2, 1, 0.0, a, 1, 1, b, 1, 1, 3.0, c, 2, 1);
        Assert.Equal(new double[] { 3, 6, 9, 12 }, c);
    }

    [Fact]
    public void Empty_output_is_a_no_op()
    {
        var c = new float[] { 5 };
        Gemm.Multiply(0, 3, 4, 1f, new float[12], 4, 1, new float[12], 3, 1, 0f, Span<float>.Empty, 3, 1);
        Gemm.Multiply(3, 0, 4, 1f, new float[12], 4, 1, new float[12], 0, 1, 0f, Span<float>.Empty, 0, 1);
        Assert.Equal(5f, c[0]);
    }

    [Fact]
    public void Bad_arguments_name_the_problem()
    {
        var ex = Assert.Throws<ArgumentException>(() => Gemm.Multiply(-1, 2, 2, 1f, new float[4], 2, 1, new float[4], 2, 1, 0f, new float[4], 2, 1));
        Assert.Contains("m=-1", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Gemm.Multiply(2, 2, 3, 1f, new float[5], 3, 1, new float[6], 2, 1, 0f, new float[4], 2, 1));
        Assert.Equal("a", ex.ParamName);
        Assert.Contains("2×3", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Gemm.Multiply(2, 2, 3, 1f, new float[6], 3, 1, new float[6], 2, 1, 0f, new float[3], 2, 1));
        Assert.Equal("c", ex.ParamName);
        ex = Assert.Throws<ArgumentException>(() => Gemm.Multiply(2, 2, 3, 1f, new float[6], 3, 1, new float[6], -2, 1, 0f, new float[4], 2, 1));
        Assert.Equal("b", ex.ParamName);
        ex = Assert.Throws<ArgumentException>(() => Gemm.Multiply(2, 2, 3, 1f, new float[6], 3, 1, new float[6], 2, 1, 0f, new float[4], 0, 1));
        Assert.Equal("c", ex.ParamName);
    }

    [Fact]
    public void Every_kernel_kind_the_process_reports_is_usable()
    {
        Assert.Contains(GemmKernelKinds.Best, GemmKernelKinds.Supported());
        Assert.Contains(GemmKernelKind.Scalar, GemmKernelKinds.Supported());
    }

    // ---------------------------------------------------------------- through Tensor.MatMul

    private static double NaiveEntry(Tensor<double> a, Tensor<double> b, int[] aIdx, int[] bIdx, int k)
    {
        double s = 0;
        for (int p = 0; p < k; p++)
        {
            aIdx[^1] = p; bIdx[^2] = p;
            s += a[aIdx] * b[bIdx];
        }
        return s;
    }

    [Property(MaxTest = 40)]
    public void MatMul_batched_with_broadcasting_matches_naive_loops(byte mPick, byte nPick, byte kPick, bool batchA, bool batchB, bool transposedB, int seed)
    {
        int[] sizes = [1, 2, 5, 7, 65];
        int m = sizes[mPick % sizes.Length], n = sizes[nPick % sizes.Length], k = sizes[kPick % sizes.Length];
        var rng = new Random(seed);
        int[] aShape = batchA ? [2, 1, m, k] : [m, k];
        int[] bShape = batchB ? [3, k, n] : [k, n];
        var a = Tensor.FromArray(Make<double>(rng, 1, ShapeUtil.ElementCount(aShape), Layout.RowMajor).Data, aShape);
        var b = transposedB
            ? Tensor.FromArray(Make<double>(rng, 1, ShapeUtil.ElementCount(bShape), Layout.RowMajor).Data, [.. bShape[..^2], n, k]).Transpose(-1, -2)
            : Tensor.FromArray(Make<double>(rng, 1, ShapeUtil.ElementCount(bShape), Layout.RowMajor).Data, bShape);
        var c = Tensor.MatMul(a, b);
        int[] batch = batchA ? (batchB ? [2, 3] : [2, 1]) : (batchB ? [3] : []);
        Assert.Equal([.. batch, m, n], c.ShapeArray);
        foreach (var bi in Indices(batch))
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    int[] aIdx = batchA ? [bi[0], 0, i, 0] : [i, 0];
                    int[] bIdx = batchB ? [bi[^1], 0, j] : [0, j];
                    double want = NaiveEntry(a, b, aIdx, bIdx, k);
                    Assert.Equal(want, c[[.. bi, i, j]], 1e-12);
                }
    }

    [Fact]
    public void MatMul_with_vectors_drops_the_added_axes()
    {
        var rng = new Random(5);
        var mat = Tensor.FromArray(Make<float>(rng, 1, 40 * 30, Layout.RowMajor).Data, 40, 30);
        var v30 = Tensor.FromArray(Make<float>(rng, 1, 30, Layout.RowMajor).Data, 30);
        var v40 = Tensor.FromArray(Make<float>(rng, 1, 40, Layout.RowMajor).Data, 40);
        var mv = Tensor.MatMul(mat, v30);
        var vm = Tensor.MatMul(v40, mat);
        var vv = Tensor.MatMul(v30, v30);
        Assert.Equal([40], mv.ShapeArray);
        Assert.Equal([30], vm.ShapeArray);
        Assert.Equal(0, vv.Rank);
        for (int i = 0; i < 40; i++)
        {
            double s = 0; for (int p = 0; p < 30; p++) s += (double)mat[i, p] * v30[p];
            Assert.Equal(s, mv[i], 1e-4);
        }
        for (int j = 0; j < 30; j++)
        {
            double s = 0; for (int p = 0; p < 40; p++) s += (double)v40[p] * mat[p, j];
            Assert.Equal(s, vm[j], 1e-4);
        }
        double d = 0; for (int p = 0; p < 30; p++) d += (double)v30[p] * v30[p];
        Assert.Equal(d, vv.ToScalar(), 1e-4);
    }

    [Fact]
    public void MatMul_rejects_mismatched_inner_dimensions_naming_both_shapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.MatMul(Tensor.Zeros<float>(2, 3), Tensor.Zeros<float>(4, 5)));
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[4, 5]", ex.Message);
    }

    private static IEnumerable<int[]> Indices(int[] shape)
    {
        int count = ShapeUtil.ElementCount(shape);
        for (int flat = 0; flat < count; flat++)
        {
            var idx = new int[shape.Length];
            int rem = flat;
            for (int d = shape.Length - 1; d >= 0; d--) { idx[d] = rem % shape[d]; rem /= shape[d]; }
            yield return idx;
        }
    }
}
