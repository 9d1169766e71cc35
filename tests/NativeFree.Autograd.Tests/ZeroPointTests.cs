using NativeFree.Autograd;
using NativeFree.Tensors;
using Xunit;

namespace NativeFree.Autograd.Tests;

/// <summary>Derivatives exactly at 0, where a naive chain rule gives ∞·0 = NaN; expected values are PyTorch's.</summary>
public class ZeroPointTests
{
    private static Var<double> P(int[] shape, params double[] v) => Var<double>.Parameter(Tensor.FromArray(v, shape));

    [Theory]
    [InlineData(2.0)]
    [InlineData(3.0)]
    [InlineData(1.5)]
    [InlineData(1.0)]
    [InlineData(0.5)]
    [InlineData(double.PositiveInfinity)]
    public void Norm_of_an_all_zero_input_has_gradient_zero(double p)
    {
        var x = P([3], 0, 0, 0);
        x.Norm(p: p).Backward();
        Assert.Equal(new double[] { 0, 0, 0 }, x.Grad!.Value.ToArray());
    }

    [Theory]
    [InlineData(2.0)]
    [InlineData(3.0)]
    [InlineData(1.5)]
    [InlineData(0.5)]
    public void Norm_over_rows_masks_only_the_zero_row(double p)
    {
        // Row 0 is zero, row 1 is not: row 1 keeps d‖x‖/dx = sign(x)|x|^(p−1)/‖x‖^(p−1).
        var x = P([2, 2], 0, 0, 3, -4);
        x.Norm([1], p: p).Sum().Backward();
        var g = x.Grad!.Value.ToArray();
        double norm = Math.Pow(Math.Pow(3, p) + Math.Pow(4, p), 1 / p);
        Assert.Equal(0.0, g[0]);
        Assert.Equal(0.0, g[1]);
        Assert.Equal(Math.Pow(3, p - 1) / Math.Pow(norm, p - 1), g[2], 12);
        Assert.Equal(-Math.Pow(4, p - 1) / Math.Pow(norm, p - 1), g[3], 12);
    }

    [Fact]
    public void Norm_p_below_1_gives_zero_elements_gradient_zero_beside_non_zero_ones()
    {
        var x = P([2], 0, 2);
        x.Norm(p: 0.5).Backward(); // ‖x‖ = 2, d/dx₁ = (|x₁|/‖x‖)^(p−1) = 1
        Assert.Equal(0.0, x.Grad!.Value[0]);
        Assert.Equal(1.0, x.Grad.Value[1], 12);
    }

    [Theory]
    [InlineData(2.0)]
    [InlineData(3.0)]
    public void Second_derivative_of_the_norm_at_zero_is_zero_not_NaN(double p)
    {
        // PyTorch: the masked_fill in norm_backward makes the double backward 0 at a zero norm.
        var h = Autodiff.Hessian(x => x.Norm(p: p), Tensor.Zeros<double>(3));
        Assert.All(h.ToArray(), v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void Second_derivative_of_the_norm_next_to_a_zero_row_is_the_analytic_one()
    {
        // Rows [0, 0] and [3, 4]: the zero row's block is 0, the other is (I − uuᵀ)/‖x‖ with u = x/‖x‖.
        var h = Autodiff.Hessian(x => x.Norm([1]).Sum(), Tensor.FromArray(new double[] { 0, 0, 3, 4 }, 2, 2)).ToArray();
        Assert.Equal([0, 0, 0, 0], new[] { h[0], h[1], h[4], h[5] });
        Assert.Equal((1 - 0.36) / 5, h[10], 12);
        Assert.Equal(-0.48 / 5, h[11], 12);
        Assert.Equal((1 - 0.64) / 5, h[15], 12);
    }

    [Fact]
    public void Sqrt_at_zero_has_gradient_plus_infinity_as_in_PyTorch()
    {
        var x = P([2], 0, 4);
        x.Sqrt().Sum().Backward();
        Assert.Equal(new[] { double.PositiveInfinity, 0.25 }, x.Grad!.Value.ToArray());
    }

    [Fact]
    public void Pow_with_exponent_zero_has_gradient_zero_at_zero()
    {
        var x = P([2], 0, 2);
        x.Pow(0.0).Sum().Backward();
        Assert.Equal(new double[] { 0, 0 }, x.Grad!.Value.ToArray());
    }

    [Fact]
    public void Tensor_pow_at_a_zero_base_follows_PyTorch()
    {
        // da: b·a^(b−1), 0 where b = 0; db: aᵇ·log a, 0 where a = 0 and b ≥ 0.
        var a = P([4], 0, 0, 0, 2);
        var b = P([4], 2, 0, 0.5, 0);
        Var<double>.Pow(a, b).Sum().Backward();
        Assert.Equal(new[] { 0, 0, double.PositiveInfinity, 0 }, a.Grad!.Value.ToArray());
        Assert.Equal(new[] { 0, 0, 0, Math.Log(2) }, b.Grad!.Value.ToArray());
    }
}
