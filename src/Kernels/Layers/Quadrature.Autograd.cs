using NativeFree.Autograd;
using NativeFree.Tensors;

namespace NativeFree.Kernels.Layers;

// A quadrature activation given as an Autograd function: φ on the tape (empirical kernels, training), and
// φ′ for the kernel by automatic differentiation instead of finite differences.
public sealed partial class QuadratureActivation
{
    private readonly Func<Var<double>, Var<double>>? _varF;

    private QuadratureActivation(Func<Var<double>, Var<double>> f, int points, string name, QuadratureRule rule)
        : this(ScalarValue(f), ScalarDerivative(f), points, name, rule)
    {
        _varF = f;
    }

    /// <summary>
    /// φ given once as an elementwise function of Autograd variables (e.g. <c>x =&gt; x.Tanh()</c>): the finite
    /// network runs it on the tape, and φ′ for the NTK is its exact autodiff derivative (no finite differences).
    /// (A factory rather than a constructor so that lambdas valid for both forms stay unambiguous.)
    /// </summary>
    /// <param name="f">φ on variables; must be elementwise (output element i depends only on input element i).</param>
    /// <param name="points">Nodes per axis.</param>
    /// <param name="name">Readable name.</param>
    /// <param name="rule">Quadrature rule.</param>
    public static QuadratureActivation FromAutograd(Func<Var<double>, Var<double>> f, int points = 64, string name = "quadrature",
        QuadratureRule rule = QuadratureRule.GaussHermite) => new(f, points, name, rule);

    /// <summary>Whether φ has an Autograd form (so the finite network has empirical kernels and can be trained).</summary>
    public bool IsDifferentiable => _varF is not null;

    /// <inheritdoc/>
    protected override Var<double> ApplyVar(Var<double> x)
    {
        if (_varF is null)
            throw new NotSupportedException($"{Name}: this quadrature activation was given as a double function, which Autograd cannot record, " +
                "so the finite network has no empirical kernel and cannot be trained. Construct it from a Var function instead " +
                "(Stax.ElementwiseAutograd(x => …) or QuadratureActivation.FromAutograd).");
        var y = _varF(x);
        if (!y.Shape.SequenceEqual(x.Shape))
            throw new ArgumentException($"{Name}: the activation must be elementwise, but it maps shape [{string.Join(", ", x.Value.ShapeArray)}] to [{string.Join(", ", y.Value.ShapeArray)}].");
        return y;
    }

    private static Func<double, double> ScalarValue(Func<Var<double>, Var<double>> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return x => f(Var<double>.Constant(Tensor.Scalar(x))).Value.ToScalar();
    }

    // One forward and one backward pass per point: exact but about a microsecond each, so quadrature kernels
    // built this way cost more per entry than those with an explicit derivative.
    private static Func<double, double> ScalarDerivative(Func<Var<double>, Var<double>> f)
        => x => Autodiff.Grad<double>(v => f(v), Tensor.Scalar(x)).ToScalar();
}
