using NativeFree.Autograd;
using NativeFree.Tensors;

namespace NativeFree.Kernels.Layers;

// Autograd forward passes of the closed-form activations: φ on the tape, the same values as Value(x).

public sealed partial class Erf
{
    /// <inheritdoc/>
    protected override Var<double> ApplyVar(Var<double> x)
    {
        var y = (x * b).Erf() * a;
        return c == 0 ? y : y + c;
    }
}

public sealed partial class Gelu
{
    /// <inheritdoc/>
    protected override Var<double> ApplyVar(Var<double> x) => x.Gelu();
}

public sealed partial class Sin
{
    /// <inheritdoc/>
    protected override Var<double> ApplyVar(Var<double> x) => (x * b + c).Sin() * a;
}

public sealed partial class Rbf
{
    /// <inheritdoc/>
    protected override Var<double> ApplyVar(Var<double> x) => (x * Math.Sqrt(2 * gamma) + Math.PI / 4).Sin() * Math.Sqrt(2);
}

public sealed partial class Sign
{
    /// <inheritdoc/>
    /// <remarks>A constant on the tape: the derivative is zero almost everywhere, as <see cref="Derivative"/> says.</remarks>
    protected override Var<double> ApplyVar(Var<double> x) => x.Sign();
}

public sealed partial class Monomial
{
    /// <inheritdoc/>
    protected override Var<double> ApplyVar(Var<double> x) => _degree switch
    {
        // x⁰ = 1 everywhere (0⁰ = 1 as in Math.Pow); its derivative is 0, not 0·x⁻¹ (NaN at 0).
        0 => Var<double>.Constant(Tensor.Ones<double>(x.Value.ShapeArray)),
        1 => x,
        _ => x.Pow((double)_degree),
    };
}

public sealed partial class RectifiedMonomial
{
    /// <inheritdoc/>
    protected override Var<double> ApplyVar(Var<double> x) => _degree switch
    {
        // The step 1[x > 0]: a constant on the tape (derivative 0 almost everywhere).
        0 => Var<double>.Constant(Tensor.Greater(x.Value, Tensor.Scalar(0.0))),
        1 => x.Relu(),
        _ => x.Relu().Pow((double)_degree),
    };
}
