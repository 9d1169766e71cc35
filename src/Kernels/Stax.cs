using NativeFree.Kernels.Layers;

namespace NativeFree.Kernels;

/// <summary>
/// Short constructors for network descriptions, in the spirit of neural-tangents' stax:
/// <c>Stax.Serial(Stax.Dense(512, 1.5, 0.05), Stax.Relu(), Stax.Dense(1, 1.5, 0.05))</c>.
/// </summary>
public static class Stax
{
    /// <summary>Layers in sequence.</summary>
    public static Serial Serial(params ILayer[] layers) => new(layers);
    /// <summary>Fully connected layer (NTK parametrization by default; <paramref name="bStd"/> null for no bias).</summary>
    public static Dense Dense(int width, double wStd = 1, double? bStd = 0, Parametrization parametrization = Parametrization.Ntk) => new(width, wStd, bStd, parametrization);
    /// <summary>2-D convolution with a square or rectangular filter.</summary>
    public static Conv Conv(int channels, int kh, int kw, int stride = 1, Padding padding = Padding.Same, double wStd = 1, double? bStd = 0, Parametrization parametrization = Parametrization.Ntk)
        => new(channels, [kh, kw], [stride, stride], padding, wStd, bStd, parametrization);
    /// <summary>1-D convolution.</summary>
    public static Conv Conv1D(int channels, int k, int stride = 1, Padding padding = Padding.Same, double wStd = 1, double? bStd = 0, Parametrization parametrization = Parametrization.Ntk)
        => new(channels, [k], [stride], padding, wStd, bStd, parametrization);
    /// <summary>ReLU.</summary>
    public static Relu Relu() => new();
    /// <summary>a·min(x, 0) + b·max(x, 0).</summary>
    public static ABRelu ABRelu(double a, double b) => new(a, b);
    /// <summary>Leaky ReLU.</summary>
    public static LeakyRelu LeakyRelu(double alpha) => new(alpha);
    /// <summary>|x|.</summary>
    public static Abs Abs() => new();
    /// <summary>a·erf(b·x) + c.</summary>
    public static Erf Erf(double a = 1, double b = 1, double c = 0) => new(a, b, c);
    /// <summary>GELU (exact erf form).</summary>
    public static Gelu Gelu() => new();
    /// <summary>a·sin(b·x + c).</summary>
    public static Sin Sin(double a = 1, double b = 1, double c = 0) => new(a, b, c);
    /// <summary>a·cos(b·x + c).</summary>
    public static Sin Cos(double a = 1, double b = 1, double c = 0) => Layers.Sin.Cos(a, b, c);
    /// <summary>The RBF-kernel activation √2·sin(√(2γ)x + π/4).</summary>
    public static Rbf Rbf(double gamma = 1) => new(gamma);
    /// <summary>sign(x).</summary>
    public static Sign Sign() => new();
    /// <summary>xⁿ.</summary>
    public static Monomial Monomial(int degree) => new(degree);
    /// <summary>max(x, 0)ⁿ, n ≤ 2.</summary>
    public static RectifiedMonomial RectifiedMonomial(int degree) => new(degree);
    /// <summary>The identity (a skip branch).</summary>
    public static Identity Identity() => new();
    /// <summary>Any φ by Gauss–Hermite quadrature (φ′ by finite differences when not given).</summary>
    public static QuadratureActivation Elementwise(Func<double, double> f, Func<double, double>? df = null, int points = 64) => new(f, df, points);
    /// <summary>Any elementwise φ given on Autograd variables (e.g. <c>x =&gt; x.Tanh()</c>): quadrature kernels with φ′ by autodiff, and a trainable finite network.</summary>
    public static QuadratureActivation ElementwiseAutograd(Func<Autograd.Var<double>, Autograd.Var<double>> f, int points = 64) => QuadratureActivation.FromAutograd(f, points);
    /// <summary>Average pooling (window = stride by default, VALID).</summary>
    public static AvgPool AvgPool(int kh, int kw, Padding padding = Padding.Valid) => new([kh, kw], null, padding);
    /// <summary>Global average pooling over all positions.</summary>
    public static GlobalAvgPool GlobalAvgPool() => new();
    /// <summary>Flatten positions and channels.</summary>
    public static Flatten Flatten() => new();
    /// <summary>Layer normalisation over channels.</summary>
    public static LayerNorm LayerNorm() => new();
    /// <summary>Dropout with keep probability.</summary>
    public static Dropout Dropout(double keep, bool training = true) => new(keep, training);
    /// <summary>FanOut → branches → FanInSum.</summary>
    public static Branches FanInSum(params ILayer[] branches) => new(FanIn.Sum, branches);
    /// <summary>FanOut → branches → FanInConcat.</summary>
    public static Branches FanInConcat(params ILayer[] branches) => new(FanIn.Concat, branches);
    /// <summary>x + block(x): FanInSum of an identity skip and the block.</summary>
    public static Branches Residual(params ILayer[] block) => new(FanIn.Sum, new Identity(), block.Length == 1 ? block[0] : new Serial(block));
}
