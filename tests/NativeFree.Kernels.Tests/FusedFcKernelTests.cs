using NativeFree.Kernels.Spec;
using NativeFree.Tensors.Randomness;
using NativeFree.Models.Layers;
using NativeFree.Models.Spec;
using NativeFree.Models;
using NativeFree.Kernels.Layers;
using NativeFree.Tensors;
using Xunit;

namespace NativeFree.Kernels.Tests;

/// <summary>
/// The fused fully connected ABReLU path of <see cref="KernelFunction.Compute{T}"/> (all layers per entry in
/// registers, tiles mirrored) against an independent scalar recursion with Math.Acos/Math.Sin in float64
/// and against the layer-by-layer tile path (<see cref="KernelFunction.ComputeTile"/>).
/// </summary>
public class FusedFcKernelTests
{
    private static readonly (double A, double B, double W, double? Bias)[] Layers =
        [(0, 1, 1.4, 0.1), (0.2, 1, 1.1, null), (-1, 1, 0.9, 0.3), (0, 1, 1.3, 0.05), (0.5, -0.7, 1.0, 0.0)];

    private static SequentialSpec Net(int width = 7)
    {
        // Nested SequentialSpec on purpose: the fused path flattens it.
        var layers = new List<LayerSpec> { Stax.Dense(width, 1.2, 0.2) };
        foreach (var (a, b, w, bias) in Layers) layers.Add(Stax.Serial(Stax.ABRelu(a, b), Stax.Dense(width, w, bias)));
        return Stax.Serial(layers.ToArray());
    }

    /// <summary>NNGP and NTK of <see cref="Net"/> for one pair, from the arc-cosine formulas directly.</summary>
    private static (double K, double T) Oracle(double[] x, double[] y)
    {
        int d = x.Length;
        double dot = 0, xx = 0, yy = 0;
        for (int i = 0; i < d; i++) { dot += x[i] * y[i]; xx += x[i] * x[i]; yy += y[i] * y[i]; }
        double k = 1.44 * dot / d + 0.04, k1 = 1.44 * xx / d + 0.04, k2 = 1.44 * yy / d + 0.04, t = k;
        foreach (var (a, b, w, bias) in Layers)
        {
            double b2 = bias is { } v ? v * v : 0;
            (double e, double ed) Dual(double q1, double q2, double q12)
            {
                double norm = Math.Sqrt(q1 * q2), c = norm > 0 ? Math.Clamp(q12 / norm, -1, 1) : 0, th = Math.Acos(c);
                double J(double angle) => norm / (2 * Math.PI) * (Math.Sin(angle) + (Math.PI - angle) * Math.Cos(angle));
                return ((a * a + b * b) * J(th) - 2 * a * b * J(Math.PI - th), ((a * a + b * b) * (Math.PI - th) + 2 * a * b * th) / (2 * Math.PI));
            }
            var (e12, ed) = Dual(k1, k2, k);
            double e11 = Dual(k1, k1, k1).e, e22 = Dual(k2, k2, k2).e;
            k = w * w * e12 + b2;
            t = w * w * t * ed + k;
            k1 = w * w * e11 + b2; k2 = w * w * e22 + b2;
        }
        return (k, t);
    }

    private static void AssertMatchesOracle(Tensor<double> x1, Tensor<double> x2, Tensor<double>? nngp, Tensor<double>? ntk)
    {
        int n1 = x1.Dim(0), n2 = x2.Dim(0), d = x1.Dim(1);
        var a = x1.ToArray(); var b = x2.ToArray();
        for (int i = 0; i < n1; i++)
            for (int j = 0; j < n2; j++)
            {
                var xi = a.AsSpan(i * d, d).ToArray(); var yj = b.AsSpan(j * d, d).ToArray();
                var (k, t) = Oracle(xi, yj);
                // An input with itself has cos θ = 1 up to rounding, where acos has infinite slope: one ulp in
                // c is √(2·1.1e-16) ≈ 1.5e-8 in θ, in both the oracle and the kernel. Elsewhere: 1e-12.
                double tol = xi.SequenceEqual(yj) ? 1e-7 : 1e-12;
                if (nngp is not null) Assert.True(Math.Abs(nngp[i, j] - k) <= tol * Math.Max(1, Math.Abs(k)), $"NNGP[{i},{j}] {nngp[i, j]:R} vs {k:R}");
                if (ntk is not null) Assert.True(Math.Abs(ntk[i, j] - t) <= tol * Math.Max(1, Math.Abs(t)), $"NTK[{i},{j}] {ntk[i, j]:R} vs {t:R}");
            }
    }

    [Theory]
    [InlineData(37, 16)]   // odd N, several 16-tiles with a 5-wide tail
    [InlineData(61, 32)]
    [InlineData(9, 128)]   // one tile, 1-entry tail vector
    public void SymmetricMatchesClosedFormOnOddSizes(int n, int tile)
    {
        var x = TestUtil.RandomInputs(n, n, 6);
        var r = KernelFunction.Compute(Net(), x, null, new KernelOptions { MaxTile = tile });
        AssertMatchesOracle(x, x, r.Nngp, r.Ntk);
        // Mirrored tiles: exactly symmetric.
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
            {
                Assert.Equal(r.Nngp![j, i], r.Nngp[i, j]);
                Assert.Equal(r.Ntk![j, i], r.Ntk[i, j]);
            }
    }

    [Fact]
    public void TwoInputSetsMatchClosedForm()
    {
        var x1 = TestUtil.RandomInputs(3, 29, 5);
        var x2 = TestUtil.RandomInputs(4, 43, 5);
        var r = KernelFunction.Compute(Net(), x1, x2, new KernelOptions { MaxTile = 16 });
        Assert.Equal([29, 43], r.Ntk!.ShapeArray);
        AssertMatchesOracle(x1, x2, r.Nngp, r.Ntk);
    }

    [Fact]
    public void FusedEqualsTheLayerByLayerPath()
    {
        var x1 = TestUtil.RandomInputs(5, 45, 8);
        var x2 = TestUtil.RandomInputs(6, 19, 8);
        foreach (var (a, b) in new[] { (x1, (Tensor<double>?)null), (x1, x2) })
        {
            var fused = KernelFunction.Compute(Net(), a, b, new KernelOptions { MaxTile = 16 });
            var layered = KernelFunction.ComputeTile(KernelLayers.From(Net()), a, b); // one tile through Serial.Transform, layer by layer
            var fk = fused.Nngp!.ToArray(); var ft = fused.Ntk!.ToArray();
            for (int i = 0; i < fk.Length; i++)
            {
                Assert.Equal(layered.Nngp[i], fk[i], 1e-13);
                Assert.Equal(layered.Ntk![i], ft[i], 1e-13);
            }
        }
    }

    [Fact]
    public void PureReluNetworkEqualsTheLayerByLayerPath()
    {
        // Every a = 0: the fused kernel drops the 2ab terms (a separately compiled specialisation).
        var net = Stax.Serial(Stax.Dense(5, 1.5, 0.1), Stax.Relu(), Stax.Dense(5, 1.2, 0.2), Stax.Relu(), Stax.Dense(5, 0.8, null), Stax.Relu(), Stax.Dense(1, 1.1, 0.05));
        var x = TestUtil.RandomInputs(12, 35, 6);
        var fused = KernelFunction.Compute(net, x, null, new KernelOptions { MaxTile = 16 });
        var layered = KernelFunction.ComputeTile(KernelLayers.From(net), x, null);
        var fk = fused.Nngp!.ToArray(); var ft = fused.Ntk!.ToArray();
        for (int i = 0; i < fk.Length; i++)
        {
            Assert.Equal(layered.Nngp[i], fk[i], 1e-13);
            Assert.Equal(layered.Ntk![i], ft[i], 1e-13);
        }
    }

    [Fact]
    public void SingleKindRequestsAllocateOnlyThatKernel()
    {
        var x = TestUtil.RandomInputs(7, 21, 4);
        var both = KernelFunction.Compute(Net(), x, null, new KernelOptions { MaxTile = 8 });
        var ntkOnly = KernelFunction.Compute(Net(), x, null, new KernelOptions { Kinds = KernelKinds.Ntk, MaxTile = 8 });
        var nngpOnly = KernelFunction.Compute(Net(), x, null, new KernelOptions { Kinds = KernelKinds.Nngp, MaxTile = 8 });
        Assert.Null(ntkOnly.Nngp);
        Assert.Null(nngpOnly.Ntk);
        Assert.Equal(both.Ntk!.ToArray(), ntkOnly.Ntk!.ToArray());
        Assert.Equal(both.Nngp!.ToArray(), nngpOnly.Nngp!.ToArray());
    }

    [Fact]
    public void Float32OutputIsTheRoundedFloat64Kernel()
    {
        var x = TestUtil.RandomInputs(8, 19, 3);
        var d = KernelFunction.Compute(Net(), x, null, new KernelOptions { MaxTile = 8 });
        var f = KernelFunction.Compute(Net(), Tensor.FromArray(x.ToArray().Select(v => (float)v).ToArray(), 19, 3), null, new KernelOptions { MaxTile = 8 });
        // Inputs rounded to float32 first, so compare loosely; every entry must be written (no garbage).
        var dk = d.Ntk!.ToArray(); var fk = f.Ntk!.ToArray();
        for (int i = 0; i < dk.Length; i++) Assert.Equal(dk[i], fk[i], 1e-5 * Math.Max(1, Math.Abs(dk[i])));
    }

    [Fact]
    public void Float32OutputIsExactlyTheFloat64KernelRoundedOnce()
    {
        var xf = TestUtil.RandomInputs(11, 27, 5).ToArray().Select(v => (float)v).ToArray();
        var f = KernelFunction.Compute(Net(), Tensor.FromArray(xf, 27, 5), null, new KernelOptions { MaxTile = 16 });
        var d = KernelFunction.Compute(Net(), Tensor.FromArray(xf.Select(v => (double)v).ToArray(), 27, 5), null, new KernelOptions { MaxTile = 16 });
        Assert.Equal(d.Nngp!.ToArray().Select(v => (float)v).ToArray(), f.Nngp!.ToArray());
        Assert.Equal(d.Ntk!.ToArray().Select(v => (float)v).ToArray(), f.Ntk!.ToArray());
    }

    [Fact]
    public void ZeroInputsGiveNoNaN()
    {
        var x = TestUtil.RandomInputs(9, 12, 4).ToArray();
        Array.Clear(x, 0, 4 * 3); // three zero rows
        var net = Stax.Serial(Stax.Dense(3, 1.0, null), Stax.Relu(), Stax.Dense(3, 1.0, null), Stax.Relu(), Stax.Dense(1, 1.0, null));
        var r = KernelFunction.Compute(net, Tensor.FromArray(x, 12, 4));
        Assert.All(r.Nngp!.ToArray(), v => Assert.True(double.IsFinite(v)));
        Assert.All(r.Ntk!.ToArray(), v => Assert.True(double.IsFinite(v)));
        Assert.Equal(0.0, r.Ntk![0, 5]);
    }

    [Fact]
    public void CancelledBeforeStartThrows()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var x = TestUtil.RandomInputs(10, 40, 4);
        Assert.ThrowsAny<OperationCanceledException>(() => KernelFunction.Compute(Net(), x, null, new KernelOptions { Cancellation = cts.Token }));
    }
}
