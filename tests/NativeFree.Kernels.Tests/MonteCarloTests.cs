using NativeFree.Kernels.Spec;
using NativeFree.Tensors.Randomness;
using NativeFree.Models.Layers;
using NativeFree.Models.Spec;
using NativeFree.Models;
using NativeFree.Kernels;
using NativeFree.Kernels.Layers;
using NativeFree.Tensors;
using Xunit;

namespace NativeFree.Kernels.Tests;

/// <summary>
/// Analytic NNGPs against Monte-Carlo averages of finite networks built from the same description
/// (forward passes only). Width W and S samples with C output channels give relative errors of about
/// 1/W (finite width) + 1/√(S·C) (sampling), so the tolerances are a few percent.
/// </summary>
[Trait("Category", "Slow")]
public class MonteCarloTests
{
    private static void AssertClose(LayerSpec net, Tensor<double> x1, Tensor<double> x2, int samples, double rtol, int seed = 11)
    {
        var analytic = KernelFunction.Compute(net, x1, x2, new KernelOptions { Kinds = KernelKinds.Nngp }).Nngp!.ToArray();
        var mc = TestUtil.MonteCarloNngp(net, x1, x2, samples, seed);
        double err = TestUtil.RelFrobenius(mc, analytic);
        Assert.True(err < rtol, $"{net}: relative Frobenius error {err:F4} (tolerance {rtol})");
    }

    [Fact]
    public void DenseReluNetwork()
    {
        var x1 = TestUtil.RandomInputs(1, 6, 8);
        var x2 = TestUtil.RandomInputs(2, 5, 8);
        var net = Stax.Serial(Stax.Dense(512, 1.5, 0.1), Stax.Relu(), Stax.Dense(512, 1.5, 0.1), Stax.Relu(), Stax.Dense(256, 1.5, 0.1));
        AssertClose(net, x1, x2, 32, 0.04);
    }

    [Fact]
    public void SmoothActivationsAndStandardParametrization()
    {
        var x1 = TestUtil.RandomInputs(3, 5, 6);
        var x2 = TestUtil.RandomInputs(4, 4, 6);
        var net = Stax.Serial(Stax.Dense(512, 1.2, 0.2, Parametrization.Standard), Stax.Erf(1.1, 0.9, 0.2), Stax.Dense(512, 1.3, 0.1), Stax.Gelu(), Stax.Dense(256, 1.0, 0.3));
        AssertClose(net, x1, x2, 32, 0.04);
    }

    [Fact]
    public void ResidualConcatAndLayerNorm()
    {
        var x1 = TestUtil.RandomInputs(5, 5, 6);
        var x2 = TestUtil.RandomInputs(6, 4, 6);
        var net = Stax.Serial(
            Stax.Dense(256, 1.3, 0.1),
            Stax.LayerNorm(),
            Stax.Residual(Stax.Relu(), Stax.Dense(256, 1.2, 0.1)),
            Stax.FanInConcat(Stax.Serial(Stax.Relu(), Stax.Dense(128, 1.4, 0.0)), Stax.Serial(Stax.Erf(), Stax.Dense(384, 1.0, 0.2))),
            Stax.Dense(512, 1.1, 0.1),
            Stax.Relu(),
            Stax.Dense(256, 1.0, 0.05));
        AssertClose(net, x1, x2, 24, 0.05);
    }

    [Fact]
    public void CnnWithFlatten()
    {
        var x1 = TestUtil.RandomImages(7, 3, 5, 4, 2);
        var x2 = TestUtil.RandomImages(8, 2, 5, 4, 2);
        var net = Stax.Serial(Stax.Conv(128, 3, 3, wStd: 1.4, bStd: 0.1), Stax.Relu(), Stax.Conv(128, 3, 3, wStd: 1.4, bStd: 0.1, padding: Padding.Valid), Stax.Relu(),
            Stax.Flatten(), Stax.Dense(64, 1.2, 0.1));
        // 40 samples gave 0.03–0.07 over seeds 11–13 (sampling noise ≈ √(2/(S·C))); 160 gave 0.016–0.019, so 120 leaves the tolerance margin.
        AssertClose(net, x1, x2, 120, 0.05);
    }

    [Fact]
    public void CnnWithGlobalAvgPoolAndAvgPool()
    {
        var x1 = TestUtil.RandomImages(9, 3, 4, 4, 2);
        var x2 = TestUtil.RandomImages(10, 2, 4, 4, 2);
        var net = Stax.Serial(Stax.Conv(128, 3, 3, wStd: 1.4, bStd: 0.1), Stax.Relu(), Stax.AvgPool(2, 2), Stax.Conv(128, 2, 2, wStd: 1.3, bStd: 0.1, stride: 1),
            Stax.Relu(), Stax.GlobalAvgPool(), Stax.Dense(64, 1.2, 0.1));
        AssertClose(net, x1, x2, 80, 0.05); // 40 samples sat at the tolerance (≈ √(2/(S·C)) + O(1/W)); 80 halves the sampling variance
    }

    [Fact]
    public void Conv1DWithStride()
    {
        var x1 = TestUtil.RandomImages(11, 3, 9, 3);
        var x2 = TestUtil.RandomImages(12, 2, 9, 3);
        var net = Stax.Serial(Stax.Conv1D(256, 3, stride: 2, wStd: 1.5, bStd: 0.1), Stax.Relu(), Stax.Conv1D(256, 2, padding: Padding.Valid, wStd: 1.3), Stax.Relu(),
            Stax.GlobalAvgPool(), Stax.Dense(64, 1.0, 0.1));
        AssertClose(net, x1, x2, 40, 0.05);
    }
}
