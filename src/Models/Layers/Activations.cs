using System.Globalization;
using System.Numerics;
using NativeFree.Autograd;
using NativeFree.Models.Spec;
using NativeFree.Tensors;
using NativeFree.Tensors.Randomness;

namespace NativeFree.Models.Layers;

/// <summary>
/// An elementwise nonlinearity: shape in = shape out, no parameters. Each one is a small record whose
/// <see cref="Apply{T}"/> composes differentiable Var ops (so every order of derivative works) and whose
/// fields are what the infinite-width kernels read for their closed forms.
/// </summary>
public abstract record ActivationSpec : LayerSpec
{
    /// <summary>φ(x) elementwise, recorded on the tape.</summary>
    public abstract Var<T> Apply<T>(Var<T> x) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <inheritdoc/>
    public override int[] OutputShape(int[] input) => CheckInput(input, 1, 3);

    /// <inheritdoc/>
    public override Module<T> Build<T>(int[] input, Rng rng, LayerRole role) => new Activation<T>(this, OutputShape(input));

    /// <inheritdoc/>
    public override string ToSpecText() => Kind;

    /// <summary>Formats arguments in invariant culture, round-trippable.</summary>
    protected static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>The module of an <see cref="ActivationSpec"/> (no parameters).</summary>
public sealed class Activation<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ActivationSpec _spec;
    internal Activation(ActivationSpec spec, int[] input) { Spec = _spec = spec; InputShape = input; }

    /// <summary>The per-example shape this module was built for (any batch of that shape, or of another, is accepted: elementwise).</summary>
    public int[] InputShape { get; }

    /// <inheritdoc/>
    public override Var<T> Forward(Var<T> x, ForwardContext context) => _spec.Apply(x);
}

/// <summary>max(x, 0). The derivative at 0 is 0, as PyTorch's.</summary>
public sealed record ReluSpec : ActivationSpec
{
    /// <inheritdoc/>
    public override string Kind => "relu";
    /// <inheritdoc/>
    public override Var<T> Apply<T>(Var<T> x) => x.Relu();
}

/// <summary>x for x &gt; 0, slope·x otherwise (derivative slope at 0, as PyTorch's).</summary>
public sealed record LeakyReluSpec(double Slope = 0.01) : ActivationSpec
{
    /// <inheritdoc/>
    public override string Kind => "leaky_relu";
    /// <inheritdoc/>
    public override Var<T> Apply<T>(Var<T> x) => Var<T>.Where(Tensor.Greater(x.Value, Tensor.Scalar(T.Zero)), x, x * T.CreateTruncating(Slope));
    /// <inheritdoc/>
    public override string ToSpecText() => Slope == 0.01 ? Kind : $"leaky_relu({Num(Slope)})";
}

/// <summary>GELU, x·Φ(x) with the exact normal CDF (PyTorch's default approximate='none').</summary>
public sealed record GeluSpec : ActivationSpec
{
    /// <inheritdoc/>
    public override string Kind => "gelu";
    /// <inheritdoc/>
    public override Var<T> Apply<T>(Var<T> x) => x.Gelu();
}

/// <summary>a·erf(b·x) + c (neural-tangents' Erf; a = b = 1, c = 0 is erf).</summary>
public sealed record ErfSpec(double A = 1, double B = 1, double C = 0) : ActivationSpec
{
    /// <inheritdoc/>
    public override string Kind => "erf";
    /// <inheritdoc/>
    public override Var<T> Apply<T>(Var<T> x) => Affine((B == 1 ? x : x * T.CreateTruncating(B)).Erf(), A, C);
    /// <inheritdoc/>
    public override string ToSpecText() => A == 1 && B == 1 && C == 0 ? Kind : $"erf(a={Num(A)}, b={Num(B)}, c={Num(C)})";

    internal static Var<T> Affine<T>(Var<T> y, double a, double c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (a != 1) y *= T.CreateTruncating(a);
        return c == 0 ? y : y + T.CreateTruncating(c);
    }
}

/// <summary>a·sin(b·x + c) (neural-tangents' Sin).</summary>
public sealed record SinSpec(double A = 1, double B = 1, double C = 0) : ActivationSpec
{
    /// <inheritdoc/>
    public override string Kind => "sin";
    /// <inheritdoc/>
    public override Var<T> Apply<T>(Var<T> x)
    {
        var u = B == 1 ? x : x * T.CreateTruncating(B);
        if (C != 0) u += T.CreateTruncating(C);
        return ErfSpec.Affine(u.Sin(), A, 0);
    }
    /// <inheritdoc/>
    public override string ToSpecText() => A == 1 && B == 1 && C == 0 ? Kind : $"sin(a={Num(A)}, b={Num(B)}, c={Num(C)})";
}

/// <summary>tanh.</summary>
public sealed record TanhSpec : ActivationSpec
{
    /// <inheritdoc/>
    public override string Kind => "tanh";
    /// <inheritdoc/>
    public override Var<T> Apply<T>(Var<T> x) => x.Tanh();
}

/// <summary>The logistic sigmoid 1/(1 + e⁻ˣ).</summary>
public sealed record SigmoidSpec : ActivationSpec
{
    /// <inheritdoc/>
    public override string Kind => "sigmoid";
    /// <inheritdoc/>
    public override Var<T> Apply<T>(Var<T> x) => x.Sigmoid();
}

/// <summary>SiLU (swish), x·sigmoid(x).</summary>
public sealed record SiluSpec : ActivationSpec
{
    /// <inheritdoc/>
    public override string Kind => "silu";
    /// <inheritdoc/>
    public override Var<T> Apply<T>(Var<T> x) => x * x.Sigmoid();
}

/// <summary>Softplus, log(1 + e^(β·x))/β (PyTorch's; its linear region above the threshold is the same function to rounding).</summary>
public sealed record SoftplusSpec(double Beta = 1) : ActivationSpec
{
    /// <inheritdoc/>
    public override string Kind => "softplus";
    /// <inheritdoc/>
    public override Var<T> Apply<T>(Var<T> x)
        => Beta == 1 ? x.Softplus() : (x * T.CreateTruncating(Beta)).Softplus() * T.CreateTruncating(1 / Beta);
    /// <inheritdoc/>
    public override string ToSpecText() => Beta == 1 ? Kind : $"softplus(beta={Num(Beta)})";
}

/// <summary>ELU: x for x &gt; 0, α(eˣ − 1) otherwise (derivative α at 0 from the left branch, as PyTorch's).</summary>
public sealed record EluSpec(double Alpha = 1) : ActivationSpec
{
    /// <inheritdoc/>
    public override string Kind => "elu";
    /// <inheritdoc/>
    public override Var<T> Apply<T>(Var<T> x)
    {
        // exp of min(x, 0): the unused branch stays finite, so its zeroed gradient is 0, never 0·∞.
        var neg = (Var<T>.Minimum(x, Var<T>.Scalar(T.Zero)).Exp() - T.One) * T.CreateTruncating(Alpha);
        return Var<T>.Where(Tensor.Greater(x.Value, Tensor.Scalar(T.Zero)), x, neg);
    }
    /// <inheritdoc/>
    public override string ToSpecText() => Alpha == 1 ? Kind : $"elu({Num(Alpha)})";
}

/// <summary>The identity (a placeholder layer, e.g. a residual's skip branch).</summary>
public sealed record IdentitySpec : ActivationSpec
{
    /// <inheritdoc/>
    public override string Kind => "identity";
    /// <inheritdoc/>
    public override Var<T> Apply<T>(Var<T> x) => x;
}

/// <summary>Any elementwise function written with Var ops, for both element types.</summary>
public interface IElementwiseFunction
{
    /// <summary>φ(x) elementwise.</summary>
    Var<T> Apply<T>(Var<T> x) where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>A user-supplied elementwise nonlinearity, named <paramref name="Name"/> in SPEC text.</summary>
public sealed record ElementwiseSpec(string Name, IElementwiseFunction Function) : ActivationSpec
{
    /// <inheritdoc/>
    public override string Kind => Name;
    /// <inheritdoc/>
    public override Var<T> Apply<T>(Var<T> x) => Function.Apply(x);
}
