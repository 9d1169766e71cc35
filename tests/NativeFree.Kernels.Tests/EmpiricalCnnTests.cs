using NativeFree.Kernels.Spec;
using NativeFree.Tensors.Randomness;
using NativeFree.Models.Layers;
using NativeFree.Models.Spec;
using NativeFree.Models;
using NativeFree.Kernels;
using NativeFree.Kernels.Empirical;
using NativeFree.Kernels.Layers;
using NativeFree.Tensors;
using Xunit;
using Xunit.Abstractions;

namespace NativeFree.Kernels.Tests;

/// <summary>
/// Empirical NTKs of convolutional networks (Autograd through conv, relu, pooling) against the analytic CNTK:
/// the Monte-Carlo average over S initialisations of width C has relative error ≈ (one-network error)/√S + O(1/C).
/// The one-network spread is measured on independent networks, as in <see cref="EmpiricalKernelTests"/>.
/// </summary>
public class EmpiricalCnnTests(ITestOutputHelper output)
{
    private static SequentialSpec FlattenCnn(int channels) => Stax.Serial(
        Stax.Conv(channels, 3, 3, wStd: 1.4, bStd: 0.1), Stax.Relu(), Stax.Conv(channels, 3, 3, wStd: 1.4, bStd: 0.1), Stax.Relu(),
        Stax.Flatten(), Stax.Dense(1, 1.2, 0.1));

    private static SequentialSpec PoolCnn(int channels) => Stax.Serial(
        Stax.Conv(channels, 3, 3, wStd: 1.4, bStd: 0.1), Stax.Relu(), Stax.Conv(channels, 3, 3, wStd: 1.4, bStd: 0.1, padding: Padding.Valid), Stax.Relu(),
        Stax.GlobalAvgPool(), Stax.Dense(1, 1.2, 0.1));

    private void AssertMonteCarloMatches(Func<int, SequentialSpec> make, Tensor<double> x, int channels, int samples, int spread, double cap)
    {
        var analytic = KernelFunction.Compute(make(1), x).Ntk!.ToArray();
        var mc = ModuleKernel.MonteCarlo(make(channels), x, null, samples, new Rng((ulong)(17)), KernelKinds.Ntk).Ntk!.ToArray();
        double rms = 0;
        for (int s = 0; s < spread; s++)
        {
            var p = make(channels).Build<double>(x.ShapeArray[1..], new Rng((ulong)(500 + s)));
            rms += Math.Pow(TestUtil.RelFrobenius(ModuleKernel.Ntk(p, x).ToArray(), analytic), 2) / spread;
        }
        rms = Math.Sqrt(rms);
        double err = TestUtil.RelFrobenius(mc, analytic);
        output.WriteLine($"{make(channels)}: one network rms {rms:F4}, mean of {samples} {err:F4}");
        // 3σ of the sampling error plus a finite-width bias allowance of 2/C.
        Assert.True(err < 3 * rms / Math.Sqrt(samples) + 2.0 / channels, $"MC NTK error {err:F4} vs one-network rms {rms:F4}");
        Assert.True(err < cap, $"MC NTK error {err:F4}");
    }

    /// <summary>conv relu conv relu flatten dense: the diagonal-spatial CNTK.</summary>
    [Fact]
    [Trait("Category", "Slow")]
    public void FlattenCnnMatchesAnalyticNtk()
        => AssertMonteCarloMatches(FlattenCnn, TestUtil.RandomImages(41, 4, 4, 4, 2), channels: 128, samples: 16, spread: 6, cap: 0.06);

    /// <summary>conv relu conv(valid) relu global_avg_pool dense: the full spatial covariance.</summary>
    [Fact]
    [Trait("Category", "Slow")]
    public void GlobalAvgPoolCnnMatchesAnalyticNtk()
        => AssertMonteCarloMatches(PoolCnn, TestUtil.RandomImages(42, 4, 5, 5, 2), channels: 128, samples: 16, spread: 6, cap: 0.06);

    /// <summary>
    /// The other trainable layers' NTK transforms against their finite networks: erf, GELU, a residual block, a
    /// concatenation, layer norm, 1-D conv with stride and avg-pool (all differentiable on the tape since this change).
    /// </summary>
    [Theory]
    [Trait("Category", "Slow")]
    [InlineData("mlp")]
    [InlineData("conv1d")]
    public void OtherLayersMatchAnalyticNtk(string kind)
    {
        SequentialSpec Mlp(int w) => Stax.Serial(Stax.Dense(w, 1.3, 0.1), Stax.Erf(1.1, 0.9, 0.2), Stax.Dense(w, 1.2, 0.1),
            Stax.Residual(Stax.Gelu(), Stax.Dense(w, 1.1, 0.1)), Stax.LayerNorm(),
            Stax.FanInConcat(Stax.Serial(Stax.Relu(), Stax.Dense((w + 1) / 2, 1.4, 0.0)), Stax.Serial(Stax.Dense((w + 1) / 2, 1.0, 0.2))), Stax.Dense(w, 1.2, 0.1), Stax.Relu(),
            Stax.Dense(1, 1.0, 0.05));
        SequentialSpec Conv1(int c) => Stax.Serial(Stax.Conv1D(c, 3, stride: 2, wStd: 1.5, bStd: 0.1), Stax.Relu(), Stax.AvgPool1D(2, 1),
            Stax.Conv1D(c, 2, padding: Padding.Valid, wStd: 1.3), Stax.Erf(), Stax.GlobalAvgPool(), Stax.Dense(1, 1.0, 0.1));
        if (kind == "mlp") AssertMonteCarloMatches(Mlp, TestUtil.RandomInputs(46, 4, 6), channels: 512, samples: 16, spread: 6, cap: 0.06);
        else AssertMonteCarloMatches(Conv1, TestUtil.RandomImages(47, 4, 9, 3), channels: 256, samples: 16, spread: 6, cap: 0.06);
    }

    /// <summary>On a tiny CNN with a pooling top the empirical NTK is exactly J·Jᵀ by finite differences (independent oracle).</summary>
    [Fact]
    public void TinyCnnNtkEqualsFiniteDifferenceJacobians()
    {
        var net = Stax.Serial(Stax.Conv(3, 2, 2, wStd: 1.3, bStd: 0.2), Stax.Relu(), Stax.AvgPool(2, 2), Stax.Conv(2, 2, 2, wStd: 1.2, padding: Padding.Valid), Stax.Gelu(),
            Stax.GlobalAvgPool(), Stax.Dense(2, 1.1, 0.1));
        var x1 = TestUtil.RandomImages(43, 3, 6, 6, 2);
        var x2 = TestUtil.RandomImages(44, 2, 6, 6, 2);
        var p = net.Build<double>(x1.ShapeArray[1..], new Rng((ulong)(45)));
        var both = Tensor.Zeros<double>(5, 2, 6, 6);
        x1.ToArray().CopyTo(both.AsSpan()); x2.ToArray().CopyTo(both.AsSpan().Slice(x1.Length));
        var want = FiniteDifferenceNtk(p, both);
        var got = ModuleKernel.Ntk(p, x1, x2).ToArray();
        double scale = want.Max(Math.Abs);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 2; j++)
                Assert.True(Math.Abs(got[i * 2 + j] - want[i * 5 + 3 + j]) <= 1e-6 * Math.Max(1, scale), $"[{i}, {j}]: {got[i * 2 + j]} vs {want[i * 5 + 3 + j]}");
    }

    /// <summary>J·Jᵀ/K from central-difference Jacobians of the eval forward pass (no Autograd), [n, n].</summary>
    internal static double[] FiniteDifferenceNtk(Module<double> net, Tensor<double> x)
    {
        var jac = TestUtil.FiniteDifferenceJacobian(net, x);
        int n = x.Dim(0), outputs = jac.GetLength(0) / n, p = jac.GetLength(1);
        var k = new double[n * n];
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++)
            {
                double s = 0;
                for (int o = 0; o < outputs; o++) for (int q = 0; q < p; q++) s += jac[a * outputs + o, q] * jac[b * outputs + o, q];
                k[a * n + b] = s / outputs;
            }
        return k;
    }
}
