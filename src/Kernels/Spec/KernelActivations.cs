using System.Globalization;
using System.Numerics;
using NativeFree.Autograd;
using NativeFree.Models.Layers;
using NativeFree.Models.Spec;
using NativeFree.Tensors;

namespace NativeFree.Kernels.Spec;

// Activations that matter for infinite-width kernels (closed-form duals) but that torch.nn does not have. They are
// ordinary Models activation specs, so the same SPEC builds a finite network with them and Kernels reads their
// parameters for the dual; each one names the kernel transform it stands for.

/// <summary>An activation spec whose infinite-width dual lives in Kernels (closed form).</summary>
public abstract record KernelActivationSpec : ActivationSpec
{
    /// <summary>The kernel transform (φ, φ′ and the dual) of this activation.</summary>
    public abstract Layers.Activation Transform();

    private protected static string N(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>a·min(x, 0) + b·max(x, 0) (neural-tangents' ABRelu).</summary>
public sealed record ABReluSpec(double A, double B) : KernelActivationSpec
{
    /// <inheritdoc/>
    public override string Kind => "abrelu";
    /// <inheritdoc/>
    public override Var<T> Apply<T>(Var<T> x)
        // a·min(x,0) + b·max(x,0) = (b − a)·relu(x) + a·x: two tape nodes, derivative b on x > 0 and a on x ≤ 0.
        => x.Relu() * T.CreateTruncating(B - A) + x * T.CreateTruncating(A);
    /// <inheritdoc/>
    public override string ToSpecText() => $"abrelu({N(A)}, {N(B)})";
    /// <inheritdoc/>
    public override Layers.Activation Transform() => new Layers.ABRelu(A, B);
}

/// <summary>|x| (the derivative at 0 is 0, as PyTorch's).</summary>
public sealed record AbsSpec : KernelActivationSpec
{
    /// <inheritdoc/>
    public override string Kind => "abs";
    /// <inheritdoc/>
    public override Var<T> Apply<T>(Var<T> x) => x.Abs();
    /// <inheritdoc/>
    public override Layers.Activation Transform() => new Layers.Abs();
}

/// <summary>sign(x): a constant on the tape (the derivative is 0 almost everywhere, as neural-tangents' Sign).</summary>
public sealed record SignSpec : KernelActivationSpec
{
    /// <inheritdoc/>
    public override string Kind => "sign";
    /// <inheritdoc/>
    public override Var<T> Apply<T>(Var<T> x) => x.Sign();
    /// <inheritdoc/>
    public override Layers.Activation Transform() => new Layers.Sign();
}

/// <summary>√2·sin(√(2γ)·x + π/4), whose NNGP after one dense layer is the RBF kernel (neural-tangents' Rbf).</summary>
public sealed record RbfSpec(double Gamma = 1) : KernelActivationSpec
{
    /// <inheritdoc/>
    public override string Kind => "rbf";
    /// <inheritdoc/>
    public override Var<T> Apply<T>(Var<T> x)
        => (x * T.CreateTruncating(Math.Sqrt(2 * Gamma)) + T.CreateTruncating(Math.PI / 4)).Sin() * T.CreateTruncating(Math.Sqrt(2));
    /// <inheritdoc/>
    public override string ToSpecText() => Gamma == 1 ? Kind : $"rbf({N(Gamma)})";
    /// <inheritdoc/>
    public override Layers.Activation Transform() => new Layers.Rbf(Gamma);
}

/// <summary>a·cos(b·x + c) (neural-tangents' Cos).</summary>
public sealed record CosSpec(double A = 1, double B = 1, double C = 0) : KernelActivationSpec
{
    /// <inheritdoc/>
    public override string Kind => "cos";
    /// <inheritdoc/>
    public override Var<T> Apply<T>(Var<T> x)
        => (x * T.CreateTruncating(B) + T.CreateTruncating(C + Math.PI / 2)).Sin() * T.CreateTruncating(A);
    /// <inheritdoc/>
    public override string ToSpecText() => A == 1 && B == 1 && C == 0 ? Kind : $"cos(a={N(A)}, b={N(B)}, c={N(C)})";
    /// <inheritdoc/>
    public override Layers.Activation Transform() => Layers.Sin.Cos(A, B, C);
}

/// <summary>xⁿ (degree ≤ 16).</summary>
public sealed record MonomialSpec(int Degree) : KernelActivationSpec
{
    /// <inheritdoc/>
    public override string Kind => "monomial";
    /// <inheritdoc/>
    public override Var<T> Apply<T>(Var<T> x) => Degree switch
    {
        // x⁰ = 1 everywhere (0⁰ = 1 as Math.Pow); its derivative is 0, not 0·x⁻¹ (NaN at 0).
        0 => Var<T>.Constant(Tensor.Ones<T>(x.Value.ShapeArray)),
        1 => x,
        _ => x.Pow(T.CreateTruncating(Degree)),
    };
    /// <inheritdoc/>
    public override string ToSpecText() => $"monomial({Degree})";
    /// <inheritdoc/>
    public override Layers.Activation Transform() => new Layers.Monomial(Degree);
}

/// <summary>max(x, 0)ⁿ (degree ≤ 128); degree 0 is the step 1[x &gt; 0], a constant on the tape.</summary>
public sealed record RectifiedMonomialSpec(int Degree) : KernelActivationSpec
{
    /// <inheritdoc/>
    public override string Kind => "rectified_monomial";
    /// <inheritdoc/>
    public override Var<T> Apply<T>(Var<T> x) => Degree switch
    {
        0 => Var<T>.Constant(Tensor.Greater(x.Value, Tensor.Scalar(T.Zero))),
        1 => x.Relu(),
        _ => x.Relu().Pow(T.CreateTruncating(Degree)),
    };
    /// <inheritdoc/>
    public override string ToSpecText() => $"rectified_monomial({Degree})";
    /// <inheritdoc/>
    public override Layers.Activation Transform() => new Layers.RectifiedMonomial(Degree);
}

/// <summary>
/// Any φ given as scalar functions (φ and optionally φ′) for the kernel by quadrature. A double function cannot be
/// recorded on the tape, so its finite network runs φ but has no gradient: build it from a Var function
/// (<see cref="Stax.ElementwiseAutograd"/>) to train it or take its empirical NTK.
/// </summary>
public sealed record ScalarActivationSpec(string Name, Layers.QuadratureActivation Quadrature) : KernelActivationSpec
{
    /// <inheritdoc/>
    public override string Kind => Name;
    /// <inheritdoc/>
    public override Var<T> Apply<T>(Var<T> x)
    {
        if (x.RequiresGrad)
            throw new NotSupportedException($"{Name}: this activation was given as a double function, which Autograd cannot differentiate; " +
                "give it as a Var function (Stax.ElementwiseAutograd(x => …)) to train the network or take its empirical NTK.");
        var v = x.Value.Contiguous().ToArray();
        var y = new T[v.Length];
        for (int i = 0; i < v.Length; i++) y[i] = T.CreateTruncating(Quadrature.Value(double.CreateTruncating(v[i])));
        return Var<T>.Constant(Tensor.FromArray(y, x.Value.ShapeArray));
    }
    /// <inheritdoc/>
    public override Layers.Activation Transform() => Quadrature;
}

/// <summary>
/// A kernel transform written directly (a custom <see cref="ILayer"/>, or one of Kernels' own activation objects such
/// as a quadrature twin) placed in a Models description, so it composes with <see cref="Stax"/> layers. It describes
/// only the infinite-width kernel: building its finite network is refused.
/// </summary>
public sealed record KernelTransformSpec(ILayer Transform) : LayerSpec
{
    /// <inheritdoc/>
    public override string Kind => Transform.Name;

    /// <inheritdoc/>
    public override int[] OutputShape(int[] input) => CheckInput(input, 1, 3);

    /// <inheritdoc/>
    public override Models.Module<T> Build<T>(int[] input, NativeFree.Tensors.Randomness.Rng rng, Models.LayerRole role)
        => throw new NotSupportedException($"{Transform.Name}: a kernel transform given directly has no finite network; describe the layer as a Models spec to build it.");

    /// <inheritdoc/>
    public override string ToSpecText() => Transform.Name;
}
