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

/// <summary>Empirical kernels of finite networks against finite differences and the analytic kernels.</summary>
public class EmpiricalKernelTests(ITestOutputHelper output)
{
    private static SequentialSpec Mlp(int width, int outputs = 1) => Stax.Serial(
        Stax.Dense(width, 1.5, 0.05), Stax.Relu(), Stax.Dense(width, 1.5, 0.05), Stax.LeakyRelu(0.2), Stax.Dense(outputs, 1.5, 0.05));

    /// <summary>J·Jᵀ against Jacobians by central differences of the plain (non-Autograd) forward pass.</summary>
    [Fact]
    public void NtkMatchesFiniteDifferenceJacobians()
    {
        var net = Mlp(5, outputs: 2);
        var x1 = TestUtil.RandomInputs(1, 3, 4);
        var x2 = TestUtil.RandomInputs(2, 2, 4);
        var p = net.Build<double>(x1.ShapeArray[1..], new Rng((ulong)(7)));
        var emp = ModuleKernel.Ntk(p, x1, x2).ToArray();
        var sym = ModuleKernel.Ntk(p, x1, null).ToArray();

        var ja = TestUtil.FiniteDifferenceJacobian(p, x1); // [input·outputs, param]
        var jb = TestUtil.FiniteDifferenceJacobian(p, x2);
        double Dot(double[,] u, int ru, double[,] v, int rv)
        {
            double s = 0;
            for (int q = 0; q < u.GetLength(1); q++) s += u[ru, q] * v[rv, q];
            return s;
        }
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 2; j++)
            {
                double want = 0;
                for (int o = 0; o < 2; o++) want += Dot(ja, i * 2 + o, jb, j * 2 + o) / 2;
                Assert.Equal(want, emp[i * 2 + j], 1e-6 * Math.Max(1, Math.Abs(want)));
            }
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
            {
                double want = 0;
                for (int o = 0; o < 2; o++) want += Dot(ja, i * 2 + o, ja, j * 2 + o) / 2;
                Assert.Equal(want, sym[i * 3 + j], 1e-6 * Math.Max(1, Math.Abs(want)));
            }
    }

    [Fact]
    public void NngpIsOutputGramOverWidth()
    {
        var net = Mlp(6, outputs: 3);
        var x = TestUtil.RandomInputs(3, 4, 5);
        var p = net.Build<double>(x.ShapeArray[1..], new Rng((ulong)(1)));
        var f = p.Predict(x).ToArray();
        var k = ModuleKernel.Nngp(p, x).ToArray();
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                Assert.Equal((f[i * 3] * f[j * 3] + f[i * 3 + 1] * f[j * 3 + 1] + f[i * 3 + 2] * f[j * 3 + 2]) / 3, k[i * 4 + j], 1e-12);
    }

    /// <summary>
    /// The finite network of an activation given only as a double function runs, but has no gradient: its empirical NTK
    /// is refused naming the layer. And a layer with no infinite-width kernel (max pooling, batch norm) is refused by the
    /// kernels, named, while its finite network still has an empirical NTK.
    /// </summary>
    [Fact]
    public void UnsupportedLayersAreNamed()
    {
        var x = TestUtil.RandomInputs(3, 2, 3);
        var scalar = Stax.Serial(Stax.Dense(4), Stax.Elementwise(Math.Tanh, name: "plain_tanh"), Stax.Dense(1));
        var m = scalar.Build<double>([3], new Rng(1));
        Assert.Equal(2, m.Predict(x).Length);
        var e = Assert.Throws<NotSupportedException>(() => ModuleKernel.Ntk(m, x));
        Assert.Contains("plain_tanh", e.Message);
        Assert.Contains("Var function", e.Message);

        var pooled = NetworkSpec.Parse("conv(4, 3) relu max_pool(2) flatten dense(1)");
        var k = Assert.Throws<NotSupportedException>(() => KernelFunction.Compute(pooled, TestUtil.RandomImages(4, 2, 4, 4, 1)));
        Assert.Contains("max_pool(2)", k.Message);
        var ntk = ModuleKernel.Ntk(pooled.Build<double>([1, 4, 4], new Rng(2)), TestUtil.RandomImages(4, 2, 4, 4, 1));
        Assert.True(ntk[0, 0] > 0);
        Assert.Contains("batch_norm", Assert.Throws<NotSupportedException>(() => KernelLayers.From(NetworkSpec.Parse("dense(8) batch_norm relu dense(1)"))).Message);
        Assert.Contains("μP", Assert.Throws<NotSupportedException>(() => KernelLayers.From(NetworkSpec.Parse("linear(8, parametrization=mup) relu linear(1, parametrization=mup)"))).Message);
        Assert.Contains("Kaiming", Assert.Throws<NotSupportedException>(() => KernelLayers.From(NetworkSpec.Parse("linear(8) relu linear(1)"))).Message);
    }

    /// <summary>
    /// Relative Frobenius error of one network's NTK against the analytic one falls like 1/√width:
    /// mean over seeds at widths 64, 256, 1024, slope of log error against log width in [−0.8, −0.3].
    /// </summary>
    [Fact]
    [Trait("Category", "Slow")]
    public void EmpiricalNtkApproachesAnalyticAsWidthGrows()
    {
        var x = TestUtil.RandomInputs(4, 5, 6);
        var analytic = KernelFunction.Compute(Mlp(1), x).Ntk!.ToArray();
        int[] widths = [64, 256, 1024];
        const int seeds = 6;
        var err = new double[widths.Length];
        for (int w = 0; w < widths.Length; w++)
        {
            var net = Mlp(widths[w]);
            for (int s = 0; s < seeds; s++)
            {
                var p = net.Build<double>(x.ShapeArray[1..], new Rng((ulong)(100 + s)));
                err[w] += TestUtil.RelFrobenius(ModuleKernel.Ntk(p, x).ToArray(), analytic) / seeds;
            }
            output.WriteLine($"width {widths[w]}: mean relative Frobenius error {err[w]:F4}");
        }
        double mx = widths.Average(w => Math.Log(w)), my = err.Average(Math.Log);
        double slope = widths.Zip(err, (w, e) => (Math.Log(w) - mx) * (Math.Log(e) - my)).Sum() / widths.Sum(w => Math.Pow(Math.Log(w) - mx, 2));
        output.WriteLine($"log-log slope {slope:F3}");
        for (int w = 1; w < widths.Length; w++) Assert.True(err[w] < err[w - 1], $"error did not fall: {string.Join(", ", err)}");
        Assert.InRange(slope, -0.8, -0.3);
        Assert.True(err[^1] < 0.1, $"width {widths[^1]} error {err[^1]}");
    }

    /// <summary>
    /// The Monte-Carlo average over S networks of width W matches the analytic NTK and NNGP within what S
    /// predicts: about (one-network error)/√S, plus a small 1/W bias. The one-network spread is measured on
    /// independent networks (the 64 readout units of one network share its hidden layers, so they are not
    /// independent samples of the NNGP).
    /// </summary>
    [Fact]
    [Trait("Category", "Slow")]
    public void MonteCarloAverageMatchesAnalytic()
    {
        var x = TestUtil.RandomInputs(5, 5, 6);
        const int width = 512, ntkSamples = 16, nngpSamples = 64, spread = 8;
        var analytic = KernelFunction.Compute(Mlp(1), x);
        double[] aNtk = analytic.Ntk!.ToArray(), aNngp = analytic.Nngp!.ToArray();
        // NTK: one readout unit (one backward pass per input); NNGP: 64 readout units (forward passes only).
        var mcNtk = ModuleKernel.MonteCarlo(Mlp(width), x, null, ntkSamples, new Rng((ulong)(3)), KernelKinds.Ntk);
        var mcNngp = ModuleKernel.MonteCarlo(Mlp(width, outputs: 64), x, null, nngpSamples, new Rng((ulong)(4)), KernelKinds.Nngp);
        double rmsNtk = 0, rmsNngp = 0;
        for (int s = 0; s < spread; s++)
        {
            var p1 = Mlp(width).Build<double>([6], new Rng((ulong)(900 + s)));
            rmsNtk += Math.Pow(TestUtil.RelFrobenius(ModuleKernel.Ntk(p1, x).ToArray(), aNtk), 2) / spread;
            var p64 = Mlp(width, 64).Build<double>([6], new Rng((ulong)(950 + s)));
            rmsNngp += Math.Pow(TestUtil.RelFrobenius(ModuleKernel.Nngp(p64, x).ToArray(), aNngp), 2) / spread;
        }
        rmsNtk = Math.Sqrt(rmsNtk); rmsNngp = Math.Sqrt(rmsNngp);
        double eNtk = TestUtil.RelFrobenius(mcNtk.Ntk!.ToArray(), aNtk);
        double eNngp = TestUtil.RelFrobenius(mcNngp.Nngp!.ToArray(), aNngp);
        output.WriteLine($"NTK: one network rms {rmsNtk:F4}, mean of {ntkSamples} {eNtk:F4}; NNGP: one network rms {rmsNngp:F4}, mean of {nngpSamples} {eNngp:F4}");
        Assert.True(eNtk < 3 * rmsNtk / Math.Sqrt(ntkSamples) + 0.01, $"MC NTK error {eNtk} vs one-network rms {rmsNtk}");
        Assert.True(eNtk < 0.06, $"MC NTK error {eNtk}");
        Assert.True(eNngp < 3 * rmsNngp / Math.Sqrt(nngpSamples) + 0.01, $"MC NNGP error {eNngp} vs one-network rms {rmsNngp}");
    }
}
