using NativeFree.Autograd;
using NativeFree.Tensors;
using Xunit;

namespace NativeFree.Autograd.Tests;

public class FunctionalTests
{
    private static Tensor<double> Random(int seed, params int[] shape)
    {
        var r = new Random(seed);
        var t = Tensor.Zeros<double>(shape);
        var s = t.AsSpan();
        for (int i = 0; i < s.Length; i++) s[i] = r.NextDouble() * 2 - 1;
        return t;
    }

    // A small non-quadratic scalar function with a dense Hessian.
    private static Var<double> F(Var<double> x)
    {
        var w = Var<double>.Constant(Random(7, 4, 3));
        var h = Var<double>.MatMul(w, x).Tanh();
        return (h * h).Sum() + x.Sin().Sum() * (x * x).Sum();
    }

    [Fact]
    public void ValueAndGrad_matches_finite_differences()
    {
        var x = Random(1, 3);
        var (value, grad) = Autodiff.ValueAndGrad(F, x);
        Assert.Equal(F(Var<double>.Constant(x)).Item(), value.ToScalar(), 12);
        var numeric = Numeric(v => F(Var<double>.Constant(v)).Item(), x);
        for (int i = 0; i < 3; i++) Assert.Equal(numeric[i], grad.ToArray()[i], 6);
    }

    // A tiny classifier: cross-entropy (with label smoothing) of x·W, a function of W.
    private static Var<double> Classifier(Var<double> w)
    {
        var x = Var<double>.Constant(Random(11, 4, 3));
        return Nn.CrossEntropy(Var<double>.MatMul(x, w).Tanh(), [2, 0, 1, 2], 0.1);
    }

    [Fact]
    public void Hvp_through_cross_entropy_equals_finite_differences_of_the_gradient()
    {
        var w = Random(12, 3, 3);
        var v = Random(13, 3, 3);
        var hv = Autodiff.Hvp(Classifier, w, v).ToArray();
        const double eps = 1e-5;
        var gp = Autodiff.Grad(Classifier, Tensor.Add(w, Tensor.Mul(v, eps))).ToArray();
        var gm = Autodiff.Grad(Classifier, Tensor.Add(w, Tensor.Mul(v, -eps))).ToArray();
        for (int i = 0; i < hv.Length; i++) Assert.Equal((gp[i] - gm[i]) / (2 * eps), hv[i], 6);
    }

    // The recorded cross-entropy gradient (one fused node) has a rule with two paths: fused when plain
    // (GradCheck checks it against finite differences) and composed var ops when recording (used for
    // third derivatives). Both must give the same numbers.
    [Fact]
    public void Cross_entropy_gradient_rule_gives_the_same_numbers_recorded_and_plain()
    {
        foreach (double smoothing in new[] { 0.0, 0.2 })
        {
            var logits = Var<double>.Parameter(Random(21, 5, 4));
            var scale = Var<double>.Parameter(Tensor.FromArray(new[] { 1.7 }, [1]));
            var u = Var<double>.Constant(Random(22, 5, 4));
            int[] classes = [3, 0, 1, 3, 2];
            Tensor<double>[] Run(bool record)
            {
                var loss = (Nn.CrossEntropy(logits, classes, smoothing) * scale).Sum();
                var g = Autodiff.Gradients(loss, [logits], createGraph: true)[0]!;
                var r = Autodiff.Gradients((g * u).Sum(), [logits, scale], createGraph: record);
                return [r[0]!.Value, r[1]!.Value];
            }
            var plain = Run(false);
            var recorded = Run(true);
            for (int k = 0; k < 2; k++)
            {
                var a = plain[k].ToArray();
                var b = recorded[k].ToArray();
                Assert.Equal(a.Length, b.Length);
                Assert.Contains(a, e => Math.Abs(e) > 1e-6);
                for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 12);
            }
        }
    }

    [Fact]
    public void Hvp_equals_finite_differences_of_the_gradient_and_the_full_Hessian_times_v()
    {
        var x = Random(2, 3);
        var v = Random(3, 3);
        var hv = Autodiff.Hvp(F, x, v).ToArray();
        var hessian = Autodiff.Hessian(F, x);
        Assert.Equal(new[] { 3, 3 }, hessian.ShapeArray);
        var h = hessian.ToArray();
        for (int i = 0; i < 3; i++)
        {
            double hvFromH = 0;
            for (int j = 0; j < 3; j++) hvFromH += h[i * 3 + j] * v.ToArray()[j];
            Assert.Equal(hvFromH, hv[i], 10);
            Assert.Equal(h[i * 3 + (i + 1) % 3], h[((i + 1) % 3) * 3 + i], 10); // symmetric
        }
        // (∇f(x + εv) − ∇f(x − εv)) / 2ε
        const double eps = 1e-5;
        var gp = Autodiff.Grad(F, Tensor.Add(x, Tensor.Mul(v, eps))).ToArray();
        var gm = Autodiff.Grad(F, Tensor.Add(x, Tensor.Mul(v, -eps))).ToArray();
        for (int i = 0; i < 3; i++) Assert.Equal((gp[i] - gm[i]) / (2 * eps), hv[i], 6);
    }

    [Fact]
    public void Multi_argument_Hvp_equals_finite_differences_of_the_gradients()
    {
        Func<Var<double>[], Var<double>> f = a => (a[0] * a[0] * a[1]).Sum() + (Var<double>.MatMul(a[0], a[1]).Tanh()).Sum() + a[0].Sin().Sum();
        Tensor<double>[] xs = [Random(20, 2, 3), Random(21, 3)];
        Tensor<double>[] vs = [Random(22, 2, 3), Random(23, 3)];
        var hv = Autodiff.Hvp(f, xs, vs);
        const double eps = 1e-5;
        var (_, gp) = Autodiff.ValueAndGrad(f, Tensor.Add(xs[0], Tensor.Mul(vs[0], eps)), Tensor.Add(xs[1], Tensor.Mul(vs[1], eps)));
        var (_, gm) = Autodiff.ValueAndGrad(f, Tensor.Add(xs[0], Tensor.Mul(vs[0], -eps)), Tensor.Add(xs[1], Tensor.Mul(vs[1], -eps)));
        for (int i = 0; i < 2; i++)
        {
            var p = gp[i].ToArray(); var m = gm[i].ToArray(); var h = hv[i].ToArray();
            for (int k = 0; k < h.Length; k++) Assert.Equal((p[k] - m[k]) / (2 * eps), h[k], 6);
        }
    }

    [Fact]
    public void Hessian_of_a_quadratic_form_is_A_plus_A_transpose()
    {
        var a = Random(4, 3, 3);
        var x = Random(5, 3);
        var h = Autodiff.Hessian(v => (v * Var<double>.MatMul(Var<double>.Constant(a), v)).Sum(), x).ToArray();
        var av = a.ToArray();
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) Assert.Equal(av[i * 3 + j] + av[j * 3 + i], h[i * 3 + j], 12);
    }

    [Fact]
    public void Jacobian_Jvp_and_Vjp_agree_with_each_other_and_with_finite_differences()
    {
        Func<Var<double>, Var<double>> g = x => Var<double>.MatMul(Var<double>.Constant(Random(8, 2, 3)), x.Exp()) * x.Sum();
        var x = Random(9, 3);
        var j = Autodiff.Jacobian(g, x);
        Assert.Equal(new[] { 2, 3 }, j.ShapeArray);
        var jv = j.ToArray();
        for (int c = 0; c < 3; c++)
        {
            var column = Numeric(t => g(Var<double>.Constant(t)).Value.ToArray(), x, c);
            for (int r = 0; r < 2; r++) Assert.Equal(column[r], jv[r * 3 + c], 6);
        }
        var v = Random(10, 3);
        var (_, jvp) = Autodiff.Jvp(g, x, v);
        var u = Random(11, 2);
        var (_, vjp) = Autodiff.Vjp(g, x, u);
        for (int r = 0; r < 2; r++)
        {
            double expected = 0;
            for (int c = 0; c < 3; c++) expected += jv[r * 3 + c] * v.ToArray()[c];
            Assert.Equal(expected, jvp.ToArray()[r], 10);
        }
        for (int c = 0; c < 3; c++)
        {
            double expected = 0;
            for (int r = 0; r < 2; r++) expected += jv[r * 3 + c] * u.ToArray()[r];
            Assert.Equal(expected, vjp.ToArray()[c], 10);
        }
    }

    [Fact]
    public void GradCheck_reports_the_worst_element_of_a_wrong_derivative()
    {
        var wrong = new WrongSin();
        var x = Tensor.FromArray(new double[] { 0.1, 1.3, -0.7 }, 3);
        var r = GradCheck.Run(a => wrong.Apply(a[0]), [x]);
        Assert.False(r.Passed);
        Assert.Equal(0, r.Input);
        Assert.Equal(new[] { 1 }, r.InputIndex); // error |x| relative to atol + rtol·|cos x| is worst at x = 1.3
        Assert.Contains("FAILED", r.ToString());
        Assert.Equal(Math.Cos(1.3), r.Numeric, 6);
    }

    // sin with a derivative that is off by x.
    private sealed class WrongSin : Function<double>
    {
        public override string Name => "wrong_sin";
        protected override Tensor<double> Forward(IReadOnlyList<Tensor<double>> inputs) => Tensor.Sin(inputs[0]);
        protected override Var<double>?[] Backward(Node<double> node, Var<double> g) => [g * (node.Input(0).Cos() + node.Input(0))];
    }

    private static double[] Numeric(Func<Tensor<double>, double> f, Tensor<double> x)
    {
        var result = new double[x.Length];
        for (int i = 0; i < x.Length; i++) result[i] = Numeric(t => [f(t)], x, i)[0];
        return result;
    }

    private static double[] Numeric(Func<Tensor<double>, double[]> f, Tensor<double> x, int i)
    {
        const double eps = 1e-6;
        var p = x.Clone(); p.AsSpan()[i] += eps;
        var m = x.Clone(); m.AsSpan()[i] -= eps;
        var fp = f(p); var fm = f(m);
        var d = new double[fp.Length];
        for (int k = 0; k < d.Length; k++) d[k] = (fp[k] - fm[k]) / (2 * eps);
        return d;
    }
}
