using NativeFree.Kernels.Spec;
using NativeFree.Tensors.Randomness;
using NativeFree.Models.Layers;
using NativeFree.Models.Spec;
using NativeFree.Models;
using NativeFree.Kernels;
using NativeFree.Kernels.Empirical;
using NativeFree.Kernels.Layers;
using NativeFree.Kernels.Prediction;
using NativeFree.Tensors;
using NativeFree.Tensors.LinearAlgebra;
using Xunit;
using Xunit.Abstractions;

namespace NativeFree.Kernels.Tests;

/// <summary>Training the finite network by gradient descent, against finite differences and the NTK dynamics.</summary>
public class FiniteNetworkTests(ITestOutputHelper output)
{
    private static SequentialSpec Net(int width) => Stax.Serial(Stax.Dense(width, 1.5, 0.1), Stax.Relu(), Stax.Dense(1, 1.5, 0.1));

    private static (Tensor<double> X, Tensor<double> Y, Tensor<double> XTest) Data()
    {
        var x = TestUtil.RandomInputs(21, 8, 4);
        var xTest = TestUtil.RandomInputs(22, 4, 4);
        var xs = x.ToArray();
        var y = new double[8];
        for (int i = 0; i < 8; i++) y[i] = Math.Sin(xs[i * 4] + 0.5 * xs[i * 4 + 1]) + 0.3 * xs[i * 4 + 2];
        return (x, Tensor.FromArray(y, 8, 1), xTest);
    }

    private static double[] Flat(Module<double> m) => m.Parameters().SelectMany(q => q.Value.ToArray()).ToArray();

    private static double Norm(double[] a) => Math.Sqrt(a.Sum(v => v * v));
    private static double[] Sub(double[] a, double[] b) => a.Zip(b, (u, v) => u - v).ToArray();

    /// <summary>
    /// Two steps of <see cref="GradientFlow.TrainMse"/> equal θ ← θ − lr·∇L with ∇L from central differences of the plain
    /// forward pass (no Autograd): conv, erf, flatten, dense and two outputs, so the loss normalisation 1/(2n)·Σ‖f − y‖²
    /// (mean over inputs, sum over outputs) is pinned too. The loss history is the plain loss at θ₀, θ₁, θ₂.
    /// </summary>
    [Fact]
    public void StepsEqualFiniteDifferenceGradientDescent()
    {
        var net = Stax.Serial(Stax.Conv(3, 2, 2, wStd: 1.3, bStd: 0.2), Stax.Erf(1.1, 0.8, 0.1), Stax.Flatten(), Stax.Dense(2, 1.2, 0.1));
        var x = TestUtil.RandomImages(31, 3, 3, 3, 2);
        var y = TestUtil.RandomInputs(32, 3, 2);
        var trained = net.Build<double>(x.ShapeArray[1..], new Rng(33));
        var p = net.Build<double>(x.ShapeArray[1..], new Rng(33)); // the same initialisation, stepped by hand below
        var before = Flat(p);
        Assert.Equal(before, Flat(trained));
        const double lr = 0.3;
        var r = GradientFlow.TrainMse(trained, x, y, lr, 2);
        Assert.Equal(3, r.Loss.Length);
        Assert.Equal(2 * lr, r.Time);

        var tensors = p.Parameters().Select(q => q.Value).ToList();
        for (int step = 0; step < 2; step++)
        {
            // Step 0: same parameters, only rounding differs; step 1: p carries the finite-difference error of step 0 (~1e-9).
            Assert.Equal(GradientFlow.MseLoss(p, x, y), r.Loss[step], step == 0 ? 1e-12 : 1e-8);
            var grads = tensors.Select(t =>
            {
                var g = new double[t.Length];
                var s = t.AsSpan();
                for (int e = 0; e < s.Length; e++)
                {
                    double keep = s[e];
                    s[e] = keep + 1e-6; double up = GradientFlow.MseLoss(p, x, y);
                    s[e] = keep - 1e-6; double dn = GradientFlow.MseLoss(p, x, y);
                    s[e] = keep;
                    g[e] = (up - dn) / 2e-6;
                }
                return g;
            }).ToList();
            for (int k = 0; k < tensors.Count; k++)
            {
                var s = tensors[k].AsSpan();
                for (int e = 0; e < s.Length; e++) s[e] -= lr * grads[k][e];
            }
        }
        Assert.Equal(GradientFlow.MseLoss(p, x, y), r.Loss[2], 1e-9);
        var want = Flat(p);
        var got = Flat(trained);
        Assert.True(Norm(Sub(want, before)) > 1e-2, "the parameters barely moved: the comparison would be vacuous");
        for (int i = 0; i < want.Length; i++) Assert.True(Math.Abs(want[i] - got[i]) < 1e-8, $"parameter {i}: finite differences {want[i]}, TrainMse {got[i]}");
    }

    /// <summary>
    /// The neural-tangents hallmark: a wide network (width 2048, NTK parametrization) trained by gradient descent for time
    /// t = lr × steps has the outputs of its linearisation, f₀ + Θ̂*Θ̂⁻¹(I − e^{−Θ̂t/n})(y − f₀), with Θ̂ the empirical NTK at
    /// initialisation and the library's <see cref="GradientDescentMse"/> (gradient flow, rate 1, time t). The gap is the
    /// linearisation error O(1/√width) plus the O(lr·λ/n) difference between steps and flow: measured mean 0.015 at width 128
    /// (so ≈ 0.004 at 2048) and ≈ 0.0015 from lr·λ_max/n ≈ 0.01; the tolerance 0.03 (relative to how far the outputs moved)
    /// leaves a wide margin, and the gap with the time off by a factor 2 (0.2 on test, 0.08 on train points) would fail it.
    /// </summary>
    [Fact]
    public void WideNetworkFollowsLinearizedNtkDynamics()
    {
        var (x, y, xt) = Data();
        var net = Net(2048);
        var p0 = net.Build<double>([4], new Rng(70));
        var trained = net.Build<double>([4], new Rng(70));
        const double lr = 0.004; const int steps = 300;
        var r = GradientFlow.TrainMse(trained, x, y, lr, steps);
        for (int s = 1; s < r.Loss.Length; s++) Assert.True(r.Loss[s] < r.Loss[s - 1], $"loss rose at step {s}");
        Assert.True(r.Loss[^1] < 0.5 * r.Loss[0], $"loss {r.Loss[0]} → {r.Loss[^1]}: too little training for a meaningful comparison");
        foreach (var (inputs, label) in new[] { (xt, "test"), (x, "train") })
        {
            var ft = trained.Predict(inputs).ToArray();
            var f0 = p0.Predict(inputs).ToArray();
            var lin = GradientFlow.LinearizedMean(p0, x, y, inputs, r.Time).ToArray();
            var wrongTime = GradientFlow.LinearizedMean(p0, x, y, inputs, 2 * r.Time).ToArray();
            double moved = Norm(Sub(lin, f0)), err = Norm(Sub(ft, lin)) / moved, errWrong = Norm(Sub(ft, wrongTime)) / moved;
            output.WriteLine($"{label}: relative gap to the linearised NTK dynamics {err:G3} (with time 2t: {errWrong:G3})");
            Assert.True(err < 0.03, $"{label}: trained network is {err:G3} away from its linearisation");
            Assert.True(errWrong > 0.06, $"{label}: a wrong time (2t) would pass the tolerance too ({errWrong:G3})");
        }
    }

    /// <summary>
    /// The linearisation error falls with width (theory: O(1/√width), a factor 4 from 128 to 2048): mean over 4 seeds at
    /// widths 128, 512, 2048 decreasing, and at least 2.5× smaller at 2048 than at 128 (measured ≈ 5×).
    /// </summary>
    [Fact]
    [Trait("Category", "Slow")]
    public void LinearizationErrorFallsWithWidth()
    {
        var (x, y, xt) = Data();
        int[] widths = [128, 512, 2048];
        var mean = new double[widths.Length];
        for (int w = 0; w < widths.Length; w++)
        {
            for (int seed = 0; seed < 4; seed++)
            {
                var net = Net(widths[w]);
                var p0 = net.Build<double>([4], new Rng((ulong)(70 + seed)));
                var trained = net.Build<double>([4], new Rng((ulong)(70 + seed)));
                var r = GradientFlow.TrainMse(trained, x, y, 0.004, 300);
                var ft = trained.Predict(xt).ToArray();
                var f0 = p0.Predict(xt).ToArray();
                var lin = GradientFlow.LinearizedMean(p0, x, y, xt, r.Time).ToArray();
                mean[w] += Norm(Sub(ft, lin)) / Norm(Sub(lin, f0)) / 4;
            }
            output.WriteLine($"width {widths[w]}: mean relative gap {mean[w]:G3}");
        }
        for (int w = 1; w < widths.Length; w++) Assert.True(mean[w] < mean[w - 1], $"gap did not fall: {string.Join(", ", mean)}");
        Assert.True(mean[0] / mean[^1] > 2.5, $"gap fell only {mean[0] / mean[^1]:G3}× from width 128 to 2048");
    }

    /// <summary>
    /// Against the analytic NTK mean (<see cref="GradientDescentMse"/> on the infinite-width kernel, zero initial outputs).
    /// The random initial outputs f₀ are cancelled exactly (in the linear regime) by antithetic pairs: negating the readout
    /// layer flips f₀ and leaves Θ̂ unchanged, so the pair's mean trained output is Θ̂*Θ̂⁻¹(I − e^{−Θ̂t/n})y, which differs
    /// from the analytic mean only through Θ̂ − Θ = O(1/√width). One pair at width 2048 measured 0.06–0.08 relative error;
    /// four pairs average that fluctuation down (≈ 0.035 expected), so the tolerance is 0.1.
    /// </summary>
    [Fact]
    [Trait("Category", "Slow")]
    public void AntitheticPairsMatchAnalyticNtkMean()
    {
        var (x, y, xt) = Data();
        const double lr = 0.008; const int steps = 150;
        var want = new GradientDescentMse(KernelFunction.Compute(Net(1), x).Ntk!, y).Mean(KernelFunction.Compute(Net(1), xt, x).Ntk!, lr * steps).ToArray();
        const int pairs = 4;
        var avg = new double[want.Length];
        double f0Scale = 0;
        for (int seed = 0; seed < pairs; seed++)
        {
            var net = Net(2048);
            var p0 = net.Build<double>([4], new Rng((ulong)(50 + seed)));
            var f0 = p0.Predict(xt).ToArray();
            var flipped = net.Build<double>([4], new Rng((ulong)(50 + seed)));
            // The readout is layer 2 of the Sequential: its weight and bias are "2.weight", "2.bias".
            foreach (var (key, q) in flipped.NamedParameters())
                if (key.StartsWith("2.", StringComparison.Ordinal)) { var s = q.Value.AsSpan(); for (int i = 0; i < s.Length; i++) s[i] = -s[i]; }
            GradientFlow.TrainMse(p0, x, y, lr, steps);
            GradientFlow.TrainMse(flipped, x, y, lr, steps);
            var a = p0.Predict(xt).ToArray();
            var b = flipped.Predict(xt).ToArray();
            for (int i = 0; i < avg.Length; i++) avg[i] += (a[i] + b[i]) / (2 * pairs);
            f0Scale += Norm(f0) / pairs;
        }
        double err = Norm(Sub(avg, want)) / Norm(want);
        output.WriteLine($"analytic {string.Join(", ", want.Select(v => v.ToString("F4")))}; mean of {pairs} pairs {string.Join(", ", avg.Select(v => v.ToString("F4")))}; relative error {err:G3}; ‖f₀‖ {f0Scale:G3}");
        Assert.True(f0Scale > Norm(want), "f₀ is small: the antithetic cancellation would not be exercised");
        Assert.True(err < 0.1, $"relative error {err:G3}");
    }

    [Fact]
    public void BadInputIsRejected()
    {
        var net = Net(8);
        var (x, y, _) = Data();
        var p = net.Build<double>([4], new Rng(1));
        Assert.Contains("n = 8", Assert.Throws<ArgumentException>(() => GradientFlow.TrainMse(p, x, Tensor.Zeros<double>(7, 1), 0.1, 1)).Message);
        Assert.Contains("outputs", Assert.Throws<ArgumentException>(() => GradientFlow.TrainMse(p, x, Tensor.Zeros<double>(8, 2), 0.1, 1)).Message);
        var bad = x.Clone(); bad.AsSpan()[5] = double.NaN;
        Assert.Contains("non-finite", Assert.Throws<ArgumentException>(() => GradientFlow.TrainMse(p, bad, y, 0.1, 1)).Message);
        Assert.Throws<ArgumentException>(() => GradientFlow.TrainMse(p, x, y, 0, 1));
        Assert.Throws<ArgumentException>(() => GradientFlow.TrainMse(p, x, y, 0.1, -1));
        Assert.Contains("diverged", Assert.Throws<ArgumentException>(() => GradientFlow.TrainMse(p, x, y, 1e3, 200)).Message);
        Assert.Throws<ArgumentException>(() => GradientFlow.TrainMse(p, Tensor.Zeros<double>(8, 5), y, 0.1, 1));
    }
}
