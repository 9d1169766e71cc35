using NativeFree.Kernels.Spec;
using NativeFree.Tensors.Randomness;
using NativeFree.Models.Layers;
using NativeFree.Models.Spec;
using NativeFree.Models;
using NativeFree.Autograd;
using NativeFree.Kernels;
using NativeFree.Kernels.Empirical;
using NativeFree.Kernels.Layers;
using NativeFree.Tensors;
using Xunit;

namespace NativeFree.Kernels.Tests;

/// <summary>Quadrature activations whose φ′ comes from Autograd (one vectorised forward + backward over all nodes).</summary>
public class AutodiffQuadratureTests
{
    private static readonly double Sqrt2 = Math.Sqrt(2);

    // The user functions, written with Autograd ops, and the closed-form layers they must reproduce.
    public static TheoryData<string> Names => new() { "erf", "gelu", "sin" };

    private static Func<Var<double>, Var<double>> UserFunction(string name) => name switch
    {
        "erf" => x => (x * 0.7).Erf() * 1.2 + 0.3,
        "gelu" => x => x * ((x / Sqrt2).Erf() + 1.0) * 0.5,
        "sin" => x => (x * 0.8 + 0.4).Sin() * 1.1,
        _ => throw new ArgumentException(name),
    };

    private static Activation ClosedForm(string name) => name switch
    {
        "erf" => new Erf(1.2, 0.7, 0.3),
        "gelu" => new Gelu(),
        "sin" => new Sin(1.1, 0.8, 0.4),
        _ => throw new ArgumentException(name),
    };

    private static SequentialSpec Net(Activation a) => Stax.Serial(Stax.Dense(16, 1.3, 0.2), Stax.Transform(a), Stax.Dense(16, 1.1, 0.1), Stax.Transform(a), Stax.Dense(4, 0.9, 0.1));

    [Theory]
    [MemberData(nameof(Names))]
    public void AutodiffQuadratureNtkEqualsTheClosedForm(string name)
    {
        var x1 = TestUtil.RandomInputs(201, 5, 3);
        var x2 = TestUtil.RandomInputs(202, 7, 3);
        var closed = KernelFunction.Compute(Net(ClosedForm(name)), x1, x2);
        var quad = KernelFunction.Compute(Net(QuadratureActivation.FromAutograd(UserFunction(name), 64, "ad:" + name)), x1, x2);
        double e1 = TestUtil.RelFrobenius(quad.Nngp!.ToArray(), closed.Nngp!.ToArray());
        double e2 = TestUtil.RelFrobenius(quad.Ntk!.ToArray(), closed.Ntk!.ToArray());
        Assert.True(e1 < 2e-3, $"{name}: NNGP relative error {e1}");
        Assert.True(e2 < 4e-3, $"{name}: NTK relative error {e2}");
        // Smooth φ under 64-point Gauss–Hermite: far inside those tolerances.
        Assert.True(e1 < 1e-8 && e2 < 1e-8, $"{name}: NNGP {e1}, NTK {e2}");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void DerivativeAtTheNodesEqualsTheAnalyticDerivative(string name)
    {
        var act = QuadratureActivation.FromAutograd(UserFunction(name));
        var closed = ClosedForm(name);
        var z = GaussHermite.Normal(64).Nodes;
        var x = new[] { 0.3, 1.0, 2.5 }.SelectMany(s => z.Select(v => s * v)).ToArray();
        var f = x.Select(act.Value).ToArray();
        var df = x.Select(act.Derivative).ToArray();
        for (int i = 0; i < x.Length; i++)
        {
            Assert.True(Math.Abs(df[i] - closed.Derivative(x[i])) <= 1e-12 * Math.Max(1, Math.Abs(closed.Derivative(x[i]))), $"{name}: φ′({x[i]}) = {df[i]} vs {closed.Derivative(x[i])}");
            Assert.True(Math.Abs(f[i] - closed.Value(x[i])) <= 1e-12 * Math.Max(1, Math.Abs(closed.Value(x[i]))), $"{name}: φ({x[i]}) = {f[i]} vs {closed.Value(x[i])}");
        }
    }

    [Fact]
    public void AutodiffIsCloserThanFiniteDifferencesOnAHighCurvatureFunction()
    {
        // φ = sin(6x + 0.3): φ‴ = −216·cos, so the central difference's h²φ‴/6 error is visible; the closed form is exact.
        var closed = new Sin(1, 6, 0.3);
        var ad = QuadratureActivation.FromAutograd(x => (x * 6.0 + 0.3).Sin(), 96);
        var fd = new QuadratureActivation(x => Math.Sin(6 * x + 0.3), null, 96);
        double[] k11 = [0.15, 0.3, 0.25], k22 = [0.2, 0.3, 0.1], k12 = [0.1, 0.3, -0.12];
        double Err(Activation a)
        {
            var c = (double[])k12.Clone(); var t = new double[] { 1, 1, 1 };
            var cr = (double[])k12.Clone(); var tr = new double[] { 1, 1, 1 };
            a.Dual(k11, k22, c, t);
            closed.Dual(k11, k22, cr, tr);
            return TestUtil.RelFrobenius(t, tr);
        }
        double eAd = Err(ad), eFd = Err(fd);
        Assert.True(eAd < 1e-11, $"autodiff E[φ′φ′] relative error {eAd}");
        Assert.True(eAd * 100 < eFd, $"autodiff {eAd} should be far below finite differences {eFd}");
    }

    [Fact]
    public void SplitRuleWithAutodiffMatchesTheReluClosedForm()
    {
        var x = TestUtil.RandomInputs(203, 6, 3);
        var closed = KernelFunction.Compute(Net(new Relu()), x);
        var quad = KernelFunction.Compute(Net(QuadratureActivation.FromAutograd(v => v.Relu(), 48, "ad:relu", QuadratureRule.SplitAtZero)), x);
        double e1 = TestUtil.RelFrobenius(quad.Nngp!.ToArray(), closed.Nngp!.ToArray());
        double e2 = TestUtil.RelFrobenius(quad.Ntk!.ToArray(), closed.Ntk!.ToArray());
        Assert.True(e1 < 1e-9 && e2 < 1e-7, $"NNGP {e1}, NTK {e2}");
        // The batched split-rule path equals the scalar split-rule path with the exact step derivative.
        var scalar = KernelFunction.Compute(Net(QuadratureActivation.Of(new Relu(), 48, QuadratureRule.SplitAtZero)), x);
        Assert.True(TestUtil.RelFrobenius(quad.Nngp!.ToArray(), scalar.Nngp!.ToArray()) < 1e-13);
        Assert.True(TestUtil.RelFrobenius(quad.Ntk!.ToArray(), scalar.Ntk!.ToArray()) < 1e-13);
    }

    [Fact]
    public void BatchedPathEqualsScalarPathWithTheSameDerivative()
    {
        // Same nodes, same φ, same exact φ′: only the evaluation order differs (and batches span several entries).
        var x1 = TestUtil.RandomInputs(204, 9, 3);
        var closed = new Erf(1.2, 0.7, 0.3);
        var scalar = KernelFunction.Compute(Net(new QuadratureActivation(closed.Value, closed.Derivative, 20)), x1);
        var batched = KernelFunction.Compute(Net(QuadratureActivation.FromAutograd(UserFunction("erf"), 20)), x1);
        Assert.True(TestUtil.RelFrobenius(batched.Nngp!.ToArray(), scalar.Nngp!.ToArray()) < 1e-13);
        Assert.True(TestUtil.RelFrobenius(batched.Ntk!.ToArray(), scalar.Ntk!.ToArray()) < 1e-13);
    }

    [Fact]
    public void TheSameFunctionGivesTheFiniteNetworksEmpiricalNtk()
    {
        var x = TestUtil.RandomInputs(205, 5, 3);
        var withRelu = Stax.Serial(Stax.Dense(32, 1.4, 0.1), Stax.Relu(), Stax.Dense(2, 1.4, 0.1));
        var withVar = Stax.Serial(Stax.Dense(32, 1.4, 0.1), Stax.ElementwiseAutograd(v => v.Relu()), Stax.Dense(2, 1.4, 0.1));
        var a = ModuleKernel.Ntk(withRelu.Build<double>([3], new Rng(9)), x).ToArray();
        var b = ModuleKernel.Ntk(withVar.Build<double>([3], new Rng(9)), x).ToArray();
        Assert.True(a[0] > 0);
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 1e-12);
    }

    /// <summary>
    /// One description, both sides, for a φ without a closed form (tanh): the quadrature kernels against Monte-Carlo
    /// averages of the finite network, whose forward pass runs the same Autograd φ (width 1024, 24 samples).
    /// </summary>
    [Fact]
    [Trait("Category", "Slow")]
    public void QuadratureKernelsOfTanhMatchMonteCarloOfTheFiniteNetwork()
    {
        var act = Stax.ElementwiseAutograd(v => v.Tanh(), "ad:tanh");
        var net = Stax.Serial(Stax.Dense(1024, 1.5, 0.1), act, Stax.Dense(1, 1.3, 0.2));
        var x1 = TestUtil.RandomInputs(206, 4, 5);
        var x2 = TestUtil.RandomInputs(207, 3, 5);
        var analytic = KernelFunction.Compute(net, x1, x2);
        var mc = ModuleKernel.MonteCarlo(net, x1, x2, 24, new Rng(17), KernelKinds.Ntk);
        // The NNGP from forward passes with 256 output channels (one output would leave ≈ 1/√S noise).
        var wide = Stax.Serial(Stax.Dense(1024, 1.5, 0.1), act, Stax.Dense(256, 1.3, 0.2));
        double e1 = TestUtil.RelFrobenius(TestUtil.MonteCarloNngp(wide, x1, x2, 24, 17), analytic.Nngp!.ToArray());
        double e2 = TestUtil.RelFrobenius(mc.Ntk!.ToArray(), analytic.Ntk!.ToArray());
        // NNGP: the closed-form Erf in this very setup shows 3–5 % (seeds 99, 17): the shared hidden layer's fluctuation is
        // not averaged by the 256 outputs. NTK: measured 0.6 %.
        Assert.True(e1 < 0.08 && e2 < 0.03, $"NNGP {e1}, NTK {e2}");
        // The test can fail: a different φ′ (tanh′ scaled by 1.2) moves the NTK far outside the tolerance.
        var wrong = KernelFunction.Compute(Stax.Serial(Stax.Dense(1024, 1.5, 0.1), Stax.ElementwiseAutograd(v => v.Tanh() * 1.2), Stax.Dense(1, 1.3, 0.2)), x1, x2);
        Assert.True(TestUtil.RelFrobenius(mc.Ntk!.ToArray(), wrong.Ntk!.ToArray()) > 0.1);
    }

    private static Activation SpecActivation(string name) => (Activation)KernelLayers.From(Spec.NetworkSpec.Parse($"dense(4) {name} dense(1)").Layers[1]);

    private static (double Nngp, double Ntk) Dual(Activation a, double k11, double k22, double k12)
    {
        double[] c = [k12], t = [1.0];
        a.Dual([k11], [k22], c, t);
        return (c[0], t[0]);
    }

    [Fact]
    public void SpecQuadratureLayersFollowTheirKernelIdentities()
    {
        Activation tanh = SpecActivation("tanh"), sigmoid = SpecActivation("sigmoid"), softplus = SpecActivation("softplus"), silu = SpecActivation("silu");
        static double Sig(double x) => 1 / (1 + Math.Exp(-x));
        var tanhRef = new QuadratureActivation(Math.Tanh, x => 1 - Math.Tanh(x) * Math.Tanh(x), 64);
        var siluRef = new QuadratureActivation(x => x * Sig(x), x => Sig(x) * (1 + x * (1 - Sig(x))), 64);
        foreach (var (k11, k22, k12) in new[] { (1.0, 1.0, 0.5), (2.3, 0.4, -0.6), (0.7, 1.9, 1.1), (3.0, 3.0, 3.0) })
        {
            var th = Dual(tanh, k11, k22, k12);
            var thRef = Dual(tanhRef, k11, k22, k12);
            Assert.Equal(thRef.Nngp, th.Nngp, 1e-12);
            Assert.Equal(thRef.Ntk, th.Ntk, 1e-12);
            // σ(x) = ½ + ½·tanh(x/2), tanh odd: E[σσ] = ¼ + ¼·E[tanh tanh] at K/4 and E[σ′σ′] = E[tanh′ tanh′]/16 at K/4.
            var quarter = Dual(tanh, k11 / 4, k22 / 4, k12 / 4);
            var sg = Dual(sigmoid, k11, k22, k12);
            Assert.Equal(0.25 + 0.25 * quarter.Nngp, sg.Nngp, 1e-12);
            Assert.Equal(quarter.Ntk / 16, sg.Ntk, 1e-12);
            // softplus′ = σ: the softplus NTK factor is the sigmoid NNGP.
            Assert.Equal(sg.Nngp, Dual(softplus, k11, k22, k12).Ntk, 1e-12);
            var si = Dual(silu, k11, k22, k12);
            var siRef = Dual(siluRef, k11, k22, k12);
            Assert.Equal(siRef.Nngp, si.Nngp, 1e-12);
            Assert.Equal(siRef.Ntk, si.Ntk, 1e-12);
        }
        var e = Assert.Throws<ArgumentException>(() => Spec.NetworkSpec.Parse("dense(4) tanh(0) dense(1)"));
        Assert.Contains("column 1", e.Message);
        Assert.Contains("tanh", e.Message);
    }

    [Fact]
    public void KernelCommandRunsAQuadratureLayer()
    {
        const string spec = "dense(16, w_std=1.4, b_std=0.1) silu dense(16, w_std=1.4) tanh dense(1)";
        var dir = Directory.CreateTempSubdirectory("nf-adq").FullName;
        try
        {
            var x = TestUtil.RandomInputs(208, 5, 3);
            string xa = Path.Combine(dir, "x.npy"), o = Path.Combine(dir, "k.npy");
            NativeFree.Kernels.IO.KernelNpyInput.Write(xa, x.ToArray(), x.ShapeArray);
            var err = new StringWriter();
            int code = NativeFree.Cli.Cli.Run(["kernel", "ntk", "--net", spec, "--x1", xa, "--out", o], [new NativeFree.Cli.Commands.KernelCommand()], new StringWriter(), err);
            Assert.True(code == 0, err.ToString());
            var expect = KernelFunction.Compute(Spec.NetworkSpec.Parse(spec), x).Ntk!.ToArray();
            Assert.Equal(expect, NativeFree.Kernels.IO.KernelNpyInput.Read(o).Data);
            Assert.All(expect, v => Assert.True(double.IsFinite(v) && v != 0));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void KernelsDoNotDependOnTheCallersGradMode()
    {
        var x = TestUtil.RandomInputs(209, 4, 3);
        var net = Net(QuadratureActivation.FromAutograd(UserFunction("erf"), 16));
        var on = KernelFunction.Compute(net, x);
        KernelResult<double> off;
        using (GradMode.Set(false)) off = KernelFunction.Compute(net, x, null, new KernelOptions { Threads = 1 });
        Assert.Equal(on.Ntk!.ToArray(), off.Ntk!.ToArray());
        Assert.Equal(on.Nngp!.ToArray(), off.Nngp!.ToArray());
    }

    [Fact]
    public void NonElementwiseFunctionsAreRejected()
    {
        var act = QuadratureActivation.FromAutograd(v => v.Sum(), 8, "sum");
        var e = Assert.Throws<ArgumentException>(() => act.Dual([1.0], [1.0], [0.5], [1.0]));
        Assert.Contains("sum", e.Message);
        Assert.Contains("elementwise", e.Message);
    }
}
