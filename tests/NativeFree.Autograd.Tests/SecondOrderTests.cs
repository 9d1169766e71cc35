using NativeFree.Autograd;
using NativeFree.Tensors;
using Xunit;

namespace NativeFree.Autograd.Tests;

/// <summary>Second-order checks on whole networks whose ops are piecewise linear (relu, max-pool).</summary>
public class SecondOrderTests
{
    // conv → relu → maxpool → linear → cross-entropy. The Hessian is not zero: the curvature comes from
    // the softmax, and reaches the conv weights only through the backward rules of relu and max-pool,
    // so a detached rule there would leave those blocks of the HVP at zero.
    private static Var<double> Loss(Var<double>[] p, Tensor<double> x, int[] classes)
    {
        var h = NnLayers.Conv2d(Var<double>.Constant(x), p[0], p[1], padH: 1, padW: 1).Relu();
        var pooled = NnLayers.MaxPool2d(h, 2, 2, 2, 2);
        var flat = pooled.Reshape(x.Shape[0], -1);
        return Nn.CrossEntropy(Var<double>.MatMul(flat, p[2]), classes);
    }

    [Fact]
    public void Hvp_of_a_relu_maxpool_network_matches_finite_differences_of_the_gradient()
    {
        var r = new Random(7);
        var x = OpCases.U(r, [2, 1, 4, 4]);
        int[] classes = [1, 3];
        Tensor<double>[] ps = [OpCases.U(r, [2, 1, 3, 3]), OpCases.U(r, [2], -0.1, 0.1), OpCases.U(r, [8, 4])];
        Tensor<double>[] vs = [OpCases.U(r, [2, 1, 3, 3]), OpCases.U(r, [2]), OpCases.U(r, [8, 4])];

        var hvp = Autodiff.Hvp(a => Loss(a, x, classes), ps, vs);

        // Central difference of the gradient along v; the step is small enough that no relu or pool
        // decision flips for this fixed seed.
        const double eps = 1e-5;
        var plus = Autodiff.ValueAndGrad(a => Loss(a, x, classes), Shifted(ps, vs, eps)).Gradients;
        var minus = Autodiff.ValueAndGrad(a => Loss(a, x, classes), Shifted(ps, vs, -eps)).Gradients;
        double convBlock = 0;
        for (int i = 0; i < ps.Length; i++)
        {
            var a = hvp[i].ToArray();
            var pl = plus[i].ToArray();
            var mi = minus[i].ToArray();
            for (int e = 0; e < a.Length; e++)
            {
                double numeric = (pl[e] - mi[e]) / (2 * eps);
                Assert.True(Math.Abs(a[e] - numeric) <= 1e-6 + 1e-4 * Math.Abs(numeric), $"parameter {i} element {e}: HVP {a[e]} vs finite differences {numeric}");
                if (i == 0) convBlock += Math.Abs(numeric);
            }
        }
        Assert.True(convBlock > 1e-3, "the conv-weight block of the HVP should be non-zero, or the test proves nothing about relu and max-pool");
    }

    private static Tensor<double>[] Shifted(Tensor<double>[] ps, Tensor<double>[] vs, double eps)
        => ps.Select((p, i) => Tensor.Add(p, Tensor.Mul(vs[i], eps))).ToArray();
}

/// <summary>A leaf's Grad after several createGraph passes is the sum of graphs, still differentiable.</summary>
public class AccumulatedGradTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Grad_accumulated_by_two_createGraph_passes_differentiates_to_twice_the_second_derivative(bool inScope)
    {
        double[] x0 = [0.4, -1.1, 2.3];
        double[] v = [0.7, -0.2, 1.5];
        using var scope = inScope ? new GraphScope() : null;
        var x = Var<double>.Parameter(Tensor.FromArray((double[])x0.Clone(), 3));
        var y = (x * x * x + x.Sin()).Sum(); // f' = 3x² + cos x, f'' = 6x − sin x
        y.Backward(createGraph: true);
        y.Backward(createGraph: true);
        var grad = x.Grad!;
        Assert.True(grad.RequiresGrad, "x.Grad lost its graph");
        for (int i = 0; i < 3; i++) Assert.Equal(2 * (3 * x0[i] * x0[i] + Math.Cos(x0[i])), grad.Value[i], 12);

        var hv = Autodiff.Gradients(Var<double>.Dot(grad, Var<double>.Constant(Tensor.FromArray(v, 3))), [x])[0]!;
        for (int i = 0; i < 3; i++) Assert.Equal(2 * (6 * x0[i] - Math.Sin(x0[i])) * v[i], hv.Value[i], 10);
    }
}
