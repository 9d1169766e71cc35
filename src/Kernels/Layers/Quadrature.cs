using NativeFree.Kernels.Internal;

namespace NativeFree.Kernels.Layers;

/// <summary>Which 1-D rule the quadrature activation uses on each axis.</summary>
public enum QuadratureRule
{
    /// <summary>Gauss–Hermite: exponential convergence for smooth φ, slow (algebraic) for kinks and jumps.</summary>
    GaussHermite,
    /// <summary>
    /// Gauss–Legendre on [−10, 10] with the Gaussian weight, split where φ's argument crosses zero: φ that are
    /// smooth away from 0 (ReLU, sign, step, abs) converge exponentially.
    /// </summary>
    SplitAtZero,
}

/// <summary>Gauss–Hermite rules for E[g(Z)], Z ~ N(0, 1), by Golub–Welsch on the Jacobi matrix.</summary>
public static class GaussHermite
{
    /// <summary>Gauss–Legendre nodes and weights on [−1, 1] (Golub–Welsch).</summary>
    public static (double[] Nodes, double[] Weights) Legendre(int n)
    {
        if (n is < 1 or > 400) throw new ArgumentException($"Gauss–Legendre order must be in 1..400, got {n}.", nameof(n));
        var e = new double[n];
        for (int k = 1; k < n; k++) e[k - 1] = k / Math.Sqrt(4.0 * k * k - 1);
        return GolubWelsch(e, n, 2);
    }

    /// <summary>Nodes zᵢ and weights wᵢ with Σ wᵢ g(zᵢ) ≈ E[g(Z)] for a standard normal Z (exact for polynomials of degree &lt; 2n).</summary>
    public static (double[] Nodes, double[] Weights) Normal(int n)
    {
        if (n is < 1 or > 400) throw new ArgumentException($"Gauss–Hermite order must be in 1..400, got {n}.", nameof(n));
        // Probabilists' Hermite: recurrence x·Heₖ = Heₖ₊₁ + k·Heₖ₋₁, Jacobi matrix off-diagonal √k.
        var e = new double[n];
        for (int k = 0; k < n - 1; k++) e[k] = Math.Sqrt(k + 1);
        return GolubWelsch(e, n, 1);
    }

    /// <summary>
    /// Golub–Welsch: the nodes are the eigenvalues of the symmetric tridiagonal Jacobi matrix (off-diagonal
    /// <paramref name="offDiagonal"/>, zero diagonal), the weights μ₀·(first eigenvector component)².
    /// </summary>
    private static (double[] Nodes, double[] Weights) GolubWelsch(double[] offDiagonal, int n, double mu0)
    {
        var j = new double[n * n];
        for (int k = 0; k < n - 1; k++) { j[k * n + k + 1] = offDiagonal[k]; j[(k + 1) * n + k] = offDiagonal[k]; }
        var (values, vectors) = NativeFree.Tensors.LinearAlgebra.Linalg.Eigh(NativeFree.Tensors.Tensor.FromArray(j, n, n));
        var nodes = values.ToArray();
        var v = vectors.ToArray(); // column i is the eigenvector of nodes[i] (ascending)
        var weights = new double[n];
        for (int i = 0; i < n; i++) weights[i] = mu0 * v[i] * v[i];
        return (nodes, weights);
    }
}

/// <summary>
/// Any activation, its kernels by 2-D Gauss–Hermite quadrature of E[φ(u)φ(v)] and E[φ′(u)φ′(v)] over the
/// bivariate normal. Without an explicit derivative φ′ is taken by central finite differences (step
/// 1e-5·max(1, |x|)); <see cref="FromAutograd"/> takes φ as a Var function and differentiates it exactly.
/// Kinks (ReLU-like) converge slowly under Gauss–Hermite (96 points per axis: about 3e-3 relative error);
/// <see cref="QuadratureRule.SplitAtZero"/> handles φ with kinks or jumps at 0 to near machine precision.
/// </summary>
public sealed partial class QuadratureActivation : Activation
{
    private readonly Func<double, double> _f;
    private readonly Func<double, double>? _df;
    private readonly double[] _z, _w;
    private readonly string _name;
    private readonly QuadratureRule _rule;
    private readonly double[] _gx, _gw;
    private const double Range = 10;

    /// <summary>φ = <paramref name="f"/> with optional derivative <paramref name="df"/> and <paramref name="points"/> nodes per axis (per piece for <see cref="QuadratureRule.SplitAtZero"/>).</summary>
    public QuadratureActivation(Func<double, double> f, Func<double, double>? df = null, int points = 64, string name = "quadrature",
        QuadratureRule rule = QuadratureRule.GaussHermite)
    {
        ArgumentNullException.ThrowIfNull(f);
        _f = f; _df = df; _name = name; _rule = rule;
        (_z, _w) = GaussHermite.Normal(points);
        (_gx, _gw) = GaussHermite.Legendre(points);
    }

    /// <summary>A quadrature twin of another activation (same φ and φ′): the oracle the closed forms are tested against.</summary>
    public static QuadratureActivation Of(Activation a, int points = 64, QuadratureRule rule = QuadratureRule.GaussHermite)
        => new(a.Value, a.Derivative, points, "quadrature:" + a.Name, rule);

    // Nodes and weights of E[g(Z)] over [lo, hi] (Gauss–Legendre times the normal density).
    private void Piece(double lo, double hi, List<(double Z, double W)> dst)
    {
        if (hi <= lo) return;
        double mid = 0.5 * (hi + lo), half = 0.5 * (hi - lo);
        for (int i = 0; i < _gx.Length; i++)
        {
            double z = mid + half * _gx[i];
            dst.Add((z, half * _gw[i] * Math.Exp(-0.5 * z * z) / Math.Sqrt(2 * Math.PI)));
        }
    }

    private double SplitDual(double q1, double q2, double c, bool derivative)
    {
        double s1 = Math.Sqrt(q1);
        double a = s1 > 0 ? c / s1 : 0;
        double b = Math.Sqrt(Math.Max(q2 - a * a, 0));
        Func<double, double> g = derivative ? Derivative : _f;
        var outer = new List<(double Z, double W)>();
        Piece(-Range, 0, outer); Piece(0, Range, outer);
        var inner = new List<(double Z, double W)>();
        double sum = 0;
        foreach (var (zi, wi) in outer)
        {
            double fu = g(s1 * zi);
            if (fu == 0) continue;
            inner.Clear();
            if (b > 0)
            {
                // v = a·zi + b·zj crosses zero at zj = −a·zi/b.
                double cut = Math.Clamp(-a * zi / b, -Range, Range);
                Piece(-Range, cut, inner); Piece(cut, Range, inner);
            }
            else inner.Add((0, 1));
            double fi = 0;
            foreach (var (zj, wj) in inner) fi += wj * g(a * zi + b * zj);
            sum += wi * fu * fi;
        }
        return sum;
    }

    /// <inheritdoc/>
    public override string Name => _name;
    /// <inheritdoc/>
    public override double Value(double x) => _f(x);
    /// <inheritdoc/>
    public override double Derivative(double x)
    {
        if (_df is not null) return _df(x);
        double h = 1e-5 * Math.Max(1, Math.Abs(x));
        return (_f(x + h) - _f(x - h)) / (2 * h);
    }

    /// <inheritdoc/>
    public override void Dual(ReadOnlySpan<double> k11, ReadOnlySpan<double> k22, Span<double> k12, Span<double> ntk)
    {
        if (_rule == QuadratureRule.SplitAtZero)
        {
            for (int e = 0; e < k12.Length; e++)
            {
                double q1 = Math.Max(k11[e], 0), q2 = Math.Max(k22[e], 0), c = k12[e];
                k12[e] = SplitDual(q1, q2, c, false);
                if (!ntk.IsEmpty) ntk[e] *= SplitDual(q1, q2, c, true);
            }
            return;
        }
        if (_varF is not null) { DualAutograd(k11, k22, k12, ntk); return; } // φ and φ′ on whole node grids, one tape per chunk
        int n = _z.Length;
        Span<double> fu = stackalloc double[n], gu = stackalloc double[n];
        for (int e = 0; e < k12.Length; e++)
        {
            double q1 = Math.Max(k11[e], 0), q2 = Math.Max(k22[e], 0), c = k12[e];
            // u = √q1·z1, v = (c/√q1)·z1 + √(q2 − c²/q1)·z2 (the 2×2 Cholesky factor).
            double s1 = Math.Sqrt(q1);
            double a = s1 > 0 ? c / s1 : 0;
            double b = Math.Sqrt(Math.Max(q2 - a * a, 0));
            for (int i = 0; i < n; i++) { fu[i] = _f(s1 * _z[i]); if (!ntk.IsEmpty) gu[i] = Derivative(s1 * _z[i]); }
            double sf = 0, sg = 0;
            for (int i = 0; i < n; i++)
            {
                double fi = 0, gi = 0;
                for (int j = 0; j < n; j++)
                {
                    double v = a * _z[i] + b * _z[j];
                    fi += _w[j] * _f(v);
                    if (!ntk.IsEmpty) gi += _w[j] * Derivative(v);
                }
                sf += _w[i] * fu[i] * fi;
                sg += _w[i] * gu[i] * gi;
            }
            k12[e] = sf;
            if (!ntk.IsEmpty) ntk[e] *= sg;
        }
    }
}
