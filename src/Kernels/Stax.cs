using NativeFree.Kernels.Layers;
using NativeFree.Kernels.Spec;
using NativeFree.Models.Layers;
using NativeFree.Models.Spec;
using Parametrization = NativeFree.Models.Parametrization;

namespace NativeFree.Kernels;

/// <summary>
/// Short constructors for network descriptions, in the spirit of neural-tangents' stax:
/// <c>Stax.Serial(Stax.Dense(512, 1.5, 0.05), Stax.Relu(), Stax.Dense(1, 1.5, 0.05))</c>. Each returns a Models
/// <see cref="LayerSpec"/> with neural-tangents' defaults (NTK parametrization, SAME convolutions), so the same value
/// gives the analytic kernel (<see cref="KernelFunction"/>) and the finite network (<see cref="LayerSpec.Build{T}(int[], NativeFree.Tensors.Randomness.Rng)"/>,
/// NCHW like torch.nn) — the two worlds of a stax layer, from one description.
/// </summary>
public static class Stax
{
    /// <summary>Layers in sequence.</summary>
    public static SequentialSpec Serial(params LayerSpec[] layers) => new(Flat(layers));

    /// <summary>Fully connected layer (NTK parametrization by default; <paramref name="bStd"/> null for no bias).</summary>
    public static LinearSpec Dense(int width, double wStd = 1, double? bStd = 0, Parametrization? parametrization = null)
        => new(width, bStd is not null)
        {
            Spelling = "dense", Parametrization = parametrization ?? Parametrization.Ntk, WStd = Check(wStd, "w_std"), BStd = bStd is { } b ? Check(b, "b_std") : null,
        };

    /// <summary>2-D convolution with a square or rectangular filter.</summary>
    public static Conv2dSpec Conv(int channels, int kh, int kw, int stride = 1, Padding padding = Padding.Same, double wStd = 1, double? bStd = 0, Parametrization? parametrization = null)
        => new Conv2dSpec(channels, kh, kw) with
        {
            Stride = [stride, stride], Same = padding == Padding.Same, Spelling = "conv", Bias = bStd is not null,
            Parametrization = parametrization ?? Parametrization.Ntk, WStd = Check(wStd, "w_std"), BStd = bStd is { } b ? Check(b, "b_std") : null,
        };

    /// <summary>1-D convolution over [C, L].</summary>
    public static Conv1dSpec Conv1D(int channels, int k, int stride = 1, Padding padding = Padding.Same, double wStd = 1, double? bStd = 0, Parametrization? parametrization = null)
        => new Conv1dSpec(channels, k) with
        {
            Stride = [stride], Same = padding == Padding.Same, Spelling = "conv", Bias = bStd is not null,
            Parametrization = parametrization ?? Parametrization.Ntk, WStd = Check(wStd, "w_std"), BStd = bStd is { } b ? Check(b, "b_std") : null,
        };

    /// <summary>ReLU.</summary>
    public static ReluSpec Relu() => new();
    /// <summary>a·min(x, 0) + b·max(x, 0).</summary>
    public static ABReluSpec ABRelu(double a, double b) => new(a, b);
    /// <summary>Leaky ReLU.</summary>
    public static LeakyReluSpec LeakyRelu(double alpha) => new(alpha);
    /// <summary>|x|.</summary>
    public static AbsSpec Abs() => new();
    /// <summary>a·erf(b·x) + c.</summary>
    public static ErfSpec Erf(double a = 1, double b = 1, double c = 0) => new(a, b, c);
    /// <summary>GELU (exact erf form).</summary>
    public static GeluSpec Gelu() => new();
    /// <summary>a·sin(b·x + c).</summary>
    public static SinSpec Sin(double a = 1, double b = 1, double c = 0) => new(a, b, c);
    /// <summary>a·cos(b·x + c).</summary>
    public static CosSpec Cos(double a = 1, double b = 1, double c = 0) => new(a, b, c);
    /// <summary>The RBF-kernel activation √2·sin(√(2γ)x + π/4).</summary>
    public static RbfSpec Rbf(double gamma = 1) => new(gamma);
    /// <summary>sign(x).</summary>
    public static SignSpec Sign() => new();
    /// <summary>xⁿ.</summary>
    public static MonomialSpec Monomial(int degree) => new(degree);
    /// <summary>max(x, 0)ⁿ.</summary>
    public static RectifiedMonomialSpec RectifiedMonomial(int degree) => new(degree);
    /// <summary>The identity (a skip branch).</summary>
    public static IdentitySpec Identity() => new();
    /// <summary>Any φ by Gauss–Hermite quadrature (φ′ by finite differences when not given); its finite network has no gradient.</summary>
    public static ScalarActivationSpec Elementwise(Func<double, double> f, Func<double, double>? df = null, int points = 64, string name = "elementwise")
        => new(name, new QuadratureActivation(f, df, points, name));
    /// <summary>Any elementwise φ given on Autograd variables (e.g. <c>x =&gt; x.Tanh()</c>): quadrature kernels with φ′ by autodiff, and a trainable finite network (double).</summary>
    public static ElementwiseSpec ElementwiseAutograd(Func<Autograd.Var<double>, Autograd.Var<double>> f, string name = "elementwise")
        => new(name, new DoubleFunction(f, name));
    /// <summary>A kernel transform given directly (a custom <see cref="ILayer"/>), to compose with the other layers; it has no finite network.</summary>
    public static KernelTransformSpec Transform(ILayer transform) => new(transform ?? throw new ArgumentNullException(nameof(transform)));
    /// <summary>Average pooling (window = stride by default, VALID).</summary>
    public static AvgPoolSpec AvgPool(int kh, int kw) => new(kh, kw);
    /// <summary>1-D average pooling (stride = window by default, VALID).</summary>
    public static AvgPoolSpec AvgPool1D(int window, int? stride = null) => new AvgPoolSpec(window) with { Stride = [stride ?? window] };
    /// <summary>Global average pooling over all positions.</summary>
    public static GlobalAvgPoolSpec GlobalAvgPool() => new();
    /// <summary>Flatten positions and channels.</summary>
    public static FlattenSpec Flatten() => new();
    /// <summary>Layer normalisation without learnt gain and shift (neural-tangents' LayerNorm, ε = 1e-12), on flat inputs.</summary>
    public static LayerNormSpec LayerNorm() => new(Eps: 1e-12, ElementwiseAffine: false);
    /// <summary>Dropout with neural-tangents' keep probability (drop probability 1 − keep, in training mode).</summary>
    public static DropoutSpec Dropout(double keep) => keep is > 0 and <= 1 ? DropoutSpec.FromKeep(keep) : throw new ArgumentException($"Dropout keep probability must be in (0, 1], got {keep}.", nameof(keep));
    /// <summary>FanOut → branches → FanInSum (an <see cref="Identity"/> branch is a skip).</summary>
    public static ParallelSpec FanInSum(params LayerSpec[] branches) => new(FanIn.Sum, Branches(branches));
    /// <summary>FanOut → branches → FanInConcat.</summary>
    public static ParallelSpec FanInConcat(params LayerSpec[] branches) => new(FanIn.Concat, Branches(branches));
    /// <summary>x + block(x).</summary>
    public static ResidualSpec Residual(params LayerSpec[] block) => new(Serial(block));

    private static SequentialSpec[] Branches(LayerSpec[] branches)
    {
        ArgumentNullException.ThrowIfNull(branches);
        if (branches.Length < 1) throw new ArgumentException("Need at least one branch.", nameof(branches));
        return branches.Select(b => b switch { SequentialSpec s => s, IdentitySpec => new SequentialSpec(), _ => new SequentialSpec(b) }).ToArray();
    }

    private static LayerSpec[] Flat(LayerSpec[] layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Any(l => l is null)) throw new ArgumentException("Serial: a layer is null.", nameof(layers));
        return layers;
    }

    private static double Check(double v, string name)
        => v >= 0 && double.IsFinite(v) ? v : throw new ArgumentException($"{name} must be finite and ≥ 0, got {v}.", name);

    // A Var<double> function as a Models elementwise function; float networks of it are refused by name.
    private sealed class DoubleFunction(Func<Autograd.Var<double>, Autograd.Var<double>> f, string name) : IElementwiseFunction
    {
        public Autograd.Var<T> Apply<T>(Autograd.Var<T> x) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
            => x is Autograd.Var<double> d ? (Autograd.Var<T>)(object)f(d)
                : throw new NotSupportedException($"{name}: this activation was given as a Var<double> function; build the network in double.");
    }
}
