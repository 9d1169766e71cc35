using NativeFree.Autograd;
using NativeFree.Tensors;
using Xunit;

namespace NativeFree.Autograd.Tests;

public class MatMulTTests
{
    [Fact]
    public void A_linear_layer_x_Wt_is_one_node_equal_to_matmul_with_the_transpose()
    {
        var r = new Random(3);
        var x = Var<double>.Parameter(OpCases.U(r, [4, 3]));
        var w = Var<double>.Parameter(OpCases.U(r, [5, 3]));
        var y = Var<double>.MatMulT(x, w);
        Assert.Equal("matmul_t", y.Node!.Op.Name);
        Assert.Same(x, y.Node.Input(0));
        Assert.Same(w, y.Node.Input(1));
        var expected = Var<double>.MatMul(x, w.Mt).Value.ToArray();
        var actual = y.Value.ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 12);
    }

    [Fact]
    public void A_reversed_view_is_accepted()
    {
        var w = Var<double>.Constant(Tensor.FromArray(new double[] { 1, 2, 3, 4 }, 2, 2)).Slice(0, -1, -3, -1); // rows [3,4],[1,2]
        var x = Var<double>.Constant(Tensor.FromArray(new double[] { 1, 0 }, 1, 2));
        Assert.Equal(new double[] { 3, 1 }, Var<double>.MatMulT(x, w).Value.ToArray());
    }

    [Fact]
    public void Mismatched_inner_sizes_are_reported_with_both_shapes()
    {
        var x = Var<double>.Constant(Tensor.Zeros<double>(4, 3));
        var w = Var<double>.Constant(Tensor.Zeros<double>(5, 2));
        var e = Assert.Throws<ArgumentException>(() => Var<double>.MatMulT(x, w));
        Assert.Contains("[4, 3]", e.Message);
        Assert.Contains("[5, 2]ᵀ", e.Message);
        var v = Var<double>.Constant(Tensor.Zeros<double>(3));
        e = Assert.Throws<ArgumentException>(() => Var<double>.MatMulT(v, false, x, true));
        Assert.Contains("two matrices", e.Message);
        Assert.Contains("[3]", e.Message);
    }
}
