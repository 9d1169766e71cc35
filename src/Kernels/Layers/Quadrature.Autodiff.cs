using NativeFree.Autograd;
using NativeFree.Tensors;

namespace NativeFree.Kernels.Layers;

// A quadrature activation given as an Autograd function: φ′ for the kernel's dual by automatic differentiation
// instead of finite differences. (Not a forward pass: the finite network of an activation is its Models spec.)
public sealed partial class QuadratureActivation
{
    private readonly Func<Var<double>, Var<double>>? _varF;

    private QuadratureActivation(Func<Var<double>, Var<double>> f, int points, string name, QuadratureRule rule)
        : this(ScalarValue(f), ScalarDerivative(f), points, name, rule)
    {
        _varF = f;
    }

    /// <summary>
    /// φ given once as an elementwise function of Autograd variables (e.g. <c>x =&gt; x.Tanh()</c>): φ′ for the NTK is
    /// its exact autodiff derivative (no finite differences). The same function in a Models activation spec
    /// (<see cref="Stax.ElementwiseAutograd"/>) is the finite network's layer.
    /// (A factory rather than a constructor so that lambdas valid for both forms stay unambiguous.)
    /// </summary>
    /// <param name="f">φ on variables; must be elementwise (output element i depends only on input element i).</param>
    /// <param name="points">Nodes per axis.</param>
    /// <param name="name">Readable name.</param>
    /// <param name="rule">Quadrature rule.</param>
    public static QuadratureActivation FromAutograd(Func<Var<double>, Var<double>> f, int points = 64, string name = "quadrature",
        QuadratureRule rule = QuadratureRule.GaussHermite) => new(f, points, name, rule);

    /// <summary>Whether φ was given as an Autograd function (so φ′ in the dual is its autodiff derivative).</summary>
    public bool IsDifferentiable => _varF is not null;

    /// <summary>
    /// The Gauss–Hermite dual with φ and φ′ evaluated on whole node grids: for each entry the n values u = √q1·zᵢ and the
    /// n² values v = a·zᵢ + b·zⱼ go through the Var function in one tensor (φ′ = the gradient of Σφ, φ being elementwise),
    /// a chunk of entries per tape instead of ~2n² scalar Autograd calls per entry. Same sums as the scalar loop.
    /// </summary>
    private void DualAutograd(ReadOnlySpan<double> k11, ReadOnlySpan<double> k22, Span<double> k12, Span<double> ntk)
    {
        int n = _z.Length, per = n + n * n;
        bool withNtk = !ntk.IsEmpty;
        using var record = GradMode.Set(true); // inside a caller's no-grad scope φ′ would silently come back as 0
        const int chunk = 8;
        for (int e0 = 0; e0 < k12.Length; e0 += chunk)
        {
            int count = Math.Min(chunk, k12.Length - e0);
            var pts = new double[count * per];
            for (int c = 0; c < count; c++)
            {
                int e = e0 + c;
                double q1 = Math.Max(k11[e], 0), q2 = Math.Max(k22[e], 0), k = k12[e];
                double s1 = Math.Sqrt(q1), a = s1 > 0 ? k / s1 : 0, b = Math.Sqrt(Math.Max(q2 - a * a, 0));
                var row = pts.AsSpan(c * per, per);
                for (int i = 0; i < n; i++) row[i] = s1 * _z[i];
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++) row[n + i * n + j] = a * _z[i] + b * _z[j];
            }
            var x = withNtk ? Var<double>.Parameter(Tensor.FromArray(pts, pts.Length)) : Var<double>.Constant(Tensor.FromArray(pts, pts.Length));
            var y = _varF!(x);
            if (y.Value.Length != pts.Length)
                throw new ArgumentException($"{Name}: the activation must be elementwise, but it maps {pts.Length} values to {y.Value.Length}.");
            var f = y.Value.ToArray();
            double[]? g = null;
            if (withNtk)
                g = Autodiff.Gradients(y.Sum(), [x])[0] is { } gv ? gv.Value.ToArray() : new double[pts.Length]; // null: φ constant, φ′ = 0
            for (int c = 0; c < count; c++)
            {
                int o = c * per;
                double sf = 0, sg = 0;
                for (int i = 0; i < n; i++)
                {
                    double fi = 0, gi = 0;
                    for (int j = 0; j < n; j++)
                    {
                        fi += _w[j] * f[o + n + i * n + j];
                        if (g is not null) gi += _w[j] * g[o + n + i * n + j];
                    }
                    sf += _w[i] * f[o + i] * fi;
                    if (g is not null) sg += _w[i] * g[o + i] * gi;
                }
                k12[e0 + c] = sf;
                if (withNtk) ntk[e0 + c] *= sg;
            }
        }
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
