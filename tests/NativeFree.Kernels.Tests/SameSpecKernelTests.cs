using NativeFree.Kernels.Empirical;
using NativeFree.Kernels.Spec;
using NativeFree.Models.Spec;
using NativeFree.Tensors;
using NativeFree.Tensors.Randomness;
using Xunit;

namespace NativeFree.Kernels.Tests;

/// <summary>
/// One SPEC for both worlds: the text that gives the analytic NTK (Kernels' grammar) also builds the finite
/// network (Models' grammar), and at width 4096 the Monte-Carlo average of that network's empirical NTK is within
/// a few percent of the analytic one, for dense, convolutional (flatten readout) and pooled networks.
/// Images are NHWC for the analytic kernel and NCHW for the module: the same pixels, transposed.
/// </summary>
public class SameSpecKernelTests
{
    private static double RelativeError(Tensor<double> a, Tensor<double> b)
    {
        var x = a.AsSpan(); var y = b.AsSpan();
        double num = 0, den = 0;
        for (int i = 0; i < x.Length; i++) { num += (x[i] - y[i]) * (x[i] - y[i]); den += y[i] * y[i]; }
        return Math.Sqrt(num / den);
    }

    private static (double Error, Tensor<double> Empirical, Tensor<double> Analytic) Compare(string spec, Tensor<double> xNhwcOrFlat, int samples, ulong seed)
    {
        // One parsed description for both: the analytic kernel reads it, the Monte-Carlo builds its finite networks.
        var net = NetworkSpec.Parse(spec);
        var x = KernelFunction.ChannelsFirst(xNhwcOrFlat);
        var analytic = KernelFunction.Compute(net, x, null, new KernelOptions { Kinds = KernelKinds.Ntk }).Ntk!;
        var empirical = ModuleKernel.MonteCarloNtk(net, x, null, samples, new Rng(seed));
        return (RelativeError(empirical, analytic), empirical, analytic);
    }

    [Fact]
    public void DenseReluAtWidth4096()
    {
        var x = new Rng(11).Normal(0.0, 1.0, [6, 8]);
        var (err, _, _) = Compare("dense(4096, w_std=1.5, b_std=0.1) relu dense(1, w_std=1.5, b_std=0.1)", x, 4, 1);
        Console.WriteLine($"same-spec relative error {err:F4}"); Assert.True(err < 0.04, $"relative error {err:F4}");
    }

    [Fact]
    public void ConvWithFlattenReadoutAtWidth4096()
    {
        var x = new Rng(12).Normal(0.0, 1.0, [5, 6, 6, 2]);
        var (err, _, _) = Compare("conv(4096, filter=3, w_std=1.4, b_std=0.1) relu flatten dense(1, w_std=1.4, b_std=0.1)", x, 2, 2);
        Console.WriteLine($"same-spec relative error {err:F4}"); Assert.True(err < 0.04, $"relative error {err:F4}");
    }

    [Fact]
    public void PooledConvAtWidth4096()
    {
        var x = new Rng(13).Normal(0.0, 1.0, [5, 6, 6, 2]);
        var (err, _, _) = Compare("conv(4096, filter=3, w_std=1.4, b_std=0.05) relu avg_pool(2) conv(1, filter=3, w_std=1.4) global_avg_pool", x, 2, 3);
        Console.WriteLine($"same-spec relative error {err:F4}"); Assert.True(err < 0.04, $"relative error {err:F4}");
    }

    [Theory]
    [InlineData("dense(4096, w_std=1.5, b_std=0.1) relu dense(1, w_std=1.5, b_std=0.1)", "dense(4096, w_std=1.5", "dense(4096, w_std=1.65")]
    [InlineData("conv(4096, filter=3, w_std=1.4, b_std=0.1) relu flatten dense(1, w_std=1.4, b_std=0.1)", "conv(4096, filter=3, w_std=1.4", "conv(4096, filter=3, w_std=1.54")]
    [InlineData("conv(4096, filter=3, w_std=1.4, b_std=0.05) relu avg_pool(2) conv(1, filter=3, w_std=1.4) global_avg_pool", "avg_pool(2)", "avg_pool(3, stride=1)")]
    public void TheCheckCanFail(string spec, string from, string to)
    {
        // The same comparison against a network that differs a little (first-layer w_std 10 % off, another pooling
        // window) misses the analytic kernel by far more than the tolerance above.
        bool image = spec.StartsWith("conv");
        var x = image ? new Rng(12).Normal(0.0, 1.0, [5, 6, 6, 2]) : new Rng(11).Normal(0.0, 1.0, [6, 8]);
        var xm = KernelFunction.ChannelsFirst(x);
        var analytic = KernelFunction.Compute(NetworkSpec.Parse(spec), xm, null, new KernelOptions { Kinds = KernelKinds.Ntk }).Ntk!;
        Assert.Contains(from, spec);
        var off = ModuleKernel.MonteCarloNtk(SpecParser.Parse(spec.Replace(from, to)), xm, null, 2, new Rng(1));
        Assert.True(RelativeError(off, analytic) > 0.06, $"{RelativeError(off, analytic):F4}");
    }

    [Fact]
    public void MultipleOutputsAreAveragedPerUnit()
    {
        // K outputs: Θ is the mean over units, so a width-K readout estimates the same per-unit kernel.
        var x = new Rng(14).Normal(0.0, 1.0, [4, 5]);
        var one = ModuleKernel.MonteCarloNtk(SpecParser.Parse("dense(2048, w_std=1.5) relu dense(1, w_std=1.5)"), x, null, 2, new Rng(4));
        var five = ModuleKernel.MonteCarloNtk(SpecParser.Parse("dense(2048, w_std=1.5) relu dense(5, w_std=1.5)"), x, null, 2, new Rng(4));
        Assert.True(RelativeError(five, one) < 0.05, $"{RelativeError(five, one):F4}");
        var asym = ModuleKernel.Ntk(SpecParser.Parse("dense(64) relu dense(3)").Build<double>([5], new Rng(5)), x, x.Slice(0, 0, 2).Contiguous());
        Assert.Equal([4, 2], asym.ShapeArray);
    }
}

public class SpellingTests
{
    [Fact]
    public void NeuralTangentsSpellingOfParametrizationIsAcceptedByBothGrammars()
    {
        var x = new Rng(21).Normal(0.0, 1.0, [3, 4]);
        const string a = "dense(32, w_std=1.3, parametrization=standard) relu dense(1)";
        var k1 = KernelFunction.Compute(NetworkSpec.Parse(a), x).Ntk!.ToArray();
        var k2 = KernelFunction.Compute(NetworkSpec.Parse(a.Replace("parametrization", "parameterization")), x).Ntk!.ToArray();
        var kn = KernelFunction.Compute(NetworkSpec.Parse(a.Replace("parametrization=standard", "parametrization=ntk")), x).Ntk!.ToArray();
        Assert.Equal(k1, k2);
        Assert.NotEqual(k1, kn);
        Assert.Equal(SpecParser.Parse(a).ToString(), SpecParser.Parse(a.Replace("parametrization", "parameterization")).ToString());
        Assert.Throws<ArgumentException>(() => NetworkSpec.Parse("dense(32, parameterisation=ntk)"));
    }
}
