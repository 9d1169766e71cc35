using NativeFree.Autograd;
using NativeFree.Tensors;
using Xunit;

namespace NativeFree.Autograd.Tests;

/// <summary>
/// The gradient each kink op gives exactly at its kink or tie, one test per convention documented on the op.
/// Expected values are PyTorch 2.x's, from /usr/bin/python3 with x = torch.tensor(…, dtype=float64,
/// requires_grad=True); f(x).sum().backward(); x.grad (the expression is in each comment).
/// </summary>
public class KinkConventionTests
{
    private static Var<double> P(params double[] v) => Var<double>.Parameter(Tensor.FromArray(v, v.Length));

    private static double[] Grad(Var<double> x) => x.Grad!.Value.ToArray();

    [Fact]
    public void Clamp_passes_the_gradient_at_both_bounds()
    {
        // torch: x.clamp(-1., 1.) at [-1, 1, 0, 2, -2] → [1, 1, 1, 0, 0]
        var x = P(-1, 1, 0, 2, -2);
        x.Clamp(-1, 1).Sum().Backward();
        Assert.Equal(new double[] { 1, 1, 1, 0, 0 }, Grad(x));
    }

    [Fact]
    public void Maximum_splits_a_tie_in_half()
    {
        // torch: torch.maximum(a, b), a = [1, 2, 3], b = [1, 1, 4] → a.grad [0.5, 1, 0], b.grad [0.5, 0, 1]
        var a = P(1, 2, 3);
        var b = P(1, 1, 4);
        Var<double>.Maximum(a, b).Sum().Backward();
        Assert.Equal(new double[] { 0.5, 1, 0 }, Grad(a));
        Assert.Equal(new double[] { 0.5, 0, 1 }, Grad(b));
        // The halves add up: maximum(x, x) = x has gradient 1.
        var x = P(2, -1);
        Var<double>.Maximum(x, x).Sum().Backward();
        Assert.Equal(new double[] { 1, 1 }, Grad(x));
    }

    [Fact]
    public void Minimum_splits_a_tie_in_half()
    {
        // torch: torch.minimum(a, b), a = [1, 2, 3], b = [1, 1, 4] → a.grad [0.5, 0, 1], b.grad [0.5, 1, 0]
        var a = P(1, 2, 3);
        var b = P(1, 1, 4);
        Var<double>.Minimum(a, b).Sum().Backward();
        Assert.Equal(new double[] { 0.5, 0, 1 }, Grad(a));
        Assert.Equal(new double[] { 0.5, 1, 0 }, Grad(b));
    }

    [Fact]
    public void Max_and_min_reductions_share_a_tie_equally()
    {
        // torch: x.amax(0) and x.max() at [1, 3, 3, 2] → [0, 0.5, 0.5, 0]; x.min() at [1, 0, 0, 2] → [0, 0.5, 0.5, 0].
        // (torch.max(x, 0).values gives [0, 1, 0, 0] instead: the documented difference.)
        var x = P(1, 3, 3, 2);
        x.Max().Backward();
        Assert.Equal(new double[] { 0, 0.5, 0.5, 0 }, Grad(x));
        var y = P(1, 0, 0, 2);
        y.Min([0]).Backward();
        Assert.Equal(new double[] { 0, 0.5, 0.5, 0 }, Grad(y));
    }

    [Fact]
    public void Max_pool_gives_a_tied_window_to_its_first_maximum()
    {
        // torch: F.max_pool2d(x.view(1, 1, 2, 4), 2), x = [[1, 5, 5, 0], [5, 2, 0, 0]] → [[0, 1, 1, 0], [0, 0, 0, 0]]
        // (window 1 ties three 5s: the first in row-major order, (0, 1), takes it all; window 2 ties three 0s after its 5).
        var x = Var<double>.Parameter(Tensor.FromArray(new double[] { 1, 5, 5, 0, 5, 2, 0, 0 }, 1, 1, 2, 4));
        NnLayers.MaxPool2d(x, 2, 2, 2, 2).Sum().Backward();
        Assert.Equal(new double[] { 0, 1, 1, 0, 0, 0, 0, 0 }, Grad(x));

        // torch: F.max_pool1d(x.view(1, 1, 6), 3, stride=2, padding=1), x = [2, 2, 1, 2, 2, 0] → [1, 1, 0, 1, 0, 0]
        // (overlapping windows: element 3 wins window 2 as its first maximum although element 4 ties it).
        var y = Var<double>.Parameter(Tensor.FromArray(new double[] { 2, 2, 1, 2, 2, 0 }, 1, 1, 6));
        NnLayers.MaxPool1d(y, 3, 2, 1).Sum().Backward();
        Assert.Equal(new double[] { 1, 1, 0, 1, 0, 0 }, Grad(y));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]   // createGraph takes the recorded mask path instead of the fused one
    public void Relu_has_gradient_zero_at_zero(bool createGraph)
    {
        // torch: torch.relu(x) at [0, 1, -1] → [0, 1, 0]
        var x = P(0, 1, -1);
        x.Relu().Sum().Backward(createGraph: createGraph);
        Assert.Equal(new double[] { 0, 1, 0 }, Grad(x));
    }

    [Fact]
    public void Abs_has_gradient_zero_at_zero()
    {
        // torch: torch.abs(x) at [0, 1, -1] → [0, 1, -1]
        var x = P(0, 1, -1);
        x.Abs().Sum().Backward();
        Assert.Equal(new double[] { 0, 1, -1 }, Grad(x));
    }

    [Fact]
    public void One_norm_is_flat_at_a_zero_element_and_infinity_norm_shares_ties()
    {
        // torch: x.norm(p=1) at [0, 1, -1] → [0, 1, -1]; x.norm(p=inf) at [3, -3, 1] → [0.5, -0.5, 0]
        var x = P(0, 1, -1);
        x.Norm(p: 1).Backward();
        Assert.Equal(new double[] { 0, 1, -1 }, Grad(x));
        var y = P(3, -3, 1);
        y.Norm(p: double.PositiveInfinity).Backward();
        Assert.Equal(new double[] { 0.5, -0.5, 0 }, Grad(y));
    }

    [Fact]
    public void Sign_is_a_constant_so_it_passes_no_gradient()
    {
        // torch: (torch.sign(x) * x) at [0, 2, -3] → sign(x) + x·0 = [0, 1, -1]
        var x = P(0, 2, -3);
        (x.Sign() * x).Sum().Backward();
        Assert.Equal(new double[] { 0, 1, -1 }, Grad(x));
    }

    [Fact]
    public void Hinge_losses_have_gradient_zero_at_the_margin()
    {
        // relu'(0) = 0: a score exactly on the margin (y·s = 1) gets no gradient; one inside it gets −y/N.
        var s = P(1, 0.5);
        Nn.HingeLoss(s, Var<double>.Constant(Tensor.FromArray(new double[] { 1, 1 }, 2))).Backward();
        Assert.Equal(new double[] { 0, -0.5 }, Grad(s));
        // torch: F.multi_margin_loss(x, torch.tensor([0])) at x = [[1, 0, 0.5]] → [[-1/3, 0, 1/3]]:
        // the j = 1 term 1 − x[0] + x[1] is exactly 0 (the kink) and contributes nothing; j = 2 is active.
        var m = Var<double>.Parameter(Tensor.FromArray(new double[] { 1, 0, 0.5 }, 1, 3));
        Nn.MultiMarginLoss(m, [0]).Backward();
        var g = Grad(m);
        Assert.Equal(-1.0 / 3, g[0], 15);
        Assert.Equal(0.0, g[1]);
        Assert.Equal(1.0 / 3, g[2], 15);
    }

    [Fact]
    public void Huber_is_smooth_at_delta()
    {
        // torch: F.huber_loss(a, zeros, delta=1., reduction='sum') at a = [1, -1, 0.5] → [1, -1, 0.5]
        var a = P(1, -1, 0.5);
        (Nn.HuberLoss(a, Var<double>.Constant(Tensor.Zeros<double>(3))) * 3.0).Backward();
        var g = Grad(a);
        Assert.Equal(1.0, g[0], 15);
        Assert.Equal(-1.0, g[1], 15);
        Assert.Equal(0.5, g[2], 15);
    }
}
