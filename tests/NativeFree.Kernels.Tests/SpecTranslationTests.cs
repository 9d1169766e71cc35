using NativeFree.Kernels.Empirical;
using NativeFree.Kernels.Layers;
using NativeFree.Kernels.Spec;
using NativeFree.Models;
using NativeFree.Models.Layers;
using NativeFree.Models.Spec;
using NativeFree.Tensors;
using NativeFree.Tensors.Randomness;
using Xunit;

namespace NativeFree.Kernels.Tests;

/// <summary>
/// Kernels read Models descriptions (<see cref="KernelLayers.From"/>): what each spec becomes, what is refused and why,
/// the NCHW entry against the channels-last one, and SPEC text round trips of what <see cref="Stax"/> builds.
/// </summary>
public class SpecTranslationTests
{
    [Fact]
    public void StaxSpecsPrintAsSpecTextThatParsesBackToTheSameSpec()
    {
        LayerSpec[] specs =
        [
            Stax.Serial(Stax.Dense(16, 1.5, 0.05), Stax.Relu(), Stax.Dense(1, 1.5, null, Parametrization.Standard)),
            Stax.Serial(Stax.Conv(8, 3, 2, stride: 2, wStd: 1.4, bStd: 0.1), Stax.Erf(1.1, 0.9, 0.2), Stax.AvgPool(2, 2), Stax.GlobalAvgPool(), Stax.Dense(2)),
            Stax.Serial(Stax.Conv1D(8, 3, stride: 2, wStd: 1.5, bStd: 0.1), Stax.ABRelu(-0.3, 1.2), Stax.Conv1D(4, 2, padding: Padding.Valid), Stax.Flatten(), Stax.Dense(1)),
            Stax.Serial(Stax.Dense(8), Stax.LayerNorm(), Stax.Residual(Stax.Gelu(), Stax.Dense(8)), Stax.FanInConcat(Stax.Serial(Stax.Relu(), Stax.Dense(4)), Stax.Identity()),
                Stax.Dense(8), Stax.Rbf(0.5), Stax.Dense(8), Stax.Monomial(3), Stax.Dense(8), Stax.RectifiedMonomial(2), Stax.Dense(8), Stax.Cos(1, 2, 0.5), Stax.Dense(8),
                Stax.Sign(), Stax.Dense(8), Stax.Abs(), Stax.Dropout(0.9), Stax.Dense(1)),
        ];
        foreach (var spec in specs)
            Assert.Equal(spec, NetworkSpec.Parse(spec.ToString()));
    }

    [Fact]
    public void LayersMapToTheirTransformsAndTheArgumentsCarryOver()
    {
        var net = (Serial)KernelLayers.From(NetworkSpec.Parse(
            "dense(8, w_std=1.3, b_std=none) relu conv(4, filter=3x2, stride=2, padding=valid, w_std=1.2) leaky_relu(0.2) linear(5, w_std=1.1, b_std=0.3) dropout(0.25)"));
        var dense = Assert.IsType<Dense>(net.Layers[0]);
        Assert.Equal((8, 1.3, (double?)null, WeightScaling.Ntk), (dense.Width, dense.WStd, dense.BStd, dense.Scaling));
        var conv = Assert.IsType<Conv>(net.Layers[2]);
        Assert.Equal([3, 2], conv.Filter); Assert.Equal([2, 2], conv.Strides); Assert.Equal(Padding.Valid, conv.Padding);
        Assert.Equal(0.2, Assert.IsType<LeakyRelu>(net.Layers[3]).A);
        var linear = Assert.IsType<Dense>(net.Layers[4]);
        Assert.Equal((1.1, (double?)0.3, WeightScaling.Standard), (linear.WStd, linear.BStd, linear.Scaling));
        Assert.Equal(0.75, Assert.IsType<Layers.Dropout>(net.Layers[5]).Keep, 15);
        // Explicit padding (k − 1)/2 at stride 1 is SAME; other paddings have no kernel here and are named.
        Assert.Equal(Padding.Same, Assert.IsType<Conv>(((Serial)KernelLayers.From(NetworkSpec.Parse("conv2d(4, 3, padding=1, w_std=1, b_std=0)"))).Layers[0]).Padding);
        Assert.Contains("padding", Assert.Throws<NotSupportedException>(() => KernelLayers.From(NetworkSpec.Parse("conv2d(4, 3, padding=2, w_std=1, b_std=0)"))).Message);
        Assert.Contains("dilated", Assert.Throws<NotSupportedException>(() => KernelLayers.From(NetworkSpec.Parse("conv(4, dilation=2)"))).Message);
        Assert.Contains("grouped", Assert.Throws<NotSupportedException>(() => KernelLayers.From(NetworkSpec.Parse("conv(4, groups=2)"))).Message);
        Assert.Contains("avg_pool", Assert.Throws<NotSupportedException>(() => KernelLayers.From(NetworkSpec.Parse("avg_pool(3, stride=2, padding=1)"))).Message);
    }

    [Fact]
    public void TheNchwEntryEqualsTheChannelsLastOneBitForBit()
    {
        var spec = NetworkSpec.Parse("conv(6, 3, w_std=1.4, b_std=0.1) relu avg_pool(2) conv(6, 2, w_std=1.2) gelu global_avg_pool dense(1)");
        var nhwc = TestUtil.RandomInputs(301, 3, 6, 5, 2);
        var nchw = KernelFunction.ChannelsFirst(nhwc);
        Assert.Equal([3, 2, 6, 5], nchw.ShapeArray);
        Assert.Equal(nhwc.ToArray(), KernelFunction.ChannelsLast(nchw).ToArray());
        var a = KernelFunction.Compute(spec, nchw);
        var b = KernelFunction.Compute(KernelLayers.From(spec), nhwc);
        Assert.Equal(b.Ntk!.ToArray(), a.Ntk!.ToArray());
        Assert.Equal(b.Nngp!.ToArray(), a.Nngp!.ToArray());
        // The layout matters: the same array read as NCHW without the transposition is another set of images.
        Assert.NotEqual(a.Ntk!.ToArray(), KernelFunction.Compute(spec, nhwc).Ntk!.ToArray());
    }

    [Fact]
    public void LinearOnAnImageIsRefusedNamingTheShape()
    {
        // Models' linear acts on the last axis of [C, H, W] (W); the dense transform acts on channels: they differ, so refuse.
        var e = Assert.Throws<ArgumentException>(() => KernelFunction.Compute(NetworkSpec.Parse("conv(4, 3) relu dense(1)"), TestUtil.RandomImages(303, 2, 4, 4, 2)));
        Assert.Contains("[4, 4, 4]", e.Message);
        Assert.Contains("flatten or global_avg_pool", e.Message);
        var ln = Assert.Throws<ArgumentException>(() => KernelFunction.Compute(NetworkSpec.Parse("conv(4, 3) layer_norm(elementwise_affine=false) relu flatten dense(1)"), TestUtil.RandomImages(304, 2, 4, 4, 2)));
        Assert.Contains("layer_norm", ln.Message);
    }

    /// <summary>
    /// Layer norm without gain and shift (neural-tangents' LayerNorm) against the Monte-Carlo NTK of its finite network
    /// (measured 1.3 %), and torch.nn.LayerNorm's trainable gain and shift refused by name: their NTK term depends on the
    /// next nonlinearity (the gain's gradient is the normalised input), and the shortcut (Σ′ + 1 added before it) misses the
    /// Monte-Carlo NTK by 13 %.
    /// </summary>
    [Fact]
    public void LayerNormKernelMatchesItsFiniteNetworkAndTheAffineOneIsRefused()
    {
        var x = TestUtil.RandomInputs(305, 5, 6);
        var spec = NetworkSpec.Parse("dense(2048, w_std=1.4, b_std=0.1) layer_norm(elementwise_affine=false) relu dense(1, w_std=1.3, b_std=0.1)");
        var analytic = KernelFunction.Compute(spec, x, null, new KernelOptions { Kinds = KernelKinds.Ntk }).Ntk!.ToArray();
        var mc = ModuleKernel.MonteCarlo(spec, x, null, 4, new Rng(306), KernelKinds.Ntk).Ntk!.ToArray();
        double err = TestUtil.RelFrobenius(mc, analytic);
        Assert.True(err < 0.04, $"layer norm: relative error {err:F4}");
        // Without the normalisation the kernel is far off: the check can fail.
        var noNorm = KernelFunction.Compute(NetworkSpec.Parse("dense(2048, w_std=1.4, b_std=0.1) relu dense(1, w_std=1.3, b_std=0.1)"), x, null,
            new KernelOptions { Kinds = KernelKinds.Ntk }).Ntk!.ToArray();
        Assert.True(TestUtil.RelFrobenius(mc, noNorm) > 0.1);
        var e = Assert.Throws<NotSupportedException>(() => KernelLayers.From(NetworkSpec.Parse("dense(8) layer_norm relu dense(1)")));
        Assert.Contains("elementwise_affine=false", e.Message);
    }

    [Fact]
    public void StaxSpecsBuildTheirFiniteNetworkAndAKernelTransformDoesNot()
    {
        var spec = Stax.Serial(Stax.Conv1D(4, 3, stride: 2, wStd: 1.5, bStd: 0.1), Stax.Relu(), Stax.GlobalAvgPool(), Stax.Dense(2));
        var module = spec.Build<double>([3, 9], new Rng(1));
        Assert.Equal([2, 2], module.Predict(KernelFunction.ChannelsFirst(TestUtil.RandomInputs(307, 2, 9, 3))).ShapeArray);
        Assert.Equal(["0.weight", "0.bias", "3.weight", "3.bias"], module.NamedParameters().Select(p => p.Key).ToArray());
        var custom = Stax.Serial(Stax.Dense(4), Stax.Transform(new QuadratureActivation(Math.Tanh)), Stax.Dense(1));
        Assert.True(double.IsFinite(KernelFunction.Compute(custom, TestUtil.RandomInputs(308, 3, 2)).Ntk![0, 1]));
        Assert.Contains("no finite network", Assert.Throws<NotSupportedException>(() => custom.Build<double>([2], new Rng(1))).Message);
    }
}
