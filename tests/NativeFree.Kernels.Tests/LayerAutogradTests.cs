using NativeFree.Autograd;
using NativeFree.Kernels;
using NativeFree.Kernels.Empirical;
using NativeFree.Kernels.Layers;
using NativeFree.Tensors;
using Xunit;

namespace NativeFree.Kernels.Tests;

/// <summary>
/// The Autograd forward pass of every layer against its plain double forward pass (the oracle tying the
/// two together), and its gradients against central differences of the plain pass through the empirical NTK.
/// </summary>
public class LayerAutogradTests
{
    /// <summary>A small network per layer (inputs [2, 5, 4, 3] for 2-D, [2, 7, 3] for 1-D, [2, 4] for dense), with a Dense/Conv before each nonlinearity.</summary>
    public static TheoryData<string> Networks => new()
    {
        "dense_standard", "conv_same", "conv_same_stride_rect", "conv_valid_stride", "conv_standard_nobias", "conv1d_same_stride", "conv1d_valid",
        "avg_pool_valid", "avg_pool_same_stride", "avg_pool1d", "global_avg_pool", "global_avg_pool1d", "flatten",
        "layer_norm_dense", "layer_norm_spatial", "dropout_test", "dropout_train", "fan_in_sum", "fan_in_concat", "residual",
        "relu", "abrelu", "leaky", "abs", "erf", "gelu", "sin", "cos", "rbf", "sign", "mono0", "mono1", "mono2", "mono3",
        "rmono0", "rmono1", "rmono2", "identity", "quadrature_autograd",
    };

    internal static (ILayer Net, int[] InputShape) Make(string name)
    {
        int[] img = [2, 5, 4, 3], seq = [2, 7, 3], vec = [2, 4];
        ILayer Act(Activation a) => Stax.Serial(Stax.Dense(3, 1.3, 0.2), a, Stax.Dense(2, 1.1, 0.1));
        return name switch
        {
            "dense_standard" => (Stax.Serial(Stax.Dense(5, 1.4, 0.3, Parametrization.Standard), Stax.Erf(), Stax.Dense(2, 1.1, null, Parametrization.Standard)), vec),
            "conv_same" => (Stax.Serial(Stax.Conv(4, 3, 3, wStd: 1.3, bStd: 0.2), Stax.Relu(), Stax.Conv(2, 3, 3, wStd: 1.1, bStd: 0.1)), img),
            "conv_same_stride_rect" => (new Conv(3, [3, 2], [2, 3], Padding.Same, 1.2, 0.3), img),
            "conv_valid_stride" => (new Conv(3, [2, 3], [2, 1], Padding.Valid, 1.4, 0.1), img),
            "conv_standard_nobias" => (new Conv(3, [3, 3], [1, 1], Padding.Same, 1.5, null, Parametrization.Standard), img),
            "conv1d_same_stride" => (Stax.Conv1D(3, 4, stride: 2, wStd: 1.2, bStd: 0.1), seq),
            "conv1d_valid" => (Stax.Conv1D(3, 3, padding: Padding.Valid, wStd: 0.9, bStd: 0.4), seq),
            "avg_pool_valid" => (Stax.Serial(Stax.Conv(3, 2, 2), Stax.AvgPool(2, 2)), img),
            "avg_pool_same_stride" => (Stax.Serial(Stax.Conv(3, 2, 2), new AvgPool([3, 2], [2, 3], Padding.Same)), img),
            "avg_pool1d" => (Stax.Serial(Stax.Conv1D(3, 2), new AvgPool([3], [2], Padding.Same)), seq),
            "global_avg_pool" => (Stax.Serial(Stax.Conv(3, 3, 3, bStd: 0.1), Stax.Erf(), Stax.GlobalAvgPool(), Stax.Dense(2)), img),
            "global_avg_pool1d" => (Stax.Serial(Stax.Conv1D(3, 3), Stax.GlobalAvgPool(), Stax.Dense(2)), seq),
            "flatten" => (Stax.Serial(Stax.Conv(2, 3, 3), Stax.Relu(), Stax.Flatten(), Stax.Dense(2, 1.2, 0.1)), img),
            "layer_norm_dense" => (Stax.Serial(Stax.Dense(5, 1.1, 0.3), Stax.LayerNorm(), Stax.Dense(2)), vec),
            "layer_norm_spatial" => (Stax.Serial(Stax.Conv(4, 2, 2, bStd: 0.2), Stax.LayerNorm(), Stax.Flatten(), Stax.Dense(2)), img),
            "dropout_test" => (Stax.Serial(Stax.Dense(5), Stax.Dropout(0.7, training: false), Stax.Dense(2)), vec),
            "dropout_train" => (Stax.Serial(Stax.Dense(6), Stax.Dropout(0.6), Stax.Dense(2)), vec),
            "fan_in_sum" => (Stax.Serial(Stax.Dense(4), Stax.FanInSum(Stax.Dense(3, 1.2), Stax.Serial(Stax.Relu(), Stax.Dense(3, 0.8, 0.1)))), vec),
            "fan_in_concat" => (Stax.Serial(Stax.Conv(3, 2, 2), Stax.FanInConcat(Stax.Conv(2, 3, 3), Stax.Serial(Stax.Gelu(), Stax.Conv(4, 1, 1, bStd: 0.3)))), img),
            "residual" => (Stax.Serial(Stax.Dense(4, bStd: 0.1), Stax.Residual(Stax.Relu(), Stax.Dense(4, 1.3, 0.2)), Stax.Dense(2)), vec),
            "relu" => (Act(Stax.Relu()), vec),
            "abrelu" => (Act(Stax.ABRelu(-0.4, 1.3)), vec),
            "leaky" => (Act(Stax.LeakyRelu(0.1)), vec),
            "abs" => (Act(Stax.Abs()), vec),
            "erf" => (Act(Stax.Erf(1.2, 0.7, 0.3)), vec),
            "gelu" => (Act(Stax.Gelu()), vec),
            "sin" => (Act(Stax.Sin(1.1, 0.8, 0.4)), vec),
            "cos" => (Act(Stax.Cos(0.9, 1.2, 0.1)), vec),
            "rbf" => (Act(Stax.Rbf(0.6)), vec),
            "sign" => (Act(Stax.Sign()), vec),
            "mono0" => (Act(Stax.Monomial(0)), vec),
            "mono1" => (Act(Stax.Monomial(1)), vec),
            "mono2" => (Act(Stax.Monomial(2)), vec),
            "mono3" => (Act(Stax.Monomial(3)), vec),
            "rmono0" => (Act(Stax.RectifiedMonomial(0)), vec),
            "rmono1" => (Act(Stax.RectifiedMonomial(1)), vec),
            "rmono2" => (Act(Stax.RectifiedMonomial(2)), vec),
            "identity" => (Act(Stax.Identity()), vec),
            "quadrature_autograd" => (Act(Stax.ElementwiseAutograd(x => x.Tanh() * 1.5 + x.Square() * 0.1)), vec),
            _ => throw new ArgumentException(name),
        };
    }

    private static int SeedOf(string name) => name.Aggregate(17, (h, ch) => unchecked(h * 31 + ch));

    /// <summary>The tape's forward pass equals <see cref="ILayer.Apply"/> elementwise (same sampler state for dropout masks).</summary>
    [Theory]
    [MemberData(nameof(Networks))]
    public void VarForwardEqualsPlainForward(string name)
    {
        var (net, shape) = Make(name);
        var x = TestUtil.RandomInputs(SeedOf(name), shape);
        var p = net.Init(FeatureShape.FromBatchShape(x.Shape), new SeededNormalSampler(SeedOf(name) + 1));
        var plain = net.Apply(p, x, new SeededNormalSampler(5));
        var vars = new ParameterVars(p) { Sampler = new SeededNormalSampler(5) };
        var tape = FiniteNetwork.Apply(net, p, vars, Var<double>.Constant(x)).Value;
        Assert.Equal(plain.ShapeArray, tape.ShapeArray);
        var a = plain.ToArray(); var b = tape.ToArray();
        double scale = a.Max(Math.Abs);
        Assert.True(scale > 0, "the network output is identically zero: the comparison would be vacuous");
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - b[i]) <= 1e-12 * Math.Max(1, scale), $"{name}: element {i}: plain {a[i]}, tape {b[i]}");
    }

    /// <summary>
    /// Gradients of every layer: the empirical NTK (Autograd Jacobians) equals J·Jᵀ with J from central differences of the
    /// plain forward pass (an independent oracle: no Autograd, no shared code with the tape). Step 1e-6 in float64 gives
    /// truncation ~1e-12 and rounding ~1e-10, so 1e-6 relative leaves a wide margin while any wrong rule fails by O(1).
    /// </summary>
    [Theory]
    [MemberData(nameof(Networks))]
    public void EmpiricalNtkEqualsFiniteDifferenceJacobians(string name)
    {
        if (name == "dropout_train") return; // a random mask per forward pass: covered by the mask test below
        var (net, shape) = Make(name);
        var x = TestUtil.RandomInputs(SeedOf(name) + 2, shape);
        var p = net.Init(FeatureShape.FromBatchShape(x.Shape), new SeededNormalSampler(SeedOf(name) + 3));
        var emp = EmpiricalKernel.Ntk(net, p, x, null, tileInputs: 1).ToArray();
        var want = FiniteDifferenceNtk(net, p, x);
        double scale = want.Max(Math.Abs);
        Assert.True(scale > 0, $"{name}: zero NTK, the comparison would be vacuous");
        for (int i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(emp[i] - want[i]) <= 1e-6 * Math.Max(1, scale), $"{name}: entry {i}: autograd {emp[i]}, finite differences {want[i]}");
    }

    /// <summary>Θ = (1/outputs)·Σ_o J_o·J_oᵀ with J from central differences of <see cref="ILayer.Apply"/>.</summary>
    internal static double[] FiniteDifferenceNtk(ILayer net, Parameters p, Tensor<double> x)
    {
        int n = x.Dim(0);
        var jac = TestUtil.FiniteDifferenceJacobian(net, p, x);
        int outputs = jac.GetLength(0) / n, total = jac.GetLength(1);
        var k = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int o = 0; o < outputs; o++)
                    for (int q = 0; q < total; q++) s += jac[i * outputs + o, q] * jac[j * outputs + o, q];
                k[i * n + j] = s / outputs;
            }
        return k;
    }

    /// <summary>Training-mode dropout on the tape: the sampler's mask (about 1 − keep of the units zeroed), gradients only through kept units.</summary>
    [Fact]
    public void DropoutTrainingMaskIsSeededAndCarriesGradients()
    {
        var drop = Stax.Dropout(0.5);
        var x = Tensor.Ones<double>(40, 50);
        var y1 = FiniteNetwork.Apply(drop, Parameters.Empty, new ParameterVars(Parameters.Empty) { Sampler = new SeededNormalSampler(3) }, Var<double>.Constant(x)).Value.ToArray();
        var y2 = FiniteNetwork.Apply(drop, Parameters.Empty, new ParameterVars(Parameters.Empty) { Sampler = new SeededNormalSampler(3) }, Var<double>.Constant(x)).Value.ToArray();
        var y3 = FiniteNetwork.Apply(drop, Parameters.Empty, new ParameterVars(Parameters.Empty) { Sampler = new SeededNormalSampler(4) }, Var<double>.Constant(x)).Value.ToArray();
        Assert.Equal(y1, y2);
        Assert.NotEqual(y1, y3);
        Assert.All(y1, v => Assert.True(v == 0 || v == 2));
        double kept = y1.Count(v => v != 0) / (double)y1.Length;
        Assert.InRange(kept, 0.5 - 4 * 0.5 / Math.Sqrt(2000), 0.5 + 4 * 0.5 / Math.Sqrt(2000)); // binomial, 4σ
        var xv = Var<double>.Parameter(x.Clone());
        var g = Autodiff.Gradients(FiniteNetwork.Apply(drop, Parameters.Empty, new ParameterVars(Parameters.Empty) { Sampler = new SeededNormalSampler(3) }, xv).Sum(), [xv])[0]!.Value.ToArray();
        Assert.Equal(y1, g); // d(Σ mask·x)/dx = mask
        var e = Assert.Throws<ArgumentException>(() => FiniteNetwork.Apply(drop, Parameters.Empty, new ParameterVars(Parameters.Empty), Var<double>.Constant(x)));
        Assert.Contains("dropout", e.Message);
    }

    /// <summary>Activations with a kink or a jump at 0 give finite gradients at exactly zero pre-activations (no 0·∞).</summary>
    [Theory]
    [InlineData("mono0")] [InlineData("mono1")] [InlineData("mono2")] [InlineData("mono3")] [InlineData("rmono0")] [InlineData("rmono1")]
    [InlineData("rmono2")] [InlineData("sign")] [InlineData("relu")] [InlineData("abs")]
    public void NoNaNGradientsAtZeroInputs(string name)
    {
        ILayer act = name == "mono0" ? Stax.Monomial(0) : ClosedFormTests.Make(name);
        var net = Stax.Serial(Stax.Dense(3, 1, null), act, Stax.Dense(1, 1, 0.5)); // no bias: pre-activations exactly 0
        var x = Tensor.Zeros<double>(2, 3);
        var p = net.Init(new FeatureShape([], 3), new SeededNormalSampler(1));
        var k = EmpiricalKernel.Ntk(net, p, x).ToArray();
        Assert.All(k, v => Assert.True(double.IsFinite(v), $"{name}: {v}"));
    }

    /// <summary>A quadrature activation from a Var function: φ′ by autodiff equals the analytic derivative, and its kernels equal those of the explicit-derivative form.</summary>
    [Fact]
    public void QuadratureFromAutogradHasExactDerivative()
    {
        var q = QuadratureActivation.FromAutograd(x => x.Tanh(), points: 32);
        foreach (var v in new[] { -2.5, -0.3, 0.0, 0.7, 3.0 })
        {
            Assert.Equal(Math.Tanh(v), q.Value(v), 15);
            Assert.Equal(1 - Math.Tanh(v) * Math.Tanh(v), q.Derivative(v), 14);
        }
        var twin = new QuadratureActivation(Math.Tanh, v => 1 - Math.Tanh(v) * Math.Tanh(v), points: 32);
        var x1 = TestUtil.RandomInputs(1, 3, 4);
        var a = KernelFunction.Compute(Stax.Serial(Stax.Dense(8, 1.3, 0.1), q, Stax.Dense(1)), x1);
        var b = KernelFunction.Compute(Stax.Serial(Stax.Dense(8, 1.3, 0.1), twin, Stax.Dense(1)), x1);
        Assert.Equal(b.Ntk!.ToArray(), a.Ntk!.ToArray(), new ToleranceComparer(1e-13));
        Assert.Equal(b.Nngp!.ToArray(), a.Nngp!.ToArray(), new ToleranceComparer(1e-13));
    }

    /// <summary>A quadrature activation given only as a double function cannot be recorded: a clear NotSupportedException naming it.</summary>
    [Fact]
    public void QuadratureWithoutVarFunctionIsNotDifferentiable()
    {
        var net = Stax.Serial(Stax.Dense(4), new QuadratureActivation(Math.Tanh, name: "my_tanh"), Stax.Dense(1));
        var x = TestUtil.RandomInputs(3, 2, 3);
        var p = net.Init(FeatureShape.FromBatchShape(x.Shape), new SeededNormalSampler(1));
        var e = Assert.Throws<NotSupportedException>(() => EmpiricalKernel.Ntk(net, p, x));
        Assert.Contains("my_tanh", e.Message);
        Assert.Contains("FromAutograd", e.Message);
        Assert.Throws<NotSupportedException>(() => FiniteNetwork.TrainMse(net, p, x, Tensor.Zeros<double>(2, 1), 0.1, 1));
    }

    private sealed class ToleranceComparer(double tol) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tol * Math.Max(1, Math.Abs(b));
        public int GetHashCode(double v) => 0;
    }
}
