using NativeFree.Kernels.Spec;
using NativeFree.Tensors.Randomness;
using NativeFree.Models.Layers;
using NativeFree.Models.Spec;
using NativeFree.Models;
using NativeFree.Kernels;
using NativeFree.Kernels.Internal;
using NativeFree.Kernels.Layers;
using NativeFree.Tensors;
using Xunit;

namespace NativeFree.Kernels.Tests;

/// <summary>
/// The fused CNN path (<see cref="ConvStack"/>) against the layer-by-layer transforms, and the spatial sums
/// (old <see cref="SpatialOps"/> and the new box sum) against a scalar reference written from the definition.
/// </summary>
public class ConvStackTests
{
    /// <summary>The definition: dst[o1, o2] = Σ_d src[in(o1, d), in(o2, d)], padding contributes zero.</summary>
    private static double[] ConvFullReference(double[] src, int h, int w, int kh, int kw, int sh, int sw, Padding padding)
    {
        var (ho, wo, pt, pl) = new Window2D(kh, kw, sh, sw, padding).Output(h, w, "test");
        int P = h * w, Po = ho * wo;
        var dst = new double[Po * Po];
        for (int o1 = 0; o1 < Po; o1++)
            for (int o2 = 0; o2 < Po; o2++)
            {
                double s = 0;
                for (int dy = 0; dy < kh; dy++)
                    for (int dx = 0; dx < kw; dx++)
                    {
                        int a = In(o1, dy, dx), b = In(o2, dy, dx);
                        if (a >= 0 && b >= 0) s += src[a * P + b];
                    }
                dst[o1 * Po + o2] = s;
            }
        return dst;

        int In(int o, int dy, int dx)
        {
            int oy = o / wo, ox = o % wo, iy = oy * sh + dy - pt, ix = ox * sw + dx - pl;
            return iy >= 0 && iy < h && ix >= 0 && ix < w ? iy * w + ix : -1;
        }
    }

    private static double[] Random(int seed, int n)
    {
        var r = new System.Random(seed);
        return Enumerable.Range(0, n).Select(_ => r.NextDouble() * 2 - 1).ToArray();
    }

    public static TheoryData<int, int, int, int, int, int, Padding> Geometries => new()
    {
        // h, w, kh, kw, sh, sw, padding: 1-D (h = 1), odd sizes, widths that are not multiples of 8, strides 2.
        { 1, 13, 1, 3, 1, 1, Padding.Same },
        { 1, 13, 1, 4, 1, 2, Padding.Valid },
        { 1, 17, 1, 5, 1, 2, Padding.Same },
        { 5, 7, 3, 3, 1, 1, Padding.Same },
        { 5, 11, 3, 3, 1, 1, Padding.Valid },
        { 6, 9, 2, 4, 1, 1, Padding.Same },
        { 7, 10, 3, 3, 2, 2, Padding.Same },
        { 7, 9, 3, 2, 2, 1, Padding.Valid },
        { 4, 19, 3, 3, 1, 1, Padding.Same },
    };

    [Theory]
    [MemberData(nameof(Geometries))]
    public void ConvFullAndDiagonalMatchTheDefinition(int h, int w, int kh, int kw, int sh, int sw, Padding padding)
    {
        var win = new Window2D(kh, kw, sh, sw, padding);
        var (ho, wo, pt, pl) = win.Output(h, w, "test");
        int P = h * w, Po = ho * wo;
        var src = Random(h * 100 + w, P * P);
        var expected = ConvFullReference(src, h, w, kh, kw, sh, sw, padding);
        var full = new double[Po * Po];
        SpatialOps.ConvFull(src, h, w, full, win, ho, wo, pt, pl);
        for (int e = 0; e < full.Length; e++) Assert.Equal(expected[e], full[e], 12);

        // The diagonal conv of the diagonal is the diagonal of the full conv.
        var diag = Enumerable.Range(0, P).Select(p => src[p * P + p]).ToArray();
        var d = new double[Po];
        SpatialOps.ConvDiagonal(diag, h, w, d, win, ho, wo, pt, pl);
        for (int o = 0; o < Po; o++) Assert.Equal(expected[o * Po + o], d[o], 12);

        if (sh == 1 && sw == 1)
        {
            var u = new ConvStack.Unit { H = h, W = w, Ho = ho, Wo = wo, Kh = kh, Kw = kw, Pt = pt, Pl = pl, Scale = 1, B2 = 0, RA = 1, RB = 1, RC = 0 };
            var box = new double[Po];
            ConvStack.WindowSum(diag, box, u);
            for (int o = 0; o < Po; o++) Assert.Equal(expected[o * Po + o], box[o], 12);
        }
    }

    public static TheoryData<string> Networks => new() { "flatten2d", "gap2d", "gap2d-std", "flatten1d", "gap1d", "gap2d-wide", "flatten-nobias" };

    /// <summary>Networks the fused path takes: stride-1 convs, ReLU-family activations, odd and non-multiple-of-8 sizes.</summary>
    private static (SequentialSpec Net, int[] Shape) Make(string name) => name switch
    {
        "flatten2d" => (Stax.Serial(Stax.Conv(8, 3, 3, wStd: 1.4, bStd: 0.1), Stax.Relu(), Stax.Conv(8, 2, 4, wStd: 1.2, bStd: 0.2, padding: Padding.Valid),
            Stax.ABRelu(-0.3, 1.2), Stax.Conv(8, 3, 3, wStd: 0.9), Stax.Conv(8, 3, 3, wStd: 1.3, bStd: 0.05), Stax.LeakyRelu(0.1),
            Stax.Flatten(), Stax.Dense(3, 1.1, 0.1), Stax.Relu(), Stax.Dense(1, 1.0, 0.0)), [7, 9, 2]),
        "flatten-nobias" => (Stax.Serial(Stax.Conv(8, 3, 3, wStd: 1.4, bStd: null), Stax.Relu(), Stax.Conv(8, 3, 3, wStd: 1.4, bStd: null), Stax.Abs(),
            Stax.Flatten()), [5, 11, 3]),
        "gap2d" => (Stax.Serial(Stax.Conv(8, 3, 3, wStd: 1.4, bStd: 0.1), Stax.Relu(), Stax.Conv(8, 2, 4, wStd: 1.2, bStd: 0.2, padding: Padding.Valid),
            Stax.ABRelu(-0.3, 1.2), Stax.Conv(8, 3, 3, wStd: 0.9), Stax.Conv(8, 3, 3, wStd: 1.3, bStd: 0.05), Stax.Relu(),
            Stax.GlobalAvgPool(), Stax.Dense(2, 1.0, 0.1)), [7, 12, 2]),
        // 19 columns: two full vector chunks and an overlapping last one, borders masked on both sides.
        "gap2d-wide" => (Stax.Serial(Stax.Conv(8, 3, 3, wStd: 1.4, bStd: 0.1), Stax.Relu(), Stax.Conv(8, 3, 3, wStd: 1.4, bStd: 0.1), Stax.Relu(),
            Stax.GlobalAvgPool()), [4, 19, 3]),
        "gap2d-std" => (Stax.Serial(Stax.Conv(8, 3, 3, 1, Padding.Same, 1.4, 0.1, Parametrization.Standard), Stax.Relu(),
            Stax.Conv(6, 3, 2, 1, Padding.Valid, 1.2, null, Parametrization.Standard), Stax.Relu(), Stax.GlobalAvgPool(), Stax.Dense(1, 1.0, 0.0)), [5, 10, 3]),
        "flatten1d" => (Stax.Serial(Stax.Conv1D(8, 3, wStd: 1.5, bStd: 0.1), Stax.Relu(), Stax.Conv1D(8, 4, padding: Padding.Valid, wStd: 1.3), Stax.Relu(),
            Stax.Flatten(), Stax.Dense(1, 1.0, 0.0)), [13, 2]),
        "gap1d" => (Stax.Serial(Stax.Conv1D(8, 3, wStd: 1.5, bStd: 0.1), Stax.Relu(), Stax.Conv1D(8, 5, padding: Padding.Valid, wStd: 1.3), Stax.LeakyRelu(0.2),
            Stax.GlobalAvgPool(), Stax.Dense(1, 1.0, 0.0)), [17, 2]),
        _ => throw new ArgumentException(name),
    };

    /// <summary>
    /// Agreement to 1e-11 of the largest entry, except an input with itself (the diagonal of a symmetric kernel): there
    /// the correlation is exactly 1 at every position, which the fused path uses, while the layer-by-layer path computes
    /// it from two differently rounded sums (GEMM for the pair, a dot product for the variance), and arccos near 1 turns
    /// one ulp into θ ≈ 2e-8: ~1e-9 relative differences, allowed up to 1e-8. A wrong tap, mask or coefficient is off by far more.
    /// </summary>
    private static void AssertClose(Tensor<double>? expected, Tensor<double>? actual, string what, bool symmetric = false, double tolerance = 1e-11)
    {
        Assert.NotNull(expected); Assert.NotNull(actual);
        var e = expected!.ToArray(); var a = actual!.ToArray();
        Assert.Equal(e.Length, a.Length);
        int n2 = expected.Dim(1);
        double scale = e.Max(Math.Abs);
        for (int i = 0; i < e.Length; i++)
        {
            double tol = symmetric && i / n2 == i % n2 ? 1e-8 : tolerance;
            Assert.True(Math.Abs(e[i] - a[i]) <= tol * scale, $"{what}[{i / n2}, {i % n2}]: layer-by-layer {e[i]:R}, fused {a[i]:R}");
        }
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void FusedPathMatchesLayerByLayer(string name)
    {
        var (net, shape) = Make(name);
        var fs = new FeatureShape(shape[..^1], shape[^1]);
        var x1 = TestUtil.RandomInputs(11, [4, .. shape]);
        var x2 = TestUtil.RandomInputs(12, [3, .. shape]);
        // The fused path must actually be taken, or the comparison below would compare the reference with itself.
        var analysis = new LayerAnalysis();
        KernelLayers.From(net).Analyze(analysis);
        var mode = analysis.NeedsFullSpatial ? SpatialMode.Full : SpatialMode.Diagonal;
        Assert.NotNull(ConvStack.TryCreate(KernelLayers.From(net), fs, mode, analysis.NeedsFullCov));

        var reference = new KernelOptions { LayerByLayer = true };
        foreach (var threads in new[] { 1, 2 })
        {
            var opts = new KernelOptions { Threads = threads };
            // Symmetric (diagonal tiles mirror j ≥ i) and rectangular.
            var sym = KernelFunction.Compute(KernelLayers.From(net), x1, null, opts);
            var symRef = KernelFunction.Compute(KernelLayers.From(net), x1, null, reference);
            AssertClose(symRef.Nngp, sym.Nngp, $"{name} symmetric NNGP", true);
            AssertClose(symRef.Ntk, sym.Ntk, $"{name} symmetric NTK", true);
            var rect = KernelFunction.Compute(KernelLayers.From(net), x1, x2, opts);
            var rectRef = KernelFunction.Compute(KernelLayers.From(net), x1, x2, reference);
            AssertClose(rectRef.Nngp, rect.Nngp, $"{name} NNGP");
            AssertClose(rectRef.Ntk, rect.Ntk, $"{name} NTK");
        }
        // NNGP only (no NTK buffers).
        var nngpOnly = KernelFunction.Compute(KernelLayers.From(net), x1, x2, new KernelOptions { Kinds = KernelKinds.Nngp });
        var nngpRef = KernelFunction.Compute(KernelLayers.From(net), x1, x2, new KernelOptions { Kinds = KernelKinds.Nngp, LayerByLayer = true });
        AssertClose(nngpRef.Nngp, nngpOnly.Nngp, $"{name} NNGP-only");
        Assert.Null(nngpOnly.Ntk);
    }

    [Fact]
    public void ColumnBlocksOfOneRowMatchLayerByLayer()
    {
        // Full mode computes columns in blocks of output rows; force one row per block to cross every block boundary.
        int saved = ConvStack.ColumnBlockBytes;
        try
        {
            ConvStack.ColumnBlockBytes = 1;
            foreach (var name in new[] { "gap2d", "gap2d-wide", "gap1d" })
            {
                var (net, shape) = Make(name);
                var x1 = TestUtil.RandomInputs(21, [3, .. shape]);
                var x2 = TestUtil.RandomInputs(22, [2, .. shape]);
                var fused = KernelFunction.Compute(KernelLayers.From(net), x1, x2);
                var reference = KernelFunction.Compute(KernelLayers.From(net), x1, x2, new KernelOptions { LayerByLayer = true });
                AssertClose(reference.Ntk, fused.Ntk, $"{name} NTK, 1-row column blocks");
                AssertClose(reference.Nngp, fused.Nngp, $"{name} NNGP, 1-row column blocks");
            }
        }
        finally { ConvStack.ColumnBlockBytes = saved; }
    }

    [Fact]
    public void SmallTilesAndStreamingMatchTheWholeKernel()
    {
        // Tiles of 4×2 = 8 inputs (symmetric: diagonal tiles mirrored, off-diagonal tiles written both ways), and a budget
        // too small to cache the self-covariance trajectories of all 40 inputs (computed per tile instead).
        var net = Stax.Serial(Stax.Conv(8, 3, 3, wStd: 1.4, bStd: 0.1), Stax.Relu(), Stax.Conv(8, 2, 4, wStd: 1.2, bStd: 0.2, padding: Padding.Valid),
            Stax.ABRelu(-0.3, 1.2), Stax.Conv(8, 3, 3, wStd: 1.3, bStd: 0.05), Stax.LeakyRelu(0.1), Stax.Flatten(), Stax.Dense(1, 1.1, 0.1));
        var x = TestUtil.RandomImages(5, 40, 16, 16, 2);
        var x2 = TestUtil.RandomImages(6, 11, 16, 16, 2);
        var small = new KernelOptions { MemoryBudgetBytes = 1 << 20, MaxTile = 2 };
        var whole = KernelFunction.Compute(net, x, null, new KernelOptions { LayerByLayer = true });
        var tiled = KernelFunction.Compute(net, x, null, small);
        AssertClose(whole.Ntk, tiled.Ntk, "tiled NTK", true);
        AssertClose(whole.Nngp, tiled.Nngp, "tiled NNGP", true);
        var rect = KernelFunction.Compute(net, x, x2, small);
        AssertClose(KernelFunction.Compute(net, x, x2, new KernelOptions { LayerByLayer = true }).Ntk, rect.Ntk, "tiled rectangular NTK");

        string path = Path.Combine(Path.GetTempPath(), $"convstack-{Guid.NewGuid():N}.npy");
        try
        {
            KernelFunction.ComputeToNpy(net, x, null, null, path, false, small);
            AssertClose(whole.Ntk, NativeFree.Tensors.IO.Npy.Read<double>(path), "streamed NTK", true);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void RepeatedCallsReusingPooledTablesMatchLayerByLayer()
    {
        // 16×16 inputs through 3 SAME units: 769 trajectory doubles per input, so 12 inputs make a table above
        // TileBuffers' pooling threshold. Later calls of the same size get an earlier call's table back, uncleared,
        // and the per-thread maps start from a stale ping-pong layout: every value must still be overwritten.
        // The last call has an all-zero input: with no bias in the first conv its variance is 0 there (a zero norm: the
        // diagonal path's correlation is 0, not NaN, and the NTK's arccos factor sees θ = π/2).
        var net = Stax.Serial(Stax.Conv(8, 3, 3, wStd: 1.4, bStd: null), Stax.Relu(), Stax.Conv(8, 3, 3, wStd: 1.3, bStd: 0.2), Stax.ABRelu(-0.3, 1.2),
            Stax.Conv(8, 3, 3, wStd: 1.2, bStd: 0.05), Stax.Relu(), Stax.Flatten(), Stax.Dense(1, 1.1, 0.1));
        for (int call = 0; call < 3; call++)
        {
            var a = TestUtil.RandomImages(20 + call, 12, 16, 16, 3).ToArray();
            if (call == 2) Array.Clear(a, 0, 16 * 16 * 3);
            var x = Tensor.FromArray(a, 12, 16, 16, 3);
            var fused = KernelFunction.Compute(KernelLayers.From(net), x);
            var reference = KernelFunction.Compute(KernelLayers.From(net), x, null, new KernelOptions { LayerByLayer = true });
            AssertClose(reference.Ntk, fused.Ntk, $"call {call} NTK", true);
            AssertClose(reference.Nngp, fused.Nngp, $"call {call} NNGP", true);
        }
    }

    [Fact]
    public void ZeroInputsGiveNoNaN()
    {
        var (net, shape) = Make("gap2d");
        var x = Tensor.Zeros<double>([2, .. shape]);
        var k = KernelFunction.Compute(KernelLayers.From(net), x);
        Assert.All(k.Ntk!.ToArray(), v => Assert.True(double.IsFinite(v)));
        Assert.All(k.Nngp!.ToArray(), v => Assert.True(double.IsFinite(v)));
        AssertClose(KernelFunction.Compute(KernelLayers.From(net), x, null, new KernelOptions { LayerByLayer = true }).Ntk, k.Ntk, "zero-input NTK", true, 1e-8); // identical inputs: every pair has ρ = 1
    }

    [Fact]
    public void UnsupportedShapesUseTheLayerByLayerPath()
    {
        var strided = Stax.Serial(Stax.Conv(4, 3, 3, stride: 2), Stax.Relu(), Stax.Flatten());
        Assert.Null(ConvStack.TryCreate(KernelLayers.From(strided), new FeatureShape([8, 8], 3), SpatialMode.Diagonal, false));
        var pooled = Stax.Serial(Stax.Conv(4, 3, 3), Stax.Relu(), Stax.AvgPool(2, 2), Stax.Conv(4, 3, 3), Stax.Relu(), Stax.GlobalAvgPool());
        Assert.Null(ConvStack.TryCreate(KernelLayers.From(pooled), new FeatureShape([8, 8], 3), SpatialMode.Full, false));
        var gelu = Stax.Serial(Stax.Conv(4, 3, 3), Stax.Gelu(), Stax.Flatten());
        Assert.Null(ConvStack.TryCreate(KernelLayers.From(gelu), new FeatureShape([8, 8], 3), SpatialMode.Diagonal, false));
    }
}
