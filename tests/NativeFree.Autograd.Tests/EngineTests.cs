using NativeFree.Autograd;
using NativeFree.Tensors;
using Xunit;

namespace NativeFree.Autograd.Tests;

public class EngineTests
{
    private static Var<double> P(params double[] v) => Var<double>.Parameter(Tensor.FromArray(v, v.Length));

    [Fact]
    public void Gradient_of_a_polynomial_matches_the_closed_form()
    {
        var x = P(1.5, -2.0);
        var y = (x * x * x + x * 2.0).Sum(); // d/dx = 3x² + 2
        y.Backward();
        Assert.Equal([3 * 2.25 + 2, 3 * 4.0 + 2], x.Grad!.Value.ToArray());
    }

    [Fact]
    public void Backward_accumulates_into_Grad_and_ZeroGrad_clears_it()
    {
        var x = P(3.0);
        (x * x).Sum().Backward();
        (x * x).Sum().Backward();
        Assert.Equal(12.0, x.Grad!.Value.ToArray()[0]);
        x.ZeroGrad();
        Assert.Null(x.Grad);
    }

    [Fact]
    public void A_var_used_twice_receives_both_contributions()
    {
        var x = P(2.0);
        var y = x.Exp();
        (y * y + y).Sum().Backward(); // d/dx (e^2x + e^x) = 2e^2x + e^x
        Assert.Equal(2 * Math.Exp(4) + Math.Exp(2), x.Grad!.Item(), 12);
    }

    [Fact]
    public void Broadcasting_is_undone_by_the_engine()
    {
        var a = Var<double>.Parameter(Tensor.FromArray(new double[] { 1, 2, 3, 4, 5, 6 }, 2, 3));
        var b = Var<double>.Parameter(Tensor.FromArray(new double[] { 10, 20, 30 }, 3));
        var c = Var<double>.Parameter(Tensor.FromArray(new double[] { 7, 8 }, 2, 1));
        (a * b + c).Sum().Backward();
        Assert.Equal(new[] { 3, }, b.Grad!.Value.ShapeArray);
        Assert.Equal(new double[] { 5, 7, 9 }, b.Grad.Value.ToArray());
        Assert.Equal(new[] { 2, 1 }, c.Grad!.Value.ShapeArray);
        Assert.Equal(new double[] { 3, 3 }, c.Grad.Value.ToArray());
        Assert.Equal(new double[] { 10, 20, 30, 10, 20, 30 }, a.Grad!.Value.ToArray());
    }

    [Fact]
    public void Nothing_is_recorded_without_an_input_that_requires_grad_or_inside_NoGrad()
    {
        var c = Var<double>.Constant(Tensor.Ones<double>(2));
        Assert.Null((c * c).Node);
        var x = P(1, 2);
        using (GradMode.NoGrad())
        {
            var y = x * x;
            Assert.Null(y.Node);
            Assert.False(y.RequiresGrad);
            using (GradMode.Set(true)) Assert.NotNull((x * x).Node);
            Assert.False(GradMode.IsEnabled);
        }
        Assert.True(GradMode.IsEnabled);
        Assert.NotNull((x * x).Node);
    }

    [Fact]
    public void Detach_cuts_the_graph()
    {
        var x = P(2.0);
        var y = x * x;
        var z = (y.Detach() * x).Sum(); // treated as 4·x
        z.Backward();
        Assert.Equal(4.0, x.Grad!.Item());
        Assert.True(y.Detach().IsLeaf);
    }

    [Fact]
    public void CreateGraph_makes_gradients_differentiable_to_third_order()
    {
        var x = P(1.7);
        var y = (x * x * x * x).Sum(); // x⁴ → 4x³ → 12x² → 24x
        var g1 = Autodiff.Gradients(y, [x], createGraph: true)[0]!;
        var g2 = Autodiff.Gradients(g1.Sum(), [x], createGraph: true)[0]!;
        var g3 = Autodiff.Gradients(g2.Sum(), [x])[0]!;
        Assert.Equal(4 * Math.Pow(1.7, 3), g1.Item(), 12);
        Assert.Equal(12 * 1.7 * 1.7, g2.Item(), 12);
        Assert.Equal(24 * 1.7, g3.Item(), 12);
    }

    [Fact]
    public void Backward_with_createGraph_leaves_a_differentiable_Grad()
    {
        var x = P(0.3, -0.4);
        x.Sin().Sum().Backward(createGraph: true); // grad = cos x
        var gradOfGradNorm = Autodiff.Gradients(x.Grad!.Sum(), [x])[0]!; // -sin x
        Assert.Equal(-Math.Sin(0.3), gradOfGradNorm.Value.ToArray()[0], 12);
        Assert.Equal(-Math.Sin(-0.4), gradOfGradNorm.Value.ToArray()[1], 12);
    }

    [Fact]
    public void RetainGraph_allows_a_second_backward()
    {
        var x = P(2.0);
        var y = (x * x).Sum();
        y.Backward(retainGraph: true);
        y.Backward();
        Assert.Equal(8.0, x.Grad!.Item());
    }

    [Fact]
    public void A_second_backward_through_a_freed_graph_says_to_use_retainGraph()
    {
        var x = P(2.0);
        var y = (x * x).Sum();
        y.Backward();
        var e = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("retainGraph: true", e.Message);
        Assert.Contains("second time", e.Message);
    }

    [Fact]
    public void Backward_from_a_non_scalar_without_seed_says_what_to_pass()
    {
        var x = P(1, 2, 3);
        var y = x * x;
        var e = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("[3]", e.Message);
        Assert.Contains("Backward(seed)", e.Message);
        Assert.Contains("Sum()", e.Message);
        y.Backward(Tensor.FromArray(new double[] { 1, 0, 2 }, 3));
        Assert.Equal(new double[] { 2, 0, 12 }, x.Grad!.Value.ToArray());
    }

    [Fact]
    public void Seed_of_the_wrong_shape_is_rejected_with_both_shapes()
    {
        var x = P(1, 2, 3);
        var e = Assert.Throws<ArgumentException>(() => (x * x).Backward(Tensor.Ones<double>(2)));
        Assert.Contains("[2]", e.Message);
        Assert.Contains("[3]", e.Message);
    }

    [Fact]
    public void Backward_from_a_constant_says_how_to_track_gradients()
    {
        var c = Var<double>.Constant(Tensor.Ones<double>(1));
        var e = Assert.Throws<InvalidOperationException>(() => (c * c).Backward());
        Assert.Contains("Var.Parameter", e.Message);
    }

    [Fact]
    public void An_op_without_a_rule_throws_naming_the_op()
    {
        var x = P(1.0);
        var op = new OpInfo("mystery", "test", "none", OpKind.Primitive, false);
        var y = Var<double>.Record(op, x.Value.Clone(), null!, null, x);
        var e = Assert.Throws<NotSupportedException>(() => y.Backward());
        Assert.Contains("'mystery'", e.Message);
    }

    private sealed class Cube : Function<double>
    {
        public override string Name => "cube";
        protected override Tensor<double> Forward(IReadOnlyList<Tensor<double>> inputs) => Tensor.Pow(inputs[0], 3.0);
        protected override Var<double>?[] Backward(Node<double> node, Var<double> g) => [g * node.Input(0) * node.Input(0) * 3.0];
    }

    private sealed class WrongShape : Function<double>
    {
        public override string Name => "wrong_shape";
        protected override Tensor<double> Forward(IReadOnlyList<Tensor<double>> inputs) => inputs[0].Clone();
        protected override Var<double>?[] Backward(Node<double> node, Var<double> g) => [g.Sum()];
    }

    [Fact]
    public void A_user_function_is_differentiable_twice_and_passes_GradCheck()
    {
        var cube = new Cube();
        var x = Tensor.FromArray(new double[] { 0.5, -1.2, 2.0 }, 3);
        Assert.True(GradCheck.Run(a => cube.Apply(a[0]), [x]).Passed);
        Assert.True(GradGradCheck.Run(a => cube.Apply(a[0]), [x]).Passed);
        Assert.Equal("cube", cube.Apply(Var<double>.Parameter(x)).Node!.Op.Name);
    }

    [Fact]
    public void A_user_function_returning_the_wrong_gradient_shape_is_told_the_expected_shape()
    {
        var x = P(1, 2, 3);
        var y = new WrongShape().Apply(x);
        var e = Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
        Assert.Contains("'wrong_shape'", e.Message);
        Assert.Contains("[]", e.Message);
        Assert.Contains("[3]", e.Message);
        Assert.Contains("Return exactly one gradient per input", e.Message);
    }

    [Fact]
    public void Float_and_double_vars_cannot_meet_in_one_op()
    {
        // Every op on Var<T> takes Var<T> (or T) only, so Var<float> + Var<double> does not compile.
        // Check that no public operator or method of Var<float> accepts a Var<double>.
        foreach (var m in typeof(Var<float>).GetMethods())
            foreach (var p in m.GetParameters())
                Assert.False(p.ParameterType == typeof(Var<double>) || p.ParameterType == typeof(Tensor<double>), $"{m} mixes precisions");
    }

    [Fact]
    public void Anomaly_mode_names_the_op_that_produced_NaN_in_forward()
    {
        var x = P(-1.0, 2.0);
        using (Anomaly.Detect())
        {
            var e = Assert.Throws<AnomalyException>(() => (x * 2.0).Log());
            Assert.Equal("log", e.Op);
            Assert.Equal("forward", e.Phase);
            Assert.Contains("'log'", e.Message);
        }
        _ = (x * 2.0).Log(); // off again: no throw
    }

    [Fact]
    public void Anomaly_mode_names_the_rule_that_produced_Inf_in_backward()
    {
        var x = P(0.0, 4.0);
        using (Anomaly.Detect())
        {
            var y = x.Sqrt().Sum(); // forward finite, d/dx sqrt at 0 is +Inf
            var e = Assert.Throws<AnomalyException>(() => y.Backward());
            Assert.Equal("sqrt", e.Op);
            Assert.Equal("backward", e.Phase);
        }
    }

    [Fact]
    public void Dot_export_lists_every_op_and_leaf()
    {
        var w = Var<double>.Parameter(Tensor.Ones<double>(2, 2), "w");
        var x = Var<double>.Constant(Tensor.Ones<double>(2));
        var y = Var<double>.MatMul(w, x).Tanh().Sum();
        var dot = GraphExport.ToDot(y);
        Assert.StartsWith("digraph", dot);
        foreach (var s in new[] { "matmul", "tanh", "sum", "\"w [2, 2]\"", "const [2]" }) Assert.Contains(s, dot);
        Assert.Equal(3, dot.Split("shape=ellipse").Length - 1);
    }
}
